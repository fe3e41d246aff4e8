// The zlib-only PNG encoder and the sample-grid layout, checked by decoding with OpenCV where the build has it; the
// report's line charts and their axes.
#include "core/io/line_chart.h"
#include "core/io/png.h"

#include <QtTest>
#include <torch/torch.h>

#include <string>
#include <vector>
#ifdef GANSTUDIO_HAVE_OPENCV
#include <opencv2/imgcodecs.hpp>
#endif

using namespace gs;

class TestPng : public QObject {
  Q_OBJECT

private Q_SLOTS:
  void encodes_rgb_and_grey_losslessly() {
#ifndef GANSTUDIO_HAVE_OPENCV
    QSKIP("no OpenCV to decode with");
#else
    for (int channels : {1, 3, 4}) {
      const at::Tensor img = torch::randint(0, 256, {7, 5, channels}, torch::kByte);
      const std::string png = io::encode_png(img);
      QVERIFY(png.rfind("\x89PNG\r\n\x1a\n", 0) == 0);
      cv::Mat raw(1, static_cast<int>(png.size()), CV_8U, const_cast<char*>(png.data()));
      cv::Mat back = cv::imdecode(raw, cv::IMREAD_UNCHANGED);
      QCOMPARE(back.rows, 7);
      QCOMPARE(back.cols, 5);
      QCOMPARE(back.channels(), channels);
      at::Tensor decoded = torch::from_blob(back.data, {7, 5, channels}, torch::kByte).clone();
      if (channels == 3) decoded = decoded.flip(2); // OpenCV decodes to BGR
      if (channels == 4) decoded = decoded.index_select(2, torch::tensor({2, 1, 0, 3}));
      QVERIFY(torch::equal(decoded, img));
    }
#endif
  }

  void rejects_what_it_cannot_encode() {
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, io::encode_png(torch::zeros({4, 4, 3}, torch::kFloat)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, io::encode_png(torch::zeros({4, 4, 5}, torch::kByte)));
  }

  void grid_places_tiles_row_major_with_padding() {
    // Five 2x3 tiles with values -1 (black) .. 1 (white) in 3 columns, padding 1 of grey 128.
    at::Tensor images = torch::linspace(-1, 1, 5).view({5, 1, 1, 1}).expand({5, 1, 2, 3});
    at::Tensor grid = io::make_grid(images, 3, 1, 128);
    QCOMPARE(grid.size(0), 2 * (2 + 1) + 1);
    QCOMPARE(grid.size(1), 3 * (3 + 1) + 1);
    QCOMPARE(grid.size(2), 3);
    QCOMPARE(grid[0][0][0].item<int>(), 128);
    QCOMPARE(grid[1][1][0].item<int>(), 0);       // first tile: -1 -> 0
    QCOMPARE(grid[4][1 + 4][1].item<int>(), 255); // fifth tile (row 1, column 1): 1 -> 255
    QCOMPARE(grid[4][1 + 8][2].item<int>(), 128); // row 1, column 2 is empty: background
    QCOMPARE(grid[1][1 + 4][0].item<int>(), 64);  // second tile: -0.5 -> round(63.75)
  }
  // A run's curves as report.md draws them: ticks at round values, labelled exactly (the charts used to put five
  // evenly spaced ticks: steps 382.5 and 1128, metrics 0.4805 and -0.031).
  void chart_axes_tick_round_values() {
    io::Series steps{"precision", {}, {}};
    for (int step = 10; step <= 1500; step += 10) steps.x.push_back(step), steps.y.push_back(0.651 * step / 1500);
    const io::ChartAxes a = io::chart_axes({steps});
    QVERIFY(!a.empty);
    QCOMPARE(a.x.ticks, (std::vector<double>{500, 1000, 1500}));
    QCOMPARE(a.x.labels, (std::vector<std::string>{"500", "1000", "1500"}));
    QCOMPARE(a.y.labels, (std::vector<std::string>{"0", "0.2", "0.4", "0.6"}));
    QVERIFY(a.x.lo <= 10 && a.x.hi >= 1500 && a.y.lo < 0.004 && a.y.hi > 0.651);

    // A constant curve sits in the middle, its ticks whole; one step sits between whole steps.
    const io::ChartAxes flat = io::chart_axes({{"FD", {1, 2}, {1252.764, 1252.765}}});
    QCOMPARE(flat.y.labels, (std::vector<std::string>{"1200", "1250", "1300"}));
    QCOMPARE(flat.x.labels, (std::vector<std::string>{"1", "2"})); // whole steps only
    const io::ChartAxes one = io::chart_axes({{"FD", {5}, {80}}});
    QCOMPARE(one.x.labels, (std::vector<std::string>{"4", "5", "6"}));
    QVERIFY(one.y.lo < 80 && one.y.hi > 80);

    // A log axis over less than a decade widens to whole decades, ticked at powers of ten.
    const io::ChartAxes losses = io::chart_axes({{"g", {1, 2, 3}, {0.2, 0.5, 0.3}}}, true);
    QCOMPARE(losses.y.labels, (std::vector<std::string>{"0.1", "1"}));
    QCOMPARE(losses.y.ticks, (std::vector<double>{-1, 0}));

    QVERIFY(io::chart_axes({{"nothing", {1, 2}, {NAN, INFINITY}}}).empty);
    QVERIFY(io::chart_axes({{"negative", {1, 2}, {-1, 0}}}, true).empty);
  }

  // The chart draws its grid at those ticks.
  void chart_grid_lies_at_the_ticks() {
    const io::Series s{"d", {0, 100}, {0, 1}};
    const int width = 640, height = 320, left = 80, right = 16, top = 12, bottom = 30; // line_chart's margins
    const at::Tensor img = io::line_chart({s}, width, height);
    const io::ChartAxes a = io::chart_axes({s});
    QCOMPARE(a.y.labels, (std::vector<std::string>{"0", "0.5", "1"}));
    QCOMPARE(a.x.labels, (std::vector<std::string>{"0", "25", "50", "75", "100"}));
    const int ph = height - top - bottom;
    auto grey_in_row = [&](int y) {
      int n = 0;
      for (int x = left + 1; x < width - right; ++x) n += img[y][x][0].item<int>() == 225;
      return n;
    };
    auto row = [&](double t) {
      return static_cast<int>(std::lround(top + ph - (t - a.y.lo) / (a.y.hi - a.y.lo) * ph));
    };
    for (const double t : a.y.ticks)
      QVERIFY2(grey_in_row(row(t)) > (width - left - right) / 2, std::to_string(t).c_str());
    QVERIFY(grey_in_row(row(0.25)) < 20); // between the ticks: no grid
  }
};

QTEST_APPLESS_MAIN(TestPng)
#include "test_png.moc"
