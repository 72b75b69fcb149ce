#ifndef itkNonNegativeGroupL2ProximalOperator_h
#define itkNonNegativeGroupL2ProximalOperator_h

#include "itkProximalOperator.h"
#include <vector>

namespace itk
{
/** \class NonNegativeGroupL2ProximalOperator
 * \brief Block soft thresholding with projection onto x >= 0: the prox of the
 * non-negative group-sparsity penalty of convolutional group-sparse coding.
 *
 * At every pixel i the channels are partitioned into groups G_1..G_P (given as channel
 * indices); channels in no group are unpenalised and only kept non-negative:
 * \f[ g(x) = \sum_i \sum_p \| x_{G_p}[i] \|_2 + \iota_{x \ge 0}(x), \qquad
 *     \mathrm{prox}_{t g}(v)_{G_p} = \max\!\left(1 - \frac{t}{\|v^+_{G_p}\|_2}, 0\right) v^+_{G_p} \f]
 * with \f$v^+ = \max(v, 0)\f$. A group of one channel reduces to the non-negative l1 prox.
 *
 * Not separable: Apply() needs all channels of a pixel.
 *
 *
 * Reference: Yuan and Lin, "Model selection and estimation in regression with grouped
 * variables", J. R. Stat. Soc. B 68, 2006 (the group lasso); with non-negativity as in del
 * Aguila Pla and Jalden, "Convolutional group-sparse coding and source localization", ICASSP 2018.
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class ITK_TEMPLATE_EXPORT NonNegativeGroupL2ProximalOperator : public ProximalOperator<TReal>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(NonNegativeGroupL2ProximalOperator);

  using Self = NonNegativeGroupL2ProximalOperator;
  using Superclass = ProximalOperator<TReal>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(NonNegativeGroupL2ProximalOperator, ProximalOperator);

  using RealType = TReal;
  using GroupType = std::vector<unsigned int>;
  using GroupListType = std::vector<GroupType>;

  /** The groups of channel indices; each non-empty, none overlapping. */
  void
  SetGroups(const GroupListType & groups)
  {
    m_Groups = groups;
    this->Modified();
  }
  const GroupListType &
  GetGroups() const
  {
    return m_Groups;
  }

  /** Separable when every group has one kernel (non-negative l1 on the grouped channels). */
  bool
  IsSeparable() const override
  {
    return std::all_of(m_Groups.begin(), m_Groups.end(), [](const GroupType & group) { return group.size() == 1; });
  }

  void
  ApplyToChannel(unsigned int channel, RealType * v, SizeValueType begin, SizeValueType end,
                 RealType threshold) const override
  {
    const RealType shift = this->IsGrouped(channel) ? threshold : RealType(0);
    for (SizeValueType i = begin; i < end; ++i)
    {
      v[i] = std::max(v[i] - shift, RealType(0));
    }
  }
  double
  EvaluateChannel(unsigned int channel, const RealType * v, SizeValueType begin, SizeValueType end) const override
  {
    if (!this->IsGrouped(channel))
    {
      return 0.0;
    }
    return Superclass::SumOverCoefficients(v, 0, 1, begin, end, [](RealType value) { return std::abs(value); });
  }
  /** ApplyToChannel() and EvaluateChannel() in one pass (the ADMM y-step's). */
  double
  ApplyAndEvaluateChannel(unsigned int channel, RealType * v, SizeValueType begin, SizeValueType end,
                          RealType threshold) const override
  {
    const bool   grouped = this->IsGrouped(channel);
    const double sum = ClampAndSumMagnitudes(v, begin, end, grouped ? threshold : RealType(0));
    return grouped ? sum : 0.0;
  }

  void
  Validate(unsigned int channels) const override
  {
    std::vector<int> owner(channels, -1);
    for (size_t p = 0; p < m_Groups.size(); ++p)
    {
      if (m_Groups[p].empty())
      {
        itkExceptionMacro("Group " << p << " is empty");
      }
      for (const unsigned int channel : m_Groups[p])
      {
        if (channel >= channels)
        {
          itkExceptionMacro("Group " << p << " names channel " << channel << " but there are only " << channels
                                     << " channels");
        }
        if (owner[channel] >= 0)
        {
          itkExceptionMacro("Channel " << channel << " is in group " << owner[channel] << " and in group " << p
                                       << ": groups must not overlap");
        }
        owner[channel] = static_cast<int>(p);
      }
    }
    m_Ungrouped.clear();
    for (unsigned int channel = 0; channel < channels; ++channel)
    {
      if (owner[channel] < 0)
      {
        m_Ungrouped.push_back(channel);
      }
    }
    m_ValidatedChannels = channels;
  }

