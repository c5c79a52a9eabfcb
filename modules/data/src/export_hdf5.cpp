// SPDX-License-Identifier: Apache-2.0
#include <tradpal/config.hpp>
#include <tradpal/data/export.hpp>

#if TRADPAL_HAS_HDF5
#include <hdf5.h>

#include <tradpal/core/output.hpp>
#endif

#include <algorithm>
#include <array>
#include <memory>
#include <vector>

#include <fmt/format.h>

namespace tradpal::data {

#if TRADPAL_HAS_HDF5
namespace {

// Owns an HDF5 handle and closes it with the matching function.
class Handle {
public:
    Handle(hid_t id, herr_t (*close)(hid_t), const char* what) : id_(id), close_(close) {
        if (id_ < 0) {
            throw Exception(ErrorCode::IoError, fmt::format("HDF5: cannot {}", what));
        }
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() { close_(id_); }
    hid_t get() const noexcept { return id_; }

private:
    hid_t id_;
    herr_t (*close_)(hid_t);
};

void check(herr_t status, const char* what) {
    if (status < 0) {
        throw Exception(ErrorCode::IoError, fmt::format("HDF5: cannot {}", what));
    }
}

void write_string_attribute(hid_t object, const char* name, const std::string& value) {
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose, "create a string type");
    check(H5Tset_size(type.get(), std::max<std::size_t>(value.size(), 1)), "size a string type");
    Handle space(H5Screate(H5S_SCALAR), H5Sclose, "create a scalar space");
    Handle attr(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                H5Aclose, "create an attribute");
    check(H5Awrite(attr.get(), type.get(), value.c_str()), "write an attribute");
}

}  // namespace

bool hdf5_available() noexcept {
    return true;
}

std::uint64_t export_hdf5(const StoredSeries& series, const BarSeriesView& rows,
                          const std::filesystem::path& out, const ExportOptions& options) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become exceptions, not stderr noise
    AtomicOutput target(out);
    {  // the file is closed before it is renamed
        Handle file(H5Fcreate(target.temp_path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                    H5Fclose, "create the output file");
        const SeriesMeta& meta = series.meta();
        Handle root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose, "open the root group");
        write_string_attribute(root.get(), "symbol", meta.key.symbol);
        write_string_attribute(root.get(), "timeframe", meta.key.timeframe.to_string());
        write_string_attribute(root.get(), "source", meta.key.source);
        write_string_attribute(root.get(), "timestamp_unit", "ns since 1970-01-01 UTC");

        const auto n = static_cast<hsize_t>(rows.size());
        const hsize_t chunk = std::max<hsize_t>(1, std::min<hsize_t>(n, 65'536));
        Handle plist(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "create dataset properties");
        check(H5Pset_chunk(plist.get(), 1, &chunk), "set the chunk size");
        Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose, "create a dataspace");
        constexpr std::array<const char*, 6> kNames = {"timestamp", "open",  "high",
                                                       "low",       "close", "volume"};
        std::vector<std::unique_ptr<Handle>> datasets;
        for (std::size_t c = 0; c < kNames.size(); ++c) {
            datasets.push_back(std::make_unique<Handle>(
                H5Dcreate2(file.get(), kNames[c], c == 0 ? H5T_STD_I64LE : H5T_IEEE_F64LE,
                           space.get(), H5P_DEFAULT, plist.get(), H5P_DEFAULT),
                H5Dclose, "create a dataset"));
        }
        series.for_each_chunk(
            rows, options.chunk_rows, [&](const BarSeriesView& part, std::uint64_t) {
                const auto offset = static_cast<hsize_t>(part.ts().data() - rows.ts().data());
                const auto count = static_cast<hsize_t>(part.size());
                Handle memory(H5Screate_simple(1, &count, nullptr), H5Sclose, "create a dataspace");
                const std::array<const void*, 6> columns = {
                    part.ts().data(),  part.open().data(),  part.high().data(),
                    part.low().data(), part.close().data(), part.volume().data()};
                for (std::size_t c = 0; c < kNames.size(); ++c) {
                    Handle file_space(H5Dget_space(datasets[c]->get()), H5Sclose,
                                      "get a dataspace");
                    check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &offset, nullptr,
                                              &count, nullptr),
                          "select rows");
                    check(
                        H5Dwrite(datasets[c]->get(), c == 0 ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE,
                                 memory.get(), file_space.get(), H5P_DEFAULT, columns[c]),
                        "write rows");
                }
                if (options.progress) {
                    options.progress(offset + count, n);
                }
            });
    }
    target.commit();
    return rows.size();
}

#else

bool hdf5_available() noexcept {
    return false;
}

std::uint64_t export_hdf5(const StoredSeries&, const BarSeriesView&, const std::filesystem::path&,
                          const ExportOptions&) {
    throw Exception(ErrorCode::Unavailable,
                    "HDF5 export is not built in: install libhdf5-dev (scripts/setup.sh does) and "
                    "rebuild with -DTRADPAL_WITH_HDF5=AUTO");
}

#endif

}  // namespace tradpal::data
