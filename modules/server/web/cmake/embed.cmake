# SPDX-License-Identifier: Apache-2.0
# cmake -DINPUT=<file> -DOUTPUT=<file.cpp> -DPATH=<name> -DID=<c identifier> -P embed.cmake
# Writes a C++ source defining the file's bytes as tradpal::server::detail::Embedded <ID>,
# found by web_assets.cpp through the name PATH. Plain CMake: no xxd or other tool needed.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
# 32 bytes per line keeps the generated file readable in an editor and in compiler messages.
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
string(REGEX REPLACE "(('\\\\x[0-9a-f][0-9a-f]',){32})" "\\1\n    " bytes "${bytes}")
set(text "// Generated from ${PATH} by embed.cmake: do not edit.
#include <cstddef>

namespace tradpal::server::detail {

extern const char ${ID}[];
extern const std::size_t ${ID}_size;
// One extra NUL so an empty file still gives a valid array.
const char ${ID}[] = {
    ${bytes}'\\0'};
const std::size_t ${ID}_size = ${size};

}  // namespace tradpal::server::detail
")
file(WRITE "${OUTPUT}.tmp" "${text}")
# Only touch the source when the bytes changed, so an unchanged file is not recompiled.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
