// Uses Debian's Eigen only: no ITK header here (ITK bundles another Eigen).
#include "itkDenseReference.h"
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

namespace csctest
{
namespace
{
Eigen::MatrixXd
BuildMatrix(const DenseProblem & p)
{
  const size_t    n = p.width * p.height;
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(n, p.numberOfKernels * n);
  const long      cx = p.kernelWidth / 2;
  const long      cy = p.kernelHeight / 2;
  for (unsigned int k = 0; k < p.numberOfKernels; ++k)
  {
    const double * h = p.kernels.data() + k * p.kernelWidth * p.kernelHeight;
    for (size_t py = 0; py < p.height; ++py)
    {
      for (size_t px = 0; px < p.width; ++px)
      {
        // Column of a unit coefficient at (px, py): the kernel, centred there.
        for (size_t jy = 0; jy < p.kernelHeight; ++jy)
        {
          for (size_t jx = 0; jx < p.kernelWidth; ++jx)
          {
            long ix = long(px) + long(jx) - cx;
            long iy = long(py) + long(jy) - cy;
            if (p.zeroPadded)
            {
              if (ix < 0 || iy < 0 || ix >= long(p.width) || iy >= long(p.height))
              {
                continue;
              }
            }
            else
            {
              ix = (ix % long(p.width) + long(p.width)) % long(p.width);
              iy = (iy % long(p.height) + long(p.height)) % long(p.height);
            }
            A(iy * p.width + ix, k * n + py * p.width + px) += h[jy * p.kernelWidth + jx];
          }
        }
      }
    }
  }
  return A;
}

Eigen::VectorXd
SquaredWeights(const DenseProblem & p)
{
  const size_t    n = p.width * p.height;
  Eigen::VectorXd w2 = Eigen::VectorXd::Ones(n);
  for (size_t i = 0; i < p.weights.size(); ++i)
  {
    w2[i] = p.weights[i] * p.weights[i];
  }
  return w2;
}

Eigen::VectorXd
Gradient(const DenseProblem & p, const std::vector<double> & x)
{
  const Eigen::MatrixXd A = BuildMatrix(p);
  const Eigen::VectorXd w2 = SquaredWeights(p);
  const Eigen::VectorXd xv = Eigen::Map<const Eigen::VectorXd>(x.data(), x.size());
  const Eigen::VectorXd s = Eigen::Map<const Eigen::VectorXd>(p.signal.data(), p.signal.size());
  return A.transpose() * (w2.asDiagonal() * (A * xv - s));
}
} // namespace

std::vector<double>
SolveDenseProblem(const DenseProblem & p)
{
  const Eigen::MatrixXd A = BuildMatrix(p);
  const Eigen::VectorXd w2 = SquaredWeights(p);
  const Eigen::VectorXd s = Eigen::Map<const Eigen::VectorXd>(p.signal.data(), p.signal.size());
  const Eigen::MatrixXd G = A.transpose() * w2.asDiagonal() * A;
  const Eigen::VectorXd b = A.transpose() * (w2.asDiagonal() * s);
  const long            m = G.rows();
  Eigen::VectorXd       x = Eigen::VectorXd::Zero(m);
  Eigen::VectorXd       g = -b; // G x - b
  for (int sweep = 0; sweep < 200000; ++sweep)
  {
    double largestChange = 0;
    for (long i = 0; i < m; ++i)
    {
      if (G(i, i) <= 0)
      {
        continue;
      }
      const double rest = g[i] - G(i, i) * x[i]; // sum_{j != i} G_ij x_j - b_i
      double       xi = 0;
      if (p.nonNegative)
      {
        xi = std::max(-rest - p.lambda, 0.0) / G(i, i);
      }
      else
      {
        const double v = -rest;
        xi = std::copysign(std::max(std::abs(v) - p.lambda, 0.0), v) / G(i, i);
      }
      const double change = xi - x[i];
      if (change != 0)
      {
        g += G.col(i) * change;
        x[i] = xi;
        largestChange = std::max(largestChange, std::abs(change));
      }
    }
    if (largestChange < 1e-15)
    {
      break;
    }
  }
  return std::vector<double>(x.data(), x.data() + m);
}

double
DenseObjective(const DenseProblem & p, const std::vector<double> & x)
{
  const Eigen::MatrixXd A = BuildMatrix(p);
  const Eigen::VectorXd w2 = SquaredWeights(p);
  const Eigen::VectorXd xv = Eigen::Map<const Eigen::VectorXd>(x.data(), x.size());
  const Eigen::VectorXd s = Eigen::Map<const Eigen::VectorXd>(p.signal.data(), p.signal.size());
  const Eigen::VectorXd r = A * xv - s;
  return 0.5 * r.dot(w2.asDiagonal() * r) + p.lambda * xv.lpNorm<1>();
}

double
DenseKKTViolation(const DenseProblem & p, const std::vector<double> & x)
{
  const Eigen::VectorXd g = Gradient(p, x);
  double                worst = 0;
  for (size_t i = 0; i < x.size(); ++i)
  {
    double violation = 0;
    if (x[i] > 0)
    {
      violation = std::abs(g[i] + p.lambda);
    }
    else if (x[i] < 0)
    {
      violation = p.nonNegative ? std::abs(x[i]) * 1e6 : std::abs(g[i] - p.lambda);
    }
    else
    {
      violation = p.nonNegative ? std::max(-(g[i] + p.lambda), 0.0) : std::max(std::abs(g[i]) - p.lambda, 0.0);
    }
    worst = std::max(worst, violation);
  }
  return worst / p.lambda;
}

std::vector<double>
DenseADMM(const DenseProblem & p, const DenseADMMSettings & settings, double & finalRho)
{
  const Eigen::MatrixXd A = BuildMatrix(p);
  const Eigen::VectorXd s = Eigen::Map<const Eigen::VectorXd>(p.signal.data(), p.signal.size());
  const Eigen::MatrixXd G = A.transpose() * A;
  const Eigen::VectorXd b = A.transpose() * s;
  const long            m = G.rows();
  Eigen::VectorXd       y = Eigen::VectorXd::Zero(m), u = Eigen::VectorXd::Zero(m);
  double                rho = settings.rho;
  const double          alpha = settings.relaxation;
  for (unsigned int k = 1; k <= settings.iterations; ++k)
  {
    const Eigen::MatrixXd system = G + rho * Eigen::MatrixXd::Identity(m, m);
    const Eigen::VectorXd x = system.ldlt().solve(b + rho * (y - u));
    const Eigen::VectorXd relaxed = alpha * x + (1 - alpha) * y;
    const Eigen::VectorXd v = relaxed + u;
    Eigen::VectorXd       yNew(m);
    for (long i = 0; i < m; ++i)
    {
      const double shrunk = std::max(std::abs(v[i]) - p.lambda / rho, 0.0);
      yNew[i] = p.nonNegative ? std::max(v[i] - p.lambda / rho, 0.0) : std::copysign(shrunk, v[i]);
    }
    u = v - yNew;
    const double primal = (x - yNew).norm() / std::max(x.norm(), yNew.norm());
    const double dual = (yNew - y).norm() / u.norm();
    y = yNew;
    if (k % settings.period == 0)
    {
      const double ratio = primal / (dual * settings.target);
      if (ratio > settings.ratio || ratio < 1 / settings.ratio)
      {
        const double factor = std::clamp(std::sqrt(ratio), 1e-3, 1e3);
        rho *= factor;
        u /= factor;
      }
    }
  }
  finalRho = rho;
  return std::vector<double>(y.data(), y.data() + m);
}
} // namespace csctest
