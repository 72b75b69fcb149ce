#ifndef itkFFTWRealTraits_h
#define itkFFTWRealTraits_h

#include <complex>
#include <fftw3.h>

namespace itk
{
/** \class FFTWRealTraits
 * \brief Maps a real type to FFTW's single- or double-precision real-to-complex API.
 *
 * Only the calls the multi-channel operator needs: plan a single-channel transform once,
 * then execute it on every channel with FFTW's new-array execute functions, which are
 * thread-safe (planning is not, so it takes ITK's FFTW lock). SetPlannerThreads() chooses how many
 * threads the next plan uses: 1 for plans run on many channels at once, more for a plan that
 * transforms one whole-domain array while nothing else runs.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
struct FFTWRealTraits;

template <>
struct FFTWRealTraits<float>
{
  using PlanType = fftwf_plan;
  using FFTWComplexType = fftwf_complex;

  static PlanType
  PlanForward(int rank, const int * n, float * in, std::complex<float> * out, unsigned flags)
  {
    return fftwf_plan_dft_r2c(rank, n, in, reinterpret_cast<FFTWComplexType *>(out), flags);
  }
  static PlanType
  PlanInverse(int rank, const int * n, std::complex<float> * in, float * out, unsigned flags)
  {
    return fftwf_plan_dft_c2r(rank, n, reinterpret_cast<FFTWComplexType *>(in), out, flags);
  }
  static void
  ExecuteForward(PlanType plan, const float * in, std::complex<float> * out)
  {
    fftwf_execute_dft_r2c(plan, const_cast<float *>(in), reinterpret_cast<FFTWComplexType *>(out));
  }
  static void
  ExecuteInverse(PlanType plan, std::complex<float> * in, float * out)
  {
    fftwf_execute_dft_c2r(plan, reinterpret_cast<FFTWComplexType *>(in), out);
  }
  static void
  Destroy(PlanType plan)
  {
    fftwf_destroy_plan(plan);
  }
  static void
  SetPlannerThreads(int threads)
  {
    fftwf_init_threads();
    fftwf_plan_with_nthreads(threads);
  }
  /** ITK's wisdom cache keeps single-precision wisdom in its file name with an "f" appended. */
  static constexpr const char * WisdomFileSuffix = "f";
  static bool
  ImportWisdom(const char * path)
  {
    return fftwf_import_wisdom_from_filename(path) != 0;
  }
  static bool
  ExportWisdom(const char * path)
  {
    return fftwf_export_wisdom_to_filename(path) != 0;
  }
};

template <>
struct FFTWRealTraits<double>
{
  using PlanType = fftw_plan;
  using FFTWComplexType = fftw_complex;

  static PlanType
  PlanForward(int rank, const int * n, double * in, std::complex<double> * out, unsigned flags)
  {
    return fftw_plan_dft_r2c(rank, n, in, reinterpret_cast<FFTWComplexType *>(out), flags);
  }
  static PlanType
  PlanInverse(int rank, const int * n, std::complex<double> * in, double * out, unsigned flags)
  {
    return fftw_plan_dft_c2r(rank, n, reinterpret_cast<FFTWComplexType *>(in), out, flags);
  }
  static void
  ExecuteForward(PlanType plan, const double * in, std::complex<double> * out)
  {
    fftw_execute_dft_r2c(plan, const_cast<double *>(in), reinterpret_cast<FFTWComplexType *>(out));
  }
  static void
  ExecuteInverse(PlanType plan, std::complex<double> * in, double * out)
  {
    fftw_execute_dft_c2r(plan, reinterpret_cast<FFTWComplexType *>(in), out);
  }
  static void
  Destroy(PlanType plan)
  {
    fftw_destroy_plan(plan);
  }
  static void
  SetPlannerThreads(int threads)
  {
    fftw_init_threads();
    fftw_plan_with_nthreads(threads);
  }
  static constexpr const char * WisdomFileSuffix = "";
  static bool
  ImportWisdom(const char * path)
  {
    return fftw_import_wisdom_from_filename(path) != 0;
  }
  static bool
  ExportWisdom(const char * path)
  {
    return fftw_export_wisdom_to_filename(path) != 0;
  }
};
} // namespace itk

#endif
