# The module's description is the first paragraph of README.md.
get_filename_component(MY_CURRENT_DIR "${CMAKE_CURRENT_LIST_FILE}" PATH)
file(READ "${MY_CURRENT_DIR}/README.md" DOCUMENTATION)
string(REGEX REPLACE "^#[^\n]*\n+" "" DOCUMENTATION "${DOCUMENTATION}")
string(REGEX REPLACE "\n\n.*" "" DOCUMENTATION "${DOCUMENTATION}")

# Tests (and the evaluation baseline LoGSourceDetector) live in Testing/ and Examples/, which ITK does not scan as a test module, so their
# dependencies are compile dependencies while testing is on.
set(_csc_test_deps ITKTestKernel ITKGoogleTest ITKConvolution ITKIOMeta ITKIOPNG ITKIONRRD ITKIONIFTI ITKIOTIFF
  ITKIOJPEG ITKIOBMP ITKIOGIPL ITKIOVTK
  ITKSmoothing ITKImageFeature)
if(BUILD_TESTING AND (CSC_BUILD_CXX_TESTS OR NOT DEFINED CSC_BUILD_CXX_TESTS))
  set(_csc_compile_deps ${_csc_test_deps})
else()
  set(_csc_test_deps "")
endif()

itk_module(ConvolutionalSparseCoding
  DEPENDS
    ITKCommon
    ITKFFT
    ITKIOImageBase
  COMPILE_DEPENDS
    ${_csc_compile_deps}
  TEST_DEPENDS
    ${_csc_test_deps}
  DESCRIPTION
    "${DOCUMENTATION}"
  EXCLUDE_FROM_DEFAULT
)
