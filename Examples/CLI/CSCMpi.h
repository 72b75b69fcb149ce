// The tools' --mpi mode (OpenMPI): the process's rank among P, and the few collective steps the
// tiled runs and distributed learning need (broadcast a path, barrier, gather numbers to rank 0,
// sums over the ranks, abort all on an error). Without MPI in the build, --mpi is refused with
// the reason.
#ifndef CSCMpi_h
#define CSCMpi_h

#include "itkProcessCommunicator.h"
#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>
#ifdef CSC_WITH_MPI
#  include <mpi.h>
#endif

namespace csc
{
class MpiSession
{
public:
  static MpiSession &
  Instance()
  {
    static MpiSession session;
    return session;
  }

  /** Joins MPI_COMM_WORLD (MPI_Init once); throws where the build has no MPI. */
  void
  Start()
  {
#ifdef CSC_WITH_MPI
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized)
    {
      MPI_Init(nullptr, nullptr);
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &m_Rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m_Size);
    m_Active = true;
#else
    throw std::runtime_error("--mpi: this build has no MPI (install libopenmpi-dev and configure with "
                             "-DCSC_USE_MPI=ON)");
#endif
  }
  bool
  Active() const
  {
    return m_Active;
  }
  int
  Rank() const
  {
    return m_Rank;
  }
  int
  Size() const
  {
    return m_Size;
  }
  bool
  IsRoot() const
  {
    return m_Rank == 0;
  }

  void
  Barrier() const
  {
#ifdef CSC_WITH_MPI
    if (m_Active)
    {
      MPI_Barrier(MPI_COMM_WORLD);
    }
#endif
  }

  /** Rank 0's \c text, on every rank. */
  std::string
  Broadcast(const std::string & text) const
  {
#ifdef CSC_WITH_MPI
    if (m_Active)
    {
      unsigned long length = text.size();
      MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG, 0, MPI_COMM_WORLD);
      std::string received = m_Rank == 0 ? text : std::string(length, '\0');
      MPI_Bcast(received.data(), static_cast<int>(length), MPI_CHAR, 0, MPI_COMM_WORLD);
      return received;
    }
#endif
    return text;
  }

  /** Every rank's \c values, concatenated in rank order on rank 0 (empty elsewhere). */
  std::vector<double>
  Gather(const std::vector<double> & values) const
  {
#ifdef CSC_WITH_MPI
    if (m_Active)
    {
      int              count = static_cast<int>(values.size());
      std::vector<int> counts(m_Size), offsets(m_Size);
      MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
      int total = 0;
      for (int r = 0; r < m_Size; ++r)
      {
        offsets[r] = total;
        total += counts[r];
      }
      std::vector<double> gathered(m_Rank == 0 ? total : 0);
      MPI_Gatherv(values.data(),
                  count,
                  MPI_DOUBLE,
                  gathered.data(),
                  counts.data(),
                  offsets.data(),
                  MPI_DOUBLE,
                  0,
                  MPI_COMM_WORLD);
      return gathered;
    }
#endif
    return values;
  }

  /** Every rank's \c values summed element-wise, on every rank. */
  std::vector<double>
  SumOverRanks(std::vector<double> values) const
  {
#ifdef CSC_WITH_MPI
    if (m_Active)
    {
      MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    }
#endif
    return values;
  }

  /** Stops every rank after an error here: the others would wait for this one forever. */
  void
  AbortAll(int status) const
  {
#ifdef CSC_WITH_MPI
    if (m_Active && m_Size > 1)
    {
      MPI_Abort(MPI_COMM_WORLD, status);
    }
#else
    (void)status;
#endif
  }

  MpiSession(const MpiSession &) = delete;
  MpiSession &
  operator=(const MpiSession &) = delete;

private:
  MpiSession() = default;
  ~MpiSession()
  {
#ifdef CSC_WITH_MPI
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (m_Active && !finalized)
    {
      MPI_Finalize();
    }
#endif
  }
  bool m_Active{ false };
  int  m_Rank{ 0 };
  int  m_Size{ 1 };
};

/** The core's collective steps (itk::ProcessCommunicator) over the ranks of MpiSession, which
 * must have started: what DictionaryLearner exchanges in distributed learning. */
class MpiCommunicator : public itk::ProcessCommunicator
{
public:
  using Self = MpiCommunicator;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self);
  itkTypeMacro(MpiCommunicator, ProcessCommunicator);

  unsigned int
  GetNumberOfProcesses() const override
  {
    return static_cast<unsigned int>(MpiSession::Instance().Size());
  }
  unsigned int
  GetProcessIndex() const override
  {
    return static_cast<unsigned int>(MpiSession::Instance().Rank());
  }

