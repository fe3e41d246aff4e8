// Datasets: Fashion-MNIST IDX files from Debian's dataset-fashion-mnist, and damaged IDX files.
#include "core/data/idx_file.h"

#include <QTemporaryDir>
#include <QtTest>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <zlib.h>

using namespace gs;

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
