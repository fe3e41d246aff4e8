// Checkpoints and .npy files written by the project read back here and in python3-torch / NumPy.
#include "core/io/checkpoint.h"
#include "core/io/io_error.h"
#include "core/io/npy.h"
#include "fixture_expectations.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <torch/torch.h>

#include <filesystem>

using namespace gs;

namespace {

bool python_has_torch() {
  QProcess p;
  p.start(GANSTUDIO_PYTHON, {"-c", "import torch, numpy"});
  return p.waitForFinished(60000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

// What python3-torch sees in `path` (describe_checkpoint.py's JSON).
nlohmann::json python_view(const std::string& path) {
  QProcess p;
  p.start(GANSTUDIO_PYTHON, {QString(GANSTUDIO_FIXTURES) + "/describe_checkpoint.py", QString::fromStdString(path)});
  if (!p.waitForFinished(120000) || p.exitCode() != 0)
    throw std::runtime_error("python failed: " + p.readAllStandardError().toStdString());
  return nlohmann::json::parse(p.readAllStandardOutput().toStdString());
}

std::vector<io::NamedTensor> sample_tensors() {
  torch::manual_seed(7);
  at::Tensor base = torch::randn({4, 6});
  return {
      {"conv.weight", torch::randn({8, 3, 3, 3})},
      {"conv.bias", torch::randn({8})},
      {"half", torch::randn({3, 2}).to(torch::kHalf)},
      {"bf16", torch::randn({5}).to(torch::kBFloat16)},
      {"steps", torch::arange(5, torch::kLong)},
      {"mask", torch::tensor({true, false, true})},
      {"bytes", torch::arange(4, torch::kByte)},
      {"transposed", base.t()},      // non-contiguous: written contiguous
      {"column", base.select(1, 2)}, // a strided view with an offset
      {"scalar", torch::tensor(2.5)},
  };
}

io::Value* add_metadata(io::ValueArena& arena, io::Value* state_dict) {
  io::Value* meta = arena.dict(true);
  io::Value* version = arena.dict();
  version->entries.emplace_back(arena.string("version"), arena.integer(1));
  meta->entries.emplace_back(arena.string(""), version);
  meta->entries.emplace_back(arena.string("conv"), version);
  state_dict->fields.emplace_back("_metadata", meta);
  return state_dict;
}

} // namespace

class TestCheckpointWriter : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void round_trip_in_cpp() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("out.pt").toStdString();
    io::ValueArena arena;
    auto tensors = sample_tensors();
    io::save_checkpoint(path, add_metadata(arena, io::make_state_dict(arena, tensors)));
    QVERIFY(!std::filesystem::exists(path + ".tmp"));
    io::Checkpoint ck = io::load_checkpoint(path);
    QCOMPARE(int(ck.format), int(io::Format::TorchZip));
    auto back = io::flatten_tensors(ck.doc.root);
    QCOMPARE(back.size(), tensors.size());
    for (size_t i = 0; i < back.size(); ++i) {
      QCOMPARE(back[i].name, tensors[i].name);
      QVERIFY(back[i].tensor.is_contiguous());
      QVERIFY2(torch::equal(back[i].tensor, tensors[i].tensor), tensors[i].name.c_str());
    }
    QVERIFY(ck.doc.root->field("_metadata") != nullptr);
  }

