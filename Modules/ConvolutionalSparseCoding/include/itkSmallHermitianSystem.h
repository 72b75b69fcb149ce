#ifndef itkSmallHermitianSystem_h
#define itkSmallHermitianSystem_h

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>

namespace itk
{
/** \brief Cholesky factor and solve of small Hermitian positive definite systems, in double
 * precision: the per-frequency solves of the dictionary update (an I x I or K x K system at
 * every frequency).
 * \ingroup ConvolutionalSparseCoding
 */
namespace SmallHermitianSystem
{
/** Overwrites the lower triangle of the n x n row-major matrix with the lower Cholesky factor of
 * (matrix + shift I); the upper triangle is not read. Pivots below \c floor are raised to it. */
inline void
Factorize(std::complex<double> * L, size_t n, double shift, double floor = -std::numeric_limits<double>::infinity())
{
  for (size_t i = 0; i < n; ++i)
  {
    const double * rowI = reinterpret_cast<const double *>(L + i * n);
    for (size_t j = 0; j <= i; ++j)
    {
      // sum_m L(i,m) conj(L(j,m)) in plain real arithmetic: std::complex's product checks for
      // NaN at every step, which made this loop twice as slow (K x K systems of K = 32).
      const double * rowJ = reinterpret_cast<const double *>(L + j * n);
      double         re = 0, im = 0;
      for (size_t m = 0; m < j; ++m)
      {
        re += rowI[2 * m] * rowJ[2 * m] + rowI[2 * m + 1] * rowJ[2 * m + 1];
        im += rowI[2 * m + 1] * rowJ[2 * m] - rowI[2 * m] * rowJ[2 * m + 1];
      }
      const std::complex<double> a = L[i * n + j] + std::complex<double>((i == j ? shift : 0.0) - re, -im);
      L[i * n + j] = i == j ? std::complex<double>(std::sqrt(std::max(a.real(), floor))) : a / L[j * n + j].real();
    }
  }
}

/** Solves L L^H y = b in place (b given in y). */
inline void
Solve(const std::complex<double> * L, size_t n, std::complex<double> * y)
{
  for (size_t i = 0; i < n; ++i)
  {
    for (size_t m = 0; m < i; ++m)
    {
      y[i] -= L[i * n + m] * y[m];
    }
    y[i] /= L[i * n + i].real();
  }
  for (size_t i = n; i-- > 0;)
  {
    for (size_t m = i + 1; m < n; ++m)
    {
      y[i] -= std::conj(L[m * n + i]) * y[m];
    }
    y[i] /= L[i * n + i].real();
  }
}
} // namespace SmallHermitianSystem
} // namespace itk

#endif
