#include "itkCSCTestHelpers.h"
#include "itkConvolutionalSparseCodingImageFilter.h"
#include "itkScopedObserver.h"
#include "itkSparseCodingSolverFactory.h"
#include "itkTestingMacros.h"
#include "gtest/gtest.h"

namespace
{
using Image2D = itk::Image<float, 2>;
using Filter2D = itk::ConvolutionalSparseCodingImageFilter<Image2D>;

/** A 2-D problem: three random kernels, a signal made from sparse maps. */
struct Problem2D
{
  Image2D::Pointer                       image;
  Filter2D::DictionaryImageType::Pointer dictionary;
};

Problem2D
MakeProblem2D()
{
  const auto kernels = csctest::RandomVector<float>(3 * 49, 5);
  auto       op = csctest::MakeOperator<float>(
    { 40, 32 }, { 7, 7 }, kernels, 3, itk::ConvolutionalSparseCodingEnums::Boundary::Periodic);
  std::vector<float> x(3 * 40 * 32, 0.0f), s(40 * 32);
  for (size_t j = 0; j < 10; ++j)
  {
    x[(j % 3) * 1280 + 97 * j + 41] = 1.0f + 0.1f * j;
  }
  op->ApplyForward(x.data(), s.data());
  return { csctest::MakeImage<Image2D>({ 40, 32 }, s),
           csctest::MakeImage<Filter2D::DictionaryImageType>({ 7, 7, 3 }, kernels) };
}

TEST(ConvolutionalSparseCodingImageFilter, BasicObjectMethodsAndAccessors)
{
  auto filter = Filter2D::New();
  // ITK's testing macros return EXIT_FAILURE on failure, so they run inside a lambda.
  auto exercise = [&filter]() -> int {
    ITK_EXERCISE_BASIC_OBJECT_METHODS(
      filter, ConvolutionalSparseCodingImageFilter, ConvolutionalSparseCodingFilterBase);
    ITK_TEST_SET_GET_VALUE(0.05, filter->GetLambda());
    ITK_TEST_SET_GET_BOOLEAN(filter, NonNegative, true);
    return EXIT_SUCCESS;
  };
  EXPECT_EQ(exercise(), EXIT_SUCCESS);
  filter->SetSolver(itk::ConvolutionalSparseCodingEnums::Solver::FISTA);
  EXPECT_EQ(filter->GetSolver(), itk::ConvolutionalSparseCodingEnums::Solver::FISTA);
  filter->SetBoundaryCondition(itk::ConvolutionalSparseCodingEnums::Boundary::ZeroPadded);
  EXPECT_EQ(filter->GetBoundaryCondition(), itk::ConvolutionalSparseCodingEnums::Boundary::ZeroPadded);
}

TEST(ConvolutionalSparseCodingImageFilter, OutputsCoefficientsAndReconstructionOfThePlantedProblem)
{
  const auto p = MakeProblem2D();
  for (auto solver :
       { itk::ConvolutionalSparseCodingEnums::Solver::ADMM, itk::ConvolutionalSparseCodingEnums::Solver::FISTA })
  {
    auto filter = Filter2D::New();
    filter->SetInput(p.image);
    filter->SetDictionary(p.dictionary);
    filter->SetLambda(1e-3);
    filter->SetSolver(solver);
    filter->SetMaximumNumberOfIterations(2000);
    filter->SetRelativeTolerance(1e-6);
    unsigned int iterations = 0;
    filter->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) { ++iterations; });
    filter->Update();
    const auto size = filter->GetCoefficients()->GetLargestPossibleRegion().GetSize();
    EXPECT_EQ(size[0], 40u);
    EXPECT_EQ(size[1], 32u);
    EXPECT_EQ(size[2], 3u);
    EXPECT_EQ(iterations, filter->GetIteration());
    // Noise-free and a small lambda: the reconstruction is the image.
    double        error = 0, energy = 0;
    const float * s = p.image->GetBufferPointer();
    const float * r = filter->GetReconstruction()->GetBufferPointer();
    for (size_t i = 0; i < 1280; ++i)
    {
      error += (r[i] - s[i]) * (r[i] - s[i]);
      energy += s[i] * s[i];
    }
    EXPECT_LT(std::sqrt(error / energy), 1e-2) << solver;
    // The planted coefficients come back.
    const float * x = filter->GetCoefficients()->GetBufferPointer();
    for (size_t j = 0; j < 10; ++j)
    {
      EXPECT_NEAR(x[(j % 3) * 1280 + 97 * j + 41], 1.0f + 0.1f * j, 0.03) << solver;
    }
    EXPECT_NEAR(filter->GetObjective(), filter->GetSolverObject()->EvaluateObjective(x), 1e-4);
  }
}

