// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include <tradpal/core/timestamp.hpp>
#include <tradpal/ml/evaluate.hpp>

namespace tradpal::ml {
namespace {

double mean_of(std::span<const double> x) {
    return x.empty() ? 0.0
                     : std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}

// Pearson correlation; 0 when either side is constant (a zero forecast has no correlation).
double pearson(std::span<const double> x, std::span<const double> y) {
    const double mx = mean_of(x);
    const double my = mean_of(y);
    double sxy = 0;
    double sxx = 0;
    double syy = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

// 1-based ranks, ties given the average of the ranks they span.
std::vector<double> ranks(std::span<const double> x) {
    std::vector<std::size_t> order(x.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
    std::vector<double> out(x.size());
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) {
            ++j;
        }
        const double rank = (static_cast<double>(i + j) / 2) + 1;
        for (std::size_t k = i; k <= j; ++k) {
            out[order[k]] = rank;
        }
        i = j + 1;
    }
    return out;
}

double spearman(std::span<const double> x, std::span<const double> y) {
    return pearson(ranks(x), ranks(y));
}

// Solves (A + ridge) w = b for a symmetric positive definite A (p x p, row-major) by Cholesky.
// The ridge (1e-8 of the mean diagonal) only keeps collinear features solvable.
std::vector<double> solve_normal_equations(std::vector<double> a, std::vector<double> b,
                                           std::size_t p) {
    double trace = 0;
    for (std::size_t i = 0; i < p; ++i) {
        trace += a[i * p + i];
    }
    const double ridge = 1e-8 * std::max(trace / static_cast<double>(p), 1.0);
    for (std::size_t i = 0; i < p; ++i) {
        a[i * p + i] += ridge;
    }
    // a becomes L (lower triangle) with A = L L^T.
    for (std::size_t j = 0; j < p; ++j) {
        double d = a[j * p + j];
        for (std::size_t k = 0; k < j; ++k) {
            d -= a[j * p + k] * a[j * p + k];
        }
        // A pivot lost to rounding (nearly collinear features) is held at the ridge.
        a[j * p + j] = std::sqrt(std::max(d, ridge));
        for (std::size_t i = j + 1; i < p; ++i) {
            double s = a[i * p + j];
            for (std::size_t k = 0; k < j; ++k) {
                s -= a[i * p + k] * a[j * p + k];
            }
            a[i * p + j] = s / a[j * p + j];
        }
    }
    for (std::size_t i = 0; i < p; ++i) {  // L z = b
        for (std::size_t k = 0; k < i; ++k) {
            b[i] -= a[i * p + k] * b[k];
        }
        b[i] /= a[i * p + i];
    }
    for (std::size_t i = p; i-- > 0;) {  // L^T w = z
        for (std::size_t k = i + 1; k < p; ++k) {
            b[i] -= a[k * p + i] * b[k];
        }
        b[i] /= a[i * p + i];
    }
    return b;
}

Result<void> check_range(const Dataset& data, std::string_view what, Range r) {
    if (r.size() == 0 || r.begin < data.valid.begin || r.end > data.valid.end) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("the {} rows [{}, {}) must be non-empty and inside the valid rows "
                                "[{}, {})",
                                what, r.begin, r.end, data.valid.begin, data.valid.end));
    }
    return {};
}

}  // namespace

