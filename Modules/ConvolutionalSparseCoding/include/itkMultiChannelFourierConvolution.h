#ifndef itkMultiChannelFourierConvolution_h
#define itkMultiChannelFourierConvolution_h

#include "itkAlignedBuffer.h"
#include "itkConvolutionalSparseCodingEnums.h"
#include "itkFFTWRealTraits.h"
#include "itkMultiThreaderBase.h"
#include "itkObject.h"
#include "itkObjectFactory.h"
#include "itkVectorClones.h"
#include <algorithm>
#include <complex>
#include <mutex>
#include <thread>
#include <vector>

namespace itk
{
/** \class MultiChannelFourierConvolution
 * \brief The synthesis operator of convolutional sparse coding and its adjoint, in the
 * Fourier domain, for any number of dimensions.
 *
 * \f[ A: \{x_k\}_{k=1}^K \mapsto \sum_k h_k \circledast x_k, \qquad
 *     A^T: u \mapsto \{ h_k^\flat \circledast u \}_k \f]
 * with \f$h^\flat\f$ the kernel flipped in every axis. Every solver and filter of the
 * module uses this one class.
 *
 * Conventions:
 * - Arrays are "planar": channel k of a multi-channel spatial buffer starts at
 *   k * GetSpatialStride(); inside a channel, x is the fastest axis (ITK's order).
 *   Strides are padded to 64 bytes so that FFTW's plans run on every channel.
 * - The kernel origin is the kernel centre, tap floor(M/2) along an axis of M taps (ITK's
 *   convention, as itk::ConvolutionImageFilter): (h * x)(i) = sum_j h(j) x(i - j + floor(M/2)).
 * - Periodic: the domain is the image grid and the convolution is circular.
 *   ZeroPadded: the domain is the image grown by M-1 along each axis (then to a size whose
 *   prime factors are 2, 3, 5 and 7), the image sits at index 0; a coefficient map that is
 *   zero outside the image then yields exactly the zero-boundary "same" convolution on
 *   the image region.
 * - Strides (Stride F, per axis): coefficient maps live on the coarse grid of image pixels
 *   whose index is a multiple of F along every axis; A upsamples them (zeros between lattice
 *   points) and then convolves, A^T convolves and keeps the lattice. The FFTs stay those of the
 *   image domain, so a stride costs nothing extra and stride 1 is the plain operator. Solvers
 *   keep domain-sized maps and confine them to the lattice through GetCoefficientSupportMask().
 *   (Schultz, Paiton, Lu and Kenyon, "Replicating kernels with a short stride allows sparse
 *   reconstructions with fewer independent kernels", arXiv:1406.4205, 2014.)
 * - Spectra are unnormalised DFTs; InverseFFT() returns N times the inverse (N = domain
 *   pixels), so callers fold 1/N into a pass they make anyway.
 *
 * The Fourier-domain evaluation follows Bristow, Eriksson and Lucey, "Fast convolutional sparse
 * coding", CVPR 2013, and Wohlberg, "Efficient algorithms for convolutional sparse
 * representations", IEEE Trans. Image Process. 25(1), 2016; transforms by FFTW (Frigo and
 * Johnson, "The design and implementation of FFTW3", Proc. IEEE 93(2), 2005).
 *
 * One real-to-complex and one complex-to-real FFTW plan are made once per size (under
 * ITK's FFTW lock) and executed on each channel in parallel through the multi-threader.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class ITK_TEMPLATE_EXPORT MultiChannelFourierConvolution : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(MultiChannelFourierConvolution);

  using Self = MultiChannelFourierConvolution;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkTypeMacro(MultiChannelFourierConvolution, Object);

  static_assert(std::is_floating_point<TReal>::value, "MultiChannelFourierConvolution needs float or double");

  using RealType = TReal;
  using ComplexType = std::complex<TReal>;
  using SizeType = std::vector<SizeValueType>;
  using BoundaryEnum = ConvolutionalSparseCodingEnums::Boundary;
  using RealBufferType = AlignedBuffer<RealType>;
  using ComplexBufferType = AlignedBuffer<ComplexType>;

  /** Image grid, one entry per axis, x first. */
  void
  SetImageSize(const SizeType & size);
  const SizeType &
  GetImageSize() const
  {
    return m_ImageSize;
  }