TEST(ConvolutionalSparseCodingImageFilter, CodesA3DVolumeWithZeroPaddingAndWeights)
{
  using Image3D = itk::Image<float, 3>;
  using Filter3D = itk::ConvolutionalSparseCodingImageFilter<Image3D, double>;
  const auto kernels = csctest::RandomVector<float>(2 * 27, 9);
  auto       op = csctest::MakeOperator<float>(
    { 12, 10, 8 }, { 3, 3, 3 }, kernels, 2, itk::ConvolutionalSparseCodingEnums::Boundary::ZeroPadded);
  std::vector<float> x(2 * 960, 0.0f), s(960);
  x[5 * 120 + 4 * 12 + 6] = 2.0f;
  x[960 + 2 * 120 + 6 * 12 + 3] = 1.5f;
  op->ApplyForward(x.data(), s.data());
  std::vector<double>                       kernelsDouble(kernels.begin(), kernels.end());
  auto                                      dictionary = Filter3D::DictionaryImageType::New();
  Filter3D::DictionaryImageType::RegionType region;
  region.SetSize({ { 3, 3, 3, 2 } });
  dictionary->SetRegions(region);
  dictionary->Allocate();
  std::copy(kernelsDouble.begin(), kernelsDouble.end(), dictionary->GetBufferPointer());
  auto weights = Filter3D::RealImageType::New();
  weights->SetRegions(csctest::MakeImage<Image3D>({ 12, 10, 8 }, {})->GetLargestPossibleRegion());
  weights->Allocate();
  weights->FillBuffer(1.0);

  auto filter = Filter3D::New();
  filter->SetInput(csctest::MakeImage<Image3D>({ 12, 10, 8 }, s));
  filter->SetDictionary(dictionary);
  filter->SetWeights(weights);
  filter->SetBoundaryCondition(itk::ConvolutionalSparseCodingEnums::Boundary::ZeroPadded);
  filter->SetNonNegative(true);
  filter->SetLambda(1e-3);
  filter->SetMaximumNumberOfIterations(3000);
  filter->SetRelativeTolerance(1e-7);
  filter->Update();
  const double * result = filter->GetCoefficients()->GetBufferPointer();
  EXPECT_NEAR(result[5 * 120 + 4 * 12 + 6], 2.0, 0.05);
  EXPECT_NEAR(result[960 + 2 * 120 + 6 * 12 + 3], 1.5, 0.05);
}

class BadInput : public ::testing::Test
{
protected:
  void
  SetUp() override
  {
    m_Problem = MakeProblem2D();
    m_Filter = Filter2D::New();
    m_Filter->SetInput(m_Problem.image);
    m_Filter->SetDictionary(m_Problem.dictionary);
    m_Filter->SetMaximumNumberOfIterations(5);
  }
  /** Expects Update() to throw an exception whose text contains \c words. */
  void
  ExpectFailure(const std::string & words)
  {
    try
    {
      m_Filter->Update();
      ADD_FAILURE() << "no exception; expected one mentioning '" << words << "'";
    }
    catch (const itk::ExceptionObject & e)
    {
      EXPECT_NE(std::string(e.GetDescription()).find(words), std::string::npos) << e.GetDescription();
    }
  }
  Problem2D         m_Problem;
  Filter2D::Pointer m_Filter;
};

