// MultiLayerConvolutionalSparseCoding: every layer's sparse maps of a 2-D or 3-D image under a
// multi-layer convolutional model, and the layers' effective dictionaries.
#include "CSCCommandLine.h"
#include "itkMultiLayerConvolutionalSparseCodingImageFilter.h"
#include <chrono>

namespace
{
using csc::Kind;
using csc::Parameter;

csc::ToolDescription
Description()
{
  return { "MultiLayerConvolutionalSparseCoding",
           "Multi-Layer Convolutional Sparse Coding",
           "Usage: MultiLayerConvolutionalSparseCoding --input s.mha --dictionaries d1.mha,d2.mha[,...]\n"
           "         --lambdas l1,l2[,...] --output-prefix out [options]",
           "Multi-layer convolutional sparse coding (Papyan, Romano and Elad, JMLR 2017): s = D1 g1, g1 = D2 g2, ..., "
           "each layer's maps sparse. Layer j's dictionary maps its K_j maps into the K_{j-1} channels of the layer "
           "above: an (N+2)-D image [x, y, (z,) channel, kernel]; the first layer's may also be an (N+1)-D "
           "single-channel dictionary [x, y, (z,) kernel].",
           { { "Input and output",
               "The image, the layers' dictionaries and where the maps go.",
               { Parameter(Kind::Image, "input", "Input image", "image s (2-D or 3-D)").Positional(0),
                 Parameter(Kind::String,
                           "dictionaries",
                           "Dictionaries",
                           "one dictionary file per layer, comma-separated, the first layer first")
                   .Hint("F1,F2,..."),
                 Parameter(Kind::FloatVector, "lambdas", "Lambdas", "one sparsity weight per layer").Hint("L1,L2,..."),
                 Parameter(Kind::String,
                           "output-prefix",
                           "Output prefix",
                           "writes PREFIX_layer1.mha ... (layer j's maps, (N+1)-D, last axis = kernel), "
                           "PREFIX_effective1.mha ... (layer j's effective dictionary D1 * ... * Dj, (N+1)-D) and "
                           "PREFIX_effective1.png ... (its mosaic)")
                   .Hint("PREFIX"),
                 csc::ReportParameter("parameters, per-solve statistics, per-layer sparsity, seconds"),
                 csc::CompressParameter() } },
             { "Pursuit",
               "How the layers are solved.",
               { Parameter(Kind::Enumeration,
                           "pursuit",
                           "Pursuit",
                           "layered-thresholding: g_j = T(D_j^T g_{j-1}), one shot (with --nonnegative a CNN's forward "
                           "pass, ReLU with bias -lambda_j); layered-bp: one l1 problem per layer, layer after layer; "
                           "ml-ista | ml-fista: the multi-layer basis pursuit (Sulam et al., IEEE TPAMI 2020)")
                   .Choices({ "layered-thresholding", "layered-bp", "ml-ista", "ml-fista" })
                   .Default("ml-fista"),
                 Parameter(Kind::Boolean, "nonnegative", "Non-negative", "non-negative maps"),
                 Parameter(Kind::Enumeration, "boundary", "Boundary", "the convolution's boundary")
                   .Choices({ "periodic", "zeropadded" })
                   .Default("periodic"),
                 Parameter(Kind::Integer, "max-iterations", "Maximum iterations", "per solve (per layer in layered-bp)")
                   .Default("200")
                   .Range(1)
                   .Hint("N"),
                 Parameter(Kind::Float, "tolerance", "Tolerance", "relative change to stop at (0 = run all iterations)")
                   .Default("1e-4")
                   .Range(0)
                   .Hint("T") } } },
           { { Kind::Float,
               "firstLayerNonZero",
               "First layer non-zero fraction",
               "the fraction of non-zero coefficients in the first layer's maps" } } };
}
itk::ConvolutionalSparseCodingEnums::MultiLayerPursuit
ParsePursuit(const csc::Arguments & args)
{
  using PursuitEnum = itk::ConvolutionalSparseCodingEnums::MultiLayerPursuit;
  const std::string name = csc::Choice(args, "--pursuit");
  if (name == "layered-thresholding")
  {
    return PursuitEnum::LayeredThresholding;
  }
  if (name == "layered-bp")
  {
    return PursuitEnum::LayeredBasisPursuit;
  }
  return name == "ml-ista" ? PursuitEnum::MLISTA : PursuitEnum::MLFISTA;
}

/** Comma-separated file names, none empty. */
std::vector<std::string>
SplitList(const std::string & text, const std::string & flag)
{
  std::vector<std::string> items;
  std::stringstream        stream(text);
  for (std::string item; std::getline(stream, item, ',');)
  {
    if (item.empty())
    {
      throw csc::UsageError(flag + " '" + text + "' has an empty entry");
    }
    items.push_back(item);
  }
  if (items.empty() || text.back() == ',')
  {
    throw csc::UsageError(flag + " '" + text + "' names no file or ends with a comma");
  }
  return items;
}

/** A layer's dictionary as an (N+2)-D image; a first layer given (N+1)-D becomes one channel. */
template <unsigned int VDimension, typename TDictionary>
typename TDictionary::Pointer
ReadDictionary(const std::string & path, unsigned int layer)
{
  const std::string  what = "layer " + std::to_string(layer + 1) + " dictionary";
  const unsigned int dimension = csc::ImageDimensionOf(path, what);
  if (dimension == VDimension + 2)
  {
    return csc::ReadImageInput<TDictionary>(path, what);
  }
  if (dimension != VDimension + 1 || layer != 0)
  {
    throw csc::UsageError("the " + what + " '" + path + "' is " + std::to_string(dimension) + "-D; " +
                          (layer == 0 ? "the first layer's is (N+1)-D or (N+2)-D" : "it must be (N+2)-D") + " for a " +
                          std::to_string(VDimension) + "-D image");
  }
  using SingleChannel = itk::Image<float, VDimension + 1>;
  const auto                     single = csc::ReadImageInput<SingleChannel>(path, what);
  auto                           dictionary = TDictionary::New();
  typename TDictionary::SizeType size;
  const auto                     given = single->GetLargestPossibleRegion().GetSize();
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    size[d] = given[d];
  }
  size[VDimension] = 1;
  size[VDimension + 1] = given[VDimension];
  dictionary->SetRegions(size);
  dictionary->Allocate();
  std::copy_n(
    single->GetBufferPointer(), single->GetLargestPossibleRegion().GetNumberOfPixels(), dictionary->GetBufferPointer());
  return dictionary;
}

