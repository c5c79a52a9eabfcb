// SPDX-License-Identifier: Apache-2.0
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <tradpal/server/web_assets.hpp>

namespace tradpal::server {
namespace {

std::string read_source(const std::string& relative) {
    std::ifstream in(std::string(TRADPAL_WEB_DIR) + "/" + relative, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(WebAssets, EveryAssetHasItsContentType) {
    const auto page = web_asset("/");
    ASSERT_TRUE(page.has_value());
    EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
    EXPECT_NE(page->body.find("<!DOCTYPE html>"), std::string_view::npos);
    ASSERT_TRUE(web_asset("/index.html").has_value());
    EXPECT_EQ(web_asset("/index.html")->body, page->body);

    const auto js = web_asset("/static/app.js");
    ASSERT_TRUE(js.has_value());
    EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
    const auto css = web_asset("/static/app.css");
    ASSERT_TRUE(css.has_value());
    EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
}

TEST(WebAssets, EmbeddedBytesMatchTheSourceFiles) {
    EXPECT_EQ(web_asset("/")->body, read_source("index.html"));
    EXPECT_EQ(web_asset("/static/app.js")->body, read_source("static/app.js"));
    EXPECT_EQ(web_asset("/static/app.css")->body, read_source("static/app.css"));
}

TEST(WebAssets, UnknownPathsAreNotFound) {
    for (const char* path : {"", "/static/", "/static/missing.js", "/static/../index.html",
                             "/index.html?x=1", "/app.js", "static/app.js", "/STATIC/app.js"}) {
        EXPECT_FALSE(web_asset(path).has_value()) << path;
    }
}

TEST(WebAssets, PagesReferenceOnlyEmbeddedAssets) {
    std::set<std::string_view> paths(web_asset_paths().begin(), web_asset_paths().end());
    // src="..." and href="..." in the page, url(...) in the style sheet.
    const std::regex reference(R"re((?:src|href)\s*=\s*"([^"]*)"|url\(\s*['"]?([^'")]*))re");
    for (const std::string_view served : web_asset_paths()) {
        const std::string body(web_asset(served)->body);
        EXPECT_EQ(body.find("http://"), std::string::npos) << served;
        EXPECT_EQ(body.find("https://"), std::string::npos) << served;
        EXPECT_EQ(body.find("//cdn"), std::string::npos) << served;
        for (auto it = std::sregex_iterator(body.begin(), body.end(), reference);
             it != std::sregex_iterator(); ++it) {
            const std::string target = (*it)[1].matched ? (*it)[1].str() : (*it)[2].str();
            if (target.empty() || target.starts_with("#") || target.starts_with("data:")) {
                continue;
            }
            EXPECT_TRUE(paths.contains(target)) << served << " references " << target;
        }
    }
    // The page loads both of its assets.
    const std::string page(web_asset("/")->body);
    EXPECT_NE(page.find("src=\"/static/app.js\""), std::string::npos);
    EXPECT_NE(page.find("href=\"/static/app.css\""), std::string::npos);
}

}  // namespace
}  // namespace tradpal::server
