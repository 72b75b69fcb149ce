# Adds the Python wrapping (Wrapping/CMakeLists.txt) through ITK's wrapping infrastructure, for a
# build against an ITK build tree with ITK_WRAP_PYTHON on.
#
# ITK's macros look for a lowercase wrapping/ folder at the module root; ours is Wrapping/. A
# one-line forwarder in the build tree stands in for it while ITK's wrapping runs.
set(_csc_wrapping_dir "${CMAKE_CURRENT_LIST_DIR}")
function(csc_add_python_wrapping)
  if(NOT EXISTS "${ITK_CMAKE_DIR}/../Wrapping/CMakeLists.txt")
    message(FATAL_ERROR "ITK_WRAP_PYTHON is on but ${ITK_CMAKE_DIR}/../Wrapping is missing: "
      "configure against an ITK build tree built with ITK_WRAP_PYTHON=ON")
  endif()
  set(forwarder "${CMAKE_BINARY_DIR}/WrappingForwarder")
  file(WRITE "${forwarder}/wrapping/CMakeLists.txt"
    "add_subdirectory(\"${_csc_wrapping_dir}\" \"\${CMAKE_CURRENT_BINARY_DIR}/Wrapping\")\n")
  set(ConvolutionalSparseCoding_SOURCE_DIR "${forwarder}")
  # CastXML parses the headers with the C++11 flag of ITK 5.2; this module needs C++17. Its clang
  # has no sized deallocation, which GCC 12's C++17 library headers then call: off for CastXML.
  set(CMAKE_CXX11_STANDARD_COMPILE_OPTION "-std=c++17 -fno-sized-deallocation")
  set(CMAKE_CXX11_EXTENSION_COMPILE_OPTION "-std=gnu++17 -fno-sized-deallocation")
  set(EXTERNAL_WRAP_ITK_PROJECT ON)
  set(WRAP_ITK_CMAKE_DIR "${ITK_CMAKE_DIR}/../Wrapping")
  include("${WRAP_ITK_CMAKE_DIR}/TypedefMacros.cmake")
  add_subdirectory("${ITK_CMAKE_DIR}/../Wrapping" "${CMAKE_BINARY_DIR}/Wrapping")
endfunction()