Scores score(std::span<const double> predicted, std::span<const double> actual,
             std::span<const std::int64_t> ts) {
    TRADPAL_ASSERT(predicted.size() == actual.size() && ts.size() == actual.size(),
                   "score() needs spans of equal length");
    std::vector<double> p;
    std::vector<double> a;
    std::map<std::int64_t, std::vector<std::size_t>> by_day;
    for (std::size_t i = 0; i < actual.size(); ++i) {
        if (std::isnan(predicted[i]) || std::isnan(actual[i])) {
            continue;
        }
        by_day[floor_div(ts[i], kNanosPerDay)].push_back(p.size());
        p.push_back(predicted[i]);
        a.push_back(actual[i]);
    }
    Scores s;
    s.samples = p.size();
    if (p.empty()) {
        return s;
    }
    double se = 0;
    double hits = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
        se += (p[i] - a[i]) * (p[i] - a[i]);
        hits += p[i] == 0 || a[i] == 0 ? 0.5 : ((p[i] > 0) == (a[i] > 0) ? 1.0 : 0.0);
    }
    const auto n = static_cast<double>(p.size());
    s.mse = se / n;
    s.directional_accuracy = hits / n;
    s.ic = pearson(p, a);
    s.rank_ic = spearman(p, a);

    std::vector<double> daily;
    for (const auto& [day, rows] : by_day) {
        if (rows.size() < 3) {
            continue;
        }
        std::vector<double> dp;
        std::vector<double> da;
        for (const std::size_t i : rows) {
            dp.push_back(p[i]);
            da.push_back(a[i]);
        }
        daily.push_back(spearman(dp, da));
    }
    s.days = daily.size();
    s.daily_ic_mean = mean_of(daily);
    if (daily.size() >= 2) {
        double ss = 0;
        for (const double ic : daily) {
            ss += (ic - s.daily_ic_mean) * (ic - s.daily_ic_mean);
        }
        const double sd = std::sqrt(ss / static_cast<double>(daily.size() - 1));
        s.icir = sd > 0 ? s.daily_ic_mean / sd : 0.0;
    }
    return s;
}

Result<BaselineScores> score_baselines(const Dataset& normalized, const Splits& splits) {
    const Dataset& d = normalized;
    if (auto ok = check_range(d, "train", splits.train); !ok) {
        return ok.error();
    }
    if (auto ok = check_range(d, "test", splits.test); !ok) {
        return ok.error();
    }
    const Range test = splits.test;
    const std::span<const double> actual(d.forward_returns.data() + test.begin, test.size());
    const std::span<const std::int64_t> ts(d.ts.data() + test.begin, test.size());
    BaselineScores out;
    out.zero = score(std::vector<double>(test.size(), 0.0), actual, ts);

    // The last return over the label's horizon h: forward_returns[t - h] = log(close[t] /
    // close[t - h]), known at bar t. build_dataset ends the valid rows h rows before the last
    // bar, so h = rows - valid.end. Rows whose t - h falls before the valid rows have no such
    // return (NaN) and are skipped by score().
    const std::size_t horizon = d.rows - d.valid.end;
    std::vector<double> last(test.size(), std::numeric_limits<double>::quiet_NaN());
    for (std::size_t t = test.begin; t < test.end; ++t) {
        if (t >= horizon) {
            last[t - test.begin] = d.forward_returns[t - horizon];
        }
    }
    out.last_return = score(last, actual, ts);

    // Least squares of the forward return on [1, features of row t] over the train rows.
    const std::size_t p = d.cols + 1;
    std::vector<double> xtx(p * p, 0.0);
    std::vector<double> xty(p, 0.0);
    std::vector<double> x(p);
    const auto row = [&](std::size_t t) {
        x[0] = 1;
        for (std::size_t c = 0; c < d.cols; ++c) {
            x[c + 1] = d.at(t, c);
        }
    };
    for (std::size_t t = splits.train.begin; t < splits.train.end; ++t) {
        row(t);
        for (std::size_t i = 0; i < p; ++i) {
            xty[i] += x[i] * d.forward_returns[t];
            for (std::size_t j = 0; j <= i; ++j) {
                xtx[i * p + j] += x[i] * x[j];
            }
        }
    }
    for (std::size_t i = 0; i < p; ++i) {
        for (std::size_t j = i + 1; j < p; ++j) {
            xtx[i * p + j] = xtx[j * p + i];
        }
    }
    const std::vector<double> w = solve_normal_equations(std::move(xtx), std::move(xty), p);
    std::vector<double> linear(test.size());
    for (std::size_t t = test.begin; t < test.end; ++t) {
        row(t);
        linear[t - test.begin] = std::inner_product(w.begin(), w.end(), x.begin(), 0.0);
    }
    out.linear = score(linear, actual, ts);
    return out;
}

nlohmann::json to_json(const Scores& s) {
    return {{"samples", s.samples},
            {"mse", s.mse},
            {"directional_accuracy", s.directional_accuracy},
            {"ic", s.ic},
            {"rank_ic", s.rank_ic},
            {"daily_ic_mean", s.daily_ic_mean},
            {"icir", s.icir},
            {"days", s.days}};
}

}  // namespace tradpal::ml
