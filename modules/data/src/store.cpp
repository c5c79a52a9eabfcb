// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cctype>
#include <cstring>
#include <tuple>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <xxhash.h>

#include <tradpal/data/store.hpp>

namespace tradpal::data {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kSchemaVersion = 1;
constexpr std::size_t kCopyRows = 65'536;  // rows moved per step when rewriting files

std::string column_file(std::size_t column, std::uint64_t generation) {
    return fmt::format("{}.g{}.{}", kColumnNames[column], generation, column == 0 ? "i64" : "f64");
}

std::string hex64(std::uint64_t v) {
    return fmt::format("{:016x}", v);
}

// ---- meta.json

std::string encode_meta(const SeriesMeta& m) {
    json columns = json::array();
    json blocks = json::object();
    for (std::size_t c = 0; c < kColumnNames.size(); ++c) {
        columns.push_back({{"name", kColumnNames[c]},
                           {"dtype", c == 0 ? "int64" : "float64"},
                           {"file", column_file(c, m.generation)}});
        json list = json::array();
        if (auto it = m.checksums.find(kColumnNames[c]); it != m.checksums.end()) {
            for (std::uint64_t h : it->second) {
                list.push_back(hex64(h));
            }
        }
        blocks[std::string(kColumnNames[c])] = std::move(list);
    }
    json j = {{"format", "tradpal-series"},
              {"schema_version", kSchemaVersion},
              {"source", m.key.source},
              {"symbol", m.key.symbol},
              {"timeframe", m.key.timeframe.to_string()},
              {"rows", m.rows},
              {"first", m.rows > 0 ? format_iso(m.first) : ""},
              {"last", m.rows > 0 ? format_iso(m.last) : ""},
              {"first_ns", m.first.ns()},
              {"last_ns", m.last.ns()},
              {"generation", m.generation},
              {"version", m.version},
              {"origin", m.origin},
              {"byte_order", "little"},
              {"columns", columns},
              {"checksum",
               {{"algorithm", "xxh3_64"}, {"block_rows", kChecksumBlockRows}, {"blocks", blocks}}}};
    return j.dump(2) + "\n";
}

Result<SeriesMeta> decode_meta(const std::string& text, const fs::path& path) {
    const auto corrupt = [&](const std::string& why) {
        return fail(ErrorCode::Corrupt, fmt::format("{} is damaged: {}", path.string(), why));
    };
    try {
        const json j = json::parse(text);
        const int schema = j.at("schema_version").get<int>();
        if (schema > kSchemaVersion) {
            return fail(ErrorCode::Unavailable,
                        fmt::format("{} has schema version {}; this TradPal reads up to {}",
                                    path.string(), schema, kSchemaVersion));
        }
        SeriesMeta m;
        auto tf = Timeframe::parse(j.at("timeframe").get<std::string>());
        if (!tf) {
            return corrupt(tf.error().message);
        }
        m.key = {j.at("source").get<std::string>(), j.at("symbol").get<std::string>(), *tf};
        m.rows = j.at("rows").get<std::uint64_t>();
        m.first = Timestamp(j.at("first_ns").get<std::int64_t>());
        m.last = Timestamp(j.at("last_ns").get<std::int64_t>());
        m.generation = j.at("generation").get<std::uint64_t>();
        m.version = j.at("version").get<std::uint64_t>();
        m.origin = j.value("origin", "");
        const json& blocks = j.at("checksum").at("blocks");
        const std::uint64_t expected_blocks =
            (m.rows + kChecksumBlockRows - 1) / kChecksumBlockRows;
        for (std::string_view name : kColumnNames) {
            std::vector<std::uint64_t> hashes;
            for (const auto& h : blocks.at(std::string(name))) {
                hashes.push_back(std::stoull(h.get<std::string>(), nullptr, 16));
            }
            if (hashes.size() != expected_blocks) {
                return corrupt(fmt::format("{} checksums for column {}, {} expected", hashes.size(),
                                           name, expected_blocks));
            }
            m.checksums.emplace(std::string(name), std::move(hashes));
        }
        return m;
    } catch (const std::exception& e) {
        return corrupt(e.what());
    }
}

Result<SeriesMeta> load_meta(const fs::path& dir) {
    const fs::path path = dir / "meta.json";
    auto text = read_text_file(path);
    if (!text) {
        return std::move(text).error();
    }
    return decode_meta(*text, path);
}

std::uint64_t hash_block(std::span<const std::byte> bytes) {
    return XXH3_64bits(bytes.data(), bytes.size());
}

// The checksum of block `block` of a mapped column of `rows` rows; the block's pages are then
// released so hashing a large series keeps a small resident set.
std::uint64_t hash_column_block(const MappedFile& map, std::uint64_t block, std::uint64_t rows) {
    const std::uint64_t begin = block * kChecksumBlockRows;
    const std::uint64_t count = std::min(kChecksumBlockRows, rows - begin);
    const auto bytes = map.bytes().subspan(begin * 8, count * 8);
    const std::uint64_t h = hash_block(bytes);
    map.release(begin * 8, count * 8);
    return h;
}

}  // namespace

