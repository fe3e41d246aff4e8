#include "core/io/axis_ticks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace gs::axis {

bool is_flat(double lo, double hi) {
  return hi - lo <= kFlat * std::max(std::abs(lo), std::abs(hi));
}

double tick_interval(double lo, double hi, bool whole) {
  const double rough = (hi - lo) / 4;
  if (!(rough > 0) || !std::isfinite(rough)) return 1;
  const double unit = std::pow(10.0, std::floor(std::log10(rough)));
  for (double m : {1.0, 2.0, 2.5, 5.0})
    if (m * unit >= rough * (1 - 1e-9) && (!whole || (m * unit >= 1 && m * unit != 2.5))) return m * unit;
  return 10 * unit;
}

std::vector<double> ticks(double lo, double hi, double interval) {
  std::vector<double> out;
  if (!(interval > 0) || !std::isfinite(lo) || !std::isfinite(hi)) return out;
  const double slack = interval * 1e-9;
  for (double k = std::ceil((lo - slack) / interval); k * interval <= hi + slack; ++k)
    out.push_back(k * interval == 0 ? 0.0 : k * interval); // no "-0"
  return out;
}

int label_digits(double lo, double hi, double interval) {
  const double size = std::max(std::abs(lo), std::abs(hi));
  if (!(size > 0) || !(interval > 0)) return 3;
  const double lead = std::floor(std::log10(size)), last = std::floor(std::log10(interval));
  const bool half_digit = std::abs(interval / std::pow(10.0, last) - 2.5) < 1e-6;
  int digits = static_cast<int>(lead - last) + 1 + (half_digit ? 1 : 0);
  if (size >= 1 && size < 1e6) digits = std::max(digits, static_cast<int>(lead) + 1);
  return std::clamp(digits, 1, 10);
}

std::string label(double value, int digits) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*g", digits, value);
  return buf;
}

void whole_decades(double& lo, double& hi) {
  const double first = std::ceil(std::log10(lo)), last = std::floor(std::log10(hi));
  if (last - first >= 1) return;
  // A hair beyond the decades, or the axis, rounding log10(0.1) up, leaves the end unlabelled.
  lo = std::pow(10.0, std::floor(std::log10(lo))) * (1 - 1e-9);
  hi = std::pow(10.0, std::ceil(std::log10(hi))) * (1 + 1e-9);
}

void around_one_value(double& lo, double& hi, bool log) {
  const double mid = (lo + hi) / 2;
  if (log)
    lo = mid / 1.2, hi = mid * 1.2;
  else if (mid == 0)
    lo = -0.5, hi = 0.5;
  else
    lo = mid - 0.05 * std::abs(mid), hi = mid + 0.05 * std::abs(mid);
}

void fit_values(double& lo, double& hi, bool log) {
  if (is_flat(lo, hi)) around_one_value(lo, hi, log);
  if (log) {
    whole_decades(lo, hi);
  } else {
    const double pad = 0.05 * (hi - lo);
    lo -= pad, hi += pad;
  }
}

} // namespace gs::axis