TEST_F(BadInput, EmptyDictionary)
{
  m_Filter->SetDictionary(csctest::MakeImage<Filter2D::DictionaryImageType>({ 7, 7, 0 }, {}));
  ExpectFailure("empty");
}

TEST_F(BadInput, KernelLargerThanImage)
{
  m_Filter->SetDictionary(
    csctest::MakeImage<Filter2D::DictionaryImageType>({ 41, 3, 1 }, std::vector<float>(123, 1.0f)));
  ExpectFailure("larger than the image");
}

TEST_F(BadInput, NaNInImage)
{
  m_Problem.image->GetBufferPointer()[17] = std::nanf("");
  m_Problem.image->Modified();
  ExpectFailure("non-finite");
}

TEST_F(BadInput, NaNInDictionary)
{
  m_Problem.dictionary->GetBufferPointer()[3] = std::nanf("");
  m_Problem.dictionary->Modified();
  ExpectFailure("non-finite");
}

TEST_F(BadInput, AllZeroKernel)
{
  std::fill_n(m_Problem.dictionary->GetBufferPointer() + 49, 49, 0.0f);
  m_Problem.dictionary->Modified();
  ExpectFailure("all zero");
}

TEST_F(BadInput, NegativeLambda)
{
  m_Filter->SetLambda(-0.1);
  ExpectFailure("Lambda");
}

TEST_F(BadInput, WeightsOfTheWrongSize)
{
  m_Filter->SetWeights(csctest::MakeImage<Image2D>({ 40, 31 }, {}));
  ExpectFailure("weight image");
}

TEST_F(BadInput, NegativeOrNaNWeights)
{
  auto weights = csctest::MakeImage<Image2D>({ 40, 32 }, std::vector<float>(1280, 1.0f));
  weights->GetBufferPointer()[7] = -1.0f;
  m_Filter->SetWeights(weights);
  ExpectFailure("weights");
  weights->GetBufferPointer()[7] = std::nanf("");
  weights->Modified();
  ExpectFailure("weights");
}

TEST_F(BadInput, MissingDictionary)
{
  auto filter = Filter2D::New();
  filter->SetInput(m_Problem.image);
  EXPECT_THROW(filter->Update(), itk::ExceptionObject);
}

TEST_F(BadInput, AbortStopsTheSolverAndRaisesProcessAborted)
{
  m_Filter->SetMaximumNumberOfIterations(1000);
  m_Filter->SetRelativeTolerance(0);
  m_Filter->AddObserver(itk::IterationEvent(), [this](const itk::EventObject &) {
    if (m_Filter->GetIteration() == 3)
    {
      m_Filter->AbortGenerateDataOn();
    }
  });
  EXPECT_THROW(m_Filter->Update(), itk::ProcessAborted);
  EXPECT_EQ(m_Filter->GetIteration(), 3u);
}
} // namespace

TEST(ConvolutionalSparseCodingImageFilter, UsesAGivenSolverObjectWithItsOwnSettings)
{
  const auto p = MakeProblem2D();
  auto       admm = itk::ADMMSparseCodingSolver<float>::New();
  admm->SetRho(7.5);
  admm->AutoRhoOff();
  auto filter = Filter2D::New();
  filter->SetInput(p.image);
  filter->SetDictionary(p.dictionary);
  filter->SetLambda(1e-2);
  filter->SetMaximumNumberOfIterations(30);
  filter->SetRelativeTolerance(0);
  filter->SetSolver(admm);
  EXPECT_EQ(filter->GetSolverObject(), admm.GetPointer());
  unsigned int events = 0;
  filter->AddObserver(itk::IterationEvent(), [&events](const itk::EventObject &) { ++events; });
  filter->Update();
  // The caller's rho, kept fixed; the filter's lambda and iteration count.
  EXPECT_DOUBLE_EQ(admm->GetCurrentRho(), 7.5);
  EXPECT_EQ(admm->GetIteration(), 30u);
  EXPECT_DOUBLE_EQ(admm->GetLambda(), 1e-2);
  for (const auto & statistics : filter->GetHistory())
  {
    EXPECT_DOUBLE_EQ(statistics.StepOrPenaltyParameter, 7.5);
  }
  EXPECT_EQ(events, 30u);
  // A second update through the same object fires each iteration once (no observer left behind).
  filter->SetLambda(2e-2);
  filter->Update();
  EXPECT_EQ(events, 60u);
  EXPECT_FALSE(admm->HasObserver(itk::IterationEvent()));
  // The enum replaces the object again.
  filter->SetSolver(itk::ConvolutionalSparseCodingEnums::Solver::FISTA);
  filter->Update();
  EXPECT_NE(dynamic_cast<itk::FISTASparseCodingSolver<float> *>(filter->GetSolverObject()), nullptr);
  // nullptr returns to the enum as well.
  filter->SetSolver(admm);
  filter->SetSolver(static_cast<Filter2D::SolverType *>(nullptr));
  filter->Update();
  EXPECT_NE(dynamic_cast<itk::FISTASparseCodingSolver<float> *>(filter->GetSolverObject()), nullptr);
  EXPECT_NE(filter->GetSolverObject(), admm.GetPointer());
}

