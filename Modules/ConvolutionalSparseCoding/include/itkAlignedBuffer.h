#ifndef itkAlignedBuffer_h
#define itkAlignedBuffer_h

#include "itkMacro.h"
#include <cstdlib>
#include <cstring>
#include <memory>

namespace itk
{
/** \class AlignedBuffer
 * \brief A zero-initialised, 64-byte aligned array that owns its memory.
 *
 * FFTW executes a plan on new arrays only when they have the alignment the plan was made
 * with; 64 bytes satisfies every SIMD flavour FFTW uses, and channels inside a buffer are
 * spaced by a multiple of 64 bytes (see MultiChannelFourierConvolution::GetSpatialStride()).
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
    const size_t bytes = ((size * sizeof(T) + 63) / 64) * 64;
    void *       memory = std::aligned_alloc(64, bytes);
    if (memory == nullptr)
    {
      itkGenericExceptionMacro("AlignedBuffer: cannot allocate " << bytes << " bytes");
    }
    std::memset(memory, 0, bytes);
    m_Data.reset(static_cast<T *>(memory));
    m_Size = size;
  }

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
  struct FreeDeleter
  {
    void
    operator()(T * p) const
    {
      std::free(p);
    }
  };
  std::unique_ptr<T, FreeDeleter> m_Data;
  size_t                          m_Size{ 0 };
};
} // namespace itk

#endif
