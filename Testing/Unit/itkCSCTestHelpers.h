#ifndef itkCSCTestHelpers_h
#define itkCSCTestHelpers_h

#include "gtest/gtest.h"
#include "itkImage.h"
#include "itkImageFileReader.h"
#include "itkMultiChannelFourierConvolution.h"
#include "itkProcessCommunicator.h"
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <random>
#include <string>
#include <vector>

namespace csctest
{
/** Deterministic random values in [-1, 1). */
template <typename T>
std::vector<T>
RandomVector(size_t n, unsigned int seed)
{
  std::mt19937                     generator(seed);
  std::uniform_real_distribution<> uniform(-1.0, 1.0);
  std::vector<T>                   values(n);
  for (auto & v : values)
  {
    v = static_cast<T>(uniform(generator));
  }
  return values;
}

template <typename T>
double
Dot(const std::vector<T> & a, const std::vector<T> & b)
{
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i)
  {
    sum += double(a[i]) * double(b[i]);
  }
  return sum;
}

inline size_t
Product(const std::vector<itk::SizeValueType> & size)
{
  size_t n = 1;
  for (auto s : size)
  {
    n *= s;
  }
  return n;
}

template <typename T>
typename itk::MultiChannelFourierConvolution<T>::Pointer
MakeOperator(const std::vector<itk::SizeValueType> & imageSize, const std::vector<itk::SizeValueType> & kernelSize,
             const std::vector<T> & kernels, unsigned int K, itk::ConvolutionalSparseCodingEnums::Boundary boundary)
{
  return itk::MultiChannelFourierConvolution<T>::Create(
    imageSize, kernels.data(), kernelSize, K, boundary, FFTW_ESTIMATE);
}

/** ||B||^2 of a linear map by power iteration on B^T B: \c normal(v, out) writes B^T B v;
 * \c iterations steps from a random start of \c n values. Approaches the norm from below. */
template <typename TNormal>
double
PowerIterationNormSquared(TNormal && normal, size_t n, int iterations)
{
  auto                v = RandomVector<double>(n, 99);
  std::vector<double> w(n);
  double              estimate = 0;
  for (int iteration = 0; iteration < iterations; ++iteration)
  {
    normal(v, w);
    const double norm = std::sqrt(Dot(w, w));
    estimate = norm / std::sqrt(Dot(v, v));
    for (size_t i = 0; i < n; ++i)
    {
      v[i] = w[i] / norm;
    }
  }
  return estimate;
}

/** The shared folder beside the project; tests that need it fail when it is missing. */
inline std::string
SharedDirectory()
{
  const char * fromEnvironment = std::getenv("CSC_SHARED_DIR");
  return fromEnvironment ? std::string(fromEnvironment) : std::string(CSC_SHARED_DIR);
}

/** An image of ../shared/cases; throws when the shared folder is missing. */
/** An image of \c size filled with \c values (zeros when empty). */
template <typename TImage>
typename TImage::Pointer
MakeImage(const std::vector<itk::SizeValueType> & size, const std::vector<float> & values)
{
  auto                        image = TImage::New();
  typename TImage::RegionType region;
  for (unsigned int d = 0; d < TImage::ImageDimension; ++d)
  {
    region.SetSize(d, size[d]);
  }
  image->SetRegions(region);
  image->Allocate(true);
  if (!values.empty())
  {
    std::copy(values.begin(), values.end(), image->GetBufferPointer());
  }
  return image;
}

template <unsigned int VDimension>
typename itk::Image<float, VDimension>::Pointer
ReadSharedCase(const std::string & name)
{
  const std::string path = SharedDirectory() + "/cases/" + name;
  if (!std::ifstream(path).good())
  {
    throw std::runtime_error("missing shared test data: " + path + " (../shared must sit beside the project)");
  }
  return itk::ReadImage<itk::Image<float, VDimension>>(path);
}
/** Expects \c run() to throw an itk::ExceptionObject whose description contains \c words. */
template <typename TRun>
void
ExpectExceptionContaining(TRun && run, const std::string & words)
{
  try
  {
    run();
    ADD_FAILURE() << "no exception; expected one mentioning '" << words << "'";
  }
  catch (const itk::ExceptionObject & e)
  {
    EXPECT_NE(std::string(e.GetDescription()).find(words), std::string::npos) << e.GetDescription();
  }
}

/** A ProcessCommunicator joining threads of one process: each collective step waits for all,
 * reads the others' buffers, then waits again before anyone moves on. */