// ---- names

std::string data_version(const SeriesMeta& meta) {
    XXH3_state_t* state = XXH3_createState();
    XXH3_64bits_reset(state);
    for (const auto& [column, sums] : meta.checksums) {
        XXH3_64bits_update(state, column.data(), column.size());
        XXH3_64bits_update(state, sums.data(), sums.size() * sizeof(std::uint64_t));
    }
    const std::uint64_t checksums = XXH3_64bits_digest(state);
    XXH3_freeState(state);
    return fmt::format("{}|rows={}|first={}|last={}|version={}|checksums={:016x}",
                       meta.key.to_string(), meta.rows, meta.first.ns(), meta.last.ns(),
                       meta.version, checksums);
}

std::string SeriesKey::to_string() const {
    return fmt::format("{} {} ({})", symbol, timeframe.to_string(), source);
}

Result<std::string> sanitize_symbol(std::string_view symbol) {
    const auto bad = [&](std::string_view why) {
        std::string shown;
        for (char c : symbol) {
            shown += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
        }
        return fail(ErrorCode::InvalidArgument, fmt::format("invalid symbol '{}': {}", shown, why));
    };
    if (symbol.empty()) {
        return bad("empty");
    }
    if (symbol.size() > 100) {
        return bad("longer than 100 characters");
    }
    if (symbol.find("..") != std::string_view::npos || symbol.front() == '.') {
        return bad("must not start with '.' or contain '..'");
    }
    std::string out;
    for (char c : symbol) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '.' || c == '_' || c == '-' || c == '=' || c == '^' ||
            c == '+' || c == '@') {
            out.push_back(c);
        } else if (c == '/') {
            out.push_back('-');
        } else if (u < 0x20 || u == 0x7f) {
            return bad("control characters are not allowed");
        } else {
            return bad(
                fmt::format("character '{}' is not allowed (use letters, digits and . _ - = "
                            "^ + @ /)",
                            c));
        }
    }
    return out;
}

Result<std::string> sanitize_source(std::string_view source) {
    const bool ok =
        !source.empty() && source.size() <= 32 &&
        std::all_of(source.begin(), source.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        });
    if (!ok) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("invalid source name '{}' (use 1-32 of a-z 0-9 _ -)", source));
    }
    return std::string(source);
}

// ---- StoredSeries

struct StoredSeries::Impl {
    SeriesMeta meta;
    std::array<MappedFile, 6> maps;
    BarSeries owned;  // when not mapped
    BarSeriesView view;
    std::uint64_t file_bytes = 0;

    // Opens columns of generation `gen` in `dir`, rows [offset, offset + rows).
    static Result<std::unique_ptr<Impl>> load(const fs::path& dir, const SeriesMeta& meta,
                                              std::uint64_t offset, std::uint64_t rows, bool map) {
        auto impl = std::make_unique<Impl>();
        impl->meta = meta;
        const std::uint64_t end = offset + rows;
        std::array<const std::byte*, 6> base{};
        if (!map) {
            impl->owned.ts().resize(rows);
            impl->owned.open().resize(rows);
            impl->owned.high().resize(rows);
            impl->owned.low().resize(rows);
            impl->owned.close().resize(rows);
            impl->owned.volume().resize(rows);
        }
        const std::array<std::byte*, 6> owned_data = {
            reinterpret_cast<std::byte*>(impl->owned.ts().data()),
            reinterpret_cast<std::byte*>(impl->owned.open().data()),
            reinterpret_cast<std::byte*>(impl->owned.high().data()),
            reinterpret_cast<std::byte*>(impl->owned.low().data()),
            reinterpret_cast<std::byte*>(impl->owned.close().data()),
            reinterpret_cast<std::byte*>(impl->owned.volume().data())};
        for (std::size_t c = 0; c < kColumnNames.size(); ++c) {
            const fs::path path = dir / column_file(c, meta.generation);
            if (map) {
                auto m = MappedFile::open(path, end * 8);
                if (!m) {
                    if (m.error().code == ErrorCode::Corrupt) {
                        return fail(ErrorCode::Corrupt,
                                    fmt::format("store damaged: {} (meta.json says {} rows); "
                                                "re-import the series with --replace",
                                                m.error().message, meta.rows));
                    }
                    return std::move(m).error();
                }
                impl->maps[c] = std::move(*m);
                base[c] = impl->maps[c].bytes().data() + offset * 8;
            } else {
                auto f = File::open(path, File::Mode::Read);
                if (!f) {
                    return std::move(f).error();
                }
                try {
                    if (f->size() < end * 8) {
                        return fail(ErrorCode::Corrupt,
                                    fmt::format("store damaged: {} has {} bytes but meta.json says "
                                                "{} rows; re-import the series with --replace",
                                                path.string(), f->size(), meta.rows));
                    }
                    f->read_at(offset * 8, std::span(owned_data[c], rows * 8));
                } catch (const Exception& e) {
                    return fail(e.code(), e.what());
                }
            }
            impl->file_bytes += end * 8;
        }
        if (map) {
            const auto d = [&](std::size_t c) {
                return std::span(reinterpret_cast<const double*>(base[c]), rows);
            };
            impl->view =
                BarSeriesView(std::span(reinterpret_cast<const std::int64_t*>(base[0]), rows), d(1),
                              d(2), d(3), d(4), d(5));
        } else {
            impl->view = impl->owned.view();
        }
        return impl;
    }
};

