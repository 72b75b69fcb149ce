# cmake --install: the headers, the command-line tools and a CMake package, so that an outside
# project can find_package(ConvolutionalSparseCoding) and link ConvolutionalSparseCoding::ConvolutionalSparseCoding
# (Examples/Standalone is such a project, built by a test against the installed tree).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
set(CSC_VERSION 0.1.0)
set(CSC_INSTALL_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/ConvolutionalSparseCoding")
set(CSC_INSTALL_INCLUDE_DIR "${CMAKE_INSTALL_INCLUDEDIR}/ConvolutionalSparseCoding")

# The installed target carries the headers and C++17; its Config adds ITK and FFTW, found on
# the user's machine.
# (The build's own name differs: ConvolutionalSparseCoding is also the coding tool's name.)
add_library(ConvolutionalSparseCodingPackage INTERFACE)
set_target_properties(ConvolutionalSparseCodingPackage PROPERTIES EXPORT_NAME ConvolutionalSparseCoding)
target_include_directories(ConvolutionalSparseCodingPackage INTERFACE $<INSTALL_INTERFACE:${CSC_INSTALL_INCLUDE_DIR}>)
target_compile_features(ConvolutionalSparseCodingPackage INTERFACE cxx_std_17)
install(TARGETS ConvolutionalSparseCodingPackage EXPORT ConvolutionalSparseCodingTargets)
install(EXPORT ConvolutionalSparseCodingTargets NAMESPACE ConvolutionalSparseCoding::
  DESTINATION "${CSC_INSTALL_CMAKE_DIR}")
install(DIRECTORY "${CMAKE_CURRENT_LIST_DIR}/include/" DESTINATION "${CSC_INSTALL_INCLUDE_DIR}"
  FILES_MATCHING PATTERN "*.h" PATTERN "*.hxx")

configure_package_config_file("${CMAKE_CURRENT_LIST_DIR}/ConvolutionalSparseCodingConfig.cmake.in"
  "${CMAKE_CURRENT_BINARY_DIR}/ConvolutionalSparseCodingConfig.cmake"
  INSTALL_DESTINATION "${CSC_INSTALL_CMAKE_DIR}")
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/ConvolutionalSparseCodingConfigVersion.cmake"
  VERSION ${CSC_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/ConvolutionalSparseCodingConfig.cmake"
  "${CMAKE_CURRENT_BINARY_DIR}/ConvolutionalSparseCodingConfigVersion.cmake"
  DESTINATION "${CSC_INSTALL_CMAKE_DIR}")