  /** K kernels of identical size, stored one after another, x fastest. Copied. */
  void
  SetDictionary(const RealType * kernels, const SizeType & kernelSize, unsigned int numberOfKernels);
  const SizeType &
  GetKernelSize() const
  {
    return m_KernelSize;
  }
  unsigned int
  GetNumberOfKernels() const
  {
    return m_NumberOfKernels;
  }
  /** The K kernels' taps as given (one kernel after another, x fastest). */
  const std::vector<RealType> &
  GetKernels() const
  {
    return m_Kernels;
  }
  /** The kernels' pairwise cross-correlations X_kj(d) = sum_t h_j(t) h_k(t - d) for every lag d
   * with |d_a| < M_a (M the kernel size): what the correlation with kernel k at position p + d
   * loses when a unit of kernel j is added at p. Layout: pair (k, j) at (k K + j) W, lag d at
   * sum_a (d_a + M_a - 1) prod_{b<a} (2 M_b - 1), W = prod_a (2 M_a - 1). Spatial, O(K^2 W M^N). */
  std::vector<double>
  KernelCrossCorrelations() const;

  /** Coefficient stride per axis (x first), each at least 1 and at most the image size; empty
   * (the default) means 1 along every axis. */
  void
  SetStride(const SizeType & stride)
  {
    m_Stride = stride;
    this->Modified();
  }
  const SizeType &
  GetStride() const
  {
    return m_Stride;
  }
  /** True when some axis has a stride above 1 (valid after Initialize()). */
  bool
  IsStrided() const
  {
    return m_Strided;
  }
  /** The coefficient grid: ceil(image size / stride) per axis (the image grid at stride 1). */
  const SizeType &
  GetCoefficientGridSize() const
  {
    return m_CoefficientGridSize;
  }
  SizeValueType
  GetNumberOfCoefficientPixels() const
  {
    return m_NumberOfCoefficientPixels;
  }
  /** K / prod(stride): coefficients per image pixel. */
  double
  GetOvercompleteness() const
  {
    double cells = 1;
    for (const SizeValueType f : m_Stride)
    {
      cells *= double(f);
    }
    return m_NumberOfKernels / cells;
  }

  /** Periodic (default) or ZeroPadded. */
  itkSetEnumMacro(Boundary, BoundaryEnum);
  itkGetConstMacro(Boundary, BoundaryEnum);

  /** Plan rigor meaning "choose by measurement" (the default). */
  static constexpr unsigned int AutomaticPlanRigor = ~0u;

  /** FFTW planner flag for the two plans (FFTW_ESTIMATE, FFTW_MEASURE, ...), or
   * AutomaticPlanRigor (default): FFTW_MEASURE plans when ITK's wisdom cache holds them for this
   * size (free); else plan with FFTW_ESTIMATE, time the K transforms of the kernel spectra, and
   * re-plan with FFTW_MEASURE only when they took longer than AutomaticPlanningThreshold.
   * Measured here (BENCHMARKS.md): FFTW_MEASURE costs 0.2-0.35 s of planning whatever the size;
   * it makes 256x256 transforms ~10% faster (not worth it for a solve of a hundred iterations)
   * but 702x574 ones ~30% faster (worth it within a few iterations). Every FFTW_MEASURE (or
   * more) planning is saved to ITK's wisdom cache (FFTWGlobalConfiguration's file, by default
   * under ~/.itkwisdomfftw; ITK_FFTW_WRITE_WISDOM_CACHE=OFF turns saving off), so a machine
   * pays it once per size, not once per process. */
  itkSetMacro(PlanRigor, unsigned int);
  itkGetConstMacro(PlanRigor, unsigned int);

  /** Seconds the K kernel transforms may take before automatic rigor re-plans with
   * FFTW_MEASURE. Default 0.01. */
  itkSetMacro(AutomaticPlanningThreshold, double);
  itkGetConstMacro(AutomaticPlanningThreshold, double);

  /** The planner flag the current plans were made with. */
  unsigned int
  GetEffectivePlanRigor() const
  {
    return m_EffectivePlanRigor;
  }

  /** An initialised operator in one call: image grid, \c count kernels of \c kernelSize taps,
   * boundary, plan rigor and stride. The one place the module builds an operator. With
   * \c workUnits (a filter's NumberOfWorkUnits, 0: ITK's global default) the operator's
   * parallel passes use at most that many threads (FFTW runs one thread per transform). */
  static Pointer
  Create(const SizeType & imageSize, const RealType * kernels, const SizeType & kernelSize, unsigned int count,
         BoundaryEnum boundary, unsigned int planRigor = AutomaticPlanRigor, const SizeType & stride = SizeType(),
         unsigned int workUnits = 0)
  {
    Pointer op = New();
    if (workUnits > 0)
    {
      const unsigned int threads = std::min(workUnits, op->m_MultiThreader->GetMaximumNumberOfThreads());
      op->m_MultiThreader->SetMaximumNumberOfThreads(threads);
      op->m_MultiThreader->SetNumberOfWorkUnits(threads); // one chunk per thread (constructor)
    }
    op->SetStride(stride);
    op->SetImageSize(imageSize);
    op->SetDictionary(kernels, kernelSize, count);
    op->SetBoundary(boundary);
    op->SetPlanRigor(planRigor);
    op->Initialize();
    return op;
  }