TEST(SparseCodingSolver, CloneCopiesSettingsButNotTheProblem)
{
  auto fista = itk::FISTASparseCodingSolver<float>::New();
  fista->SetBacktracking(true);
  fista->SetBacktrackingFactor(3.0);
  fista->SetLambda(0.25);
  fista->SetMaximumNumberOfIterations(17);
  auto clone = fista->Clone();
  EXPECT_TRUE(clone->GetBacktracking());
  EXPECT_DOUBLE_EQ(clone->GetBacktrackingFactor(), 3.0);
  EXPECT_DOUBLE_EQ(clone->GetLambda(), 0.25);
  EXPECT_EQ(clone->GetMaximumNumberOfIterations(), 17u);
  EXPECT_EQ(clone->GetOperator(), nullptr);
  auto admm = itk::ADMMSparseCodingSolver<double>::New();
  admm->SetRho(3.0);
  admm->SetRelaxationParameter(1.5);
  admm->SetAutoRhoPeriod(4);
  auto admmClone = admm->Clone();
  EXPECT_DOUBLE_EQ(admmClone->GetRho(), 3.0);
  EXPECT_DOUBLE_EQ(admmClone->GetRelaxationParameter(), 1.5);
  EXPECT_EQ(admmClone->GetAutoRhoPeriod(), 4u);
  // The factory maps every enum value to its solver.
  EXPECT_NE(dynamic_cast<itk::FISTASparseCodingSolver<float> *>(
              itk::CreateSparseCodingSolver<float>(itk::ConvolutionalSparseCodingEnums::Solver::FISTA).GetPointer()),
            nullptr);
  EXPECT_NE(dynamic_cast<itk::ADMMSparseCodingSolver<float> *>(
              itk::CreateSparseCodingSolver<float>(itk::ConvolutionalSparseCodingEnums::Solver::ADMM).GetPointer()),
            nullptr);
}

TEST(ScopedObserver, RemovesItsObserverHoweverTheScopeEnds)
{
  auto object = itk::Object::New();
  int  calls = 0;
  {
    const itk::ScopedObserver observer(*object, itk::IterationEvent(), [&](const itk::EventObject &) { ++calls; });
    EXPECT_TRUE(object->HasObserver(itk::IterationEvent()));
    object->InvokeEvent(itk::IterationEvent());
    object->InvokeEvent(itk::ProgressEvent());
  }
  EXPECT_FALSE(object->HasObserver(itk::IterationEvent()));
  object->InvokeEvent(itk::IterationEvent());
  EXPECT_EQ(calls, 1);

  // A callback that throws (as an abort does) leaves through the scope as well.
  EXPECT_THROW(
    {
      const itk::ScopedObserver observer(
        *object, itk::IterationEvent(), [](const itk::EventObject &) { throw std::runtime_error("stop"); });
      object->InvokeEvent(itk::IterationEvent());
    },
    std::runtime_error);
  EXPECT_FALSE(object->HasObserver(itk::IterationEvent()));
}
