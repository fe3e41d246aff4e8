// Line charts rendered to an image (for report.md next to a run): axes, numeric tick labels, one colour per series.
#pragma once
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace gs::io {

struct Series {
  std::string name;
  std::vector<double> x, y;
};

// Where a chart's axes run and what they label: ticks at round values with labels that print them exactly, as the
// GUI's charts have them (core/io/axis_ticks.h). A log axis runs over log10 of its values, ticked at powers of ten.
struct Axis {
  double lo = 0, hi = 1;
  std::vector<double> ticks;
  std::vector<std::string> labels;
};
struct ChartAxes {
  bool empty = true; // no finite point (no positive one on a log axis) to draw
  Axis x, y;
};
ChartAxes chart_axes(const std::vector<Series>& series, bool log_y = false);

// uint8 [height, width, 3]. Non-finite points are skipped; `log_y` plots log10(y) for positive y only. The legend is
// left to the caller (series_colour names each colour) since the chart draws digits only.
at::Tensor line_chart(const std::vector<Series>& series, int width = 640, int height = 320, bool log_y = false);
const char* series_colour(size_t index); // "blue", "orange", ...

} // namespace gs::io
