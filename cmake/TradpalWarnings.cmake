# SPDX-License-Identifier: Apache-2.0
# Warnings live on one INTERFACE target that every tradpal target links PRIVATE.
add_library(tradpal_warnings INTERFACE)
# (The C++ flags for the C++ compiler; nvcc's own warnings, such as a host function called
# from device code, are errors in CI too.)
target_compile_options(tradpal_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough
  $<$<BOOL:${TRADPAL_WERROR}>:-Werror>>
  $<$<AND:$<COMPILE_LANGUAGE:CUDA>,$<BOOL:${TRADPAL_WERROR}>>:--Werror=all-warnings>)

# Sanitizers apply to every target (third-party headers included) so ASan sees all allocations.
if(TRADPAL_SANITIZE)
  add_compile_options(
    "$<$<COMPILE_LANGUAGE:C,CXX>:-fsanitize=address,undefined;-fno-omit-frame-pointer;-fno-sanitize-recover=undefined>")
  add_link_options(-fsanitize=address,undefined)
endif()
