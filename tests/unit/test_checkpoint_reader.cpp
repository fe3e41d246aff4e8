// Reading every fixture kind made by python3-torch, refusing malicious pickles, and surviving damaged files.
#include "core/io/checkpoint.h"
#include "core/io/checkpoint_summary.h"
#include "core/io/io_error.h"
#include "core/io/npy.h"
#include "core/io/zip_archive.h"
#include "fixture_expectations.h"

#include <QTemporaryDir>
#include <QtTest>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

using namespace gs;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::string> readable_fixtures() {
  std::vector<std::string> names;
  for (const auto& [name, e] : test::expectations().items())
    if (e.is_object() && e.contains("tensors")) names.push_back(name);
  return names;
}

// The error an unreadable file gives: an IoError naming the file. Anything else fails the test.
std::string load_error(const std::string& path) {
  try {
    io::load_checkpoint(path);
  } catch (const io::IoError& e) {
    if (e.file() != path) return "IoError names '" + e.file() + "' instead of the file";
    return "";
  } catch (const std::exception& e) {
    return std::string("not an IoError: ") + e.what();
  }
  return "loaded without error";
}

// A hand-made torch.save archive: one float tensor of `size` elements over a storage declaring `numel` elements,
// whose record really holds 4 floats.
std::string lying_archive(int32_t numel, int32_t size) {
  auto str = [](const std::string& s) {
    std::string out = "X";
    for (int i = 0; i < 4; ++i) out += static_cast<char>((s.size() >> (8 * i)) & 0xFF);
    return out + s;
  };
  auto int32 = [](int32_t v) {
    std::string out = "J";
    for (int i = 0; i < 4; ++i) out += static_cast<char>((static_cast<uint32_t>(v) >> (8 * i)) & 0xFF);
    return out;
  };
  std::string pkl = "\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((" + str("storage") + "ctorch\nFloatStorage\n" +
                    str("0") + str("cpu") + int32(numel) + "tQK\x00(" + int32(size) + "t(K\x01t\x89" +
                    "ccollections\nOrderedDict\n)RtR.";
  std::ostringstream os;
  io::ZipWriter zip(os);
  zip.add("archive/data.pkl", pkl.data(), pkl.size());
  const float data[4] = {1, 2, 3, 4};
  zip.add("archive/data/0", data, sizeof data);
  zip.add("archive/version", "3\n", 2);
  zip.finish();
  return os.str();
}

} // namespace

