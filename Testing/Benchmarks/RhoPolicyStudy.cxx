// The ADMM rho policy on problems it was not chosen on (issue 17): iterations to a 1e-3 gap
// with the previous policy (rho from 50 lambda + 1, balanced every 10 iterations towards equal
// residuals), SPORCO's ConvBPDN rule as published (the same, every iteration, towards
// xi = 1 + 18.3^(log10 lambda + 1): lambda absolute, as for images in [0, 1]) and the automatic
// one (SPORCO's rule with lambda relative to lambda_max), on the four natural images of the
// dictionary-learning set that no coding case uses (kodim23, monarch, sail, tulips), SPORCO's
// two dictionaries, lambda 0.05 and 0.01, plus the same problems scaled by 255 (image and
// lambda), whose solutions are the scaled ones. F* of each problem: the lowest objective of
// 1500-iteration runs of the three. Run by hand (BENCHMARKS.md).
#include "itkADMMSparseCodingSolver.h"
#include "itkImage.h"
#include "itkImageFileReader.h"
#include "itkL1ProximalOperator.h"
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

namespace
{
using ImageType = itk::Image<float, 3>;

ImageType::Pointer
ReadCase(const std::string & shared, const std::string & name)
{
  const std::string path = shared + "/cases/" + name + ".mha";
  if (!std::ifstream(path).good())
  {
    std::cerr << "missing shared case file " << path << " (../shared must sit beside the project)\n";
    std::exit(2);
  }
  return itk::ReadImage<ImageType>(path);
}

struct PolicyRun
{
  std::vector<double> objectives; // per iteration, the first entry the initial point's
  double              target{ 0 };
  unsigned int        period{ 0 };
};

enum class Policy
{
  Previous,
  SPORCOAbsolute,
  Automatic
};

PolicyRun
Solve(const std::vector<float> & signal, const ImageType & dictionary, unsigned int width, unsigned int height,
      double lambda, Policy policy, unsigned int iterations)
{
  const auto size = dictionary.GetLargestPossibleRegion().GetSize();
  auto       op = itk::MultiChannelFourierConvolution<float>::New();
  op->SetImageSize({ width, height });
  op->SetDictionary(dictionary.GetBufferPointer(), { size[0], size[1] }, static_cast<unsigned int>(size[2]));
  op->Initialize();
  auto admm = itk::ADMMSparseCodingSolver<float>::New();
  if (policy != Policy::Automatic)
  {
    const bool sporco = policy == Policy::SPORCOAbsolute;
    admm->SetRho(50 * lambda + 1);
    admm->SetAutoRhoPeriod(sporco ? 1 : 10);
    admm->SetResidualTarget(sporco ? 1 + std::pow(18.3, std::log10(lambda) + 1) : 1.0);
  }
  admm->SetOperator(op);
  admm->SetProximalOperator(itk::L1ProximalOperator<float>::New());
  admm->SetLambda(lambda);
  admm->SetSignal(signal.data());
  admm->SetRelativeTolerance(0);
  admm->SetMaximumNumberOfIterations(iterations);
  admm->Solve();
  PolicyRun run;
  for (const auto & s : admm->GetHistory())
  {
    run.objectives.push_back(s.Objective);
  }
  run.target = admm->GetEffectiveResidualTarget();
  run.period = admm->GetEffectiveAutoRhoPeriod();
  return run;
}

constexpr unsigned int NotReached = 1501; // the runs' length + 1

unsigned int
IterationsToGap(const PolicyRun & run, double optimum, double gap)
{
  for (size_t i = 0; i < run.objectives.size(); ++i)
  {
    if (run.objectives[i] <= optimum * (1 + gap))
    {
      return static_cast<unsigned int>(i);
    }
  }
  return NotReached;
}

std::string
CountText(unsigned int count)
{
  return count == NotReached ? std::string(">1500") : std::to_string(count);
}
} // namespace

int
RhoPolicyStudy(const std::string & shared)
{
  const auto   images = ReadCase(shared, "dl_train_hp");
  const auto   isize = images->GetLargestPossibleRegion().GetSize();
  const size_t pixels = isize[0] * isize[1];
  const char * names[] = { "barbara", "kodim23", "monarch", "sail", "tulips" };
  std::cout << "image dictionary lambda scale | xi (automatic) | iterations to 1e-3: previous SPORCO-rule "
               "automatic | F*\n";
  std::vector<unsigned int> previousCounts, sporcoCounts, automaticCounts;
  for (unsigned int slice = 1; slice < isize[2]; ++slice)
  {
    for (const char * dictionaryName : { "dict_G_12x12x36", "dict_G_8x8x32" })
    {
      const auto dictionary = ReadCase(shared, dictionaryName);
      for (const double lambda : { 0.05, 0.01 })
      {
        for (const double scale : { 1.0, 255.0 })
        {
          std::vector<float> signal(images->GetBufferPointer() + slice * pixels,
                                    images->GetBufferPointer() + (slice + 1) * pixels);
          for (float & v : signal)
          {
            v = static_cast<float>(v * scale);
          }
          const unsigned int w = static_cast<unsigned int>(isize[0]), h = static_cast<unsigned int>(isize[1]);
          const PolicyRun    previous = Solve(signal, *dictionary, w, h, lambda * scale, Policy::Previous, 1500);
          const PolicyRun    sporco = Solve(signal, *dictionary, w, h, lambda * scale, Policy::SPORCOAbsolute, 1500);
          const PolicyRun    automatic = Solve(signal, *dictionary, w, h, lambda * scale, Policy::Automatic, 1500);
          double             optimum = std::numeric_limits<double>::infinity();
          for (const PolicyRun * run : { &previous, &sporco, &automatic })
          {
            optimum = std::min(optimum, *std::min_element(run->objectives.begin(), run->objectives.end()));
          }
          previousCounts.push_back(IterationsToGap(previous, optimum, 1e-3));
          sporcoCounts.push_back(IterationsToGap(sporco, optimum, 1e-3));
          automaticCounts.push_back(IterationsToGap(automatic, optimum, 1e-3));
          std::cout << std::setprecision(4) << names[slice] << " " << dictionaryName << " " << lambda << " " << scale
                    << " | " << automatic.target << " (period " << automatic.period << ") | "
                    << CountText(previousCounts.back()) << " " << CountText(sporcoCounts.back()) << " "
                    << CountText(automaticCounts.back()) << " | " << std::setprecision(10) << optimum << std::endl;
        }
      }
    }
  }
  for (const auto & [name, counts] :
       { std::make_pair("previous policy", &previousCounts), std::make_pair("SPORCO's rule", &sporcoCounts) })
  {
    unsigned int fewer = 0, same = 0;
    double       sum = 0, automaticSum = 0;
    for (size_t i = 0; i < counts->size(); ++i)
    {
      fewer += automaticCounts[i] < (*counts)[i];
      same += automaticCounts[i] == (*counts)[i];
      sum += (*counts)[i];
      automaticSum += automaticCounts[i];
    }
    std::cout << "automatic against " << name << ": fewer iterations on " << fewer << ", as many on " << same
              << ", more on " << counts->size() - fewer - same << " of " << counts->size() << " problems; total " << sum
              << " against " << automaticSum << " automatic (not reached in 1500 counts as " << NotReached << ")\n";
  }
  return 0;
}