protected:
  MpiCommunicator() = default;
  void
  AllSum(double * values, std::size_t count) override
  {
#ifdef CSC_WITH_MPI
    MPI_Allreduce(MPI_IN_PLACE, values, Count(count), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
#else
    (void)values;
    (void)count;
#endif
  }
  void
  AllMaximum(double * values, std::size_t count) override
  {
#ifdef CSC_WITH_MPI
    MPI_Allreduce(MPI_IN_PLACE, values, Count(count), MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
#else
    (void)values;
    (void)count;
#endif
  }
  void
  PeerExchange(const std::vector<PeerMessage<float>> & messages) override
  {
    PeerExchangeOf(messages);
  }
  void
  PeerExchange(const std::vector<PeerMessage<double>> & messages) override
  {
    PeerExchangeOf(messages);
  }
  void
  ReduceScatter(float * values, const BlockSizesType & blockSizes) override
  {
    ReduceScatterOf(values, blockSizes);
  }
  void
  ReduceScatter(double * values, const BlockSizesType & blockSizes) override
  {
    ReduceScatterOf(values, blockSizes);
  }
  void
  AllGather(float * values, const BlockSizesType & blockSizes) override
  {
    AllGatherOf(values, blockSizes);
  }
  void
  AllGather(double * values, const BlockSizesType & blockSizes) override
  {
    AllGatherOf(values, blockSizes);
  }

private:
  static int
  Count(std::size_t count)
  {
    if (count > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    {
      throw std::runtime_error("--mpi: a block of " + std::to_string(count) + " numbers is beyond MPI's int counts");
    }
    return static_cast<int>(count);
  }
#ifdef CSC_WITH_MPI
  static MPI_Datatype
  TypeOf(const float *)
  {
    return MPI_FLOAT;
  }
  static MPI_Datatype
  TypeOf(const double *)
  {
    return MPI_DOUBLE;
  }
#endif
  /** MPI_Reduce_scatter in place leaves this rank's sums at the start of the buffer: moved to
   * the rank's own block. */
  template <typename TReal>
  static void
  ReduceScatterOf(TReal * values, const BlockSizesType & blockSizes)
  {
#ifdef CSC_WITH_MPI
    const int        rank = MpiSession::Instance().Rank();
    std::vector<int> counts;
    std::size_t      offset = 0;
    for (std::size_t p = 0; p < blockSizes.size(); ++p)
    {
      counts.push_back(Count(blockSizes[p]));
      offset += p < static_cast<std::size_t>(rank) ? blockSizes[p] : 0;
    }
    MPI_Reduce_scatter(MPI_IN_PLACE, values, counts.data(), TypeOf(values), MPI_SUM, MPI_COMM_WORLD);
    std::copy_backward(values, values + blockSizes[rank], values + offset + blockSizes[rank]);
#else
    (void)values;
    (void)blockSizes;
#endif
  }
  /** Every receive posted, then every send, then all awaited: no order between the peers. */
  template <typename TReal>
  static void
  PeerExchangeOf(const std::vector<PeerMessage<TReal>> & messages)
  {
#ifdef CSC_WITH_MPI
    constexpr int            tag = 7;
    std::vector<MPI_Request> requests(2 * messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i)
    {
      const auto & m = messages[i];
      MPI_Irecv(
        m.Receive, Count(m.ReceiveCount), TypeOf(m.Receive), int(m.Peer), tag, MPI_COMM_WORLD, &requests[2 * i]);
    }
    for (std::size_t i = 0; i < messages.size(); ++i)
    {
      const auto & m = messages[i];
      MPI_Isend(m.Send, Count(m.SendCount), TypeOf(m.Send), int(m.Peer), tag, MPI_COMM_WORLD, &requests[2 * i + 1]);
    }
    MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE);
#else
    (void)messages;
#endif
  }
  template <typename TReal>
  static void
  AllGatherOf(TReal * values, const BlockSizesType & blockSizes)
  {
#ifdef CSC_WITH_MPI
    std::vector<int> counts, offsets;
    std::size_t      offset = 0;
    for (const std::size_t size : blockSizes)
    {
      counts.push_back(Count(size));
      offsets.push_back(Count(offset));
      offset += size;
    }
    MPI_Allgatherv(
      MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, values, counts.data(), offsets.data(), TypeOf(values), MPI_COMM_WORLD);
#else
    (void)values;
    (void)blockSizes;
#endif
  }
};
} // namespace csc

#endif
