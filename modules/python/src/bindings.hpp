// SPDX-License-Identifier: Apache-2.0
// The parts of the extension tradpal._tradpal, one function per area.
#pragma once

#include <pybind11/pybind11.h>

namespace tradpal::python {

void bind_indicators(pybind11::module_& m);
void bind_data(pybind11::module_& m);
void bind_backtest(pybind11::module_& m);

}  // namespace tradpal::python