  /** Computes the domain, the plans and the kernel spectra. Call after the setters. */
  void
  Initialize();
  /** New values for the K kernels (same number and size) after Initialize(): recomputes the
   * kernel spectra only, keeping domain and plans (dictionary learning changes them often). */
  void
  UpdateKernelValues(const RealType * kernels);

  const SizeType &
  GetDomainSize() const
  {
    return m_DomainSize;
  }
  SizeValueType
  GetNumberOfImagePixels() const
  {
    return m_NumberOfImagePixels;
  }
  SizeValueType
  GetNumberOfDomainPixels() const
  {
    return m_NumberOfDomainPixels;
  }
  SizeValueType
  GetNumberOfFrequencies() const
  {
    return m_NumberOfFrequencies;
  }
  SizeValueType
  GetSpatialStride() const
  {
    return m_SpatialStride;
  }
  SizeValueType
  GetSpectralStride() const
  {
    return m_SpectralStride;
  }

  /** Zeroed buffers of \c channels channels laid out as the transforms expect. */
  RealBufferType
  AllocateSpatial(unsigned int channels) const
  {
    return RealBufferType(channels * m_SpatialStride);
  }
  ComplexBufferType
  AllocateSpectral(unsigned int channels) const
  {
    return ComplexBufferType(channels * m_SpectralStride);
  }

  /** \c buffer with room for \c channels channels: kept as it is (values included) when it
   * already has that size, else allocated zeroed. Iterative callers reuse their buffers so. */
  RealBufferType &
  EnsureSpatial(RealBufferType & buffer, unsigned int channels) const
  {
    if (buffer.size() != channels * m_SpatialStride)
    {
      buffer = this->AllocateSpatial(channels);
    }
    return buffer;
  }
  ComplexBufferType &
  EnsureSpectral(ComplexBufferType & buffer, unsigned int channels) const
  {
    if (buffer.size() != channels * m_SpectralStride)
    {
      buffer = this->AllocateSpectral(channels);
    }
    return buffer;
  }

  /** Real-to-complex transform of each channel (input preserved). */
  void
  ForwardFFT(const RealType * spatial, ComplexType * spectral, unsigned int channels) const;
  /** Unnormalised complex-to-real transform of each channel. Destroys its input. */
  void
  InverseFFT(ComplexType * spectral, RealType * spatial, unsigned int channels) const;
  /** The same transforms on one channel, in the calling thread (for use inside ParallelFor). */
  void
  ForwardFFTChannel(const RealType * spatial, ComplexType * spectral) const;
  void
  InverseFFTChannel(ComplexType * spectral, RealType * spatial) const;
  /** One channel whose arrays may have any alignment (a caller's std::vector: the solvers'
   * signal, ApplyForward()'s output); the module's own buffers use the aligned plans of
   * ForwardFFTChannel(). Single-threaded FFTW: its
   * threaded plans split a transform by the thread count, which made results depend on it
   * (FISTA's coefficients 1e-3 apart between 1 and 2 threads) for 3 % of FISTA's time on 2 cores. */
  void
  ForwardFFTUnaligned(const RealType * spatial, ComplexType * spectral) const;
  void
  InverseFFTUnaligned(ComplexType * spectral, RealType * spatial) const;

