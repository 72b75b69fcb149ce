#ifndef itkVectorClones_h
#define itkVectorClones_h

/** \file itkVectorClones.h
 * ITK_CSC_VECTOR_CLONES marks the element-wise loops between the FFTs (y-step, prox, spectral
 * products, Gram matrices). GCC then compiles each marked function three times (x86-64-v4:
 * AVX-512, x86-64-v3: AVX2 and FMA, and the baseline) and the loader picks the one the CPU runs,
 * as FFTW does for its own codelets: a portable binary gets the wide vectors that
 * -march=native would give (BENCHMARKS.md, issue 17). Empty where the compiler cannot do
 * this (not GCC 12+ on x86-64 Linux, clang and CastXML included), where the build already
 * targets AVX2 or more, or when ITK_CSC_NO_VECTOR_CLONES is defined. Virtual functions cannot
 * be cloned: they call a marked helper.
 */
#if defined(__GNUC__) && !defined(__clang__) && !defined(__castxml__) && defined(__x86_64__) && defined(__linux__) &&  \
  __GNUC__ >= 12 && !defined(__AVX2__) && !defined(ITK_CSC_NO_VECTOR_CLONES)
#  define ITK_CSC_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#  define ITK_CSC_VECTOR_CLONES
#endif

#endif
