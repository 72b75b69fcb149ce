#ifndef itkSlabHaloExchange_hxx
#define itkSlabHaloExchange_hxx

#include "itkSlabHaloExchange.h"
#include <algorithm>
#include <sstream>

namespace itk
{
namespace
{
/** Every process learns whether any process found a problem; all throw together, so that none
 * waits for the others in a later step. */
inline void
ThrowOnAnyProcess(ProcessCommunicator & communicator, const std::string & problem, const char * file, unsigned int line)
{
  double count = problem.empty() ? 0.0 : 1.0;
  communicator.SumInPlace(&count, 1);
  if (count > 0)
  {
    ExceptionObject e(file, line);
    e.SetDescription(problem.empty() ? "Another process's slab of the split problem is invalid (its own error names it)"
                                     : problem);
    throw e;
  }
}
} // namespace

template <typename TReal>
void
SlabHaloExchange<TReal>::CheckSlab(const OperatorType & op) const
{
  const SlabRows &   r = m_Slab;
  const unsigned int process = m_Communicator->GetProcessIndex();
  std::ostringstream problem;
  if (!(r.ImageBegin <= r.SolveBegin && r.SolveBegin <= r.CoreBegin && r.CoreBegin < r.CoreEnd &&
        r.CoreEnd <= r.SolveEnd && r.SolveEnd <= r.ImageEnd))
  {
    problem << "The slab's rows must nest (image [" << r.ImageBegin << ", " << r.ImageEnd << ") holds the solve rows ["
            << r.SolveBegin << ", " << r.SolveEnd << ") which hold a non-empty core [" << r.CoreBegin << ", "
            << r.CoreEnd << "))";
  }
  else if (op.GetImageSize().back() != static_cast<SizeValueType>(r.SolveEnd - r.SolveBegin))
  {
    problem << "The operator's image has " << op.GetImageSize().back()
            << " rows along the last axis, the slab solves on " << r.SolveEnd - r.SolveBegin;
  }
  else if (op.GetBoundary() != ConvolutionalSparseCodingEnums::Boundary::ZeroPadded || op.IsStrided())
  {
    problem << "A problem split into slabs needs the ZeroPadded boundary and stride 1";
  }
  else
  {
    const IndexValueType needed = static_cast<IndexValueType>(op.GetKernelSize().back()) - 1;
    const bool           below = r.CoreBegin > r.ImageBegin;
    const bool           above = r.CoreEnd < r.ImageEnd;
    // A halo cut short by the image's edge holds every row there is.
    if ((below && r.SolveBegin > r.ImageBegin && r.CoreBegin - r.SolveBegin < needed) ||
        (above && r.SolveEnd < r.ImageEnd && r.SolveEnd - r.CoreEnd < needed))
    {
      problem << "The halo of process " << process << " (" << r.CoreBegin - r.SolveBegin << " rows below its core, "
              << r.SolveEnd - r.CoreEnd << " above) must reach the kernel size less one (" << needed
              << " rows) wherever a neighbour's core lies, or the slabs do not solve the whole image's problem";
    }
    else if ((below && r.CoreBegin - r.ImageBegin < needed) || (above && r.ImageEnd - r.CoreEnd < needed))
    {
      // Else a core would reach the coefficients beyond the image's edge, which the edge's slab owns.
      problem << "Process " << process << "'s core [" << r.CoreBegin << ", " << r.CoreEnd
              << ") lies within the kernel size less one (" << needed << " rows) of the image's edge [" << r.ImageBegin
              << ", " << r.ImageEnd << "): the slabs at the edges need at least as many rows";
    }
    else if ((below && process == 0) || (above && process + 1 >= m_Communicator->GetNumberOfProcesses()))
    {
      problem << "Process " << process << " of " << m_Communicator->GetNumberOfProcesses()
              << " has no neighbour for its core's rows [" << r.CoreBegin << ", " << r.CoreEnd << ") of ["
              << r.ImageBegin << ", " << r.ImageEnd << "): process p must hold the p-th slab along the last axis";
    }
  }
  ThrowOnAnyProcess(*m_Communicator, problem.str(), __FILE__, __LINE__);
}

template <typename TReal>
void
SlabHaloExchange<TReal>::MeetNeighbours()
{
  const SlabRows &   r = m_Slab;
  const unsigned int process = m_Communicator->GetProcessIndex();
  m_Neighbours.clear();
  if (r.CoreBegin > r.ImageBegin)
  {
    m_Neighbours.push_back(Neighbour{ process - 1 });
  }
  if (r.CoreEnd < r.ImageEnd)
  {
    m_Neighbours.push_back(Neighbour{ process + 1 });
  }
  const std::array<double, 4> mine{ double(r.SolveBegin), double(r.SolveEnd), double(r.CoreBegin), double(r.CoreEnd) };
  std::vector<std::array<double, 4>>                    theirs(m_Neighbours.size());
  std::vector<ProcessCommunicator::PeerMessage<double>> messages;
  for (size_t i = 0; i < m_Neighbours.size(); ++i)
  {
    messages.push_back({ m_Neighbours[i].Process, mine.data(), 4, theirs[i].data(), 4 });
  }
  m_Communicator->ExchangeWithPeers(messages);

  std::ostringstream problem;
  for (size_t i = 0; i < m_Neighbours.size() && problem.str().empty(); ++i)
  {
    Neighbour &          n = m_Neighbours[i];
    const bool           lower = n.Process < process;
    const IndexValueType solveBegin = IndexValueType(theirs[i][0]), solveEnd = IndexValueType(theirs[i][1]);
    const IndexValueType coreBegin = IndexValueType(theirs[i][2]), coreEnd = IndexValueType(theirs[i][3]);
    // What it owns of this solve region, and what of this core lies in its solve region.
    n.ReceiveBegin = lower ? r.SolveBegin : r.CoreEnd;
    n.ReceiveEnd = lower ? r.CoreBegin : r.SolveEnd;
    n.SendBegin = lower ? r.CoreBegin : solveBegin;
    n.SendEnd = lower ? solveEnd : r.CoreEnd;
    if ((lower ? coreEnd != r.CoreBegin : coreBegin != r.CoreEnd))
    {
      problem << "Process " << process << "'s core [" << r.CoreBegin << ", " << r.CoreEnd << ") does not meet process "
              << n.Process << "'s [" << coreBegin << ", " << coreEnd << "): the cores must tile the image in order";
    }
    else if (n.ReceiveBegin < coreBegin || n.ReceiveEnd > coreEnd || n.SendBegin < r.CoreBegin || n.SendEnd > r.CoreEnd)
    {
      problem << "The halos of processes " << process << " and " << n.Process << " reach beyond each other's cores ("
              << r.CoreBegin << ", " << r.CoreEnd << ") and [" << coreBegin << ", " << coreEnd
              << "): use fewer processes or a smaller halo";
    }
    n.SendBegin -= r.SolveBegin;
    n.SendEnd -= r.SolveBegin;
    n.ReceiveBegin -= r.SolveBegin;
    n.ReceiveEnd -= r.SolveBegin;
  }
  ThrowOnAnyProcess(*m_Communicator, problem.str(), __FILE__, __LINE__);
}

template <typename TReal>
void
SlabHaloExchange<TReal>::Initialize(const OperatorType & op, bool beyondImage)
{
  if (m_Communicator.IsNull())
  {
    itkExceptionMacro("The communicator is not set");
  }
  this->CheckSlab(op);
  this->MeetNeighbours();
  this->LayOutDomain(op, beyondImage);
}

template <typename TReal>
void
SlabHaloExchange<TReal>::LayOutDomain(const OperatorType & op, bool beyondImage)
{
  // Along the last axis the domain holds the E solve rows, then pad rows up to D. With the kernel
  // origin c = floor(M / 2), a coefficient on pad row r reaches the image's rows from above when
  // r < E + c, and across the wrap, from below, when r >= D - (M - 1 - c); the rows between
  // reach nothing.
  const SizeValueType E = static_cast<SizeValueType>(m_Slab.SolveEnd - m_Slab.SolveBegin);
  const SizeValueType D = op.GetDomainSize().back();
  const SizeValueType M = op.GetKernelSize().back();
  const SizeValueType c = M / 2;
  const SizeValueType belowFrom = D - (M - 1 - c);
  const bool          lower = m_Slab.CoreBegin > m_Slab.ImageBegin;
  const bool          upper = m_Slab.CoreEnd < m_Slab.ImageEnd;
  m_RowPixels = op.GetNumberOfDomainPixels() / D;
  const SizeValueType coreBegin = static_cast<SizeValueType>(m_Slab.CoreBegin - m_Slab.SolveBegin);
  const SizeValueType coreEnd = static_cast<SizeValueType>(m_Slab.CoreEnd - m_Slab.SolveBegin);
  // The core; then the pad rows above and between (upper edge's slab), and below (lower edge's).
  m_OwnedRanges = { { coreBegin * m_RowPixels, (upper ? coreEnd : belowFrom) * m_RowPixels } };
  if (!lower)
  {
    if (!upper)
    {
      m_OwnedRanges.back().second = D * m_RowPixels;
    }
    else
    {
      m_OwnedRanges.emplace_back(belowFrom * m_RowPixels, D * m_RowPixels);
    }
  }
  m_SupportMask.clear();
  if (beyondImage)
  {
    m_SupportMask.assign(op.GetNumberOfDomainPixels(), 1);
    if (upper)
    {
      std::fill(m_SupportMask.begin() + E * m_RowPixels, m_SupportMask.begin() + (E + c) * m_RowPixels, 0);
    }
    if (lower)
    {
      std::fill(m_SupportMask.begin() + belowFrom * m_RowPixels, m_SupportMask.end(), 0);
    }
  }
}

template <typename TReal>
void
SlabHaloExchange<TReal>::Exchange(RealType * maps, unsigned int channels, SizeValueType channelStride)
{
  std::vector<ProcessCommunicator::PeerMessage<RealType>> messages;
  for (Neighbour & n : m_Neighbours)
  {
    const SizeValueType sent = static_cast<SizeValueType>(n.SendEnd - n.SendBegin) * m_RowPixels;
    const SizeValueType received = static_cast<SizeValueType>(n.ReceiveEnd - n.ReceiveBegin) * m_RowPixels;
    n.Outgoing.resize(channels * sent);
    n.Incoming.resize(channels * received);
    for (unsigned int c = 0; c < channels; ++c)
    {
      const RealType * from = maps + c * channelStride + n.SendBegin * m_RowPixels;
      std::copy(from, from + sent, n.Outgoing.data() + c * sent);
    }
    messages.push_back({ n.Process, n.Outgoing.data(), n.Outgoing.size(), n.Incoming.data(), n.Incoming.size() });
  }
  m_Communicator->ExchangeWithPeers(messages);
  for (const Neighbour & n : m_Neighbours)
  {
    const SizeValueType received = static_cast<SizeValueType>(n.ReceiveEnd - n.ReceiveBegin) * m_RowPixels;
    for (unsigned int c = 0; c < channels; ++c)
    {
      const RealType * from = n.Incoming.data() + c * received;
      std::copy(from, from + received, maps + c * channelStride + n.ReceiveBegin * m_RowPixels);
    }
  }
}

template <typename TReal>
void
SlabHaloExchange<TReal>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Slab: image [" << m_Slab.ImageBegin << ", " << m_Slab.ImageEnd << "), solve [" << m_Slab.SolveBegin
     << ", " << m_Slab.SolveEnd << "), core [" << m_Slab.CoreBegin << ", " << m_Slab.CoreEnd << ")" << std::endl;
  os << indent << "Neighbours: " << m_Neighbours.size() << std::endl;
  if (m_Communicator)
  {
    os << indent << "Communicator: " << m_Communicator->GetNameOfClass() << std::endl;
  }
}
} // namespace itk

#endif