  /** The domain offset of each kernel tap (taps x fastest): the embedding behind the kernel
   * spectra, tap t - centre wrapped around the domain. Its adjoint reads these offsets. */
  const std::vector<SizeValueType> &
  GetKernelTapOffsets() const
  {
    return m_KernelTapOffsets;
  }
  /** Kernel spectra, channel k at k * GetSpectralStride(). */
  const ComplexType *
  GetKernelSpectra() const
  {
    return m_KernelSpectra.data();
  }
  /** sum_k |H_k(f)|^2 for each frequency f. */
  const RealType *
  GetKernelSpectralEnergy() const
  {
    return m_KernelSpectralEnergy.data();
  }
  /** Parseval weights: sum over the domain of r^2 equals sum_f weight(f) |R(f)|^2 over the
   * half spectrum (1/N or 2/N, for the frequencies r2c stores once for two). */
  const RealType *
  GetParsevalWeights() const
  {
    return m_ParsevalWeights.data();
  }
  /** ||A||^2 on the periodic domain: max over frequencies of sum_k |H_k|^2, exact. */
  double
  GetSpectralNormSquared() const
  {
    return m_SpectralNormSquared;
  }
  /** ||A U||^2 with U the stride's upsampling: the operator's norm on coefficient maps. At
   * stride 1 GetSpectralNormSquared(); strided, per coarse frequency g the largest eigenvalue
   * of (1 / prod F) sum over its aliases f of h(f) h(f)^H (h(f) = H_k(f) over k), by power
   * iteration on B^H B (B the aliases' spectra, aliases x K), times 1.02 and capped by the
   * alias-energy bound. Computed on first use after the kernels change. */
  double
  GetCoefficientSpectralNormSquared() const;
  /** True when strided products run on the coarse grid: the domain is a multiple of the stride
   * along every axis (always with ZeroPadded). Forward() then transforms the K coarse maps
   * (prod F times fewer pixels) and tiles their spectra; Adjoint() folds the K products onto
   * the coarse spectrum and returns zero off the lattice. */
  bool
  HasCoarseSpectra() const
  {
    return m_CoarsePlanForward != nullptr;
  }

  /** The buffers of Forward, Adjoint, ApplyForward and ApplyAdjoint, for a caller that applies
   * the operator many times (frame by frame, iteration by iteration): sized on first use, then
   * reused, so that no call allocates and zeroes its arrays again (the strided operator's
   * coarse path keeps its own). One per thread: the operator itself stays const and shareable. */
  struct Workspace
  {
    RealBufferType    Image;    // the one-channel domain image
    RealBufferType    Maps;     // K domain maps
    ComplexBufferType Spectrum; // one spectrum
    ComplexBufferType Groups;   // a spectrum per channel group
    ComplexBufferType Partial;  // a partial sum per channel group
  };

  /** y = A x on the domain (x: K channels, y: one channel). Strided, x is read on the lattice. */
  void
  Forward(const RealType * x, RealType * y) const;
  void
  Forward(const RealType * x, RealType * y, Workspace & work) const;
  /** x = A^T y on the domain; strided with coarse spectra, zero off the lattice. */
  void
  Adjoint(const RealType * y, RealType * x) const;
  void
  Adjoint(const RealType * y, RealType * x, Workspace & work) const;

  /** The operator between coefficient maps (K * GetNumberOfCoefficientPixels(), contiguous:
   * image-sized at stride 1) and images: place the maps on the domain, apply, keep the image
   * region. This is the operator the coding problem is posed with, in both boundary modes. */
  void
  ApplyForward(const RealType * xImage, RealType * yImage) const;
  void
  ApplyForward(const RealType * xImage, RealType * yImage, Workspace & work) const;
  void
  ApplyAdjoint(const RealType * yImage, RealType * xImage) const;
  void
  ApplyAdjoint(const RealType * yImage, RealType * xImage, Workspace & work) const;

  /** Copies between contiguous image-sized channels and strided domain channels. */
  void
  PadToDomain(const RealType * image, RealType * domain, unsigned int channels) const;
  void
  CropToImage(const RealType * domain, RealType * image, unsigned int channels) const;
  /** Coefficient maps (K * GetNumberOfCoefficientPixels()) to domain channels and back: the
   * pad and copy of PadToDomain()/CropToImage() at stride 1, else zeros with the maps on the
   * stride lattice (upsampling) and the lattice values read back (downsampling). */
  void
  CoefficientsToDomain(const RealType * coefficients, RealType * domain, unsigned int channels) const;
  void
  CoefficientsFromDomain(const RealType * domain, RealType * coefficients, unsigned int channels) const;
  /** Where domain coefficients may be non-zero: nullptr for everywhere, else 1 on the image
   * (unless \c beyondImage) and, with strides, on the stride lattice. */
  const uint8_t *
  GetCoefficientSupportMask(bool beyondImage) const
  {
    if (m_Strided)
    {
      return beyondImage ? m_LatticeMask.data() : m_ImageLatticeMask.data();
    }
    return this->DomainEqualsImage() || beyondImage ? nullptr : m_ImageMask.data();
  }
  /** 1 for domain pixels inside the image region, 0 in the pad. */
  const std::vector<uint8_t> &
  GetImageMask() const
  {
    return m_ImageMask;
  }
  bool
  DomainEqualsImage() const
  {
    return m_NumberOfDomainPixels == m_NumberOfImagePixels;
  }

