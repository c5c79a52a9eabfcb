# SPDX-License-Identifier: Apache-2.0
# tradpal_add_module(<m> SOURCES ... DEPS <module>... [PUBLIC_LIBS ...] [PRIVATE_LIBS ...])
#   -> library tradpal_<m>, alias tradpal::<m>; public headers in modules/<m>/include.
function(tradpal_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  set(target tradpal_${name})
  add_library(${target} STATIC ${ARG_SOURCES})
  add_library(tradpal::${name} ALIAS ${target})
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_include_directories(${target}
    PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include ${PROJECT_BINARY_DIR}/generated
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  foreach(dep IN LISTS ARG_DEPS)
    target_link_libraries(${target} PUBLIC tradpal::${dep})
  endforeach()
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_LIBS} PRIVATE ${ARG_PRIVATE_LIBS} tradpal_warnings)
  # Every public header must compile on its own.
  file(GLOB_RECURSE headers CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/include/*.hpp)
  target_sources(${target} PUBLIC FILE_SET HEADERS BASE_DIRS ${CMAKE_CURRENT_SOURCE_DIR}/include
                 FILES ${headers})
  set_target_properties(${target} PROPERTIES VERIFY_INTERFACE_HEADER_SETS ON)
endfunction()

# tradpal_add_tests(<m> [LABELS ...] SOURCES ... [LIBS ...]) -> tradpal_<m>_tests, one ctest per TEST.
function(tradpal_add_tests name)
  if(NOT TRADPAL_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;LABELS;LIBS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  set(target tradpal_${name}_tests)
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_LIBS} GTest::gtest_main GTest::gmock tradpal_warnings)
  target_compile_definitions(${target} PRIVATE
    TRADPAL_SHARED_DIR="${TRADPAL_SHARED_DIR}" TRADPAL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gtest_discover_tests(${target} PROPERTIES LABELS "${ARG_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()

# tradpal_add_bench(<m> SOURCES ... [LIBS ...]) -> tradpal_<m>_bench (TRADPAL_BUILD_BENCHMARKS=ON).
function(tradpal_add_bench name)
  if(NOT TRADPAL_BUILD_BENCHMARKS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(tradpal_${name}_bench ${ARG_SOURCES})
  target_link_libraries(tradpal_${name}_bench PRIVATE ${ARG_LIBS} benchmark::benchmark tradpal_warnings)
endfunction()

# tradpal_add_fuzzer(<name> SOURCES ... LIBS ...) -> libFuzzer binary (TRADPAL_BUILD_FUZZERS=ON, clang).
function(tradpal_add_fuzzer name)
  if(NOT TRADPAL_BUILD_FUZZERS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
endfunction()
