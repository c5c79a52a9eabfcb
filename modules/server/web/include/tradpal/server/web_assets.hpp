// SPDX-License-Identifier: Apache-2.0
// The dashboard's files (modules/server/web), embedded into the binary at build time so the
// server needs no files beside it and the page works offline.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace tradpal::server {

struct WebAsset {
    std::string_view content_type;  ///< e.g. "text/html; charset=utf-8"
    std::string_view body;          ///< the file's bytes, valid for the program's lifetime
};

/// The asset served at `path`: "/" and "/index.html" (the page), "/static/app.js",
/// "/static/app.css". Anything else (including "..", query strings): nullopt.
std::optional<WebAsset> web_asset(std::string_view path);

/// Every served path, "/" excluded (for tests and listings).
std::span<const std::string_view> web_asset_paths();

}  // namespace tradpal::server