  /** Runs body(i) for i in [0, n) through the module's multi-threader. */
  template <typename TBody>
  void
  ParallelFor(SizeValueType n, TBody && body) const
  {
    if (n == 1)
    {
      body(0);
      return;
    }
    m_MultiThreader->ParallelizeArray(0, n, body, nullptr);
  }
  MultiThreaderBase *
  GetMultiThreader() const
  {
    return m_MultiThreader.GetPointer();
  }
  /** Threads that run at once: the work units, at most the threads of the pool (the operator
   * splits a pass into one chunk per thread; per-thread buffers follow the threads). */
  unsigned int
  NumberOfConcurrentThreads() const
  {
    return std::max(1u,
                    std::min(m_MultiThreader->GetNumberOfWorkUnits(), m_MultiThreader->GetMaximumNumberOfThreads()));
  }
  /** Channels are split into this many contiguous groups for passes that keep one accumulator
   * per group (a group per core, not K spectra). Set by the machine's cores, not by the threads
   * of this run: sums are then taken in the same order whatever the number of threads
   * (Threading.OneAndTwoThreadsGiveTheSameCode). */
  unsigned int
  NumberOfChannelGroups() const
  {
    const unsigned int cores =
      std::max(1u, std::min<unsigned int>(std::thread::hardware_concurrency(), ITK_MAX_THREADS));
    return std::max(1u, std::min(m_NumberOfKernels, cores));
  }
  /** The first channel of group g of \c groups (g == groups gives K). */
  unsigned int
  FirstChannelOfGroup(SizeValueType g, unsigned int groups) const
  {
    return static_cast<unsigned int>(g * m_NumberOfKernels / groups);
  }

  /** Number of blocks a pass of \c n elements is split into for parallel reductions. */
  SizeValueType
  NumberOfBlocks(SizeValueType n, SizeValueType blockSize) const
  {
    return (n + blockSize - 1) / blockSize;
  }

  /** a * b and conj(a) * b written out: std::complex's operator* guards against
   * infinities through a library call, which halves the speed of the spectral passes. */
  static ComplexType
  Multiply(const ComplexType & a, const ComplexType & b)
  {
    return ComplexType(a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real());
  }
  static ComplexType
  MultiplyConjugate(const ComplexType & a, const ComplexType & b)
  {
    return ComplexType(a.real() * b.real() + a.imag() * b.imag(), a.real() * b.imag() - a.imag() * b.real());
  }

