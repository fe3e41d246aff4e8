#include "core/io/line_chart.h"

#include <torch/torch.h>

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
  // Text of 3x5 glyphs scaled 2x; `right` aligns its right edge at x.
  void text(int x, int y, const std::string& s, bool right) {
    const int advance = 8;
    if (right) x -= static_cast<int>(s.size()) * advance;
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

std::string tick_label(double v) {
  char buf[32];
  if (v != 0 && (std::abs(v) >= 1e5 || std::abs(v) < 1e-3))
    std::snprintf(buf, sizeof buf, "%.1e", v);
  else
    std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

} // namespace

const char* series_colour(size_t index) {
  return kNames[index % kNames.size()];
}

at::Tensor line_chart(const std::vector<Series>& series, int width, int height, bool log_y) {
  Canvas canvas(width, height);
  const int left = 80, right = 16, top = 12, bottom = 30;
  auto fy = [&](double y) { return log_y ? std::log10(y) : y; };
  double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
  for (const auto& s : series)
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (log_y && s.y[i] <= 0)) continue;
      x_min = std::min(x_min, s.x[i]), x_max = std::max(x_max, s.x[i]);
      y_min = std::min(y_min, fy(s.y[i])), y_max = std::max(y_max, fy(s.y[i]));
    }
  const Rgb axis{120, 120, 120}, grid{225, 225, 225};
  const int pw = width - left - right, ph = height - top - bottom;
  canvas.line(left, top, left, top + ph, axis);
  canvas.line(left, top + ph, left + pw, top + ph, axis);
  if (!std::isfinite(x_min)) return canvas.pixels();
  if (x_max == x_min) x_max = x_min + 1;
  if (y_max == y_min) y_max = y_min + 1, y_min -= 1;
  const double pad = 0.05 * (y_max - y_min);
  y_min -= pad, y_max += pad;
  auto px = [&](double x) { return left + (x - x_min) / (x_max - x_min) * pw; };
  auto py = [&](double y) { return top + ph - (fy(y) - y_min) / (y_max - y_min) * ph; };
  for (int i = 0; i <= 4; ++i) {
    const double v = y_min + (y_max - y_min) * i / 4.0;
    const double yy = top + ph - ph * i / 4.0;
    canvas.line(left + 1, yy, left + pw, yy, grid);
    canvas.text(left - 6, static_cast<int>(yy) - 5, tick_label(log_y ? std::pow(10, v) : v), true);
    const double xv = x_min + (x_max - x_min) * i / 4.0;
    const double xx = left + pw * i / 4.0;
    canvas.text(static_cast<int>(xx) + (i == 4 ? 0 : 0), top + ph + 8, tick_label(xv), i == 4);
  }
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    const Rgb c = kPalette[k % kPalette.size()];
    bool have = false;
    double lx = 0, ly = 0;
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (log_y && s.y[i] <= 0)) continue;
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
