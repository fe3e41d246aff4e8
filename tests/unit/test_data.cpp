// Datasets: Fashion-MNIST IDX files from Debian's dataset-fashion-mnist, and damaged IDX files.
#include "core/data/idx_file.h"
#include "core/data/loader.h"
#include "core/io/checkpoint.h"

#include <QTemporaryDir>
#include <QtTest>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <zlib.h>
#ifdef GANSTUDIO_HAVE_OPENCV
#include <opencv2/imgcodecs.hpp>
#endif

using namespace gs;

namespace {

// Every label of one epoch, in order.
std::vector<int64_t> epoch_labels(data::Loader& loader, int64_t epoch) {
  loader.start_epoch(epoch);
  std::vector<int64_t> out;
  while (auto b = loader.next())
    for (int64_t i = 0; i < b->labels.size(0); ++i) out.push_back(b->labels[i].item<int64_t>());
  return out;
}

#ifdef GANSTUDIO_HAVE_OPENCV
void write_png(const std::string& path, int h, int w, int channels, cv::Scalar colour) {
  cv::Mat m(h, w, CV_8UC(channels), colour);
  QVERIFY(cv::imwrite(path, m));
}
#endif

} // namespace

class TestData : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void fashion_mnist_test_split() {
    const std::string dir = data::default_fashion_mnist_dir();
    if (!std::filesystem::exists(dir + "/t10k-images-idx3-ubyte.gz")) QSKIP("dataset-fashion-mnist not installed");
    at::Tensor x = data::read_idx_images(dir + "/t10k-images-idx3-ubyte.gz");
    at::Tensor y = data::read_idx_labels(dir + "/t10k-labels-idx1-ubyte.gz");
    QCOMPARE(x.sizes().vec(), (std::vector<int64_t>{10000, 1, 28, 28}));
    QCOMPARE(x.to(torch::kLong).sum().item<int64_t>(), int64_t(573469082)); // NumPy's sum of the same file
    QCOMPARE(y.size(0), int64_t(10000));
    QCOMPARE(y[0].item<int64_t>(), int64_t(9));
    QVERIFY(torch::equal(torch::bincount(y), torch::full({10}, 1000, torch::kLong)));
  }

  void tensor_cache_and_seeded_shuffling() {
    QTemporaryDir dir;
    const std::string cache = dir.filePath("cache.pt").toStdString();
    io::ValueArena arena;
    io::Value* root = arena.dict();
    root->entries.emplace_back(arena.string("images"),
                               arena.tensor(torch::arange(10 * 4, torch::kUInt8).reshape({10, 1, 2, 2})));
    root->entries.emplace_back(arena.string("labels"), arena.tensor(torch::arange(10, torch::kLong)));
    io::save_checkpoint(cache, root);
    data::DatasetOptions opt;
    opt.size = 4;
    auto ds = std::shared_ptr<data::Dataset>(data::open_dataset(cache, opt));
    QCOMPARE(ds->size(), int64_t(10));
    QCOMPARE(ds->get(3).image.sizes().vec(), (std::vector<int64_t>{3, 4, 4})); // grey to RGB, 2x2 to 4x4

    data::Loader a(ds, {3, 42}), b(ds, {3, 42}), c(ds, {3, 43});
    QCOMPARE(a.batches_per_epoch(), int64_t(3));
    const auto first = epoch_labels(a, 0);
    QCOMPARE(first.size(), size_t(9)); // drop_last: 3 full batches
    QCOMPARE(epoch_labels(b, 0), first);
    QVERIFY(epoch_labels(a, 1) != first);
    QVERIFY(epoch_labels(c, 0) != first);
    data::Loader all(ds, {4, 1, /*shuffle=*/false, /*drop_last=*/false});
    QCOMPARE(epoch_labels(all, 0), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  }

  void fashion_mnist_by_name() {
    if (!std::filesystem::exists(data::default_fashion_mnist_dir())) QSKIP("dataset-fashion-mnist not installed");
    data::DatasetOptions opt;
    opt.size = 32;
    auto ds = data::open_dataset("fashion-mnist:test", opt);
    QCOMPARE(ds->size(), int64_t(10000));
    auto s = ds->get(0);
    QCOMPARE(s.image.sizes().vec(), (std::vector<int64_t>{3, 32, 32}));
    QCOMPARE(s.label, int64_t(9));
  }

  void image_folders() {
#ifndef GANSTUDIO_HAVE_OPENCV
    QSKIP("built without OpenCV");
#else
    QTemporaryDir dir;
    const std::string root = dir.path().toStdString();
    std::filesystem::create_directories(root + "/single/sub");
    write_png(root + "/single/a.png", 40, 60, 3, {0, 0, 255});  // red (BGR), landscape
    write_png(root + "/single/sub/b.png", 64, 64, 1, {128});    // grey
    write_png(root + "/single/c.png", 32, 32, 4, {0, 0, 0, 0}); // fully transparent: white
    std::ofstream(root + "/single/broken.png") << "definitely not a png";
    data::DatasetOptions opt;
    opt.size = 16;
    auto ds = std::shared_ptr<data::Dataset>(data::open_dataset(root + "/single", opt));
    QCOMPARE(ds->size(), int64_t(4));
    data::Loader loader(ds, {2, 0, false, false});
    loader.start_epoch(0);
    int64_t seen = 0;
    while (auto b = loader.next()) {
      QCOMPARE(b->images.sizes().vec(), (std::vector<int64_t>{b->images.size(0), 3, 16, 16}));
      seen += b->images.size(0);
    }
    QCOMPARE(seen, int64_t(3));
    QCOMPARE(loader.skipped(), int64_t(1)); // the broken file, counted, not fatal
    at::Tensor red = ds->get(0).image;      // a.png
    QCOMPARE(red[0].min().item<int>(), 255);
    QCOMPARE(red[2].max().item<int>(), 0);
    QCOMPARE(ds->get(2).image.min().item<int>(), 255); // c.png (sorted: a, broken, c, sub/b): transparent on white
    QCOMPARE(ds->get(3).image.max().item<int>(), 128); // sub/b.png: grey repeated to RGB

    std::filesystem::create_directories(root + "/paired");
    cv::Mat pair(20, 40, CV_8UC3, cv::Scalar(255, 0, 0));      // blue ...
    pair(cv::Rect(0, 0, 20, 20)).setTo(cv::Scalar(0, 255, 0)); // ... with a green left half
    cv::imwrite(root + "/paired/p.png", pair);
    data::DatasetOptions popt;
    popt.layout = data::Layout::Paired;
    auto paired = data::open_dataset(root + "/paired", popt);
    auto s = paired->get(0);
    QCOMPARE(s.image[1].min().item<int>(), 255);  // A: green
    QCOMPARE(s.target[2].min().item<int>(), 255); // B: blue

    for (const char* side : {"trainA", "trainB"}) {
      std::filesystem::create_directories(root + "/unpaired/" + side);
      write_png(root + "/unpaired/" + side + "/x.png", 8, 8, 3, {10, 20, 30});
    }
    auto unpaired = data::open_dataset(root + "/unpaired");
    QVERIFY(unpaired->get(0).target.defined());

    std::filesystem::create_directories(root + "/empty");
    for (const std::string& bad : {root + "/empty", root + "/missing"}) {
      try {
        data::open_dataset(bad);
        QFAIL(bad.c_str());
      } catch (const std::runtime_error& e) {
        QVERIFY2(QString(e.what()).contains(QString::fromStdString(bad)), e.what());
      }
    }
#endif
  }

  void damaged_idx_files_are_clear_errors() {
    QTemporaryDir dir;
    auto write_gz = [&](const char* name, const std::string& bytes) {
      const std::string path = dir.filePath(name).toStdString();
      gzFile f = gzopen(path.c_str(), "wb");
      gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
      gzclose(f);
      return path;
    };
    // Header declares 2 images of 2x2 but holds 5 bytes.
    std::string header("\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x02", 16);
    const std::string short_file = write_gz("short.gz", header + "abcde");
    const std::string good_file = write_gz("good.gz", header + "abcdefgh");
    const std::string not_idx = write_gz("text.gz", "hello world, not an IDX file");
    QCOMPARE(data::read_idx_images(good_file).sizes().vec(), (std::vector<int64_t>{2, 1, 2, 2}));
    for (const auto& [path, needle] :
         std::vector<std::pair<std::string, QString>>{{short_file, "declares"},
                                                      {not_idx, "bad magic"},
                                                      {dir.filePath("none.gz").toStdString(), "cannot open"}}) {
      try {
        data::read_idx_images(path);
        QFAIL(path.c_str());
      } catch (const std::runtime_error& e) {
        QVERIFY2(QString(e.what()).contains(needle) && QString(e.what()).contains(QString::fromStdString(path)),
                 e.what());
      }
    }
    // A truncated gzip stream.
    std::ifstream in(good_file, std::ios::binary);
    std::string gz((std::istreambuf_iterator<char>(in)), {});
    const std::string cut = dir.filePath("cut.gz").toStdString();
    std::ofstream(cut, std::ios::binary) << gz.substr(0, gz.size() / 2);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, data::read_idx_images(cut));
  }
};

QTEST_GUILESS_MAIN(TestData)
#include "test_data.moc"