  void python_reads_what_we_write() {
    if (!python_has_torch()) QSKIP("python3-torch is not installed");
    QTemporaryDir dir;
    const std::string path = dir.filePath("student.pt").toStdString();
    io::ValueArena arena;
    auto tensors = sample_tensors();
    io::Value* root = arena.dict();
    root->entries.emplace_back(arena.string("g_ema"), add_metadata(arena, io::make_state_dict(arena, tensors)));
    io::Value* args = arena.make(io::Kind::Record);
    args->module = "argparse";
    args->name = "Namespace";
    args->fields.emplace_back("size", arena.integer(64));
    args->fields.emplace_back("arch", arena.string("stylegan2"));
    root->entries.emplace_back(arena.string("args"), args);
    io::Value* widths = arena.list();
    for (int w : {512, 256, 128}) widths->items.push_back(arena.integer(w));
    root->entries.emplace_back(arena.string("widths"), widths);
    root->entries.emplace_back(arena.string("step"), arena.integer(123456789012));
    root->entries.emplace_back(arena.string("lr"), arena.real(0.002));
    root->entries.emplace_back(arena.string("done"), arena.boolean(true));
    root->entries.emplace_back(arena.string("nothing"), arena.none());
    io::Value* raw = arena.make(io::Kind::Bytes);
    raw->text = std::string("\x00\xff\x80z", 4);
    root->entries.emplace_back(arena.string("raw"), raw);
    io::save_checkpoint(path, root);

    const nlohmann::json py = python_view(path);
    std::vector<io::NamedTensor> expected;
    for (const auto& t : tensors) expected.push_back({"g_ema." + t.name, t.tensor.contiguous()});
    const std::string mismatch = test::compare_tensors(expected, py["tensors"]);
    QVERIFY2(mismatch.empty(), mismatch.c_str());
    QCOMPARE(py["types"]["g_ema"].get<std::string>(), std::string("OrderedDict"));
    QCOMPARE(py["types"]["args"].get<std::string>(), std::string("Namespace"));
    QCOMPARE(py["values"]["args"].get<std::string>(), std::string("[('arch', 'stylegan2'), ('size', 64)]"));
    QCOMPARE(py["values"]["widths"].get<std::string>(), std::string("[512, 256, 128]"));
    QCOMPARE(py["values"]["step"].get<std::string>(), std::string("123456789012"));
    QCOMPARE(py["values"]["lr"].get<std::string>(), std::string("0.002"));
    QCOMPARE(py["values"]["done"].get<std::string>(), std::string("True"));
    QCOMPARE(py["values"]["nothing"].get<std::string>(), std::string("None"));
    QCOMPARE(py["values"]["raw"].get<std::string>(), std::string("b'\\x00\\xff\\x80z'"));
    QCOMPARE(py["metadata"], nlohmann::json({"", "conv"}));
  }

  void npy_round_trip() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("latents.npy").toStdString();
    torch::manual_seed(3);
    at::Tensor z = torch::randn({5, 7}, torch::kDouble).t(); // non-contiguous double: written as float32 C order
    io::write_npy(path, z);
    at::Tensor back = io::read_npy(path);
    QCOMPARE(back.scalar_type(), torch::kFloat);
    QVERIFY(torch::equal(back, z.to(torch::kFloat)));
    if (!python_has_torch()) QSKIP("python3-numpy is not installed");
    const nlohmann::json py = python_view(path);
    QCOMPARE(py["dtype"].get<std::string>(), std::string("float32"));
    QCOMPARE(py["shape"], nlohmann::json({7, 5}));
    QCOMPARE(py["fortran"].get<bool>(), false);
    const std::string mismatch = test::compare_tensors({{"tensor", z.to(torch::kFloat).contiguous()}}, py["tensors"]);
    QVERIFY2(mismatch.empty(), mismatch.c_str());
  }

  void failed_write_leaves_old_file_intact() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("keep.pt").toStdString();
    io::ValueArena arena;
    io::save_checkpoint(path, io::make_state_dict(arena, {{"w", torch::ones({3})}}));
    // The temporary cannot be created where a directory of that name stands: the write must fail cleanly.
    std::filesystem::create_directory(path + ".tmp");
    try {
      io::save_checkpoint(path, io::make_state_dict(arena, {{"w", torch::zeros({3})}}));
      QFAIL("write into a blocked temporary succeeded");
    } catch (const io::IoError& e) {
      QVERIFY(QString(e.what()).contains(QString::fromStdString(path)));
    }
    auto back = io::flatten_tensors(io::load_checkpoint(path).doc.root);
    QVERIFY(torch::equal(back.at(0).tensor, torch::ones({3})));
    try {
      io::save_checkpoint(dir.filePath("no/such/dir/x.pt").toStdString(), io::make_state_dict(arena, {}));
      QFAIL("write into a missing directory succeeded");
    } catch (const io::IoError& e) {
      QVERIFY(QString(e.what()).contains("cannot write"));
    }
  }
};

QTEST_GUILESS_MAIN(TestCheckpointWriter)
#include "test_checkpoint_writer.moc"