StoredSeries::StoredSeries(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
StoredSeries::StoredSeries(StoredSeries&&) noexcept = default;
StoredSeries& StoredSeries::operator=(StoredSeries&&) noexcept = default;
StoredSeries::~StoredSeries() = default;

const SeriesMeta& StoredSeries::meta() const noexcept {
    return impl_->meta;
}
BarSeriesView StoredSeries::view() const noexcept {
    return impl_->view;
}
BarSeriesView StoredSeries::between(Timestamp start, Timestamp end) const noexcept {
    return impl_->view.between(start, end);
}
std::uint64_t StoredSeries::bytes() const noexcept {
    return impl_->file_bytes;
}

void StoredSeries::for_each_chunk(
    std::size_t chunk_rows,
    const std::function<void(const BarSeriesView&, std::uint64_t)>& f) const {
    for_each_chunk(impl_->view, chunk_rows, f);
}

void StoredSeries::for_each_chunk(
    const BarSeriesView& rows, std::size_t chunk_rows,
    const std::function<void(const BarSeriesView&, std::uint64_t)>& f) const {
    chunk_rows = std::max<std::size_t>(chunk_rows, 1);
    const std::int64_t* origin = impl_->view.ts().data();
    const auto first_row = static_cast<std::uint64_t>(rows.ts().data() - origin);
    for (std::size_t begin = 0; begin < rows.size(); begin += chunk_rows) {
        const BarSeriesView chunk = rows.slice(begin, chunk_rows);
        f(chunk, first_row + begin);
        if (impl_->maps[0].bytes().empty()) {
            continue;  // not mapped: nothing to release
        }
        // Drop the finished chunk's pages from every column (they stay in the page cache).
        const std::size_t offset_rows =
            static_cast<std::size_t>(reinterpret_cast<const std::byte*>(chunk.ts().data()) -
                                     impl_->maps[0].bytes().data()) /
            8;
        for (const MappedFile& m : impl_->maps) {
            m.release(offset_rows * 8, chunk.size() * 8);
        }
    }
}

Result<void> StoredSeries::verify() const {
    const SeriesMeta& m = impl_->meta;
    const BarSeriesView v = impl_->view;
    const std::array<std::span<const std::byte>, 6> columns = {
        std::as_bytes(v.ts()),  std::as_bytes(v.open()),  std::as_bytes(v.high()),
        std::as_bytes(v.low()), std::as_bytes(v.close()), std::as_bytes(v.volume())};
    for (std::size_t c = 0; c < columns.size(); ++c) {
        const auto& expected = m.checksums.at(std::string(kColumnNames[c]));
        for (std::uint64_t b = 0; b < expected.size(); ++b) {
            const std::uint64_t begin = b * kChecksumBlockRows;
            const std::uint64_t count = std::min(kChecksumBlockRows, m.rows - begin);
            const std::uint64_t h = hash_block(columns[c].subspan(begin * 8, count * 8));
            if (!impl_->maps[c].bytes().empty()) {
                impl_->maps[c].release(begin * 8, count * 8);
            }
            if (h != expected[b]) {
                return fail(
                    ErrorCode::Corrupt,
                    fmt::format("{}: column {} rows {}..{} do not match their checksum",
                                m.key.to_string(), kColumnNames[c], begin, begin + count - 1));
            }
        }
    }
    return {};
}

// ---- Store

Store::Store(std::filesystem::path root) : root_(std::move(root)) {}

Result<std::filesystem::path> Store::series_dir(const SeriesKey& key) const {
    auto source = sanitize_source(key.source);
    if (!source) {
        return std::move(source).error();
    }
    auto symbol = sanitize_symbol(key.symbol);
    if (!symbol) {
        return std::move(symbol).error();
    }
    return root_ / *source / *symbol / key.timeframe.to_string();
}

std::vector<SeriesMeta> Store::list(std::vector<std::string>* problems) const {
    std::vector<SeriesMeta> out;
    std::error_code ec;
    if (!fs::is_directory(root_, ec)) {
        return out;
    }
    for (const auto& source : fs::directory_iterator(root_, ec)) {
        if (!source.is_directory()) {
            continue;
        }
        for (const auto& symbol : fs::directory_iterator(source.path(), ec)) {
            if (!symbol.is_directory()) {
                continue;
            }
            for (const auto& tf : fs::directory_iterator(symbol.path(), ec)) {
                if (!tf.is_directory() || !fs::exists(tf.path() / "meta.json")) {
                    continue;
                }
                auto meta = load_meta(tf.path());
                if (meta) {
                    out.push_back(std::move(*meta));
                } else if (problems != nullptr) {
                    problems->push_back(meta.error().message);
                }
            }
        }
    }
    std::sort(out.begin(), out.end(), [](const SeriesMeta& a, const SeriesMeta& b) {
        return std::tuple(a.key.source, a.key.symbol, a.key.timeframe.nominal_ns()) <
               std::tuple(b.key.source, b.key.symbol, b.key.timeframe.nominal_ns());
    });
    return out;
}

Result<SeriesKey> Store::resolve(std::string_view symbol, std::optional<Timeframe> timeframe,
                                 std::optional<std::string> source) const {
    auto dir_name = sanitize_symbol(symbol);
    if (!dir_name) {
        return std::move(dir_name).error();
    }
    std::vector<SeriesKey> matches;
    std::vector<std::string> same_symbol;
    for (const SeriesMeta& m : list()) {
        if (sanitize_symbol(m.key.symbol).value_or("") != *dir_name) {
            continue;
        }
        same_symbol.push_back(fmt::format("{} ({})", m.key.timeframe.to_string(), m.key.source));
        if ((!timeframe || m.key.timeframe == *timeframe) && (!source || m.key.source == *source)) {
            matches.push_back(m.key);
        }
    }
    if (matches.size() == 1) {
        return matches.front();
    }
    std::string wanted(symbol);
    if (timeframe) {
        wanted += fmt::format(" {}", timeframe->to_string());
    }
    if (source) {
        wanted += fmt::format(" ({})", *source);
    }
    if (matches.empty()) {
        return fail(ErrorCode::NotFound,
                    same_symbol.empty()
                        ? fmt::format("no series {} in store {} (see: tradpal data list)", wanted,
                                      root_.string())
                        : fmt::format("no series {} in store {}; stored for {}: {}", wanted,
                                      root_.string(), symbol, fmt::join(same_symbol, ", ")));
    }
    return fail(ErrorCode::InvalidArgument,
                fmt::format("{} matches several series: {}; choose with --timeframe / --source",
                            wanted, fmt::join(same_symbol, ", ")));
}

Result<SeriesMeta> Store::read_meta(const SeriesKey& key) const {
    auto dir = series_dir(key);
    if (!dir) {
        return std::move(dir).error();
    }
    auto meta = load_meta(*dir);
    if (!meta && meta.error().code == ErrorCode::NotFound) {
        return fail(ErrorCode::NotFound,
                    fmt::format("no series {} in store {}", key.to_string(), root_.string()));
    }
    return meta;
}

Result<StoredSeries> Store::open(const SeriesKey& key, OpenOptions options) const {
    auto dir = series_dir(key);
    if (!dir) {
        return std::move(dir).error();
    }
    // A writer may replace the generation between our reading meta.json and opening the columns;
    // then the old files are gone and meta.json names new ones: read it again.
    for (int attempt = 0;; ++attempt) {
        auto meta = read_meta(key);
        if (!meta) {
            return std::move(meta).error();
        }
        auto impl = StoredSeries::Impl::load(*dir, *meta, 0, meta->rows, options.map);
        if (impl) {
            return StoredSeries(std::move(*impl));
        }
        if (impl.error().code != ErrorCode::NotFound || attempt == 3) {
            if (impl.error().code == ErrorCode::NotFound) {
                return fail(ErrorCode::Corrupt,
                            fmt::format("store damaged: {}", impl.error().message));
            }
            return std::move(impl).error();
        }
    }
}

Result<void> Store::remove(const SeriesKey& key) const {
    auto dir = series_dir(key);
    if (!dir) {
        return std::move(dir).error();
    }
    if (!fs::exists(*dir / "meta.json")) {
        return fail(ErrorCode::NotFound,
                    fmt::format("no series {} in store {}", key.to_string(), root_.string()));
    }
    auto lock = FileLock::try_lock(*dir / ".lock");
    if (!lock) {
        return std::move(lock).error();
    }
    std::error_code ec;
    // meta.json goes first so that readers stop seeing the series before its columns vanish.
    fs::remove(*dir / "meta.json", ec);
    for (const auto& entry : fs::directory_iterator(*dir, ec)) {
        if (entry.path().filename() != ".lock") {
            fs::remove(entry.path(), ec);
        }
    }
    fs::remove(*dir / ".lock", ec);
    fs::remove(*dir, ec);
    // Remove now-empty symbol and source directories.
    fs::remove(dir->parent_path(), ec);
    fs::remove(dir->parent_path().parent_path(), ec);
    return {};
}

// ---- SeriesWriter

struct SeriesWriter::Impl {
    SeriesKey key;
    fs::path dir;
    Mode mode = Mode::Append;
    FileLock lock;
    std::optional<SeriesMeta> previous;
    std::uint64_t committed_generation = 0;  // generation of `previous` (0: none)
    std::uint64_t target_generation = 0;     // generation the staged rows live in
    std::vector<File> files;                 // columns of the target generation
    std::uint64_t base = 0;
    std::uint64_t staged = 0;
    std::string origin;
    bool committed = false;

    // Checks made while rows are staged, so that commit() need not read them back: block
    // checksums (xxh3 fed incrementally) and time order. reverse_staged() and keep_staged() turn
    // them off; commit() then rescans the files.
    struct HashStateDeleter {
        void operator()(XXH3_state_t* state) const noexcept { XXH3_freeState(state); }
    };
    struct Running {
        bool valid = false;
        std::array<std::unique_ptr<XXH3_state_t, HashStateDeleter>, 6> states;
        std::array<std::vector<std::uint64_t>, 6> hashes;  // finished blocks, from block 0
        std::uint64_t rows = 0;                            // rows fed so far (absolute)
        std::optional<std::int64_t> first_ts;
        std::optional<std::int64_t> last_ts;
        std::optional<std::string> order_error;
    } running;

    explicit Impl(FileLock l) : lock(std::move(l)) {}

    // Makes `meta` the committed state (the columns are already synced) and drops the
    // generation it replaces.
    SeriesMeta publish(const SeriesMeta& meta) {
        write_file_atomic(dir / "meta.json", encode_meta(meta));
        if (committed_generation != 0 && committed_generation != target_generation) {
            remove_generation(committed_generation);
        }
        committed = true;
        return meta;
    }

    // Feeds rows [start_row, start_row + n) of column c to its block hashes.
    void hash_rows(std::size_t c, const std::byte* data, std::uint64_t start_row, std::uint64_t n) {
        XXH3_state_t* state = running.states[c].get();
        std::uint64_t row = start_row;
        while (n > 0) {
            const std::uint64_t k = std::min(n, kChecksumBlockRows - row % kChecksumBlockRows);
            XXH3_64bits_update(state, data, k * 8);
            data += k * 8;
            row += k;
            n -= k;
            if (row % kChecksumBlockRows == 0) {
                running.hashes[c].push_back(XXH3_64bits_digest(state));
                XXH3_64bits_reset(state);
            }
        }
    }

    // Starts the running checks at the base rows: finished blocks come from meta.json, the
    // rows of a partly filled last block are read back.
    void start_running_checks() {
        running.valid = true;
        for (std::size_t c = 0; c < kColumnNames.size(); ++c) {
            running.states[c].reset(XXH3_createState());
            XXH3_64bits_reset(running.states[c].get());
        }
        if (base == 0) {
            return;
        }
        const std::uint64_t full_blocks = base / kChecksumBlockRows;
        const std::uint64_t tail_start = full_blocks * kChecksumBlockRows;
        std::vector<std::byte> tail((base - tail_start) * 8);
        for (std::size_t c = 0; c < kColumnNames.size(); ++c) {
            const auto& old = previous->checksums.at(std::string(kColumnNames[c]));
            running.hashes[c].assign(old.begin(),
                                     old.begin() + static_cast<std::ptrdiff_t>(full_blocks));
            files[c].read_at(tail_start * 8, tail);
            hash_rows(c, tail.data(), tail_start, base - tail_start);
        }
        running.rows = base;
        running.first_ts = previous->first.ns();
        running.last_ts = previous->last.ns();
    }

    std::uint64_t previous_rows() const { return previous ? previous->rows : 0; }

    void open_target_files(bool truncate) {
        files.clear();
        for (std::size_t c = 0; c < kColumnNames.size(); ++c) {
            File f =
                File::open(dir / column_file(c, target_generation), File::Mode::ReadWriteCreate)
                    .value();
            if (truncate) {
                f.truncate(0);
            }
            files.push_back(std::move(f));
        }
    }

    void remove_generation(std::uint64_t generation) noexcept {
        std::error_code ec;
        for (std::size_t c = 0; c < kColumnNames.size(); ++c) {
            fs::remove(dir / column_file(c, generation), ec);
        }
    }

    // Deletes everything but meta.json, the lock and the committed generation's columns, and cuts
    // those columns back to the committed row count (a crashed writer may have left more).
    void clean_directory() {
        std::vector<std::string> keep = {"meta.json", ".lock"};
        for (std::size_t c = 0; c < kColumnNames.size() && committed_generation > 0; ++c) {
            keep.push_back(column_file(c, committed_generation));
        }
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            const std::string name = entry.path().filename().string();
            if (std::find(keep.begin(), keep.end(), name) == keep.end()) {
                fs::remove(entry.path(), ec);
            }
        }
        if (committed_generation == 0 || mode == Mode::Replace) {
            return;  // a replaced series' columns are never read again
        }
        for (std::size_t c = 0; c < kColumnNames.size(); ++c) {
            File f = File::open(dir / column_file(c, committed_generation), File::Mode::ReadWrite)
                         .value();
            const std::uint64_t want = previous_rows() * 8;
            const std::uint64_t have = f.size();
            if (have < want) {
                throw Exception(ErrorCode::Corrupt,
                                fmt::format("store damaged: {} has {} bytes but meta.json says {} "
                                            "rows; re-import the series with --replace",
                                            f.path().string(), have, previous_rows()));
            }
            if (have > want) {
                f.truncate(want);
            }
        }
    }

    // Copies `rows` rows of column c from `from` (at row from_row) to files[c] (at row to_row).
    void copy_rows(const File& from, std::size_t c, std::uint64_t from_row, std::uint64_t to_row,
                   std::uint64_t rows) {
        std::vector<std::byte> buf(kCopyRows * 8);
        for (std::uint64_t done = 0; done < rows; done += kCopyRows) {
            const std::uint64_t n = std::min<std::uint64_t>(kCopyRows, rows - done);
            const auto chunk = std::span(buf).first(n * 8);
            from.read_at((from_row + done) * 8, chunk);
            files[c].write_at((to_row + done) * 8, chunk);
        }
    }
};

