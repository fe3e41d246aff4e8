// The zlib-only PNG encoder and the sample-grid layout, checked by decoding with OpenCV where the build has it.
#include "core/io/png.h"

#include <QtTest>
#include <torch/torch.h>

#include <string>
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
};

QTEST_APPLESS_MAIN(TestPng)
#include "test_png.moc"
