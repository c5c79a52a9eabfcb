// SPDX-License-Identifier: Apache-2.0
// The bar store: list, read (numpy views of the mapped column files) and CSV import.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <tradpal/data/import.hpp>
#include <tradpal/data/store.hpp>

#include "bindings.hpp"

namespace tradpal::python {
namespace {

namespace py = pybind11;

py::dict describe(const data::SeriesMeta& meta) {
    return py::dict(py::arg("source") = meta.key.source, py::arg("symbol") = meta.key.symbol,
                    py::arg("timeframe") = meta.key.timeframe.to_string(),
                    py::arg("rows") = meta.rows,
                    py::arg("first_ns") = meta.rows > 0 ? py::object(py::int_(meta.first.ns()))
                                                        : py::object(py::none()),
                    py::arg("last_ns") = meta.rows > 0 ? py::object(py::int_(meta.last.ns()))
                                                       : py::object(py::none()),
                    py::arg("origin") = meta.origin);
}

/// A read-only array over `values`, owned by `owner` (the mapped series).
template <class T>
py::array view_of(std::span<const T> values, const py::object& owner) {
    py::array_t<T> a(static_cast<py::ssize_t>(values.size()), values.data(), owner);
    a.attr("setflags")(py::arg("write") = false);
    return a;
}

/// Columns of the stored series `symbol` with start <= ts <= end: numpy arrays over the
/// mapping, which a capsule in each array's base keeps open.
py::dict read_series(const data::Store& store, const std::string& symbol,
                     const std::optional<std::string>& timeframe,
                     const std::optional<std::string>& source, std::optional<std::int64_t> start,
                     std::optional<std::int64_t> end) {
    std::optional<Timeframe> tf;
    if (timeframe) {
        tf = Timeframe::parse(*timeframe).value();
    }
    const data::SeriesKey key = store.resolve(symbol, tf, source).value();
    auto series = std::make_unique<data::StoredSeries>(store.open(key).value());
    const BarSeriesView rows =
        series->between(Timestamp(start.value_or(INT64_MIN)),
                        Timestamp(end && *end < INT64_MAX ? *end + 1 : INT64_MAX));
    py::dict out = describe(series->meta());
    const py::capsule owner(series.release(),
                            [](void* p) { delete static_cast<data::StoredSeries*>(p); });
    out["ts"] = view_of(rows.ts(), owner);
    out["open"] = view_of(rows.open(), owner);
    out["high"] = view_of(rows.high(), owner);
    out["low"] = view_of(rows.low(), owner);
    out["close"] = view_of(rows.close(), owner);
    out["volume"] = view_of(rows.volume(), owner);
    return out;
}

py::dict import_file(const data::Store& store, const std::filesystem::path& path,
                     const std::string& symbol, const std::string& timeframe,
                     const std::string& source, const std::string& format, bool replace, bool fix) {
    data::ImportOptions options;
    options.csv.format = data::parse_csv_format(format).value();
    options.fix = fix;
    options.mode = replace ? data::ImportMode::Replace : data::ImportMode::Append;
    const data::SeriesKey key{source, symbol, Timeframe::parse(timeframe).value()};
    data::ImportReport report;
    {
        py::gil_scoped_release unlocked;
        report = data::import_csv(store, key, path, options);
    }
    py::dict out = describe(report.meta);
    out["rows_written"] = report.rows_written;
    out["already_stored"] = report.already_stored;
    out["format"] = std::string(data::to_string(report.layout.format));
    return out;
}

}  // namespace

void bind_data(py::module_& m) {
    py::class_<data::Store>(m, "Store")
        .def(py::init<std::filesystem::path>(), py::arg("root"))
        .def_property_readonly("root", &data::Store::root)
        .def("list",
             [](const data::Store& store) {
                 py::list out;
                 for (const data::SeriesMeta& meta : store.list()) {
                     out.append(describe(meta));
                 }
                 return out;
             })
        .def("read", &read_series, py::arg("symbol"), py::arg("timeframe") = py::none(),
             py::arg("source") = py::none(), py::arg("start") = py::none(),
             py::arg("end") = py::none())
        .def("import_csv", &import_file, py::arg("path"), py::arg("symbol"), py::arg("timeframe"),
             py::arg("source") = "csv", py::arg("format") = "auto", py::arg("replace") = false,
             py::arg("fix") = false);
}

}  // namespace tradpal::python
