// SPDX-License-Identifier: Apache-2.0
// tradpal._tradpal: the C++ core for the pure-Python package tradpal (modules/python/tradpal).
#include <string>

#include <pybind11/pybind11.h>

#include <tradpal/config.hpp>
#include <tradpal/core/error.hpp>

#include "bindings.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_tradpal, m) {
    m.doc() = "TradPal's C++ core (use the tradpal package, not this module)";
    m.attr("__version__") = TRADPAL_VERSION;
    // Failures caused by the caller's values become the exceptions Python code expects; the rest
    // keep the error code's name in tradpal.Error.
    static py::exception<tradpal::Exception> error(m, "Error", PyExc_RuntimeError);
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) {
                std::rethrow_exception(p);
            }
        } catch (const tradpal::Exception& e) {
            switch (e.code()) {
                case tradpal::ErrorCode::InvalidArgument:
                case tradpal::ErrorCode::ParseError:
                case tradpal::ErrorCode::ValidationFailed:
                    PyErr_SetString(PyExc_ValueError, e.what());
                    return;
                case tradpal::ErrorCode::NotFound:
                    PyErr_SetString(PyExc_LookupError, e.what());
                    return;
                default:
                    error((std::string(tradpal::to_string(e.code())) + ": " + e.what()).c_str());
            }
        }
    });
    tradpal::python::bind_indicators(m);
    tradpal::python::bind_data(m);
    tradpal::python::bind_backtest(m);
}
