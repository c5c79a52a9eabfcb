// SPDX-License-Identifier: Apache-2.0
// Indicators: the registry's table, and one callable object per indicator that computes on numpy
// arrays without copying contiguous float64 input and without holding the GIL.
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <tradpal/indicators/registry.hpp>

#include "bindings.hpp"

namespace tradpal::python {
namespace {

namespace py = pybind11;
namespace ind = tradpal::indicators;

using Column = py::array_t<double, py::array::c_style>;
using TimeColumn = py::array_t<std::int64_t, py::array::c_style>;

constexpr std::array<std::pair<unsigned, const char*>, 6> kFields = {{{ind::kOpen, "open"},
                                                                      {ind::kHigh, "high"},
                                                                      {ind::kLow, "low"},
                                                                      {ind::kClose, "close"},
                                                                      {ind::kVolume, "volume"},
                                                                      {ind::kTime, "time"}}};

/// A numeric 1-d input as a contiguous array of T: the caller's own memory when it already is
/// one, a converted copy otherwise. Throws TypeError or ValueError naming the input.
template <class T>
py::array_t<T, py::array::c_style> as_column(py::handle obj, std::string_view indicator,
                                             const char* field) {
    using Exact = py::array_t<T, py::array::c_style>;
    py::array a;
    if (py::isinstance<Exact>(obj)) {
        a = py::reinterpret_borrow<py::array>(obj);
    } else {
        a = py::array::ensure(obj);
        if (!a) {
            PyErr_Clear();
            throw py::type_error(
                fmt::format("{}: {} must be an array of numbers, not {}", indicator, field,
                            std::string(py::str(py::type::of(obj).attr("__name__")))));
        }
        const char kind = a.dtype().kind();
        const bool numeric = kind == 'b' || kind == 'i' || kind == 'u' || kind == 'f';
        const bool time = kind == 'M' && std::is_same_v<T, std::int64_t>;
        if (!numeric && !time) {
            throw py::type_error(fmt::format("{}: {} must hold numbers, not dtype {}", indicator,
                                             field, std::string(py::str(a.dtype()))));
        }
        if (time) {
            a = a.attr("astype")("datetime64[ns]").attr("view")("int64");
        }
    }
    if (a.ndim() != 1) {
        throw py::value_error(fmt::format("{}: {} must be one-dimensional, got shape {}", indicator,
                                          field, std::string(py::str(a.attr("shape")))));
    }
    return Exact::ensure(a);
}

/// The value of parameter `p` from a Python object, checked against its range.
double param_value(const ind::IndicatorInfo& info, const ind::ParamInfo& p, py::handle value) {
    const auto bad = [&](const std::string& got) {
        if (p.kind == ind::ParamKind::Ma) {
            return py::value_error(fmt::format(
                "{}: {} must be a moving-average type (sma, ema, wma, dema, tema, trima, kama, "
                "t3, or TA-Lib's number), got {}",
                info.name, p.name, got));
        }
        return py::value_error(fmt::format(
            "{}: {} must be {} from {} to {}, got {}", info.name, p.name,
            p.kind == ind::ParamKind::Integer ? "an integer" : "a number", p.min, p.max, got));
    };
    const std::string shown = py::repr(value);
    if (p.kind == ind::ParamKind::Ma && py::isinstance<py::str>(value)) {
        auto type = ind::parse_ma_type(value.cast<std::string>());
        if (!type) {
            throw bad(shown);
        }
        return static_cast<double>(static_cast<int>(*type));
    }
    if (py::isinstance<py::bool_>(value) || !PyNumber_Check(value.ptr()) ||
        py::isinstance<py::str>(value)) {
        throw py::type_error(
            fmt::format("{}: {} must be a number, not {}", info.name, p.name,
                        std::string(py::str(py::type::of(value).attr("__name__")))));
    }
    const double v = py::reinterpret_borrow<py::object>(value).cast<double>();
    if (p.kind == ind::ParamKind::Ma) {
        if (v != std::floor(v) || v < 0 || v > 8 || v == 7) {
            throw bad(shown);
        }
        return v;
    }
    if (!std::isfinite(v) || v < p.min || v > p.max ||
        (p.kind == ind::ParamKind::Integer && v != std::floor(v))) {
        throw bad(shown);
    }
    return v;
}

/// One registry indicator, called from Python with its input columns and parameter values.
class Indicator {
public:
    explicit Indicator(const ind::IndicatorInfo& info) : info_(&info) {}

    const ind::IndicatorInfo& info() const { return *info_; }

