// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the CSV readers: any input must give bars or a clean error, never a crash,
// a hang or a bar the reader promises not to produce. Run: scripts/test.sh --fuzz [SECONDS].
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include <tradpal/data/csv.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tradpal::data;  // NOLINT(google-build-using-namespace): a fuzz entry point
    if (size == 0) {
        return 0;
    }
    // The first byte picks the options, so the fuzzer explores them too.
    const std::uint8_t knobs = data[0];
    CsvOptions options;
    options.format = static_cast<CsvFormat>(knobs % 6);
    options.on_error = (knobs & 0x08) != 0 ? OnError::Skip : OnError::Fail;
    options.adjust = (knobs & 0x10) != 0;
    options.threads = (knobs & 0x20) != 0 ? 2 : 1;
    options.block_bytes = (knobs & 0x40) != 0 ? 7 : 4096;
    std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    auto reader = CsvReader::from_string(std::move(text), options, "fuzz.csv");
    if (!reader) {
        return 0;
    }
    tradpal::BarSeries batch;
    for (;;) {
        auto n = reader->read_batch(batch);
        if (!n || *n == 0) {
            break;
        }
        const auto v = batch.view();
        for (std::size_t i = 0; i < v.size(); ++i) {
            const bool ok = std::isfinite(v.open()[i]) && std::isfinite(v.high()[i]) &&
                            std::isfinite(v.low()[i]) && std::isfinite(v.close()[i]) &&
                            std::isfinite(v.volume()[i]) && v.low()[i] >= 0 && v.volume()[i] >= 0;
            if (!ok) {
                __builtin_trap();  // the reader let through a value it must reject
            }
        }
    }
    return 0;
}