class ThreadCommunicator : public itk::ProcessCommunicator
{
public:
  struct Shared
  {
    explicit Shared(unsigned int processes)
      : Buffers(processes)
    {}
    std::mutex              Mutex;
    std::condition_variable Changed;
    unsigned int            Waiting{ 0 };
    unsigned long           Generation{ 0 };
    std::vector<void *>     Buffers;
    void
    Barrier()
    {
      std::unique_lock<std::mutex> lock(Mutex);
      const unsigned long          generation = Generation;
      if (++Waiting == Buffers.size())
      {
        Waiting = 0;
        ++Generation;
        Changed.notify_all();
        return;
      }
      Changed.wait(lock, [&] { return Generation != generation; });
    }
  };
  using Self = ThreadCommunicator;
  using Pointer = itk::SmartPointer<Self>;
  static Pointer
  Make(Shared * shared, unsigned int index)
  {
    Pointer communicator = new Self;
    communicator->UnRegister();
    communicator->m_Shared = shared;
    communicator->m_Index = index;
    return communicator;
  }
  unsigned int
  GetNumberOfProcesses() const override
  {
    return static_cast<unsigned int>(m_Shared->Buffers.size());
  }
  unsigned int
  GetProcessIndex() const override
  {
    return m_Index;
  }

protected:
  void
  AllSum(double * values, std::size_t count) override
  {
    this->SumBlock(values, 0, count);
  }
  void
  AllMaximum(double * values, std::size_t count) override
  {
    m_Shared->Buffers[m_Index] = values;
    m_Shared->Barrier();
    std::vector<double> maxima(values, values + count);
    for (void * buffer : m_Shared->Buffers)
    {
      for (std::size_t i = 0; i < count; ++i)
      {
        maxima[i] = std::max(maxima[i], static_cast<double *>(buffer)[i]);
      }
    }
    m_Shared->Barrier();
    std::copy(maxima.begin(), maxima.end(), values);
  }
  void
  PeerExchange(const std::vector<PeerMessage<float>> & messages) override
  {
    this->Exchange(messages);
  }
  void
  PeerExchange(const std::vector<PeerMessage<double>> & messages) override
  {
    this->Exchange(messages);
  }
  void
  ReduceScatter(double * values, const BlockSizesType & blocks) override
  {
    const auto [begin, size] = this->OwnBlock(blocks);
    this->SumBlock(values, begin, size);
  }
  void
  ReduceScatter(float * values, const BlockSizesType & blocks) override
  {
    const auto [begin, size] = this->OwnBlock(blocks);
    this->SumBlock(values, begin, size);
  }
  void
  AllGather(double * values, const BlockSizesType & blocks) override
  {
    this->Gather(values, blocks);
  }
  void
  AllGather(float * values, const BlockSizesType & blocks) override
  {
    this->Gather(values, blocks);
  }

private:
  /** Each thread posts its messages; each then copies what its peers sent it. */
  template <typename T>
  void
  Exchange(const std::vector<PeerMessage<T>> & messages)
  {
    m_Shared->Buffers[m_Index] = const_cast<std::vector<PeerMessage<T>> *>(&messages);
    m_Shared->Barrier();
    for (const auto & mine : messages)
    {
      const auto & theirs = *static_cast<const std::vector<PeerMessage<T>> *>(m_Shared->Buffers[mine.Peer]);
      const auto   back = std::find_if(
        theirs.begin(), theirs.end(), [&](const PeerMessage<T> & message) { return message.Peer == m_Index; });
      if (back == theirs.end() || back->SendCount != mine.ReceiveCount)
      {
        throw std::logic_error("ThreadCommunicator: unmatched peer exchange");
      }
      std::copy(back->Send, back->Send + back->SendCount, mine.Receive);
    }
    m_Shared->Barrier();
  }
  std::pair<std::size_t, std::size_t>
  OwnBlock(const BlockSizesType & blocks) const
  {
    std::size_t begin = 0;
    for (unsigned int p = 0; p < m_Index; ++p)
    {
      begin += blocks[p];
    }
    return { begin, blocks[m_Index] };
  }
  template <typename T>
  void
  SumBlock(T * values, std::size_t begin, std::size_t size)
  {
    m_Shared->Buffers[m_Index] = values;
    m_Shared->Barrier();
    std::vector<T> sums(size, T(0));
    for (void * buffer : m_Shared->Buffers)
    {
      for (std::size_t i = 0; i < size; ++i)
      {
        sums[i] += static_cast<T *>(buffer)[begin + i];
      }
    }
    m_Shared->Barrier();
    std::copy(sums.begin(), sums.end(), values + begin);
  }
  template <typename T>
  void
  Gather(T * values, const BlockSizesType & blocks)
  {
    m_Shared->Buffers[m_Index] = values;
    m_Shared->Barrier();
    std::size_t begin = 0;
    for (unsigned int p = 0; p < blocks.size(); ++p)
    {
      if (p != m_Index)
      {
        const T * other = static_cast<const T *>(m_Shared->Buffers[p]) + begin;
        std::copy(other, other + blocks[p], values + begin);
      }
      begin += blocks[p];
    }
    m_Shared->Barrier();
  }
  Shared *     m_Shared{ nullptr };
  unsigned int m_Index{ 0 };
};

} // namespace csctest

#endif
