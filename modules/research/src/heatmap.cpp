// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include <fmt/format.h>

#include <tradpal/core/error.hpp>
#include <tradpal/core/text.hpp>
#include <tradpal/research/heatmap.hpp>

namespace tradpal::research {
namespace {

/// From pale yellow (t = 0, worst) to dark blue (t = 1, best).
std::string color(double t) {
    constexpr double from[] = {255, 247, 188};
    constexpr double to[] = {8, 48, 107};
    int rgb[3];
    for (int k = 0; k < 3; ++k) {
        rgb[k] = static_cast<int>(std::lround(from[k] + (to[k] - from[k]) * t));
    }
    return fmt::format("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]);
}

/// Every k-th label, so that labels are at least `spacing` pixels apart.
std::size_t label_stride(double cell, double spacing) {
    return std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(spacing / cell)));
}

}  // namespace

std::string heatmap_svg(const Heatmap& map) {
    const std::size_t nx = map.x_values.size();
    const std::size_t ny = map.y_values.size();
    if (nx == 0 || ny == 0 || map.cells.size() != nx * ny) {
        throw Exception(ErrorCode::InvalidArgument,
                        fmt::format("a heat-map of {} x {} needs {} cells, got {}", nx, ny, nx * ny,
                                    map.cells.size()));
    }
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (const double v : map.cells) {
        if (std::isfinite(v)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    }
    constexpr double left = 70;
    constexpr double top = 40;
    constexpr double plot_width = 720;
    constexpr double plot_height = 420;
    const double cw = plot_width / static_cast<double>(nx);
    const double ch = plot_height / static_cast<double>(ny);
    const double width = left + plot_width + 150;
    const double height = top + plot_height + 60;
    std::string svg = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" "
        "viewBox=\"0 0 {:.0f} {:.0f}\" font-family=\"system-ui,sans-serif\" font-size=\"11\">\n"
        "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
        "<text x=\"{:.0f}\" y=\"22\" font-size=\"14\" font-weight=\"600\">{}</text>\n",
        width, height, width, height, left, escape_markup(map.title));
    for (std::size_t y = 0; y < ny; ++y) {
        for (std::size_t x = 0; x < nx; ++x) {
            const double v = map.cells[y * nx + x];
            std::string fill = "#e5e7eb";
            if (std::isfinite(v)) {
                double t = hi > lo ? (v - lo) / (hi - lo) : 1.0;
                fill = color(map.lower_is_better ? 1 - t : t);
            }
            // Rows go up with the parameter, as on a chart.
            fmt::format_to(std::back_inserter(svg),
                           "<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" "
                           "fill=\"{}\"><title>{}={} {}={}: {}</title></rect>\n",
                           left + static_cast<double>(x) * cw,
                           top + static_cast<double>(ny - 1 - y) * ch, cw + 0.3, ch + 0.3, fill,
                           escape_markup(map.x_name), escape_markup(map.x_values[x]),
                           escape_markup(map.y_name), escape_markup(map.y_values[y]),
                           std::isfinite(v) ? fmt::format("{:.4g}", v) : std::string("none"));
        }
    }
    const std::size_t x_stride = label_stride(cw, 40);
    for (std::size_t x = 0; x < nx; x += x_stride) {
        fmt::format_to(std::back_inserter(svg),
                       "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                       left + (static_cast<double>(x) + 0.5) * cw, top + plot_height + 16,
                       escape_markup(map.x_values[x]));
    }
    const std::size_t y_stride = label_stride(ch, 16);
    for (std::size_t y = 0; y < ny; y += y_stride) {
        fmt::format_to(std::back_inserter(svg),
                       "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", left - 6,
                       top + (static_cast<double>(ny - 1 - y) + 0.5) * ch + 4,
                       escape_markup(map.y_values[y]));
    }
    fmt::format_to(std::back_inserter(svg),
                   "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"12\">{}"
                   "</text>\n<text transform=\"translate(16 {:.1f}) rotate(-90)\" "
                   "text-anchor=\"middle\" font-size=\"12\">{}</text>\n",
                   left + plot_width / 2, top + plot_height + 40, escape_markup(map.x_name),
                   top + plot_height / 2, escape_markup(map.y_name));
    // The legend: the colour ramp from worst to best with its values.
    const double lx = left + plot_width + 30;
    constexpr int steps = 20;
    for (int k = 0; k < steps; ++k) {
        const double t = static_cast<double>(k) / (steps - 1);
        fmt::format_to(std::back_inserter(svg),
                       "<rect x=\"{:.0f}\" y=\"{:.1f}\" width=\"18\" height=\"{:.1f}\" "
                       "fill=\"{}\"/>\n",
                       lx, top + plot_height * (1 - (k + 1.0) / steps), plot_height / steps + 0.3,
                       color(t));
    }
    const auto label = [](double v) {
        return std::isfinite(v) ? fmt::format("{:.4g}", v) : std::string("none");
    };
    fmt::format_to(std::back_inserter(svg),
                   "<text x=\"{:.0f}\" y=\"{:.0f}\">{} (best)</text>\n"
                   "<text x=\"{:.0f}\" y=\"{:.0f}\">{}</text>\n</svg>\n",
                   lx + 24, top + 10, label(map.lower_is_better ? lo : hi), lx + 24,
                   top + plot_height, label(map.lower_is_better ? hi : lo));
    return svg;
}

}  // namespace tradpal::research
