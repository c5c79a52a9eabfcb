# SPDX-License-Identifier: Apache-2.0
# Every dependency comes from a Debian package (scripts/setup.sh installs them). Optional parts follow
# TRADPAL_WITH_<X> = AUTO (use if found) | ON (required) | OFF (skip) and end as TRADPAL_HAS_<X>.
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
if(TRADPAL_FULL_BUILD)
  find_package(CLI11 REQUIRED)
  find_package(tomlplusplus REQUIRED)
  find_package(ZLIB REQUIRED)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
  find_path(FAST_FLOAT_INCLUDE_DIR fast_float/fast_float.h REQUIRED)  # libfast-float-dev
  # Data sources: HTTP (libcurl4-openssl-dev) and JSON bodies (libsimdjson-dev).
  find_package(CURL REQUIRED)
  find_package(simdjson REQUIRED)
  # HTTP (libcpp-httplib-dev): the server module, and fake API servers in the data sources' tests.
  pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
  # Cache values: compression (libzstd-dev, liblz4-dev).
  pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
  pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4)
else()
  # A subset (TRADPAL_MODULES) needs none of the above; settings files only if toml++ is there.
  find_package(tomlplusplus QUIET)
endif()
set(TRADPAL_HAS_TOML ${tomlplusplus_FOUND})
# Parallel loops; without OpenMP they run on one thread.
find_package(OpenMP COMPONENTS CXX)
if(OpenMP_CXX_FOUND)
  set(TRADPAL_OPENMP OpenMP::OpenMP_CXX)
else()
  message(STATUS "tradpal: OpenMP not found, parallel loops run on one thread")
  set(TRADPAL_OPENMP)
endif()

# _tradpal_optional(<NAME> <found-variable> <what>) sets TRADPAL_HAS_<NAME> and prints one line.
macro(_tradpal_optional name found what)
  if(TRADPAL_WITH_${name} STREQUAL "OFF")
    set(TRADPAL_HAS_${name} OFF)
    message(STATUS "tradpal: ${what}: off (TRADPAL_WITH_${name}=OFF)")
  elseif(${found})
    set(TRADPAL_HAS_${name} ON)
    message(STATUS "tradpal: ${what}: found")
  elseif(TRADPAL_WITH_${name} STREQUAL "ON")
    message(FATAL_ERROR "tradpal: ${what} requested (TRADPAL_WITH_${name}=ON) but not found")
  else()
    set(TRADPAL_HAS_${name} OFF)
    message(STATUS "tradpal: ${what}: not found, building without it")
  endif()
endmacro()

if(NOT TRADPAL_FULL_BUILD)
  # Optional parts used only by modules outside the subset.
  foreach(part HDF5 REDIS MPI)
    set(TRADPAL_WITH_${part} OFF)
  endforeach()
endif()

if(NOT TRADPAL_WITH_HDF5 STREQUAL "OFF")
  find_package(HDF5 QUIET COMPONENTS C)
endif()
_tradpal_optional(HDF5 HDF5_FOUND "HDF5 export")

if(NOT TRADPAL_WITH_REDIS STREQUAL "OFF")
  pkg_check_modules(HIREDIS QUIET IMPORTED_TARGET hiredis)
endif()
_tradpal_optional(REDIS HIREDIS_FOUND "Redis (hiredis)")

if(NOT TRADPAL_WITH_MPI STREQUAL "OFF")
  find_package(MPI QUIET COMPONENTS CXX)
endif()
_tradpal_optional(MPI MPI_CXX_FOUND "MPI")

if(NOT TRADPAL_WITH_CUDA STREQUAL "OFF")
  # The toolkit lives at /usr/local/cuda on our machines; nvcc need not be on PATH.
  if(NOT DEFINED CUDAToolkit_ROOT AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CUDAToolkit_ROOT /usr/local/cuda)
  endif()
  find_package(CUDAToolkit QUIET)
endif()
_tradpal_optional(CUDA CUDAToolkit_FOUND "CUDA toolkit")

if(NOT TRADPAL_WITH_TORCH STREQUAL "OFF")
  find_package(Torch QUIET)
endif()
_tradpal_optional(TORCH TORCH_FOUND "libtorch")

# Python bindings (modules/python): the full build only, as they bind data, backtest and research.
# Debian's interpreter is the one with numpy, pandas and pytest; another python3 on PATH must not
# be picked up, so /usr/bin/python3 is the default unless Python3_EXECUTABLE says otherwise.
if(NOT TRADPAL_FULL_BUILD)
  set(TRADPAL_HAS_PYTHON OFF)
  message(STATUS "tradpal: Python bindings: off (a subset build)")
else()
  if(NOT TRADPAL_WITH_PYTHON STREQUAL "OFF")
    if(NOT Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
      set(Python3_EXECUTABLE /usr/bin/python3)
    endif()
    find_package(Python3 QUIET COMPONENTS Interpreter Development.Module)
    if(Python3_FOUND)
      find_package(pybind11 CONFIG QUIET)
    endif()
  endif()
  _tradpal_optional(PYTHON pybind11_FOUND "Python bindings (pybind11)")
endif()

if(TRADPAL_BUILD_TESTS)
  find_package(GTest QUIET)
  if(NOT GTest_FOUND)
    message(STATUS "tradpal: GoogleTest not found, tests off")
    set(TRADPAL_BUILD_TESTS OFF)
  endif()
endif()
if(TRADPAL_BUILD_BENCHMARKS)
  find_package(benchmark QUIET)
  if(NOT benchmark_FOUND)
    message(STATUS "tradpal: Google Benchmark not found, benchmarks off")
    set(TRADPAL_BUILD_BENCHMARKS OFF)
  endif()
endif()
