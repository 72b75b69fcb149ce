#ifndef itkSlabHaloExchange_h
#define itkSlabHaloExchange_h

#include "itkMultiChannelFourierConvolution.h"
#include "itkProcessCommunicator.h"
#include <array>
#include <utility>
#include <vector>

namespace itk
{
/** \class SlabHaloExchange
 * \brief One convolutional sparse coding problem split over processes in slabs along the image's
 * last axis: each process solves on its slab's core grown by a halo, owns the coefficients of its
 * core, and receives its halo's coefficients from the neighbours that own them every iteration.
 *
 * The data term's gradient at a pixel depends on the coefficients within a kernel size of it, so
 * with a halo of at least M - 1 rows (M: the kernel size along the last axis) the gradient on
 * every core is the whole image's gradient. A solver whose steps after the gradient are pixel by
 * pixel (FISTA) therefore follows the whole image's iterates, up to rounding, when its sums (the
 * objective, the convergence and restart tests) are taken over the cores and summed over the
 * processes and its step is common to all: the distributed solution of DiCoDiLe (Moreau and
 * Gramfort, "Distributed convolutional dictionary learning (DiCoDiLe): pattern discovery in large
 * images and signals", IEEE TPAMI, 2020), with halo exchange between iterations instead of its
 * asynchronous coordinate updates.
 *
 * Give it to a solver (SparseCodingSolverBase::SetHaloExchange) with a communicator whose process
 * index is the slab's place along the axis: process p's core ends where process p + 1's begins.
 * ConvolutionalSparseCodingImageFilter sets the slab's rows from the region it solves; every other
 * caller sets them with SetSlab(). The operator must have the ZeroPadded boundary and stride 1.
 * Coefficients beyond the image (SparseCodingSolverBase::CoefficientsBeyondImage) are those
 * beyond the whole image's edges: the slabs at its first and last rows own the pad rows that act
 * across them, and no slab keeps coefficients across a neighbour's side.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class ITK_TEMPLATE_EXPORT SlabHaloExchange : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(SlabHaloExchange);
  using Self = SlabHaloExchange;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(SlabHaloExchange, Object);

  using RealType = TReal;
  using OperatorType = MultiChannelFourierConvolution<TReal>;

  /** Rows along the last axis, in the whole image's index space: the image's, the region this
   * process solves on (its core grown by the halo, within the image) and its core's. */
  struct SlabRows
  {
    IndexValueType ImageBegin{ 0 };
    IndexValueType ImageEnd{ 0 };
    IndexValueType SolveBegin{ 0 };
    IndexValueType SolveEnd{ 0 };
    IndexValueType CoreBegin{ 0 };
    IndexValueType CoreEnd{ 0 };
  };

  /** The processes sharing the problem. Required. */
  itkSetObjectMacro(Communicator, ProcessCommunicator);
  itkGetModifiableObjectMacro(Communicator, ProcessCommunicator);

  void
  SetSlab(const SlabRows & rows)
  {
    m_Slab = rows;
    this->Modified();
  }
  const SlabRows &
  GetSlab() const
  {
    return m_Slab;
  }

  /** Checks the slab against the operator (which solves on the slab's solve rows) and against
   * the neighbours' slabs, which it asks for: every process sharing the problem calls it. With
   * \c beyondImage, coefficients may sit beyond the whole image's edges. */
  void
  Initialize(const OperatorType & op, bool beyondImage);

  /** The operator's domain pixels whose coefficients this process owns, as sorted ranges [first,
   * second): its core's rows and the pad rows across the whole image's edges next to it (after
   * Initialize()). */
  using RangeType = std::pair<SizeValueType, SizeValueType>;
  const std::vector<RangeType> &
  GetOwnedRanges() const
  {
    return m_OwnedRanges;
  }
  /** With coefficients beyond the image: 1 where they may be non-zero (the operator's whole
   * domain but the pad rows that act across a neighbour's side); else nullptr. */
  const uint8_t *
  GetSupportMask() const
  {
    return m_SupportMask.empty() ? nullptr : m_SupportMask.data();
  }

  /** Replaces the halo rows of \c channels domain maps (spaced \c channelStride) by their
   * owners' values. */
  void
  Exchange(RealType * maps, unsigned int channels, SizeValueType channelStride);

  /** Sums (maxima) over the processes, on every process. */
  template <std::size_t N>
  void
  SumInPlace(std::array<double, N> & values) const
  {
    m_Communicator->SumInPlace(values.data(), N);
  }
  double
  Maximum(double value) const
  {
    m_Communicator->MaximumInPlace(&value, 1);
    return value;
  }

protected:
  SlabHaloExchange() = default;
  ~SlabHaloExchange() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  /** One neighbour: its process, the rows it sends here and the rows sent to it (rows of this
   * process's solve region, from 0), and the packed values. */
  struct Neighbour
  {
    unsigned int          Process{ 0 };
    IndexValueType        ReceiveBegin{ 0 };
    IndexValueType        ReceiveEnd{ 0 };
    IndexValueType        SendBegin{ 0 };
    IndexValueType        SendEnd{ 0 };
    std::vector<RealType> Outgoing;
    std::vector<RealType> Incoming;
  };
  void
  CheckSlab(const OperatorType & op) const;
  void
  MeetNeighbours();
  void
  LayOutDomain(const OperatorType & op, bool beyondImage);

  ProcessCommunicator::Pointer m_Communicator;
  SlabRows                     m_Slab;
  std::vector<Neighbour>       m_Neighbours;
  SizeValueType                m_RowPixels{ 0 };
  std::vector<RangeType>       m_OwnedRanges;
  std::vector<uint8_t>         m_SupportMask;
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkSlabHaloExchange.hxx"
#endif

#endif
