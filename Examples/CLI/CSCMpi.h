// The tools' --mpi mode (OpenMPI): the process's rank among P, and the few collective steps the
// tiled runs need (broadcast a path, barrier, gather numbers to rank 0, abort all on an error).
// Without MPI in the build, --mpi is refused with the reason.
#ifndef CSCMpi_h
#define CSCMpi_h

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
} // namespace csc

#endif
