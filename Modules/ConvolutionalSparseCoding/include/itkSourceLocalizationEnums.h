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
#ifndef itkSourceLocalizationEnums_h
#define itkSourceLocalizationEnums_h

#include <cstdint>
#include <ostream>

namespace itk
{
/** \class SourceLocalizationEnums
 * \brief Enumerations of the source-localization filter (GroupSparseSourceLocalizationFilter).
 * \ingroup ConvolutionalSparseCoding
 */
class SourceLocalizationEnums
{
public:
  /** What a source-detection threshold is compared with. Absolute: the source's brightness
   * (flux). SignalToNoise: its matched-filter signal-to-noise ratio, brightness times the
   * l2 norm of its (unit-l1) kernel over the robust noise estimate. */
  enum class SourceThreshold : uint8_t
  {
    Absolute = 0,
    SignalToNoise = 1
  };

  /** How source-localization kernels are scaled before solving. L1: unit l1 norm, the CGSC
   * paper's choice (a coefficient is a flux, but the penalty then costs the same for a blob
   * however it is split among kernels and pixels). L2: unit l2 norm (the penalty favours the
   * kernel that matches; lambda is a matched-filter threshold in image units). None: as given. */
  enum class KernelNormalization : uint8_t
  {
    None = 0,
    L1 = 1,
    L2 = 2
  };
};

inline std::ostream &
operator<<(std::ostream & os, const SourceLocalizationEnums::SourceThreshold value)
{
  return os << (value == SourceLocalizationEnums::SourceThreshold::Absolute ? "Absolute" : "SignalToNoise");
}

inline std::ostream &
operator<<(std::ostream & os, const SourceLocalizationEnums::KernelNormalization value)
{
  switch (value)
  {
    case SourceLocalizationEnums::KernelNormalization::None:
      return os << "None";
    case SourceLocalizationEnums::KernelNormalization::L1:
      return os << "L1";
    default:
      return os << "L2";
  }
}
} // namespace itk

#endif
