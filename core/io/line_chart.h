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

// uint8 [height, width, 3]. Non-finite points are skipped; `log_y` plots log10(y) for positive y only. The legend is
// left to the caller (series_colour names each colour) since the chart draws digits only.
at::Tensor line_chart(const std::vector<Series>& series, int width = 640, int height = 320, bool log_y = false);
const char* series_colour(size_t index); // "blue", "orange", ...

} // namespace gs::io
