// SPDX-License-Identifier: Apache-2.0
#include <array>
#include <cstddef>

#include <tradpal/server/web_assets.hpp>

namespace tradpal::server {
namespace detail {
// Defined by the sources embed.cmake generates (one per file, see CMakeLists.txt).
extern const char index_html[];
extern const std::size_t index_html_size;
extern const char static_app_js[];
extern const std::size_t static_app_js_size;
extern const char static_app_css[];
extern const std::size_t static_app_css_size;
}  // namespace detail

namespace {

struct Entry {
    std::string_view path;
    std::string_view content_type;
    const char* data;
    const std::size_t* size;
};

const std::array<Entry, 3> kEntries{{
    {"/index.html", "text/html; charset=utf-8", detail::index_html, &detail::index_html_size},
    {"/static/app.js", "text/javascript; charset=utf-8", detail::static_app_js,
     &detail::static_app_js_size},
    {"/static/app.css", "text/css; charset=utf-8", detail::static_app_css,
     &detail::static_app_css_size},
}};

const std::array<std::string_view, kEntries.size()> kPaths{kEntries[0].path, kEntries[1].path,
                                                           kEntries[2].path};

}  // namespace

std::optional<WebAsset> web_asset(std::string_view path) {
    if (path == "/") {
        path = "/index.html";
    }
    for (const Entry& e : kEntries) {
        if (e.path == path) {
            return WebAsset{e.content_type, std::string_view(e.data, *e.size)};
        }
    }
    return std::nullopt;
}

std::span<const std::string_view> web_asset_paths() {
    return kPaths;
}

}  // namespace tradpal::server