    /// `columns`: the inputs the indicator reads, in the order open, high, low, close, volume,
    /// time; `params`: every parameter's value in declaration order.
    py::object compute(const py::tuple& columns, const py::tuple& params,
                       const py::object& out) const {
        const ind::IndicatorInfo& info = *info_;
        if (params.size() != info.params.size()) {
            throw py::value_error(fmt::format("{} takes {} parameters, got {}", info.name,
                                              info.params.size(), params.size()));
        }
        ind::Params values;
        values.count = info.params.size();
        for (std::size_t i = 0; i < values.count; ++i) {
            values.v[i] = param_value(info, info.params[i], params[i]);
        }
        if (info.check != nullptr) {
            if (auto r = info.check(values); !r) {
                throw py::value_error(r.error().message);
            }
        }
        // The arrays below keep the input memory alive while the GIL is released.
        std::vector<Column> held;
        TimeColumn time;
        ind::Inputs in;
        std::size_t next = 0;
        std::size_t n = 0;
        for (const auto& [bit, field] : kFields) {
            if ((info.inputs & bit) == 0) {
                continue;
            }
            if (next >= columns.size()) {
                throw py::value_error(fmt::format("{}: missing input {}", info.name, field));
            }
            const py::handle obj = columns[next++];
            std::size_t size = 0;
            if (bit == ind::kTime) {
                time = as_column<std::int64_t>(obj, info.name, field);
                in.ts = {time.data(), static_cast<std::size_t>(time.size())};
                size = in.ts.size();
            } else {
                const Column& c = held.emplace_back(as_column<double>(obj, info.name, field));
                const std::span<const double> span(c.data(), static_cast<std::size_t>(c.size()));
                size = span.size();
                switch (bit) {
                    case ind::kOpen:
                        in.open = span;
                        break;
                    case ind::kHigh:
                        in.high = span;
                        break;
                    case ind::kLow:
                        in.low = span;
                        break;
                    case ind::kClose:
                        in.close = span;
                        break;
                    default:
                        in.volume = span;
                        break;
                }
            }
            if (next == 1) {
                n = size;
            } else if (size != n) {
                throw py::value_error(
                    fmt::format("{}: input {} has {} values, the first input has {}", info.name,
                                field, size, n));
            }
        }
        if (next != columns.size()) {
            throw py::value_error(
                fmt::format("{} takes {} input arrays, got {}", info.name, next, columns.size()));
        }
        if (in.close.empty() && n > 0) {
            // The registry sizes its outputs by close; indicators without close (e.g. high/low
            // ones) get a view of their first input in its place.
            in.close = !in.high.empty() ? in.high : in.volume;
        }
        std::vector<py::array_t<double>> outputs;
        std::vector<std::span<double>> spans;
        if (out.is_none()) {
            for (std::size_t o = 0; o < info.outputs.size(); ++o) {
                auto& column = outputs.emplace_back(static_cast<py::ssize_t>(n));
                spans.emplace_back(column.mutable_data(), n);
            }
        } else {
            // Caller-owned outputs (reused between calls: no allocation, no page faults).
            const py::tuple given = info.outputs.size() == 1 && !py::isinstance<py::tuple>(out)
                                        ? py::make_tuple(out)
                                        : out.cast<py::tuple>();
            if (given.size() != info.outputs.size()) {
                throw py::value_error(fmt::format("{}: out must hold {} arrays, got {}", info.name,
                                                  info.outputs.size(), given.size()));
            }
            for (const py::handle h : given) {
                using Writable = py::array_t<double, py::array::c_style>;
                if (!py::isinstance<Writable>(h) ||
                    !py::reinterpret_borrow<py::array>(h).writeable() ||
                    py::reinterpret_borrow<py::array>(h).ndim() != 1 ||
                    static_cast<std::size_t>(py::reinterpret_borrow<py::array>(h).size()) != n) {
                    throw py::value_error(fmt::format(
                        "{}: out must be writable contiguous float64 arrays of {} values",
                        info.name, n));
                }
                auto& column = outputs.emplace_back(py::reinterpret_borrow<Writable>(h));
                spans.emplace_back(column.mutable_data(), n);
            }
        }
        const ind::Spec spec(info, values);
        {
            py::gil_scoped_release unlocked;
            spec.compute(in, spans);
        }
        if (outputs.size() == 1) {
            return std::move(outputs.front());
        }
        py::tuple result(outputs.size());
        for (std::size_t o = 0; o < outputs.size(); ++o) {
            result[o] = std::move(outputs[o]);
        }
        return result;
    }

private:
    const ind::IndicatorInfo* info_;
};

const char* kind_name(ind::ParamKind kind) {
    switch (kind) {
        case ind::ParamKind::Integer:
            return "int";
        case ind::ParamKind::Real:
            return "float";
        case ind::ParamKind::Ma:
            break;
    }
    return "ma";
}

py::dict describe(const ind::IndicatorInfo& info) {
    py::list inputs;
    for (const auto& [bit, field] : kFields) {
        if ((info.inputs & bit) != 0) {
            inputs.append(field);
        }
    }
    py::list params;
    for (const ind::ParamInfo& p : info.params) {
        params.append(
            py::dict(py::arg("name") = std::string(p.name), py::arg("kind") = kind_name(p.kind),
                     py::arg("default") = p.default_value, py::arg("min") = p.min,
                     py::arg("max") = p.max, py::arg("description") = std::string(p.description)));
    }
    py::list outputs;
    for (std::string_view o : info.outputs) {
        outputs.append(std::string(o));
    }
    return py::dict(
        py::arg("name") = std::string(info.name), py::arg("title") = std::string(info.title),
        py::arg("group") = std::string(info.group), py::arg("inputs") = inputs,
        py::arg("params") = params, py::arg("outputs") = outputs, py::arg("talib") = info.talib,
        py::arg("golden") = std::string(info.golden), py::arg("tolerance") = info.tolerance);
}

}  // namespace

void bind_indicators(py::module_& m) {
    py::class_<Indicator>(m, "Indicator")
        .def_property_readonly("name",
                               [](const Indicator& i) { return std::string(i.info().name); })
        .def("compute", &Indicator::compute, py::arg("columns"), py::arg("params"),
             py::arg("out") = py::none(),
             "Computes on the input columns with the parameter values (in declaration order)");
    m.def(
        "indicator_table",
        [] {
            py::list table;
            for (const ind::IndicatorInfo& info : ind::all_indicators()) {
                table.append(describe(info));
            }
            return table;
        },
        "Every registry indicator: name, title, group, inputs, params, outputs, talib");
    m.def(
        "indicator",
        [](const std::string& name) {
            const ind::IndicatorInfo* info = ind::find_indicator(name);
            if (info == nullptr) {
                throw py::value_error(fmt::format("unknown indicator '{}'", name));
            }
            return Indicator(*info);
        },
        py::arg("name"));
}

}  // namespace tradpal::python
