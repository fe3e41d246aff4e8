// SSD against its PyTorch definition (tests/fixtures/models/make_ssd_fixtures.py): recognition of a {netG, netD}
// checkpoint, generator and spectral-norm discriminator outputs, pruning, saving.
#include "core/io/npy.h"
#include "core/models/channel_ops.h"
#include "core/models/registry.h"
#include "core/models/torchscript_export.h"
#include "model_checks.h"

#include <QTemporaryDir>
#include <QtTest>
#include <nlohmann/json.hpp>
#include <torch/script.h>
#include <torch/torch.h>

#include <fstream>

using namespace gs;

namespace {

std::string fixture(const std::string& name) {
  return std::string(GANSTUDIO_FIXTURES) + "/models/ssd/" + name;
}

void verify_close(const at::Tensor& got, const at::Tensor& want) {
  QCOMPARE(got.sizes().vec(), want.sizes().vec());
  const double d = test::relative_max_diff(got, want);
  QVERIFY2(d <= 1e-4, qPrintable(QString("relative difference %1").arg(d)));
}

} // namespace

class TestSsd : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void recognises_generator_and_discriminator() {
    models::Model m = models::load_model(fixture("ssd32.pt"));
    QCOMPARE(m.arch, models::Arch::SSD);
    QCOMPARE(m.generator_source, std::string("netG"));
    const auto o = m.generator->options();
    QCOMPARE(o["z_dim"].get<int64_t>(), 16);
    QCOMPARE(o["size"].get<int64_t>(), 32);
    QCOMPARE(o["widths"]["convs.0"].get<int64_t>(), 32);
    QVERIFY(m.discriminator);
    const auto j = nlohmann::json::parse(std::ifstream(fixture("expected.json")));
    QCOMPARE(m.generator->cost().params, j["generator_params"].get<int64_t>());
    int64_t d_params = 0;
    for (const auto& p : m.discriminator->module().parameters()) d_params += p.numel();
    QCOMPARE(d_params, j["discriminator_params"].get<int64_t>());
  }

  void matches_python_reference() {
    torch::NoGradGuard no_grad;
    models::Model m = models::load_model(fixture("ssd32.pt"));
    const at::Tensor out = m.generator->forward(io::read_npy(fixture("latents.npy")));
    verify_close(out, io::read_npy(fixture("expected_g.npy")));
    verify_close(m.discriminator->forward(out), io::read_npy(fixture("expected_d.npy")));
  }

  void missing_tensor_is_named() {
    const std::string err =
        test::load_error_after_edit(fixture("ssd32.pt"), "netG", [](std::vector<io::NamedTensor>& t) {
          t.erase(std::remove_if(t.begin(), t.end(), [](auto& nt) { return nt.name == "style_biases.1.bias"; }),
                  t.end());
        });
    QVERIFY2(err.find("style_biases.1.bias") != std::string::npos, err.c_str());
  }

  void slicing_equals_masking() {
    models::Model m = models::load_model(fixture("ssd32.pt"));
    const std::string err = test::slice_equals_mask(*m.generator, 5, 17);
    QVERIFY2(err.empty(), err.c_str());
  }

  void round_trips_and_trains_spectral_norm() {
    QTemporaryDir dir;
    models::Model m = models::load_model(fixture("ssd32.pt"));
    QVERIFY(test::save_load_round_trip(*m.generator, dir.path().toStdString()).empty());
    // A training-mode pass updates the power-iteration vectors, as torch.nn.utils.spectral_norm does.
    auto& d = *m.discriminator;
    const at::Tensor u0 = d.module().named_buffers()["sn_convs.0.weight_u"].clone();
    d.module().train();
    d.forward(torch::rand({4, 3, 32, 32}));
    QVERIFY(!torch::equal(u0, d.module().named_buffers()["sn_convs.0.weight_u"]));
  }

  void default_size_is_the_papers() {
    models::Model m = models::build_model(models::Arch::SSD, nlohmann::json::object(), nlohmann::json::object());
    QCOMPARE(m.generator->options()["widths"]["convs.0"].get<int64_t>(), 512);
    torch::NoGradGuard no_grad;
    m.generator->module().eval();
    m.discriminator->module().eval();
    const at::Tensor img = m.generator->forward(torch::randn({2, 100}));
    QCOMPARE(img.sizes().vec(), (std::vector<int64_t>{2, 3, 64, 64}));
    QCOMPARE(m.discriminator->forward(img).sizes().vec(), std::vector<int64_t>{2});
  }

  // The TorchScript export runs without this project's code and equals the generator, also after pruning.
  void torchscript_export_matches() {
    models::Model m = models::load_model(fixture("ssd32.pt"));
    QTemporaryDir dir;
    const std::string err = test::torchscript_matches(*m.generator, dir.filePath("g.ts").toStdString());
    QVERIFY2(err.empty(), err.c_str());
  }
};

QTEST_APPLESS_MAIN(TestSsd)
#include "test_ssd.moc"