template <typename TImage>
double
NonZeroFraction(const TImage * maps)
{
  const size_t n = maps->GetLargestPossibleRegion().GetNumberOfPixels();
  return n == 0 ? 0.0
                : double(std::count_if(
                    maps->GetBufferPointer(), maps->GetBufferPointer() + n, [](float v) { return v != 0.0f; })) /
                    double(n);
}

template <unsigned int VDimension>
int
Run(const csc::Arguments & args)
{
  using FilterType = itk::MultiLayerConvolutionalSparseCodingImageFilter<itk::Image<float, VDimension>, float>;
  using CoefficientImageType = typename FilterType::CoefficientImageType;
  const auto dictionaryPaths = SplitList(args.Required("--dictionaries"), "--dictionaries");
  const auto lambdas = csc::ParseNumberList(args.Required("--lambdas"), "--lambdas");
  if (lambdas.size() != dictionaryPaths.size())
  {
    throw csc::UsageError("--lambdas gives " + std::to_string(lambdas.size()) + " values for " +
                          std::to_string(dictionaryPaths.size()) + " dictionaries: give one per layer");
  }
  for (double lambda : lambdas)
  {
    if (!(lambda >= 0))
    {
      throw csc::UsageError("--lambdas must be non-negative, got " + std::to_string(lambda));
    }
  }
  const std::string prefix = args.Required("--output-prefix");
  const size_t      L = dictionaryPaths.size();
  for (size_t j = 1; j <= L; ++j)
  {
    const std::string layer = std::to_string(j);
    csc::OutputSet::Instance().DeclareImage<CoefficientImageType>("--output-prefix",
                                                                  prefix + "_layer" + layer + ".mha");
    csc::OutputSet::Instance().DeclareImage<CoefficientImageType>("--output-prefix",
                                                                  prefix + "_effective" + layer + ".mha");
    csc::OutputSet::Instance().DeclareImage<csc::PictureType>("--output-prefix",
                                                              prefix + "_effective" + layer + ".png");
  }
  csc::DeclareTextOutput(args, "--report");

  auto filter = FilterType::New();
  filter->SetInput(csc::ReadImageInput<itk::Image<float, VDimension>>(args.Get("--input"), "input"));
  for (size_t j = 0; j < L; ++j)
  {
    filter->SetDictionary(
      static_cast<unsigned int>(j),
      ReadDictionary<VDimension, typename FilterType::DictionaryImageType>(dictionaryPaths[j], unsigned(j)));
  }
  filter->SetLambdas(lambdas);
  filter->SetPursuit(ParsePursuit(args));
  filter->SetNonnegative(args.Has("--nonnegative"));
  const std::string boundary = csc::Choice(args, "--boundary");
  filter->SetBoundaryCondition(boundary == "periodic" ? FilterType::BoundaryEnum::Periodic
                                                      : FilterType::BoundaryEnum::ZeroPadded);
  filter->SetMaximumNumberOfIterations(csc::Integer(args, "--max-iterations"));
  const double tolerance = args.Number("--tolerance");
  if (!(tolerance >= 0))
  {
    throw csc::UsageError("--tolerance must be non-negative");
  }
  filter->SetRelativeTolerance(tolerance);

  const double        seconds = csc::UpdateWithProgress(filter.GetPointer(), "multi-layer sparse coding");
  std::vector<double> nonZero;
  for (size_t j = 0; j < L; ++j)
  {
    const std::string layer = std::to_string(j + 1);
    const auto *      maps = filter->GetLayerCoefficients(unsigned(j));
    const auto *      effective = filter->GetEffectiveDictionary(unsigned(j));
    csc::WriteImageOutput(maps, prefix + "_layer" + layer + ".mha");
    csc::WriteImageOutput(effective, prefix + "_effective" + layer + ".mha");
    const auto          size = effective->GetLargestPossibleRegion().GetSize();
    std::vector<size_t> kernelSize(size.begin(), size.begin() + VDimension);
    csc::WriteImageOutput(
      csc::Mosaic(effective->GetBufferPointer(), kernelSize, unsigned(size[VDimension])).GetPointer(),
      prefix + "_effective" + layer + ".png");
    nonZero.push_back(NonZeroFraction(maps));
    if (j == 0)
    {
      csc::SlicerReport::Instance().Set("firstLayerNonZero", nonZero.back());
    }
    std::cout << "layer " << layer << ": " << maps->GetLargestPossibleRegion().GetSize()[VDimension] << " maps, "
              << 100 * nonZero.back() << " % non-zero; effective kernels " << size << "\n";
  }
  std::cout << "outputs: " << prefix << "_layer{1.." << L << "}.mha, " << prefix << "_effective{1.." << L
            << "}.mha/.png\n";

  const auto & solves = filter->GetPursuitObject()->GetSolveStatistics();
  if (args.Has("--report"))
  {
    csc::Json report{ { "tool", "MultiLayerConvolutionalSparseCoding" } };
    report["parameters"] = { { "input", args.Get("--input") },
                             { "dictionaries", args.Get("--dictionaries") },
                             { "lambdas", csc::ParseNumberList(args.Get("--lambdas"), "--lambdas") },
                             { "pursuit", args.Get("--pursuit") },
                             { "nonnegative", args.Has("--nonnegative") },
                             { "boundary", boundary },
                             { "max_iterations", filter->GetMaximumNumberOfIterations() },
                             { "tolerance", tolerance } };
    report["layers"] = csc::Json::array();
    for (size_t j = 0; j < L; ++j)
    {
      report["layers"].push_back(
        { { "maps", filter->GetLayerCoefficients(unsigned(j))->GetLargestPossibleRegion().GetSize()[VDimension] },
          { "nonzero_fraction", nonZero[j] } });
    }
    report["solves"] = csc::Json::array();
    for (const auto & solve : solves)
    {
      report["solves"].push_back({ { "iterations", solve.Iteration },
                                   { "objective", solve.Objective },
                                   { "data_fidelity", solve.DataFidelity },
                                   { "seconds", solve.ElapsedSeconds } });
    }
    report["seconds"] = seconds;
    report["peak_memory_mb"] = csc::PeakResidentMegabytes();
    csc::WriteJsonOutput(args.Get("--report"), report);
    std::cout << "report: " << args.Get("--report") << "\n";
  }
  std::cout << "seconds " << seconds << ", peak memory " << csc::PeakResidentMegabytes() << " MB\n";
  return 0;
}
} // namespace

int
main(int argc, char * argv[])
{
  return csc::Main(
    Description(),
    argc,
    argv,
    [](const csc::Arguments & args) { return Run<2>(args); },
    [](const csc::Arguments & args) { return Run<3>(args); });
}
