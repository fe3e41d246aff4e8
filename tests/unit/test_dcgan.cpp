// DCGAN against pytorch/examples' generator (tests/fixtures/models/make_dcgan_fixtures.py): recognition, outputs,
// strict errors, pruning, saving, costs.
#include "core/io/npy.h"
#include "core/models/channel_ops.h"
#include "core/models/derived_weight.h"
#include "core/models/output_tanh.h"
#include "core/models/registry.h"
#include "core/models/row_product.h"
#include "core/models/transposed_conv.h"
#include "core/models/transposed_direct.h"
#include "core/models/transposed_phases.h"
#include "core/runtime.h"
#include "model_checks.h"

#include <QTemporaryDir>
#include <QtTest>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <fstream>

using namespace gs;

namespace {

std::string fixture(const std::string& name) {
  return std::string(GANSTUDIO_FIXTURES) + "/models/dcgan/" + name;
}

const nlohmann::json& expected() {
  static const nlohmann::json j = nlohmann::json::parse(std::ifstream(fixture("expected.json")));
  return j;
}

} // namespace

class TestDcgan : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void recognises_upstream_state_dicts() {
    models::Model m = models::load_model(fixture("netG64.pt"));
    QCOMPARE(m.arch, models::Arch::DCGAN);
    const auto o = m.generator->options();
    QCOMPARE(o["nz"].get<int64_t>(), 16);
    QCOMPARE(o["ngf"].get<int64_t>(), 8);
    QCOMPARE(o["nc"].get<int64_t>(), 3);
    QCOMPARE(o["size"].get<int64_t>(), 64);
    QCOMPARE(o["widths"]["main.0"].get<int64_t>(), 64);
    QVERIFY(!m.discriminator);
    models::Model small = models::load_model(fixture("netG32.pt"));
    QCOMPARE(small.generator->options()["size"].get<int64_t>(), 32);
    QCOMPARE(small.generator->options()["nc"].get<int64_t>(), 1);
  }

  void matches_python_reference() {
    torch::NoGradGuard no_grad;
    const at::Tensor z = io::read_npy(fixture("latents.npy"));
    for (const char* size : {"64", "32"}) {
      models::Model m = models::load_model(fixture(std::string("netG") + size + ".pt"));
      const at::Tensor want = io::read_npy(fixture(std::string("expected") + size + ".npy"));
      const at::Tensor got = m.generator->forward(z);
      QCOMPARE(got.sizes().vec(), want.sizes().vec());
      const double d = test::relative_max_diff(got, want);
      QVERIFY2(d <= 1e-4, qPrintable(QString("size %1: relative difference %2").arg(size).arg(d)));
    }
  }

  void parameter_counts_match_python() {
    QCOMPARE(models::load_model(fixture("netG64.pt")).generator->cost().params, expected()["params64"].get<int64_t>());
    QCOMPARE(models::load_model(fixture("netG32.pt")).generator->cost().params, expected()["params32"].get<int64_t>());
  }

  void macs_follow_both_conventions() {
    // Upstream 64x64 DCGAN (nz 100, ngf 64, nc 3), by hand: output pixels x in x out x 16 per layer.
    models::Model m = models::build_model(models::Arch::DCGAN, nlohmann::json::object());
    const int64_t by_output =
        16 * 100 * 512 * 16 + 64 * 512 * 256 * 16 + 256 * 256 * 128 * 16 + 1024 * 128 * 64 * 16 + 4096 * 64 * 3 * 16;
    const int64_t by_input =
        1 * 100 * 512 * 16 + 16 * 512 * 256 * 16 + 64 * 256 * 128 * 16 + 256 * 128 * 64 * 16 + 1024 * 64 * 3 * 16;
    QCOMPARE(m.generator->cost(models::MacConvention::TransposedByOutput).macs, by_output);
    QCOMPARE(m.generator->cost(models::MacConvention::TransposedByInput).macs, by_input);
    QCOMPARE(m.generator->cost().params, int64_t{3576704}); // upstream netG's parameter count
  }

  void missing_and_misshaped_tensors_are_named() {
    std::string err = test::load_error_after_edit(fixture("netG64.pt"), "", [](std::vector<io::NamedTensor>& t) {
      t.erase(std::remove_if(t.begin(), t.end(), [](auto& nt) { return nt.name == "main.4.running_var"; }), t.end());
    });
    QVERIFY2(err.find("main.4.running_var") != std::string::npos, err.c_str());
    err = test::load_error_after_edit(fixture("netG64.pt"), "", [](std::vector<io::NamedTensor>& t) {
      for (auto& nt : t)
        if (nt.name == "main.7.weight") nt.tensor = torch::ones({5});
    });
    QVERIFY2(err.find("main.7.weight") != std::string::npos && err.find("mis-shaped") != std::string::npos,
             err.c_str());
  }

  // The TorchScript export runs without this project's code and equals the generator, also after slicing.
  void torchscript_export_matches() {
    QTemporaryDir dir;
    for (const char* size : {"32", "64"}) {
      models::Model m = models::load_model(fixture(std::string("netG") + size + ".pt"));
      const std::string err = test::torchscript_matches(*m.generator, dir.filePath("g.ts").toStdString());
      QVERIFY2(err.empty(), err.c_str());
    }
  }

  void slicing_equals_masking() {
    for (const char* f : {"netG64.pt", "netG32.pt"}) {
      models::Model m = models::load_model(fixture(f));
      const std::string err = test::slice_equals_mask(*m.generator, 4, 3);
      QVERIFY2(err.empty(), err.c_str());
    }
  }

  void round_trips_with_discriminator() {
    QTemporaryDir dir;
    models::Model m = models::load_model(fixture("netG64.pt"));
    QVERIFY(test::save_load_round_trip(*m.generator, dir.path().toStdString()).empty());
    models::Model both = models::build_model(models::Arch::DCGAN, {{"size", 32}, {"nc", 1}, {"ngf", 8}},
                                             nlohmann::json{{"size", 32}, {"nc", 1}, {"ndf", 8}});
    const std::string path = dir.path().toStdString() + "/both.pt";
    models::save_model(path, both);
    models::Model back = models::load_model(path);
    QVERIFY(back.discriminator);
    torch::NoGradGuard no_grad;
    const at::Tensor x = torch::rand({2, 1, 32, 32}) * 2 - 1;
    both.discriminator->module().eval();
    QCOMPARE(back.discriminator->forward(x).sizes().vec(), std::vector<int64_t>{2});
    QVERIFY(test::relative_max_diff(back.discriminator->forward(x), both.discriminator->forward(x)) < 1e-6);
  }

  // Every route that applies gives LibTorch's outputs and gradients (the direct route, which serves passes without
  // gradients only, its outputs), and the picked one is as documented, with and without gradients. Matrix product:
  // DCGAN's 1×1 first layer, 256 channels into a narrow output at 2×2 (CycleGAN's 3×3 kernel with output padding and
  // bias) and, with gradients, at 4×4, and the U-Net's innermost 1×1 and 2×2 layers. Phases: DCGAN's and pix2pix's 4×4
  // stride 2 from more than 40 channels, CycleGAN's up-sampling, a 5×5 kernel, stride 3, three outputs with gradients;
  // many input channels on few pixels only without gradients. Direct, without gradients, from at most 40 channels,
  // into at most 8, at batch 1 or from 1×1 inputs with padding (4×4 kernels with padding 1 and 0, 1–3 outputs, those of
  // 1–2 (AVX2) or 1–3 (AVX-512) with their phases together, CycleGAN's 3×3 with output padding, StyleGAN2's (no
  // padding: phases of 4, 2, 2 and 1 taps, summed apart however few the outputs), a pruned DCGAN student's 19 → 10 and
  // 10 → 1, the U-Net's innermost layer, 70 and 130 channels summed in groups of 64), with both vector widths the CPU
  // runs. Narrow outputs with gradients, and an output size that is no multiple of the stride, stay with LibTorch.
  void faster_transposed_routes_match_the_convolution() {
    torch::manual_seed(0);
    using R = models::TransposedRoute;
    struct Case {
      int64_t batch, in, out, k, stride, pad, out_pad, size;
      bool bias;
      R training, inference;
    };
    for (const Case& c : {Case{3, 7, 5, 4, 1, 0, 0, 1, false, R::MatrixProduct, R::MatrixProduct},
                          Case{3, 6, 3, 4, 2, 1, 0, 4, false, R::Library, R::Direct},
                          Case{3, 6, 3, 4, 2, 0, 0, 5, true, R::Library, R::Direct},
                          Case{2, 5, 3, 3, 2, 1, 1, 7, true, R::Library, R::Direct},
                          Case{2, 5, 3, 3, 2, 0, 1, 7, true, R::Library, R::Direct},
                          Case{2, 13, 10, 3, 2, 0, 1, 8, false, R::Library, R::Direct},
                          Case{16, 10, 1, 4, 2, 1, 0, 16, false, R::Library, R::Direct},
                          Case{2, 64, 3, 4, 2, 1, 0, 8, false, R::Library, R::Direct},
                          Case{3, 9, 2, 4, 2, 1, 0, 6, true, R::Library, R::Direct},
                          Case{3, 256, 6, 3, 2, 1, 1, 2, true, R::MatrixProduct, R::MatrixProduct},
                          Case{3, 5, 4, 4, 2, 1, 0, 8, false, R::Library, R::Direct},
                          Case{2, 64, 32, 4, 2, 1, 0, 16, false, R::Phases, R::Phases},
                          Case{16, 19, 10, 4, 2, 1, 0, 8, false, R::Phases, R::Direct},
                          Case{2, 24, 21, 4, 2, 1, 0, 5, true, R::Library, R::Direct},
                          Case{4, 40, 9, 4, 2, 1, 0, 24, false, R::Phases, R::Direct},
                          Case{1, 64, 32, 4, 2, 1, 0, 8, false, R::Library, R::Direct},
                          Case{15, 256, 8, 4, 2, 1, 0, 4, true, R::MatrixProduct, R::Phases},
                          Case{2, 64, 32, 3, 2, 1, 1, 16, true, R::Phases, R::Phases},
                          Case{2, 64, 33, 5, 2, 2, 1, 16, true, R::Phases, R::Phases},
                          Case{2, 64, 32, 4, 3, 0, 2, 16, true, R::Phases, R::Phases},
                          Case{2, 64, 32, 3, 2, 1, 0, 16, false, R::Library, R::Library},
                          Case{16, 64, 64, 4, 2, 1, 0, 1, true, R::MatrixProduct, R::MatrixProduct},
                          Case{16, 128, 64, 4, 2, 1, 0, 2, false, R::MatrixProduct, R::Phases},
                          Case{16, 16, 3, 4, 2, 1, 0, 16, true, R::Phases, R::Direct},
                          Case{1, 130, 5, 4, 2, 1, 0, 6, true, R::Library, R::Direct},
                          Case{2, 70, 3, 4, 2, 1, 0, 8, true, R::Library, R::Direct}}) {
      torch::nn::ConvTranspose2d conv(torch::nn::ConvTranspose2dOptions(c.in, c.out, c.k)
                                          .stride(c.stride)
                                          .padding(c.pad)
                                          .output_padding(c.out_pad)
                                          .bias(c.bias));
      const at::Tensor x = torch::randn({c.batch, c.in, c.size, c.size}).requires_grad_(true);
      QCOMPARE(models::transposed_route(*conv, x), c.training);
      {
        torch::NoGradGuard no_grad;
        const bool direct = c.inference == R::Direct && gs::cpu_has_avx2_fma();
        QCOMPARE(models::transposed_route(*conv, x), direct || c.inference != R::Direct ? c.inference : R::Library);
        QVERIFY(test::relative_max_diff(models::transposed_conv(*conv, x), conv->forward(x)) < 1e-5); // kept kernels
        if (models::route_applies(*conv, x, R::Direct)) {
          QVERIFY(test::relative_max_diff(models::transposed_conv(*conv, x, R::Direct), conv->forward(x)) < 1e-5);
          const at::Tensor narrow = models::transposed_direct(*conv, x, nullptr, VectorWidth::Avx2);
          QVERIFY(test::relative_max_diff(narrow, conv->forward(x)) < 1e-5);
        }
      }
      QVERIFY(!models::route_applies(*conv, x, R::Direct)); // gradients wanted
      const at::Tensor g = torch::randn_like(conv->forward(x));
      std::vector<at::Tensor> wrt{x, conv->weight};
      if (c.bias) wrt.push_back(conv->bias);
      const auto grads = [&](const at::Tensor& y) { return torch::autograd::grad({y}, wrt, {g}); };
      const at::Tensor theirs = conv->forward(x);
      const auto b = grads(theirs);
      for (R route : {R::MatrixProduct, R::Phases}) {
        if (!models::route_applies(*conv, x, route)) continue;
        const at::Tensor ours = models::transposed_conv(*conv, x, route);
        QCOMPARE(ours.sizes().vec(), theirs.sizes().vec());
        QVERIFY(test::relative_max_diff(ours, theirs) < 1e-5);
        const auto a = grads(ours);
        for (size_t i = 0; i < a.size(); ++i) QVERIFY(test::relative_max_diff(a[i], b[i]) < 1e-5);
      }
    }
    // 4 × 4 inputs in a batch of whole vectors (8 floats with AVX2, 16 with AVX-512) go to the direct route where it
    // sums them with the samples innermost (AVX2 or AVX-512), however wide; a batch of 15 does not interleave and stays
    // with the phases.
    torch::nn::ConvTranspose2d wide(torch::nn::ConvTranspose2dOptions(256, 8, 4).stride(2).padding(1));
    torch::NoGradGuard no_grad;
    const bool interleaves = gs::cpu_has_avx2_fma();
    const at::Tensor sixteen = torch::randn({16, 256, 4, 4}), fifteen = torch::randn({15, 256, 4, 4});
    QCOMPARE(models::direct_interleaves(*wide, sixteen), interleaves);
    QVERIFY(!models::direct_interleaves(*wide, fifteen));
    QCOMPARE(models::transposed_route(*wide, sixteen), interleaves ? R::Direct : R::Phases);
    QVERIFY(test::relative_max_diff(models::transposed_conv(*wide, sixteen), wide->forward(sixteen)) < 1e-5);
  }

  // An image's output layer (1–3 channels, its four phases summed together) after an interleaved layer in a DirectRun
  // sums with the samples innermost on planes at most a vector wide, in a batch of 1, 2 or 4 vectors: the window's
  // columns one vector apart (batch 16 with AVX-512), two (batch 32, or 16 with AVX2), four, and rows that blocks of
  // vectors do not divide (6 × 6 inputs). Within float rounding of LibTorch with both vector widths, bias or none. On
  // its own (from a tensor) such a layer keeps the plain layout.
  void output_layers_after_interleaved_layers_match() {
    torch::manual_seed(0);
    torch::NoGradGuard no_grad;
    torch::nn::BatchNorm2d norm(7);
    norm->running_mean.normal_();
    norm->running_var.uniform_(0.5, 2.0);
    norm->eval();
    torch::nn::ConvTranspose2d hidden(torch::nn::ConvTranspose2dOptions(5, 7, 4).stride(2).padding(1).bias(false));
    for (const int64_t batch : {16, 32, 64, 128})
      for (const int64_t size : {2, 3, 4, 8})
        for (const int64_t out : {1, 3}) {
          torch::nn::ConvTranspose2d conv(
              torch::nn::ConvTranspose2dOptions(7, out, 4).stride(2).padding(1).bias(out == 3));
          const at::Tensor x = torch::randn({batch, 5, size, size});
          const at::Tensor between = torch::relu(norm->forward(hidden->forward(x)));
          const QByteArray where = QString("batch %1, %2 px, %3 out").arg(batch).arg(2 * size).arg(out).toUtf8();
          if (out == 1) QVERIFY2(!models::direct_interleaves(*conv, between), where); // always summed jointly
          if (!models::route_applies(*conv, between, models::TransposedRoute::Direct)) continue;
          for (const VectorWidth width : {VectorWidth::Widest, VectorWidth::Avx2}) {
            models::DirectRun run(*hidden, {{x}}, width);
            run.next(*conv, *norm);
            QVERIFY2(test::relative_max_diff(run.output(), conv->forward(between)) < 1e-5, where);
          }
        }
  }

  // A batch norm in eval mode and a ReLU before the layer give the same outputs whether the direct route takes them in
  // or they run on their own (a layer on another route, training mode, gradients wanted).
  void norm_and_relu_before_a_layer() {
    torch::manual_seed(0);
    for (const int64_t in : {12, 64}) {
      torch::nn::ConvTranspose2d conv(torch::nn::ConvTranspose2dOptions(in, 12, 4).stride(2).padding(1).bias(true));
      torch::nn::BatchNorm2d norm(in);
      {
        torch::NoGradGuard no_grad;
        norm->running_mean.normal_();
        norm->running_var.uniform_(0.5, 2.0);
        norm->weight.normal_();
        norm->bias.normal_();
      }
      const at::Tensor x = torch::randn({8, in, 8, 8});
      const auto separate = [&] { return conv->forward(torch::relu(norm->forward(x))); };
      norm->eval();
      {
        torch::NoGradGuard no_grad;
        QCOMPARE(models::transposed_route(*conv, x) == models::TransposedRoute::Direct, in == 12 && cpu_has_avx2_fma());
        QVERIFY(test::relative_max_diff(models::transposed_conv_after_norm_relu(*conv, *norm, x), separate()) < 1e-5);
      }
      QVERIFY(test::relative_max_diff(models::transposed_conv_after_norm_relu(*conv, *norm, x), separate()) < 1e-5);
      norm->train();
      QVERIFY(test::relative_max_diff(models::transposed_conv_after_norm_relu(*conv, *norm, x), separate()) < 1e-5);
    }
  }

  // A run of hidden layers (norm, ReLU, transposed convolution) gives what the layers give one by one, where a layer's
  // input is laid out straight from the sums before: from interleaved sums into interleaved planes (2 × 2 → 4 × 4 →
  // 8 × 8 with 16-float vectors) and into planes one sample after another (8 × 8 → 16 × 16 with 16-float vectors,
  // 4 × 4 → 8 × 8 with 8-float ones), with both vector widths, a batch that does not interleave, and with gradients.
  void a_run_of_layers_matches_the_layers() {
    torch::manual_seed(0);
    const std::vector<int64_t> widths{20, 12, 10, 9, 1};
    std::vector<torch::nn::BatchNorm2d> norms;
    std::vector<torch::nn::ConvTranspose2d> convs;
    std::vector<models::NormConv> layers;
    for (size_t i = 0; i + 1 < widths.size(); ++i) {
      norms.emplace_back(widths[i]);
      convs.emplace_back(
          torch::nn::ConvTranspose2dOptions(widths[i], widths[i + 1], 4).stride(2).padding(1).bias(i % 2));
      torch::NoGradGuard no_grad;
      norms[i]->running_mean.normal_();
      norms[i]->running_var.uniform_(0.5, 2.0);
      norms[i]->weight.normal_();
      norms[i]->bias.normal_();
      norms[i]->eval();
      layers.push_back({norms[i].get(), convs[i].get()});
    }
    const auto one_by_one = [&](at::Tensor x) {
      for (size_t i = 0; i < layers.size(); ++i) x = convs[i]->forward(torch::relu(norms[i]->forward(x)));
      return x;
    };
    const auto finish = models::output_tanh_finish();
    for (const int64_t batch : {16, 32, 12}) {
      const at::Tensor x = torch::randn({batch, widths[0], 2, 2});
      const at::Tensor want = one_by_one(x);
      const QByteArray where = QString("batch %1").arg(batch).toUtf8();
      QVERIFY2(test::relative_max_diff(models::transposed_conv_run(layers, x), want) < 1e-5, where);
      bool finished = false;
      const at::Tensor tanh = models::transposed_conv_run(layers, x, finish, &finished);
      QVERIFY2(test::relative_max_diff(finished ? tanh : torch::tanh(tanh), torch::tanh(want)) < 1e-5, where);
      if (!gs::cpu_has_avx2_fma()) continue;
      torch::NoGradGuard no_grad;
      for (const VectorWidth width : {VectorWidth::Widest, VectorWidth::Avx2}) {
        const int64_t lanes = models::direct::lanes(width);
        if (batch % lanes) continue; // not interleaved: nothing laid out from sums
        models::DirectRun run(*convs[0], {{x, norms[0].get(), true}}, width);
        at::Tensor step = convs[0]->forward(torch::relu(norms[0]->forward(x)));
        for (size_t i = 1; i < layers.size(); ++i) {
          run.next(*convs[i], *norms[i]);
          step = convs[i]->forward(torch::relu(norms[i]->forward(step)));
          QCOMPARE(run.shape().sizes().vec(), step.sizes().vec());
          QVERIFY2(test::relative_max_diff(run.output(), step) < 1e-5, where + " layer " + QByteArray::number(int(i)));
        }
      }
    }
  }

  // Without gradients the phase route keeps its rearranged kernel; changing the weight in place (an optimiser step,
  // loading a checkpoint) or replacing its data must be seen by the next pass.
  void phase_route_sees_weight_updates() {
    torch::manual_seed(0);
    torch::nn::ConvTranspose2d conv(torch::nn::ConvTranspose2dOptions(16, 8, 4).stride(2).padding(1).bias(false));
    const at::Tensor x = torch::randn({4, 16, 8, 8});
    torch::NoGradGuard no_grad;
    const auto same_as_library = [&] {
      return test::relative_max_diff(models::transposed_conv(*conv, x, models::TransposedRoute::Phases),
                                     conv->forward(x)) < 1e-5;
    };
    QVERIFY(same_as_library());
    conv->weight.mul_(-0.5).add_(0.1);
    QVERIFY(same_as_library());
    conv->weight.set_data(torch::randn_like(conv->weight)); // what Module::to() does; the version stays
    QVERIFY(same_as_library());
    // The kept kernel goes with its layer.
    const size_t kept = models::derived_weights();
    QVERIFY(kept >= 1);
    conv = torch::nn::ConvTranspose2d(nullptr);
    QCOMPARE(models::derived_weights(), kept - 1);
  }

  // The generators' output tanh: within 3e-7 of std::tanh from 0 to saturation (the rational fit, x itself near 0 and
  // the clamp) in the widest vectors and in AVX2, odd, NaN kept, strided input read right; with gradients wanted it is
  // LibTorch's, gradients included.
  void output_tanh_matches_tanh() {
    const at::Tensor x = torch::cat({torch::linspace(-12, 12, 200001), torch::linspace(-0.3, 0.3, 60001),
                                     torch::tensor({0.0f, -0.0f, 1e-30f, -1e-8f, INFINITY, -INFINITY})});
    const at::Tensor y = models::output_tanh(x);
    for (const VectorWidth width : {VectorWidth::Widest, VectorWidth::Avx2}) {
      const at::Tensor z = models::output_tanh(x, width);
      const auto* a = x.data_ptr<float>();
      const auto* b = z.data_ptr<float>();
      double worst = 0;
      for (int64_t i = 0; i < x.numel(); ++i) worst = std::max(worst, std::abs(double(b[i]) - std::tanh(double(a[i]))));
      QVERIFY2(worst < 3e-7, std::to_string(worst).c_str());
    }
    QVERIFY(std::isnan(models::output_tanh(torch::tensor({NAN})).item<float>()));
    QVERIFY(torch::equal(models::output_tanh(x.view({-1, 8}).t()), y.view({-1, 8}).t())); // not contiguous
    const at::Tensor w = torch::randn({4, 3}).requires_grad_(true);
    const at::Tensor t = models::output_tanh(w);
    QVERIFY(t.requires_grad());
    t.sum().backward();
    QVERIFY(torch::allclose(w.grad(), 1 - torch::tanh(w.detach()).pow(2)));
  }

  // row_product (the first layer's product from one pixel) equals the library's for every block it splits the rows
  // (8, 4, 2, 1) and columns into (3 vectors, 1, the last columns), with either vector width, with a bias and without,
  // and writes nothing past the output.
  void row_products_match_the_library() {
    torch::manual_seed(0);
    for (const int64_t rows : {1, 3, 8, 15, 16, 17})
      for (const int64_t in : {1, 100})
        for (const int64_t out : {5, 16, 47, 49, 200})
          for (const VectorWidth width : {VectorWidth::Widest, VectorWidth::Avx2})
            for (const bool with_bias : {false, true}) {
              const at::Tensor x = torch::randn({rows, in}), w = torch::randn({in, out}), b = torch::randn({out});
              at::Tensor y = torch::full({rows * out + 16}, NAN);
              models::row_product(x.data_ptr<float>(), w.data_ptr<float>(), with_bias ? b.data_ptr<float>() : nullptr,
                                  rows, in, out, y.data_ptr<float>(), width);
              const at::Tensor want = with_bias ? torch::addmm(b, x, w) : x.mm(w);
              const QByteArray where = QString("%1 x %2 x %3").arg(rows).arg(in).arg(out).toUtf8();
              QVERIFY2(test::relative_max_diff(y.narrow(0, 0, rows * out).view({rows, out}), want) < 1e-5, where);
              QVERIFY2(y.narrow(0, rows * out, 16).isnan().all().item<bool>(), where);
            }
    const at::Tensor x = torch::randn({4, 6}), w = torch::randn({6, 9});
    QVERIFY(models::row_product_applies(x, w));
    QVERIFY(test::relative_max_diff(models::row_product(x, w.t().contiguous().t()), x.mm(w)) < 1e-5); // any strides
    QVERIFY(!models::row_product_applies(x, w.t()));
    QVERIFY(!models::row_product_applies(x.to(torch::kDouble), w.to(torch::kDouble)));
    const at::Tensor doubled = models::row_product(x.to(torch::kDouble), w.to(torch::kDouble)); // LibTorch's product
    QCOMPARE(doubled.scalar_type(), torch::kDouble);
    QVERIFY(test::relative_max_diff(doubled.to(torch::kFloat), x.mm(w)) < 1e-5);
    QVERIFY(!models::row_product_applies(x, w.clone().requires_grad_()));
  }

  void rejects_bad_options() {
    QVERIFY_THROWS_EXCEPTION(models::ModelError, models::build_model(models::Arch::DCGAN, {{"size", 48}}));
    QVERIFY_THROWS_EXCEPTION(models::ModelError,
                             models::build_model(models::Arch::DCGAN, {{"widths", {{"main.1", 3}}}}));
  }
};

QTEST_APPLESS_MAIN(TestDcgan)
#include "test_dcgan.moc"