class TestCheckpointReader : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void reads_every_fixture_data() {
    QTest::addColumn<QString>("name");
    for (const auto& n : readable_fixtures()) QTest::newRow(n.c_str()) << QString::fromStdString(n);
  }
  void reads_every_fixture() {
    QFETCH(QString, name);
    const auto& e = test::expectations()[name.toStdString()];
    io::Checkpoint ck = io::load_checkpoint(test::fixture(name.toStdString()));
    QCOMPARE(QString(io::format_name(ck.format)), QString::fromStdString(e["format"]));
    const std::string mismatch = test::compare_tensors(io::flatten_tensors(ck.doc.root), e["tensors"]);
    QVERIFY2(mismatch.empty(), mismatch.c_str());

    io::CheckpointSummary s = io::summarize(ck);
    QCOMPARE(QString::fromStdString(s.root_type), QString::fromStdString(e["root_type"]));
    if (e.contains("records")) {
      for (const auto& er : e["records"]) {
        auto it = std::find_if(s.records.begin(), s.records.end(), [&](const io::RecordInfo& r) {
          return r.path == er["path"] && r.class_name == er["class"];
        });
        QVERIFY2(it != s.records.end(), er.dump().c_str());
        for (const auto& [field, value] : er["fields"].items()) {
          auto f = std::find_if(it->fields.begin(), it->fields.end(), [&](const auto& x) { return x.name == field; });
          QVERIFY2(f != it->fields.end(), field.c_str());
          QCOMPARE(QString::fromStdString(f->value), QString::fromStdString(value));
        }
      }
    }
    if (e.contains("values")) {
      for (const auto& [path, value] : e["values"].items()) {
        auto v = std::find_if(s.values.begin(), s.values.end(), [&](const auto& x) { return x.name == path; });
        QVERIFY2(v != s.values.end(), path.c_str());
        QCOMPARE(QString::fromStdString(v->value), QString::fromStdString(value));
      }
    }
  }

  void views_share_one_storage() {
    io::Checkpoint ck = io::load_checkpoint(test::fixture("views.pt"));
    auto tensors = io::flatten_tensors(ck.doc.root);
    QCOMPARE(tensors.size(), size_t(5));
    const void* base = tensors[0].tensor.storage().data();
    for (const auto& t : tensors) QCOMPARE(t.tensor.storage().data(), base);
    // Writing through the base is visible in the views, as in PyTorch.
    tensors[0].tensor.fill_(1.0f);
    QCOMPARE(tensors[4].tensor.sum().item<float>(), 6.0f);
  }

  void state_dict_metadata_is_kept() {
    io::Checkpoint ck = io::load_checkpoint(test::fixture("state_dict.pt"));
    QVERIFY(ck.doc.root->ordered);
    const io::Value* meta = ck.doc.root->field("_metadata");
    QVERIFY(meta);
    QCOMPARE(int(meta->kind), int(io::Kind::Dict));
    QVERIFY(meta->get("conv") != nullptr);
  }

  void refuses_malicious_pickles_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("callable");
    for (const auto& [name, callable] : test::expectations()["refused"].items())
      QTest::newRow(name.c_str()) << QString::fromStdString(name) << QString::fromStdString(callable);
  }
  void refuses_malicious_pickles() {
    QFETCH(QString, name);
    QFETCH(QString, callable);
    const std::string marker = test::expectations()["marker"];
    std::filesystem::remove(marker);
    const std::string path = test::fixture(name.toStdString());
    try {
      io::load_checkpoint(path);
      QFAIL("a malicious pickle was accepted");
    } catch (const io::IoError& e) {
      const QString msg = e.what();
      QVERIFY2(msg.contains(QString::fromStdString(path)), qPrintable(msg));
      QVERIFY2(msg.contains("refusing to call '" + callable + "'"), qPrintable(msg));
    }
    QVERIFY2(!std::filesystem::exists(marker), "the payload ran");
  }

  void truncated_files_fail_cleanly_data() {
    QTest::addColumn<QString>("name");
    for (const auto& n : readable_fixtures()) QTest::newRow(n.c_str()) << QString::fromStdString(n);
  }
  void truncated_files_fail_cleanly() {
    QFETCH(QString, name);
    QTemporaryDir dir;
    const std::string bytes = slurp(test::fixture(name.toStdString()));
    const std::string path = dir.filePath("cut.bin").toStdString();
    // Every length for the first 64 bytes, then a spread through the rest of the file.
    std::vector<size_t> cuts;
    for (size_t n = 0; n < std::min<size_t>(64, bytes.size()); ++n) cuts.push_back(n);
    for (size_t k = 1; k < 40; ++k) cuts.push_back(bytes.size() * k / 40);
    cuts.push_back(bytes.size() - 1);
    for (size_t n : cuts) {
      spit(path, bytes.substr(0, n));
      const std::string err = load_error(path);
      QVERIFY2(err.empty(), qPrintable(QString("cut at %1 of %2: %3").arg(n).arg(bytes.size()).arg(err.c_str())));
    }
  }

  void corrupted_files_never_crash() {
    // Random byte damage: the reader may succeed or throw IoError, but must not crash or throw anything else.
    QTemporaryDir dir;
    const std::string path = dir.filePath("bad.bin").toStdString();
    std::mt19937 rng(1234);
    for (const auto& name : readable_fixtures()) {
      const std::string clean = slurp(test::fixture(name));
      for (int round = 0; round < 150; ++round) {
        std::string bytes = clean;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = static_cast<char>(rng() & 0xFF);
        spit(path, bytes);
        try {
          io::load_checkpoint(path);
        } catch (const io::IoError&) {
        } catch (const std::exception& e) {
          QFAIL(qPrintable(QString("%1, round %2: %3").arg(name.c_str()).arg(round).arg(e.what())));
        }
      }
    }
  }

  void impossible_sizes_are_refused_without_allocating() {
    QTemporaryDir dir;
    // .npy claiming 10^15 float32 elements in a 100-byte file.
    const std::string npy = dir.filePath("huge.npy").toStdString();
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000000,), }";
    header.append(64 - (10 + header.size() + 1) % 64, ' ');
    header += '\n';
    std::string bytes("\x93NUMPY\x01\x00", 8);
    bytes += static_cast<char>(header.size() & 0xFF);
    bytes += static_cast<char>(header.size() >> 8);
    spit(npy, bytes + header + std::string(16, '\0'));
    QVERIFY(load_error(npy).empty());

    // safetensors whose tensor claims more bytes than its offsets hold.
    const std::string st = dir.filePath("bad.safetensors").toStdString();
    std::string json = R"({"w":{"dtype":"F32","shape":[100000000000],"data_offsets":[0,8]}})";
    std::string len(8, '\0');
    len[0] = static_cast<char>(json.size());
    spit(st, len + json + std::string(8, '\0'));
    QVERIFY(load_error(st).empty());

    // A torch.save archive whose storage declares 2^40 elements but holds 16 bytes, and one whose tensor view
    // reaches past its (honest) storage.
    for (auto [numel, size] : {std::pair<int32_t, int32_t>{0x7FFFFFFF, 4}, {4, 100}}) {
      const std::string path = dir.filePath("lying.pt").toStdString();
      spit(path, lying_archive(numel, size));
      const std::string err = load_error(path);
      QVERIFY2(err.empty(), err.c_str());
    }
  }

  void not_a_checkpoint() {
    QTemporaryDir dir;
    const std::string text = dir.filePath("notes.txt").toStdString();
    spit(text, "just some text\n");
    try {
      io::load_checkpoint(text);
      QFAIL("text accepted");
    } catch (const io::IoError& e) {
      QVERIFY(QString(e.what()).contains("not a checkpoint"));
    }
    const std::string empty = dir.filePath("empty.pt").toStdString();
    spit(empty, "");
    QVERIFY(load_error(empty).empty());
    QVERIFY(load_error(dir.path().toStdString()).empty()); // a directory
    try {
      io::load_checkpoint(dir.filePath("missing.pt").toStdString());
      QFAIL("missing file accepted");
    } catch (const io::IoError& e) {
      QVERIFY(QString(e.what()).contains("cannot open"));
    }
  }

  void npy_fortran_order_is_reordered() {
    at::Tensor t = io::read_npy(test::fixture("fortran.npy"));
    QCOMPARE(t.size(0), int64_t(2));
    QCOMPARE(t.size(1), int64_t(3));
    QCOMPARE(t[1][0].item<double>(), 3.0);
    QCOMPARE(t[0][2].item<double>(), 2.0);
  }
};

QTEST_GUILESS_MAIN(TestCheckpointReader)
#include "test_checkpoint_reader.moc"
