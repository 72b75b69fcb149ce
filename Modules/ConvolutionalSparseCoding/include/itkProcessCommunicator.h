#ifndef itkProcessCommunicator_h
#define itkProcessCommunicator_h

#include "itkObject.h"
#include "itkObjectFactory.h"
#include <cstddef>
#include <vector>

namespace itk
{
/** \class ProcessCommunicator
 * \brief The collective steps of processes that share one computation: sums and maxima handed to
 * every process (all-reduce), sums each process keeps a block of (reduce-scatter), blocks handed
 * from their owners to every process (all-gather), and exchanges between neighbours.
 *
 * The module's core links no message-passing library. A program that runs one computation on
 * several processes (the tools' --mpi mode, with MPI) gives the core an object of a subclass
 * that does these steps over its processes. This base class is the single process, for which
 * every step leaves the values as they are.
 *
 * DictionaryLearner uses it to learn from training images spread over processes (DiCoDiLe's
 * distributed dictionary learning: Moreau and Gramfort, "Distributed convolutional dictionary
 * learning (DiCoDiLe)", IEEE TPAMI, 2020): each process codes its own images, and only the
 * dictionary update's per-frequency statistics, the solved kernel spectra, a few numbers of the
 * learning curve and the kernels' usage travel. SlabHaloExchange uses it to solve one coding
 * problem split into slabs: neighbours exchange the coefficients of their halos every iteration.
 *
 * Every process must take the same steps in the same order with the same counts. Blocks are laid
 * one after another in process order: block p of \c blockSizes[p] numbers starts after blocks
 * 0..p-1. GetBytesCommunicated() counts the bytes of every buffer handed to a step on this
 * process (how much of it crosses the network depends on the MPI's algorithms: about (P-1)/P of
 * it for ring reduce-scatter and all-gather).
 *
 * \ingroup ConvolutionalSparseCoding
 */
class ProcessCommunicator : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(ProcessCommunicator);
  using Self = ProcessCommunicator;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  using BlockSizesType = std::vector<std::size_t>;
  itkNewMacro(Self);
  itkTypeMacro(ProcessCommunicator, Object);

  /** The processes taking part (1 for this base class), and this one's index among them. */
  virtual unsigned int
  GetNumberOfProcesses() const
  {
    return 1;
  }
  virtual unsigned int
  GetProcessIndex() const
  {
    return 0;
  }

  /** What a process hands one neighbour (\c Peer, a process index) and receives from it. */
  template <typename TReal>
  struct PeerMessage
  {
    unsigned int  Peer{ 0 };
    const TReal * Send{ nullptr };
    std::size_t   SendCount{ 0 };
    TReal *       Receive{ nullptr };
    std::size_t   ReceiveCount{ 0 };
  };

  /** Replaces values[0..count) by their sums over the processes, on every process. */
  void
  SumInPlace(double * values, std::size_t count)
  {
    m_BytesCommunicated += count * sizeof(double);
    this->AllSum(values, count);
  }
  /** values: the same blocks on every process. On return this process's block holds the
   * block's sums over the processes; the other blocks are undefined. */
  template <typename TReal>
  void
  SumScatter(TReal * values, const BlockSizesType & blockSizes)
  {
    m_BytesCommunicated += Total(blockSizes) * sizeof(TReal);
    this->ReduceScatter(values, blockSizes);
  }
  /** Replaces values[0..count) by their maxima over the processes, on every process. */
  void
  MaximumInPlace(double * values, std::size_t count)
  {
    m_BytesCommunicated += count * sizeof(double);
    this->AllMaximum(values, count);
  }
  /** Sends and receives every message at once; each peer calls it with the message back, whose
   * counts match (SendCount here is ReceiveCount there). A single process has no peers. */
  template <typename TReal>
  void
  ExchangeWithPeers(const std::vector<PeerMessage<TReal>> & messages)
  {
    for (const auto & message : messages)
    {
      if (message.Peer >= this->GetNumberOfProcesses() || message.Peer == this->GetProcessIndex())
      {
        itkExceptionMacro("Process " << this->GetProcessIndex() << " of " << this->GetNumberOfProcesses()
                                     << " cannot exchange with process " << message.Peer);
      }
      m_BytesCommunicated += message.SendCount * sizeof(TReal);
    }
    this->PeerExchange(messages);
  }
  /** On return every block holds its owner process's values, on every process. */
  template <typename TReal>
  void
  GatherInPlace(TReal * values, const BlockSizesType & blockSizes)
  {
    m_BytesCommunicated += Total(blockSizes) * sizeof(TReal);
    this->AllGather(values, blockSizes);
  }

  /** Bytes handed to the collective steps so far, on this process. */
  itkGetConstMacro(BytesCommunicated, std::size_t);
  void
  ResetBytesCommunicated()
  {
    m_BytesCommunicated = 0;
  }

  /** An even split of n items into the processes' blocks (the first ones one larger). */
  BlockSizesType
  SplitEvenly(std::size_t n) const
  {
    const std::size_t P = this->GetNumberOfProcesses();
    BlockSizesType    sizes(P, n / P);
    for (std::size_t p = 0; p < n % P; ++p)
    {
      ++sizes[p];
    }
    return sizes;
  }

protected:
  ProcessCommunicator() = default;
  ~ProcessCommunicator() override = default;
  /** The steps themselves; the single process has nothing to exchange. */
  virtual void
  AllSum(double * /*values*/, std::size_t /*count*/)
  {}
  virtual void
  AllMaximum(double * /*values*/, std::size_t /*count*/)
  {}
  /** Only called with peers, which a single process has none of (ExchangeWithPeers() checks). */
  virtual void
  PeerExchange(const std::vector<PeerMessage<float>> & /*messages*/)
  {}
  virtual void
  PeerExchange(const std::vector<PeerMessage<double>> & /*messages*/)
  {}
  virtual void
  ReduceScatter(float * /*values*/, const BlockSizesType & /*blockSizes*/)
  {}
  virtual void
  ReduceScatter(double * /*values*/, const BlockSizesType & /*blockSizes*/)
  {}
  virtual void
  AllGather(float * /*values*/, const BlockSizesType & /*blockSizes*/)
  {}
  virtual void
  AllGather(double * /*values*/, const BlockSizesType & /*blockSizes*/)
  {}
  void
  PrintSelf(std::ostream & os, Indent indent) const override
  {
    Superclass::PrintSelf(os, indent);
    os << indent << "Process: " << this->GetProcessIndex() << " of " << this->GetNumberOfProcesses() << std::endl;
    os << indent << "BytesCommunicated: " << m_BytesCommunicated << std::endl;
  }
  static std::size_t
  Total(const BlockSizesType & blockSizes)
  {
    std::size_t total = 0;
    for (const std::size_t size : blockSizes)
    {
      total += size;
    }
    return total;
  }

private:
  std::size_t m_BytesCommunicated{ 0 };
};
} // namespace itk

#endif
