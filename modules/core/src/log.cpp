// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <tradpal/core/log.hpp>

namespace tradpal {

Result<void> init_logging(std::string_view level) {
    const auto parsed = spdlog::level::from_str(std::string(level));
    if (parsed == spdlog::level::off && level != "off") {
        return fail(ErrorCode::InvalidArgument, fmt::format("unknown log level '{}'", level));
    }
    auto logger = spdlog::stderr_color_mt("tradpal");
    logger->set_pattern("%^%l%$: %v");
    logger->set_level(parsed);
    spdlog::set_default_logger(std::move(logger));
    return {};
}

}  // namespace tradpal
