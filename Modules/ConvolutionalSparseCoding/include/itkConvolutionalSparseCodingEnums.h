/*=========================================================================
 *
 *  Copyright NumFOCUS
 *
 *  Licensed under the Apache License, Version 2.0 (the "License");
 *  you may not use this file except in compliance with the License.
 *  You may obtain a copy of the License at
 *
 *         http://www.apache.org/licenses/LICENSE-2.0.txt
 *
 *  Unless required by applicable law or agreed to in writing, software
 *  distributed under the License is distributed on an "AS IS" BASIS,
 *  WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 *  See the License for the specific language governing permissions and
 *  limitations under the License.
 *
 *=========================================================================*/
#ifndef itkConvolutionalSparseCodingEnums_h
#define itkConvolutionalSparseCodingEnums_h

#include <ostream>
#include <string>

namespace itk
{
/** \class ConvolutionalSparseCodingEnums
 * \brief Enumerations of the convolutional sparse coding core (boundary, solver) and of
 * dictionary learning. The source-localization wing has its own: SourceLocalizationEnums.
 * \ingroup ConvolutionalSparseCoding
 */
class ConvolutionalSparseCodingEnums
{
public:
  /** How the convolution treats the image border.
   *
   * Periodic: circular convolution on the image grid (SPORCO's convention).
   * ZeroPadded: "same-size" linear convolution. The domain is padded so that nothing
   * wraps, coefficient maps are confined to the image region and the data term counts
   * only image pixels. Equals itk::ConvolutionImageFilter with a zero boundary. */
  enum class Boundary : uint8_t
  {
    Periodic = 0,
    ZeroPadded = 1
  };

  /** The norm constraint on each learned kernel. L2Ball: ||h||_2 <= 1 (convex; SPORCO's
   * default). UnitL2: ||h||_2 = 1. UnitL1: ||h||_1 = 1, the CGSC paper's equal-l1 scaling. */
  enum class KernelNormConstraint : uint8_t
  {
    L2Ball = 0,
    UnitL2 = 1,
    UnitL1 = 2
  };

  /** Where canonicalisation puts a learned kernel's centre: its centre of energy (h^2
   * weighted) or its largest-magnitude tap. */
  enum class KernelCentre : uint8_t
  {
    CentreOfEnergy = 0,
    EnergyPeak = 1
  };

  /** The iterative solver used for the coding problem. */
  enum class Solver : uint8_t
  {
    FISTA = 0,
    ADMM = 1,
    LCA = 2,
    Thresholding = 3,
    MatchingPursuit = 4,
    OrthogonalMatchingPursuit = 5
  };
  /** The pursuit of the multi-layer filter: layered thresholding (one thresholded adjoint per
   * layer, a CNN's forward pass), layered basis pursuit (one l1 problem per layer), or ML-ISTA /
   * ML-FISTA on the multi-layer basis pursuit. */
  enum class MultiLayerPursuit : uint8_t
  {
    LayeredThresholding = 0,
    LayeredBasisPursuit = 1,
    MLISTA = 2,
    MLFISTA = 3
  };
  /** The penalty g of the coding problem: the l1 norm, the l1 norm with x >= 0, or the number
   * of non-zeros (l0; non-convex: solvers stop at a stationary point). */
  enum class Penalty : uint8_t
  {
    L1 = 0,
    NonNegativeL1 = 1,
    L0 = 2
  };
};

inline std::ostream &
operator<<(std::ostream & os, const ConvolutionalSparseCodingEnums::Boundary value)
{
  return os << (value == ConvolutionalSparseCodingEnums::Boundary::Periodic ? "Periodic" : "ZeroPadded");
}

inline std::ostream &
operator<<(std::ostream & os, const ConvolutionalSparseCodingEnums::Solver value)
{
  const char * names[] = { "FISTA", "ADMM", "LCA", "Thresholding", "MatchingPursuit", "OrthogonalMatchingPursuit" };
  return os << names[static_cast<int>(value)];
}

inline std::ostream &
operator<<(std::ostream & os, const ConvolutionalSparseCodingEnums::MultiLayerPursuit value)
{
  const char * names[] = { "LayeredThresholding", "LayeredBasisPursuit", "MLISTA", "MLFISTA" };
  return os << names[static_cast<int>(value)];
}

inline std::ostream &
operator<<(std::ostream & os, const ConvolutionalSparseCodingEnums::Penalty value)
{
  const char * names[] = { "L1", "NonNegativeL1", "L0" };
  return os << names[static_cast<int>(value)];
}

inline std::ostream &
operator<<(std::ostream & os, const ConvolutionalSparseCodingEnums::KernelNormConstraint value)
{
  switch (value)
  {
    case ConvolutionalSparseCodingEnums::KernelNormConstraint::L2Ball:
      return os << "L2Ball";
    case ConvolutionalSparseCodingEnums::KernelNormConstraint::UnitL2:
      return os << "UnitL2";
    default:
      return os << "UnitL1";
  }
}

inline std::ostream &
operator<<(std::ostream & os, const ConvolutionalSparseCodingEnums::KernelCentre value)
{
  return os << (value == ConvolutionalSparseCodingEnums::KernelCentre::CentreOfEnergy ? "CentreOfEnergy"
                                                                                      : "EnergyPeak");
}

} // namespace itk

#endif
