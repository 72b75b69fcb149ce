#ifndef itkDenseReference_h
#define itkDenseReference_h

#include <cstddef>
#include <vector>

namespace csctest
{
/** A small 2-D coding problem posed with an explicit matrix, independent of the FFT code:
 * the matrix is built by direct spatial convolution (centre tap floor(M/2)). */
struct DenseProblem
{
  size_t              width{ 0 };
  size_t              height{ 0 };
  size_t              kernelWidth{ 0 };
  size_t              kernelHeight{ 0 };
  unsigned int        numberOfKernels{ 0 };
  std::vector<double> kernels; // K kernels, x fastest
  std::vector<double> signal;
  std::vector<double> weights; // empty: all ones
  bool                zeroPadded{ false };
  bool                nonNegative{ false };
  double              lambda{ 0.1 };
};

/** The optimum by coordinate descent on the Gram matrix (Eigen, double), converged until
 * the largest coordinate change is below 1e-15. */
std::vector<double>
SolveDenseProblem(const DenseProblem & problem);

/** 1/2 ||w (A x - s)||^2 + lambda ||x||_1. */
double
DenseObjective(const DenseProblem & problem, const std::vector<double> & x);

/** Largest violation of the KKT conditions, divided by lambda. */
double
DenseKKTViolation(const DenseProblem & problem, const std::vector<double> & x);

/** ADMM's settings for DenseADMM(): over-relaxation, initial rho and residual balancing. */
struct DenseADMMSettings
{
  double       rho{ 1.0 };
  double       relaxation{ 1.8 };
  unsigned int period{ 1 };   // balance every this many iterations
  double       target{ 1.0 }; // towards primal = target * dual (relative residuals)
  double       ratio{ 1.2 };  // when they differ by more than this factor
  unsigned int iterations{ 10 };
};

/** y after the iterations of ADMM for the unweighted periodic problem, written out as SPORCO's
 * ConvBPDN runs it (x-step by a dense solve, relaxed y-step, u-step, then a new rho, with u
 * rescaled, for the next x-step); the final rho into finalRho. */
std::vector<double>
DenseADMM(const DenseProblem & problem, const DenseADMMSettings & settings, double & finalRho);
} // namespace csctest

#endif