  /** \name Spectral products
   * Every product with the kernel spectra (A, A^T, A^T A per frequency) is written here once;
   * solvers and learners call these inside their own fused passes, on frequency ranges
   * [begin, end) of one channel or of all K channels (channel k at k * GetSpectralStride()).
   * No other file of the module spells out a spectral product or calls FFTW; check with
   *   grep -rnE "fftw_|FFTW::|Multiply(Conjugate)?\(|std::conj|std::polar" \
   *     Modules/ConvolutionalSparseCoding/include \
   *     | grep -vE "itk(MultiChannelFourierConvolution|FFTWRealTraits|SmallHermitianSystem)"
   * (SmallHermitianSystem: the dictionary update's per-frequency Cholesky solves). */
  //@{
  /** sum[f] += H_k(f) x(f); with \c overwrite, sum[f] = H_k(f) x(f). */
  ITK_CSC_VECTOR_CLONES void
  AccumulateChannelProduct(unsigned int k, const ComplexType * x, ComplexType * sum, SizeValueType begin,
                           SizeValueType end, bool overwrite = false) const
  {
    const ComplexType * h = m_KernelSpectra.data() + k * m_SpectralStride;
    if (overwrite)
    {
      for (SizeValueType f = begin; f < end; ++f)
      {
        sum[f] = Multiply(h[f], x[f]);
      }
      return;
    }
    for (SizeValueType f = begin; f < end; ++f)
    {
      sum[f] += Multiply(h[f], x[f]);
    }
  }
  /** AccumulateChannelProduct() for two inputs at once, reading H_k once; each sum is
   * overwritten or added to as its flag says. */
  ITK_CSC_VECTOR_CLONES void
  AccumulateTwoChannelProducts(unsigned int k, const ComplexType * x1, ComplexType * sum1, bool overwrite1,
                               const ComplexType * x2, ComplexType * sum2, bool overwrite2, SizeValueType begin,
                               SizeValueType end) const
  {
    const ComplexType * h = m_KernelSpectra.data() + k * m_SpectralStride;
    for (SizeValueType f = begin; f < end; ++f)
    {
      sum1[f] = (overwrite1 ? ComplexType(0) : sum1[f]) + Multiply(h[f], x1[f]);
      sum2[f] = (overwrite2 ? ComplexType(0) : sum2[f]) + Multiply(h[f], x2[f]);
    }
  }
  /** out[f] = scale conj(H_k(f)) r(f): channel k of A^T. */
  ITK_CSC_VECTOR_CLONES void
  AdjointChannelProduct(unsigned int k, const ComplexType * r, ComplexType * out, RealType scale, SizeValueType begin,
                        SizeValueType end) const
  {
    const ComplexType * h = m_KernelSpectra.data() + k * m_SpectralStride;
    for (SizeValueType f = begin; f < end; ++f)
    {
      out[f] = MultiplyConjugate(h[f], r[f]) * scale;
    }
  }
  /** b[f] = scale (b[f] + conj(H_k(f)) q(f)): channel k of b + A^T q. */
  ITK_CSC_VECTOR_CLONES void
  AddAdjointChannelProduct(unsigned int k, const ComplexType * q, ComplexType * b, RealType scale, SizeValueType begin,
                           SizeValueType end) const
  {
    const ComplexType * h = m_KernelSpectra.data() + k * m_SpectralStride;
    for (SizeValueType f = begin; f < end; ++f)
    {
      b[f] = (b[f] + MultiplyConjugate(h[f], q[f])) * scale;
    }
  }
  /** out[j] = sum_k H_k(f) X_k(f) for f = begin + j < end: A on a block of frequencies, X
   * holding K channels. \c out may be channel 0 of X. */
  ITK_CSC_VECTOR_CLONES void
  SynthesizeBlock(const ComplexType * X, SizeValueType begin, SizeValueType end, ComplexType * out) const
  {
    for (SizeValueType f = begin; f < end; ++f)
    {
      out[f - begin] = this->SynthesizeFrequency(X, f);
    }
  }
  /** sum_k H_k(f) X_k(f) at one frequency. */
  ComplexType
  SynthesizeFrequency(const ComplexType * X, SizeValueType f) const
  {
    const ComplexType * H = m_KernelSpectra.data();
    ComplexType         sum = Multiply(H[f], X[f]);
    for (unsigned int k = 1; k < m_NumberOfKernels; ++k)
    {
      sum += Multiply(H[k * m_SpectralStride + f], X[k * m_SpectralStride + f]);
    }
    return sum;
  }
  /** G_k(f) = scale conj(H_k(f)) r(f - begin) for every k and f in [begin, end): A^T on a block,
   * r indexed from the block's start. */
  void
  AdjointBlock(const ComplexType * r, ComplexType * G, SizeValueType begin, SizeValueType end, RealType scale) const
  {
    for (unsigned int k = 0; k < m_NumberOfKernels; ++k)
    {
      this->AdjointChannelProduct(k, r - begin, G + k * m_SpectralStride, scale, begin, end);
    }
  }
  /** The per-frequency solve of (A^H A + rho I) x = A^H s + rho v by Sherman-Morrison:
   * x = v + A^H q with q = (s - c) / rho, c = (e s + rho A v) / (rho + e), e = sum_k |H_k|^2;
   * c is then A x. Arguments: s(f), (A v)(f) and rho. */
  struct ShermanMorrisonTerms
  {
    ComplexType Q;
    ComplexType AX;
    RealType    Energy;
  };
  ShermanMorrisonTerms
  SolveShermanMorrison(SizeValueType f, const ComplexType & s, const ComplexType & av, RealType rho) const
  {
    const RealType    e = m_KernelSpectralEnergy[f];
    const ComplexType c = (e * s + rho * av) / (rho + e);
    return { (s - c) / rho, c, e };
  }
  /** A x on the domain from K stored spectra: x is transformed into \c spectralScratch (K
   * channels), summed per frequency block in parallel, and transformed back by all threads into
   * \c y. Faster than Forward() when K spectra fit in memory. */
  void
  ForwardThroughSpectra(const RealType * x, ComplexType * spectralScratch, RealType * y) const;
  /** Kernel k shifted by \c shift pixels (continuous, x first) by Fourier interpolation on this
   * operator's periodic domain, read back at the kernel's taps; with \c derivatives, also the N
   * derivatives with respect to the shift (N blocks of taps). Scratch: two spectral channels and
   * one spatial channel. */
  void
  EvaluateShiftedKernel(unsigned int k, const double * shift, RealType * values, RealType * derivatives,
                        ComplexType * spectralScratch, RealType * spatialScratch) const;
  //@}

