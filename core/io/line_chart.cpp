#include "core/io/line_chart.h"
#include "core/io/axis_ticks.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace gs::io {
namespace {

struct Rgb {
  uint8_t r, g, b;
};
constexpr std::array<Rgb, 6> kPalette{
    {{31, 119, 180}, {255, 127, 14}, {44, 160, 44}, {214, 39, 40}, {148, 103, 189}, {140, 86, 75}}};
constexpr std::array<const char*, 6> kNames{"blue", "orange", "green", "red", "purple", "brown"};

// 3x5 glyphs, one row per 3 bits, for the characters tick labels need.
int glyph(char c, int row) {
  static const char* chars = "0123456789.-e+";
  static const int rows[][5] = {{7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
                                {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
                                {0, 0, 0, 0, 2}, {0, 0, 7, 0, 0}, {0, 7, 5, 6, 3}, {0, 2, 7, 2, 0}};
  for (int i = 0; chars[i]; ++i)
    if (chars[i] == c) return rows[i][row];
  return 0;
}

enum class Align { Right, Centre };

class Canvas {
public:
  Canvas(int w, int h) : w_(w), h_(h), pixels_(torch::full({h, w, 3}, 255, torch::kUInt8)) {}
  void set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
    auto* p = pixels_.data_ptr<uint8_t>() + (static_cast<int64_t>(y) * w_ + x) * 3;
    p[0] = c.r, p[1] = c.g, p[2] = c.b;
  }
  void line(double x0, double y0, double x1, double y1, Rgb c, int thick = 1) {
    const int n = static_cast<int>(std::max(std::abs(x1 - x0), std::abs(y1 - y0))) + 1;
    for (int i = 0; i <= n; ++i) {
      const double t = static_cast<double>(i) / n;
      for (int d = 0; d < thick; ++d)
        set(static_cast<int>(std::lround(x0 + t * (x1 - x0))), static_cast<int>(std::lround(y0 + t * (y1 - y0))) + d,
            c);
    }
  }
  // Text of 3x5 glyphs scaled 2x, its right edge or its middle at x (kept inside the canvas).
  void text(int x, int y, const std::string& s, Align align) {
    const int advance = 8, size = static_cast<int>(s.size()) * advance;
    x -= align == Align::Right ? size : size / 2;
    if (align == Align::Centre) x = std::clamp(x, 0, w_ - size);
    for (char ch : s) {
      for (int row = 0; row < 5; ++row)
        for (int col = 0; col < 3; ++col)
          if (glyph(ch, row) & (4 >> col))
            for (int dy = 0; dy < 2; ++dy)
              for (int dx = 0; dx < 2; ++dx) set(x + col * 2 + dx, y + row * 2 + dy, {60, 60, 60});
      x += advance;
    }
  }
  at::Tensor pixels() const { return pixels_; }

private:
  int w_, h_;
  at::Tensor pixels_;
};

bool usable(const Series& s, size_t i, bool log_y) {
  return std::isfinite(s.x[i]) && std::isfinite(s.y[i]) && (!log_y || s.y[i] > 0);
}

Axis linear_axis(double lo, double hi, bool whole) {
  Axis a{lo, hi, {}, {}};
  const double interval = axis::tick_interval(lo, hi, whole);
  const int digits = axis::label_digits(lo, hi, interval);
  for (const double t : axis::ticks(lo, hi, interval)) a.ticks.push_back(t), a.labels.push_back(axis::label(t, digits));
  return a;
}

// [lo, hi]: whole decades.
Axis log_axis(double lo, double hi) {
  Axis a{std::log10(lo), std::log10(hi), {}, {}};
  for (double k = std::ceil(a.lo); k <= a.hi; ++k)
    a.ticks.push_back(k), a.labels.push_back(axis::label(std::pow(10, k), 3));
  return a;
}

} // namespace

const char* series_colour(size_t index) {
  return kNames[index % kNames.size()];
}

ChartAxes chart_axes(const std::vector<Series>& series, bool log_y) {
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  bool whole_x = true;
  for (const auto& s : series)
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!usable(s, i, log_y)) continue;
      x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
      whole_x = whole_x && s.x[i] == std::round(s.x[i]);
    }
  ChartAxes axes;
  if (!std::isfinite(x0)) return axes;
  axes.empty = false;
  if (x1 <= x0) x0 -= 1, x1 = x0 + 2; // one step, in the middle of whole steps around it
  axes.x = linear_axis(x0, x1, whole_x);
  axis::fit_values(y0, y1, log_y);
  axes.y = log_y ? log_axis(y0, y1) : linear_axis(y0, y1, false);
  return axes;
}

at::Tensor line_chart(const std::vector<Series>& series, int width, int height, bool log_y) {
  Canvas canvas(width, height);
  const int left = 80, right = 16, top = 12, bottom = 30;
  const Rgb axis_colour{120, 120, 120}, grid{225, 225, 225};
  const int pw = width - left - right, ph = height - top - bottom;
  const ChartAxes axes = chart_axes(series, log_y);
  const Axis &ax = axes.x, &ay = axes.y;
  auto px = [&](double x) { return left + (x - ax.lo) / (ax.hi - ax.lo) * pw; };
  auto py_at = [&](double t) { return top + ph - (t - ay.lo) / (ay.hi - ay.lo) * ph; }; // t on the axis's scale
  auto py = [&](double y) { return py_at(log_y ? std::log10(y) : y); };
  if (!axes.empty) {
    for (size_t i = 0; i < ay.ticks.size(); ++i) {
      const double yy = py_at(ay.ticks[i]);
      canvas.line(left + 1, yy, left + pw, yy, grid);
      canvas.text(left - 6, static_cast<int>(std::lround(yy)) - 5, ay.labels[i], Align::Right);
    }
    for (size_t i = 0; i < ax.ticks.size(); ++i) {
      const double xx = px(ax.ticks[i]);
      canvas.line(xx, top, xx, top + ph - 1, grid);
      canvas.line(xx, top + ph, xx, top + ph + 4, axis_colour);
      canvas.text(static_cast<int>(std::lround(xx)), top + ph + 8, ax.labels[i], Align::Centre);
    }
  }
  canvas.line(left, top, left, top + ph, axis_colour);
  canvas.line(left, top + ph, left + pw, top + ph, axis_colour);
  if (axes.empty) return canvas.pixels();
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    const Rgb c = kPalette[k % kPalette.size()];
    bool have = false;
    double lx = 0, ly = 0;
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!usable(s, i, log_y)) continue;
      const double x = px(s.x[i]), y = py(s.y[i]);
      if (have)
        canvas.line(lx, ly, x, y, c, 2);
      else
        canvas.line(x, y, x, y, c, 2);
      lx = x, ly = y, have = true;
    }
  }
  return canvas.pixels();
}

} // namespace gs::io
