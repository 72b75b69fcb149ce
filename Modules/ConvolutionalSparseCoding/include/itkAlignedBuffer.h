#ifndef itkAlignedBuffer_h
#define itkAlignedBuffer_h

#include "itkMacro.h"
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <cstring>
#include <memory>
#if defined(__linux__)
#  include <sys/mman.h>
#endif

namespace itk
{
/** Advises transparent huge pages for the whole 2 MiB pages inside a large buffer that was
 * allocated elsewhere (an ITK image's pixels) and not yet written: its first write then takes
 * one page fault per 2 MiB instead of 512. Advice only; does nothing off Linux. */
inline void
AdviseHugePages(void * data, size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t hugePage = uintptr_t(2) << 20;
  const uintptr_t     begin = (reinterpret_cast<uintptr_t>(data) + hugePage - 1) / hugePage * hugePage;
  const uintptr_t     end = (reinterpret_cast<uintptr_t>(data) + bytes) / hugePage * hugePage;
  if (end > begin)
  {
    madvise(reinterpret_cast<void *>(begin), end - begin, MADV_HUGEPAGE);
  }
#else
  (void)data;
  (void)bytes;
#endif
}

/** \class AlignedBuffer
 * \brief A zero-initialised, 64-byte aligned array that owns its memory.
 *
 * FFTW executes a plan on new arrays only when they have the alignment the plan was made
 * with; 64 bytes satisfies every SIMD flavour FFTW uses, and channels inside a buffer are
 * spaced by a multiple of 64 bytes (see MultiChannelFourierConvolution::GetSpatialStride()).
 *
 * On Linux, buffers of HugePageThreshold bytes or more are mapped directly, 2 MiB aligned and
 * advised to use transparent huge pages: fresh mappings are zero already (no memset pass), and
 * one page fault per 2 MiB instead of per 4 KiB. Page faults were half of a short CSC process's
 * set-up on a virtual machine (ConvolutionalSparseCoding, 256x256, 36 kernels).
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename T>
class AlignedBuffer
{
public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t size) { this->Allocate(size); }

  /** Allocate (or re-allocate) \c size elements, all set to zero. */
  void
  Allocate(size_t size)
  {
    m_Data.reset();
    m_Size = 0;
    if (size == 0)
    {
      return;
    }
    if (size > (std::numeric_limits<size_t>::max() - 64) / sizeof(T))
    {
      itkGenericExceptionMacro("AlignedBuffer: cannot allocate " << size << " elements (size overflow)");
    }
    const size_t bytes = ((size * sizeof(T) + 63) / 64) * 64;
    if (bytes >= HugePageThreshold && this->MapHugePages(bytes))
    {
      m_Size = size;
      return;
    }
    void * memory = std::aligned_alloc(64, bytes);
    if (memory == nullptr)
    {
      itkGenericExceptionMacro("AlignedBuffer: cannot allocate " << bytes << " bytes");
    }
    std::memset(memory, 0, bytes);
    m_Data = std::unique_ptr<T, Deleter>(static_cast<T *>(memory), Deleter{ 0 });
    m_Size = size;
  }

  /** Buffers this large or larger are mapped with huge pages where the system offers them. */
  static constexpr size_t HugePageThreshold = size_t(4) << 20;

  void
  Fill(const T & value)
  {
    std::fill(m_Data.get(), m_Data.get() + m_Size, value);
  }

  T *
  data()
  {
    return m_Data.get();
  }
  const T *
  data() const
  {
    return m_Data.get();
  }
  size_t
  size() const
  {
    return m_Size;
  }
  T &
  operator[](size_t i)
  {
    return m_Data.get()[i];
  }
  const T &
  operator[](size_t i) const
  {
    return m_Data.get()[i];
  }

private:
  /** Frees heap memory, or unmaps MappedBytes of a direct mapping. */
  struct Deleter
  {
    size_t MappedBytes{ 0 };
    void
    operator()(T * p) const
    {
#if defined(__linux__)
      if (MappedBytes > 0)
      {
        munmap(static_cast<void *>(p), MappedBytes);
        return;
      }
#endif
      std::free(p);
    }
  };

  /** A zero, 2 MiB-aligned anonymous mapping of at least \c bytes with transparent huge pages
   * advised; false (nothing changed) where that is not available. */
  bool
  MapHugePages(size_t bytes)
  {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    constexpr size_t hugePage = size_t(2) << 20;
    const size_t     length = (bytes + hugePage - 1) / hugePage * hugePage;
    void * mapped = mmap(nullptr, length + hugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED)
    {
      return false;
    }
    // Keep the 2 MiB-aligned part and give back the rest of the over-sized mapping.
    char *       base = static_cast<char *>(mapped);
    char *       aligned = base + (hugePage - reinterpret_cast<uintptr_t>(base) % hugePage) % hugePage;
    const size_t head = static_cast<size_t>(aligned - base);
    if (head > 0)
    {
      munmap(base, head);
    }
    if (hugePage - head > 0)
    {
      munmap(aligned + length, hugePage - head);
    }
    madvise(aligned, length, MADV_HUGEPAGE); // advice only: without huge pages it still works
    m_Data = std::unique_ptr<T, Deleter>(reinterpret_cast<T *>(aligned), Deleter{ length });
    return true;
#else
    (void)bytes;
    return false;
#endif
  }

  std::unique_ptr<T, Deleter> m_Data;
  size_t                      m_Size{ 0 };
};
} // namespace itk

#endif