  void
  Apply(RealType * v, SizeValueType stride, unsigned int channels, SizeValueType begin, SizeValueType end,
        RealType threshold) const override
  {
    this->EnsureValidated(channels);
    for (const unsigned int channel : m_Ungrouped)
    {
      RealType * values = v + channel * stride;
      for (SizeValueType i = begin; i < end; ++i)
      {
        values[i] = std::max(values[i], RealType(0));
      }
    }
    // Pixels in short chunks, channels outer, so that the loops vectorise (a group of one is
    // non-negative soft thresholding, without the square root).
    constexpr SizeValueType Chunk = 256;
    RealType                scale[Chunk];
    for (const GroupType & group : m_Groups)
    {
      if (group.size() == 1)
      {
        RealType * values = v + group[0] * stride;
        for (SizeValueType i = begin; i < end; ++i)
        {
          values[i] = std::max(values[i] - threshold, RealType(0));
        }
        continue;
      }
      for (SizeValueType first = begin; first < end; first += Chunk)
      {
        const SizeValueType length = std::min(Chunk, end - first);
        std::fill_n(scale, length, RealType(0));
        for (const unsigned int channel : group)
        {
          const RealType * values = v + channel * stride + first;
          for (SizeValueType j = 0; j < length; ++j)
          {
            const RealType positive = std::max(values[j], RealType(0));
            scale[j] += positive * positive;
          }
        }
        for (SizeValueType j = 0; j < length; ++j)
        {
          const RealType norm = std::sqrt(scale[j]);
          scale[j] = norm > threshold ? RealType(1) - threshold / norm : RealType(0);
        }
        for (const unsigned int channel : group)
        {
          RealType * values = v + channel * stride + first;
          for (SizeValueType j = 0; j < length; ++j)
          {
            values[j] = scale[j] * std::max(values[j], RealType(0));
          }
        }
      }
    }
  }

  double
  Evaluate(const RealType * v, SizeValueType stride, unsigned int channels, SizeValueType begin,
           SizeValueType end) const override
  {
    this->EnsureValidated(channels);
    double                  sum = 0.0;
    constexpr SizeValueType Chunk = 256;
    RealType                squared[Chunk];
    for (const GroupType & group : m_Groups)
    {
      if (group.size() == 1)
      {
        sum += Superclass::SumOverCoefficients(
          v + group[0] * stride, stride, 1, begin, end, [](RealType value) { return std::abs(value); });
        continue;
      }
      for (SizeValueType first = begin; first < end; first += Chunk)
      {
        const SizeValueType length = std::min(Chunk, end - first);
        std::fill_n(squared, length, RealType(0));
        for (const unsigned int channel : group)
        {
          const RealType * values = v + channel * stride + first;
          for (SizeValueType j = 0; j < length; ++j)
          {
            squared[j] += values[j] * values[j];
          }
        }
        double partial = 0;
        for (SizeValueType j = 0; j < length; ++j)
        {
          partial += std::sqrt(double(squared[j]));
        }
        sum += partial;
      }
    }
    return sum;
  }

  bool
  IsNonNegative() const override
  {
    return true;
  }

protected:
  NonNegativeGroupL2ProximalOperator() = default;
  ~NonNegativeGroupL2ProximalOperator() override = default;

  /** v = max(v - shift, 0) on [begin, end), returning the sum of the results, compiled for the
   * CPU's vector width (itkVectorClones.h). */
  ITK_CSC_VECTOR_CLONES static double
  ClampAndSumMagnitudes(RealType * v, SizeValueType begin, SizeValueType end, RealType shift)
  {
    return Superclass::ApplyAndSumMagnitudes(
      v, 0, 1, begin, end, [shift](RealType value) { return std::max(value - shift, RealType(0)); });
  }

  void
  PrintSelf(std::ostream & os, Indent indent) const override
  {
    Superclass::PrintSelf(os, indent);
    os << indent << "Groups:";
    for (const GroupType & group : m_Groups)
    {
      os << " {";
      for (size_t j = 0; j < group.size(); ++j)
      {
        os << (j ? "," : "") << group[j];
      }
      os << "}";
    }
    os << std::endl;
  }

private:
  bool
  IsGrouped(unsigned int channel) const
  {
    return std::any_of(m_Groups.begin(), m_Groups.end(), [channel](const GroupType & group) {
      return std::find(group.begin(), group.end(), channel) != group.end();
    });
  }
  void
  EnsureValidated(unsigned int channels) const
  {
    if (m_ValidatedChannels != channels)
    {
      itkExceptionMacro("Validate(" << channels << ") must be called before the operator acts on " << channels
                                    << " channels");
    }
  }

  GroupListType                     m_Groups;
  mutable std::vector<unsigned int> m_Ungrouped;
  mutable unsigned int              m_ValidatedChannels{ 0 };
};
} // namespace itk

#endif
