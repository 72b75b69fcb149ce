#ifndef itkSparseCodingSolverFactory_h
#define itkSparseCodingSolverFactory_h

#include "itkADMMSparseCodingSolver.h"
#include "itkConvolutionalSparseCodingEnums.h"
#include "itkFISTASparseCodingSolver.h"
#include "itkLCASparseCodingSolver.h"
#include "itkMatchingPursuitSparseCodingSolver.h"
#include "itkThresholdingSparseCodingSolver.h"

namespace itk
{
/** \brief The one place that maps ConvolutionalSparseCodingEnums::Solver to a solver object,
 * with its default settings. Every filter and the dictionary learner use it when the caller
 * gives an enum instead of a solver object (SetSolver(object)); a new solver adds one case here.
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
typename SparseCodingSolverBase<TReal>::Pointer
CreateSparseCodingSolver(ConvolutionalSparseCodingEnums::Solver solver)
{
  using SolverEnum = ConvolutionalSparseCodingEnums::Solver;
  switch (solver)
  {
    case SolverEnum::FISTA:
      return FISTASparseCodingSolver<TReal>::New().GetPointer();
    case SolverEnum::ADMM:
      return ADMMSparseCodingSolver<TReal>::New().GetPointer();
    case SolverEnum::LCA:
      return LCASparseCodingSolver<TReal>::New().GetPointer();
    case SolverEnum::Thresholding:
      return ThresholdingSparseCodingSolver<TReal>::New().GetPointer();
    case SolverEnum::MatchingPursuit:
    case SolverEnum::OrthogonalMatchingPursuit: {
      auto pursuit = MatchingPursuitSparseCodingSolver<TReal>::New();
      pursuit->SetOrthogonal(solver == SolverEnum::OrthogonalMatchingPursuit);
      return pursuit.GetPointer();
    }
  }
  itkGenericExceptionMacro("Unknown sparse coding solver " << static_cast<int>(solver));
}
} // namespace itk

#endif
