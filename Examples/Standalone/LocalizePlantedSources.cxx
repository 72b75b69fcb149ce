// Finds sources planted in a synthetic image with GroupSparseSourceLocalizationFilter and
// checks them: exit status 0 when every source is found within half a pixel with its flux
// within 10 % and nothing else is reported.
#include "itkGroupSparseSourceLocalizationFilter.h"
#include "itkSourceKernelBank.h"
#include <cmath>
#include <iostream>
#include <random>

int
main()
{
  using ImageType = itk::Image<float, 2>;
  constexpr double sigma = 1.5, pi = 3.14159265358979;
  const unsigned   width = 96, height = 64;
  auto             image = ImageType::New();
  image->SetRegions(ImageType::SizeType{ { width, height } });
  image->Allocate();
  std::mt19937                     random(5);
  std::normal_distribution<double> noise(0.0, 1.0);
  const double planted[][3] = { { 20, 16, 300 }, { 60, 20, 200 }, { 30, 45, 250 }, { 75, 48, 350 } };
  for (unsigned y = 0; y < height; ++y)
  {
    for (unsigned x = 0; x < width; ++x)
    {
      double value = 10.0 + noise(random);
      for (const auto & source : planted)
      {
        const double r2 = std::pow(x - source[0], 2) + std::pow(y - source[1], 2);
        value += source[2] * std::exp(-r2 / (2 * sigma * sigma)) / (2 * pi * sigma * sigma);
      }
      image->SetPixel({ { x, y } }, static_cast<float>(value));
    }
  }

  auto bank = itk::SourceKernelBank<float, 2>::New();
  bank->AddFromDescription("gauss:1.5;background:gauss:16", image);
  auto localization = itk::GroupSparseSourceLocalizationFilter<ImageType>::New();
  localization->SetInput(image);
  localization->SetDictionary(bank->GetDictionary());
  localization->SetGroups(bank->GetGroups());
  localization->SetKernelNormalization(itk::SourceLocalizationEnums::KernelNormalization::L2);
  localization->SetLambda(1.0);
  localization->GetSourceDetector()->SetDetectionThreshold(5.0);
  localization->GetSourceDetector()->SetNeighborhoodRadius(2); // the flux sums the coefficients' spread
  localization->Update();
  localization->WriteSourcesCSV(std::cout, localization->GetSources());

  unsigned found = 0;
  for (const auto & source : planted)
  {
    for (const auto & s : localization->GetSources())
    {
      if (std::hypot(s.Index[0] - source[0], s.Index[1] - source[1]) < 0.5 &&
          std::abs(s.Brightness - source[2]) < 0.1 * source[2])
      {
        ++found;
        break;
      }
    }
  }
  const bool ok = found == 4 && localization->GetSources().size() == 4;
  std::cout << found << " of 4 planted sources found, " << localization->GetSources().size()
            << " reported: " << (ok ? "ok" : "FAILED") << "\n";
  return ok ? 0 : 1;
}