  /** \name Products of two channel stacks
   * The same products where the coefficient spectra play the kernels' part (the dictionary
   * update of convolutional dictionary learning): stacks of K channels spaced \c S. */
  //@{
  /** out_i(f) = sum_k X_ik(f) v_k(f) for each of the I stacks and each f in [begin, end): v's
   * channels spaced S like the stacks', out's I rows spaced end - begin. Frequencies innermost,
   * so that every channel is read contiguously. */
  ITK_CSC_VECTOR_CLONES static void
  ApplyStacksBlock(const std::vector<const ComplexType *> & stacks, unsigned int K, SizeValueType S,
                   SizeValueType begin, SizeValueType end, const ComplexType * v, ComplexType * out);
  /** v_k(f) -= sum_i conj(X_ik(f)) y_i(f) over [begin, end), y laid out as ApplyStacksBlock()'s
   * output: subtracts the adjoint of ApplyStacksBlock(). */
  ITK_CSC_VECTOR_CLONES static void
  SubtractStacksAdjointBlock(const std::vector<const ComplexType *> & stacks, unsigned int K, SizeValueType S,
                             SizeValueType begin, SizeValueType end, const ComplexType * y, ComplexType * v);
  /** out[f] (+)= conj(x(f)) r(f) over [begin, end): one channel of a stack's adjoint. */
  ITK_CSC_VECTOR_CLONES static void
  AccumulateConjugateProduct(const ComplexType * x, const ComplexType * r, ComplexType * out, SizeValueType begin,
                             SizeValueType end, bool overwrite)
  {
    for (SizeValueType f = begin; f < end; ++f)
    {
      const ComplexType term = MultiplyConjugate(x[f], r[f]);
      out[f] = overwrite ? term : out[f] + term;
    }
  }
  /** G_k(f) (+)= conj(X_k(f)) r(f) for every k: the adjoint of x -> sum_k X_k x_k. */
  static void
  AccumulateStackAdjoint(const ComplexType * X, const ComplexType & r, ComplexType * G, unsigned int K, SizeValueType S,
                         SizeValueType f, bool overwrite)
  {
    for (unsigned int k = 0; k < K; ++k)
    {
      const ComplexType term = MultiplyConjugate(X[k * S + f], r);
      G[k * S + f] = overwrite ? term : G[k * S + f] + term;
    }
  }
  /** The I x I Gram matrices (B B^H)_ij = sum_k X_ik conj(X_jk) of I stacks for each f in
   * [begin, end), one matrix after another (row-major, double). */
  ITK_CSC_VECTOR_CLONES static void
  GramMatrices(const std::vector<const ComplexType *> & stacks, unsigned int K, SizeValueType S, SizeValueType begin,
               SizeValueType end, std::complex<double> * grams);
  /** A(f) = beta A(f) + X(f)^H X(f) (packed lower triangle, K(K+1)/2 values) and
   * b_k(f) = beta b_k(f) + conj(X_k(f)) s(f). */
  static void
  AccumulateStackOuterProduct(const ComplexType * X, const ComplexType & s, unsigned int K, SizeValueType S,
                              SizeValueType f, RealType beta, ComplexType * A, ComplexType * b);
  //@}

  /** The largest eigenvalue of B^H B for a rows x columns matrix B (row-major): by power
   * iteration, times 1.02 and capped by the trace (exact for one row or column). The norms of
   * strided and multi-channel operators, one small matrix per frequency. \c start (optional):
   * the previous matrix's top right singular vector, a warm start when consecutive matrices are
   * close (neighbouring frequencies of small kernels); receives this one's. */
  static double
  LargestSquaredSingularValue(const std::vector<std::complex<double>> & B, size_t rows, unsigned int columns,
                              std::vector<std::complex<double>> * start = nullptr);

  /** Smallest size >= n whose prime factors are all in {2, 3, 5, 7}. */
  static SizeValueType
  FFTFriendlySize(SizeValueType n);

protected:
  MultiChannelFourierConvolution();
  ~MultiChannelFourierConvolution() override;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  using FFTW = FFTWRealTraits<RealType>;

