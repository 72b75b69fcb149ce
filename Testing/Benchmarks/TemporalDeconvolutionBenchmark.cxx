// Sparse temporal deconvolution on the dev traces of ../shared/data/ca/dev (1100 traces x 900
// frames) and on their first 450 frames: the median of five runs of the filter (response
// learned, length 60), the filter's threads, and the peak RSS.
//
//   TemporalDeconvolutionBenchmark [--shared DIR] [--runs N]
#include "itkImageFileReader.h"
#include "itkMultiThreaderBase.h"
#include "itkSparseTemporalDeconvolutionFilter.h"
#include <sys/resource.h>
#include <algorithm>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <string>

namespace
{
using TraceImageType = itk::Image<float, 2>;

TraceImageType::Pointer
FirstFrames(const TraceImageType * traces, size_t frames)
{
  const auto size = traces->GetLargestPossibleRegion().GetSize();
  auto       cropped = TraceImageType::New();
  cropped->SetRegions(TraceImageType::SizeType{ { size[0], std::min<size_t>(frames, size[1]) } });
  cropped->Allocate();
  std::copy_n(
    traces->GetBufferPointer(), cropped->GetLargestPossibleRegion().GetNumberOfPixels(), cropped->GetBufferPointer());
  return cropped;
}
} // namespace

int
main(int argc, char * argv[])
{
  std::string  shared = CSC_SHARED_DIR;
  unsigned int runs = 5;
  for (int i = 1; i < argc; ++i)
  {
    const std::string arg = argv[i];
    if (arg == "--shared" && i + 1 < argc)
    {
      shared = argv[++i];
    }
    else if (arg == "--runs" && i + 1 < argc)
    {
      runs = std::max(1, std::stoi(argv[++i]));
    }
    else
    {
      std::cerr << "usage: TemporalDeconvolutionBenchmark [--shared DIR] [--runs N]\n";
      return 2;
    }
  }
  const std::string       path = shared + "/data/ca/dev/traces_1d.mha";
  TraceImageType::Pointer traces;
  try
  {
    traces = itk::ReadImage<TraceImageType>(path);
  }
  catch (const itk::ExceptionObject & e)
  {
    std::cerr << "cannot read " << path << " (the shared data): " << e.GetDescription() << "\n";
    return 1;
  }
  std::cout << std::fixed << std::setprecision(3);
  for (size_t frames : { size_t(900), size_t(450) })
  {
    const auto          input = FirstFrames(traces, frames);
    std::vector<double> seconds;
    size_t              events = 0;
    unsigned int        threads = 0;
    for (unsigned int run = 0; run < runs; ++run)
    {
      auto filter = itk::SparseTemporalDeconvolutionFilter<TraceImageType>::New();
      filter->SetInput(input);
      filter->SetResponseLength(60);
      const auto start = std::chrono::steady_clock::now();
      filter->Update();
      seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      events = filter->GetSpikes().size();
      threads = filter->GetNumberOfWorkUnits();
    }
    std::sort(seconds.begin(), seconds.end());
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::cout << input->GetLargestPossibleRegion().GetSize()[0] << " traces x " << frames << " frames: median "
              << seconds[seconds.size() / 2] << " s (min " << seconds.front() << ", max " << seconds.back() << ", "
              << runs << " runs, " << threads << " work units), " << events << " spike frames, peak RSS "
              << usage.ru_maxrss / 1024.0 << " MB" << std::endl;
  }
  return 0;
}
