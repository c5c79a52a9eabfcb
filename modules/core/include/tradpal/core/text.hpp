// SPDX-License-Identifier: Apache-2.0
// Small text helpers shared by the parsers of specs, strategies and rules.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace tradpal {

/// `s` without leading and trailing white space (std::isspace in the C locale).
inline std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
        s.remove_suffix(1);
    }
    return s;
}

/// The trimmed, non-empty items of a separated list: "a, b,,c" -> {"a", "b", "c"}.
inline std::vector<std::string> split_list(std::string_view text, char separator = ',') {
    std::vector<std::string> out;
    while (!text.empty()) {
        const std::size_t end = std::min(text.find(separator), text.size());
        if (const std::string_view item = trim(text.substr(0, end)); !item.empty()) {
            out.emplace_back(item);
        }
        text.remove_prefix(std::min(end + 1, text.size()));
    }
    return out;
}

/// `s` with ASCII letters in lower case.
inline std::string to_lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

/// `text` safe inside HTML, SVG or XML text and attribute values: & < > " ' escaped.
inline std::string escape_markup(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

}  // namespace tradpal