  void
  DestroyPlans();
  /** Replaces the plans by new ones of the given rigor; n is the size, slowest axis first. */
  /** Plans with \c rigor; with FFTW_WISDOM_ONLY in it, returns false when wisdom lacks them. */
  bool
  MakePlans(std::vector<int> & n, unsigned int rigor);
  /** Saves FFTW's wisdom to ITK's wisdom cache; the caller holds ITK's FFTW lock. */
  static void
  SaveWisdom();
  /** The half spectrum's Parseval weights: 1 or 2 (conjugate pair) over the domain size. */
  void
  ComputeParsevalWeights();
  void
  ComputeKernelSpectra(); // the kernel spectra, sum_k |H_k|^2 and the spectral norm
  /** Visits the image region of the domain row by row: f(imageOffset, domainOffset, rowLength). */
  template <typename TFunction>
  void
  ForEachImageRow(TFunction && f) const;
  /** Visits the coefficient grid: f(coefficientOffset, domainOffset) for each lattice point of
   * the image, coefficient offsets in order. */
  template <typename TFunction>
  void
  ForEachLatticePoint(TFunction && f) const;
  /** Checks the stride and builds the coefficient grid and the lattice masks. */
  void
  InitializeStride();
  /** The domain's masks of image pixels and, strided, of lattice points. */
  void
  InitializeMasks();
  /** Where each kernel tap lands in the domain: tap - centre, wrapped. */
  void
  InitializeKernelTapOffsets();
  /** Strided with a domain that is a multiple of the stride: the coarse plans and the maps
   * between stored full and coarse frequencies. */
  void
  InitializeCoarseSpectra();
  void
  ForwardStrided(const RealType * x, RealType * y) const;
  /** y = inverse FFT of (1/N) sum over the \c groups partial spectra (destroys them). */
  void
  SumGroupsAndInvert(ComplexType * partial, unsigned int groups, RealType * y) const;
  void
  AdjointStrided(const RealType * y, RealType * x) const;
  /** The coarse half-spectrum index of the full frequency given by its per-axis indices. */
  SizeValueType
  CoarseIndex(const std::vector<SizeValueType> & full, bool mirror, bool & conjugate) const;

  SizeType     m_ImageSize;
  SizeType     m_KernelSize;
  SizeType     m_DomainSize;
  SizeType     m_Stride;
  SizeType     m_CoefficientGridSize;
  bool         m_Strided{ false };
  unsigned int m_NumberOfKernels{ 0 };
  BoundaryEnum m_Boundary{ BoundaryEnum::Periodic };
  unsigned int m_PlanRigor{ AutomaticPlanRigor };
  unsigned int m_EffectivePlanRigor{ FFTW_ESTIMATE };
  double       m_AutomaticPlanningThreshold{ 0.01 };
  double       m_KernelTransformSeconds{ 0.0 };

  SizeValueType m_NumberOfImagePixels{ 0 };
  SizeValueType m_NumberOfCoefficientPixels{ 0 };
  SizeValueType m_NumberOfDomainPixels{ 0 };
  SizeValueType m_NumberOfFrequencies{ 0 };
  SizeValueType m_SpatialStride{ 0 };
  SizeValueType m_SpectralStride{ 0 };

  std::vector<RealType>      m_Kernels;
  std::vector<SizeValueType> m_KernelTapOffsets;
  ComplexBufferType          m_KernelSpectra;
  RealBufferType             m_KernelSpectralEnergy;
  RealBufferType             m_ParsevalWeights;
  double                     m_SpectralNormSquared{ 0.0 };
  std::vector<uint8_t>       m_ImageMask;
  std::vector<uint8_t>       m_LatticeMask;
  std::vector<uint8_t>       m_ImageLatticeMask;
  /** Angular frequency of each stored index along each axis (x: the half row). */
  std::vector<std::vector<double>> m_AxisFrequencies;

  typename FFTW::PlanType m_ForwardPlan{ nullptr };
  typename FFTW::PlanType m_InversePlan{ nullptr };
  typename FFTW::PlanType m_UnalignedForwardPlan{ nullptr };
  typename FFTW::PlanType m_UnalignedInversePlan{ nullptr };

  // Coarse spectra of strided maps (HasCoarseSpectra()).
  typename FFTW::PlanType    m_CoarsePlanForward{ nullptr };
  typename FFTW::PlanType    m_CoarsePlanInverse{ nullptr };
  SizeType                   m_CoarseSize;
  SizeValueType              m_NumberOfCoarsePixels{ 0 };
  SizeValueType              m_NumberOfCoarseFrequencies{ 0 };
  SizeValueType              m_CoarseSpatialStride{ 0 };
  SizeValueType              m_CoarseSpectralStride{ 0 };
  std::vector<SizeValueType> m_CoarseDomainOffsets; // domain offset of each coarse pixel
  std::vector<SizeValueType> m_ForwardAlias;        // per stored frequency: its coarse index
  std::vector<uint8_t>       m_ForwardConjugate;    // ... read conjugated
  std::vector<long>          m_AdjointDirect;       // coarse index the frequency folds onto, or -1
  std::vector<long>          m_AdjointMirror;       // coarse index its unstored mirror folds onto, or -1
  mutable std::mutex         m_CoefficientNormMutex;
  mutable double             m_CoefficientSpectralNormSquared{ -1.0 };

  MultiThreaderBase::Pointer m_MultiThreader;
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkMultiChannelFourierConvolution.hxx"
#endif

#endif