SeriesWriter::SeriesWriter(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
SeriesWriter::SeriesWriter(SeriesWriter&&) noexcept = default;
SeriesWriter& SeriesWriter::operator=(SeriesWriter&&) noexcept = default;

SeriesWriter::~SeriesWriter() {
    if (!impl_ || impl_->committed) {
        return;
    }
    // Roll back: staged rows beyond the committed ones, or a whole uncommitted generation.
    try {
        if (impl_->target_generation == impl_->committed_generation) {
            for (File& f : impl_->files) {
                f.truncate(impl_->previous_rows() * 8);
            }
        } else {
            impl_->files.clear();
            impl_->remove_generation(impl_->target_generation);
        }
    } catch (const Exception&) {
        // The next writer cleans up whatever is left; readers never see it.
    }
}

Result<SeriesWriter> SeriesWriter::open(const Store& store, const SeriesKey& key, Mode mode) {
    auto dir = store.series_dir(key);
    if (!dir) {
        return std::move(dir).error();
    }
    try {
        std::error_code ec;
        fs::create_directories(*dir, ec);
        if (ec) {
            return fail(ErrorCode::IoError,
                        fmt::format("cannot create {}: {}", dir->string(), ec.message()));
        }
        auto lock = FileLock::try_lock(*dir / ".lock");
        if (!lock) {
            return fail(ErrorCode::Locked,
                        fmt::format("{} is being written by another process ({})", key.to_string(),
                                    lock.error().message));
        }
        auto impl = std::make_unique<Impl>(std::move(*lock));
        impl->key = key;
        impl->dir = *dir;
        impl->mode = mode;
        if (fs::exists(*dir / "meta.json")) {
            auto meta = load_meta(*dir);
            if (meta) {
                impl->previous = std::move(*meta);
                impl->committed_generation = impl->previous->generation;
            } else if (mode != Mode::Replace) {
                return fail(
                    meta.error().code,
                    fmt::format("{}; re-import the series with --replace", meta.error().message));
            }
        }
        if (mode == Mode::Rewrite && !impl->previous) {
            return fail(ErrorCode::NotFound, fmt::format("no series {} in store {}",
                                                         key.to_string(), store.root().string()));
        }
        if (mode == Mode::Replace) {
            // A damaged meta.json cannot say which files are live: start a fresh generation
            // above every one present.
            impl->committed_generation = impl->previous ? impl->committed_generation : 0;
        }
        impl->clean_directory();
        if (mode == Mode::Replace || !impl->previous) {
            impl->target_generation = impl->committed_generation + 1;
            impl->open_target_files(true);
        } else {
            impl->target_generation = impl->committed_generation;
            impl->open_target_files(false);
        }
        impl->base = mode == Mode::Append ? impl->previous_rows() : 0;
        impl->staged = mode == Mode::Rewrite ? impl->previous_rows() : 0;
        impl->origin = impl->previous ? impl->previous->origin : "";
        if (mode != Mode::Rewrite) {
            impl->start_running_checks();
        }
        return SeriesWriter(std::move(impl));
    } catch (const Exception& e) {
        return fail(e.code(), e.what());
    }
}

const std::optional<SeriesMeta>& SeriesWriter::previous() const noexcept {
    return impl_->previous;
}
std::uint64_t SeriesWriter::base_rows() const noexcept {
    return impl_->base;
}
std::uint64_t SeriesWriter::staged_rows() const noexcept {
    return impl_->staged;
}
void SeriesWriter::set_origin(std::string origin) {
    impl_->origin = std::move(origin);
}

void SeriesWriter::stage(const BarSeriesView& rows) {
    TRADPAL_ASSERT(
        impl_->mode != Mode::Rewrite || impl_->target_generation != impl_->committed_generation,
        "cannot stage rows onto committed rows being rewritten");
    if (rows.empty()) {
        return;
    }
    const std::uint64_t offset = (impl_->base + impl_->staged) * 8;
    const std::array<std::span<const std::byte>, 6> columns = {
        std::as_bytes(rows.ts()),  std::as_bytes(rows.open()),  std::as_bytes(rows.high()),
        std::as_bytes(rows.low()), std::as_bytes(rows.close()), std::as_bytes(rows.volume())};
    for (std::size_t c = 0; c < columns.size(); ++c) {
        impl_->files[c].write_at(offset, columns[c]);
        impl_->files[c].start_writeback(offset, columns[c].size());
    }
    Impl::Running& run = impl_->running;
    if (run.valid) {
        for (std::size_t c = 0; c < columns.size(); ++c) {
            impl_->hash_rows(c, columns[c].data(), run.rows, rows.size());
        }
        const auto ts = rows.ts();
        for (std::size_t i = 0; i < ts.size() && !run.order_error; ++i) {
            if (run.last_ts && ts[i] <= *run.last_ts) {
                const std::uint64_t row = run.rows + i;
                run.order_error =
                    fmt::format("{}: row {} ({}) is not after row {} ({}); nothing was written",
                                impl_->key.to_string(), row, format_iso(Timestamp(ts[i])), row - 1,
                                format_iso(Timestamp(*run.last_ts)));
            }
            run.last_ts = ts[i];
        }
        if (!run.first_ts) {
            run.first_ts = ts.front();
        }
        run.rows += rows.size();
    }
    impl_->staged += rows.size();
}

StoredSeries SeriesWriter::staged() const {
    SeriesMeta meta;
    meta.key = impl_->key;
    meta.rows = impl_->staged;
    meta.generation = impl_->target_generation;
    auto impl = StoredSeries::Impl::load(impl_->dir, meta, impl_->base, impl_->staged, true);
    if (!impl) {
        throw Exception(impl.error());
    }
    return StoredSeries(std::move(*impl));
}

void SeriesWriter::reverse_staged() {
    TRADPAL_ASSERT(
        impl_->target_generation != impl_->committed_generation || impl_->mode != Mode::Rewrite,
        "reverse_staged would modify committed rows in place");
    impl_->running.valid = false;
    std::vector<std::byte> front(kCopyRows * 8);
    std::vector<std::byte> back(kCopyRows * 8);
    for (File& f : impl_->files) {
        std::uint64_t lo = impl_->base;
        std::uint64_t hi = impl_->base + impl_->staged;  // exclusive
        while (hi - lo >= 2) {
            const std::uint64_t k = std::min<std::uint64_t>(kCopyRows, (hi - lo) / 2);
            auto a = std::span(front).first(k * 8);
            auto b = std::span(back).first(k * 8);
            f.read_at(lo * 8, a);
            f.read_at((hi - k) * 8, b);
            // Reverse the order of 8-byte elements within each block, then swap the blocks.
            for (auto* block : {&a, &b}) {
                auto* p = reinterpret_cast<std::uint64_t*>(block->data());
                std::reverse(p, p + k);
            }
            f.write_at(lo * 8, b);
            f.write_at((hi - k) * 8, a);
            lo += k;
            hi -= k;
        }
    }
}

void SeriesWriter::keep_staged(std::span<const std::uint64_t> keep) {
    Impl& w = *impl_;
    w.running.valid = false;
    const std::uint64_t old_generation = w.target_generation;
    std::vector<File> old_files = std::move(w.files);
    w.target_generation = std::max(w.committed_generation, old_generation) + 1;
    w.open_target_files(true);
    std::vector<std::byte> out(kCopyRows * 8);
    for (std::size_t c = 0; c < kColumnNames.size(); ++c) {
        w.copy_rows(old_files[c], c, 0, 0, w.base);
        // One column mapped at a time keeps the resident set near one column's size.
        const MappedFile src =
            MappedFile::open(old_files[c].path(), (w.base + w.staged) * 8).value();
        const auto* values = reinterpret_cast<const std::uint64_t*>(src.bytes().data()) + w.base;
        for (std::size_t done = 0; done < keep.size(); done += kCopyRows) {
            const std::size_t n = std::min(kCopyRows, keep.size() - done);
            auto* dst = reinterpret_cast<std::uint64_t*>(out.data());
            for (std::size_t i = 0; i < n; ++i) {
                TRADPAL_ASSERT(keep[done + i] < w.staged, "keep index out of range");
                dst[i] = values[keep[done + i]];
            }
            w.files[c].write_at((w.base + done) * 8, std::span(out).first(n * 8));
        }
    }
    old_files.clear();
    if (old_generation != w.committed_generation) {
        w.remove_generation(old_generation);
    }
    w.staged = keep.size();
}

SeriesMeta SeriesWriter::commit() {
    Impl& w = *impl_;
    TRADPAL_ASSERT(!w.committed, "commit() called twice");
    const std::uint64_t total = w.base + w.staged;
    if (w.mode == Mode::Append && w.staged == 0 && w.previous) {
        w.committed = true;  // nothing new: the series stays as it was
        return *w.previous;
    }
    for (File& f : w.files) {
        f.sync();
    }
    SeriesMeta meta;
    meta.key = w.key;
    meta.rows = total;
    meta.generation = w.target_generation;
    meta.version = w.previous ? w.previous->version + 1 : 1;
    meta.origin = w.origin;
    if (w.running.valid) {
        // Everything was checked while staging.
        if (w.running.order_error) {
            throw Exception(ErrorCode::ValidationFailed, *w.running.order_error);
        }
        if (total > 0) {
            meta.first = Timestamp(*w.running.first_ts);
            meta.last = Timestamp(*w.running.last_ts);
        }
        for (std::size_t c = 0; c < kColumnNames.size(); ++c) {
            std::vector<std::uint64_t> hashes = w.running.hashes[c];
            if (total % kChecksumBlockRows != 0) {
                hashes.push_back(XXH3_64bits_digest(w.running.states[c].get()));
            }
            meta.checksums.emplace(std::string(kColumnNames[c]), std::move(hashes));
        }
        return w.publish(meta);
    }
    std::array<MappedFile, 6> maps;
    for (std::size_t c = 0; c < maps.size(); ++c) {
        maps[c] = MappedFile::open(w.files[c].path(), total * 8).value();
    }
    const auto ts = maps[0].as<std::int64_t>();
    // Stored series are strictly increasing in time: check the new rows and the seam.
    const std::uint64_t check_from = w.base > 0 ? w.base - 1 : 0;
    for (std::uint64_t i = check_from + 1; i < total; ++i) {
        if (ts[i] <= ts[i - 1]) {
            throw Exception(ErrorCode::ValidationFailed,
                            fmt::format("{}: row {} ({}) is not after row {} ({}); nothing was "
                                        "written",
                                        w.key.to_string(), i, format_iso(Timestamp(ts[i])), i - 1,
                                        format_iso(Timestamp(ts[i - 1]))));
        }
        if (i % kChecksumBlockRows == 0) {
            maps[0].release((i - kChecksumBlockRows) * 8, kChecksumBlockRows * 8);
        }
    }

    if (total > 0) {
        meta.first = Timestamp(ts[0]);
        meta.last = Timestamp(ts[total - 1]);
    }
    const bool same_files = w.previous && w.target_generation == w.committed_generation;
    const std::uint64_t blocks = (total + kChecksumBlockRows - 1) / kChecksumBlockRows;
    const std::uint64_t first_new_block = same_files ? w.base / kChecksumBlockRows : 0;
    for (std::size_t c = 0; c < maps.size(); ++c) {
        std::vector<std::uint64_t> hashes;
        if (same_files) {
            const auto& old = w.previous->checksums.at(std::string(kColumnNames[c]));
            hashes.assign(old.begin(), old.begin() + static_cast<std::ptrdiff_t>(first_new_block));
        }
        for (std::uint64_t b = first_new_block; b < blocks; ++b) {
            hashes.push_back(hash_column_block(maps[c], b, total));
        }
        meta.checksums.emplace(std::string(kColumnNames[c]), std::move(hashes));
    }
    return w.publish(meta);
}

}  // namespace tradpal::data
