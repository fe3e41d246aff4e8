// StyleGAN2 against the pure-PyTorch reference of rosinality/stylegan2-pytorch
// (tests/fixtures/models/make_stylegan2_fixtures.py): loading, outputs, strict errors, pruning, saving.
#include "core/io/checkpoint.h"
#include "core/io/npy.h"
#include "core/models/channel_ops.h"
#include "core/models/conv3x3_direct.h"
#include "core/models/phase_blur.h"
#include "core/models/registry.h"
#include "core/models/state_loading.h"
#include "core/models/stylegan2_kernels.h"
#include "core/models/torchscript_export.h"
#include "core/runtime.h"
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
  return std::string(GANSTUDIO_FIXTURES) + "/models/stylegan2/" + name;
}

const nlohmann::json& expected() {
  static const nlohmann::json j = nlohmann::json::parse(std::ifstream(fixture("expected.json")));
  return j;
}

models::Model load_fixture() {
  return models::load_model(fixture("checkpoint.pt"));
}

template <typename Edit> std::string load_edited(Edit edit) {
  return test::load_error_after_edit(fixture("checkpoint.pt"), "g_ema", edit);
}

void verify_close(const at::Tensor& got, const at::Tensor& want, double tol) {
  QCOMPARE(got.sizes().vec(), want.sizes().vec());
  const double d = test::relative_max_diff(got, want);
  QVERIFY2(d <= tol, qPrintable(QString("relative difference %1").arg(d)));
}

// upfirdn2d (down = 1) as upstream's pure-PyTorch fallback computes it: zero insertion, padding, flipped-kernel
// depthwise convolution.
at::Tensor reference_upfir2d(const at::Tensor& x, const at::Tensor& kernel, int64_t up, int64_t pad0, int64_t pad1) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  at::Tensor z = torch::zeros({n, c, h * up, w * up});
  z.index_put_({torch::indexing::Slice(), torch::indexing::Slice(),
                torch::indexing::Slice(0, torch::indexing::None, up),
                torch::indexing::Slice(0, torch::indexing::None, up)},
               x);
  z = torch::constant_pad_nd(z, {pad0, pad1, pad0, pad1});
  const at::Tensor k = kernel.flip({0, 1}).expand({c, 1, kernel.size(0), kernel.size(1)});
  return torch::conv2d(z, k, {}, at::IntArrayRef{1, 1}, at::IntArrayRef{0, 0}, at::IntArrayRef{1, 1}, c);
}

} // namespace

class TestStyleGAN2 : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void recognises_upstream_checkpoint() {
    models::Model m = load_fixture();
    QCOMPARE(m.arch, models::Arch::StyleGAN2);
    QCOMPARE(m.generator_source, std::string("g_ema"));
    const nlohmann::json o = m.generator->options();
    QCOMPARE(o["size"].get<int64_t>(), 32);
    QCOMPARE(o["style_dim"].get<int64_t>(), 32);
    QCOMPARE(o["n_mlp"].get<int64_t>(), 2);
    // Widths up to 32x32 do not depend on the multiplier: it comes from the argparse `args` (1, not the default 2).
    QCOMPARE(o["channel_multiplier"].get<int64_t>(), expected()["channel_multiplier"].get<int64_t>());
    QCOMPARE(o["channel_multiplier"].get<int64_t>(), 1);
    const nlohmann::json want = {{"input", 32},   {"conv1", 32},   {"convs.0", 32}, {"convs.1", 32},
                                 {"convs.2", 16}, {"convs.3", 16}, {"convs.4", 16}, {"convs.5", 16}};
    QCOMPARE(o["widths"].dump(), want.dump());
    QVERIFY(m.discriminator);
    const nlohmann::json d = m.discriminator->options();
    QCOMPARE(d["channel_multiplier"].get<int64_t>(), 1);
    QCOMPARE(d["widths"].dump(), nlohmann::json({{"16", 16}, {"32", 16}, {"4", 32}, {"8", 32}}).dump());
  }

  void matches_python_reference() {
    models::Model m = load_fixture();
    torch::NoGradGuard no_grad;
    const at::Tensor z = io::read_npy(fixture("latents.npy"));
    verify_close(m.generator->forward(z, {1.0, false}), io::read_npy(fixture("expected_t1.npy")), 1e-4);
    verify_close(m.generator->forward(z, {0.7, false}), io::read_npy(fixture("expected_t07.npy")), 1e-4);
    // Latents shaped [N, dim, 1, 1] are the same latents.
    verify_close(m.generator->forward(z.view({z.size(0), -1, 1, 1})), io::read_npy(fixture("expected_t1.npy")), 1e-4);
    verify_close(m.discriminator->forward(io::read_npy(fixture("expected_t1.npy"))),
                 io::read_npy(fixture("expected_d.npy")), 1e-4);
  }

  // The TorchScript export runs without this project's code and equals the generator (stored noise, no truncation),
  // for both blur kernels and after pruning.
  void torchscript_export_matches() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("g.ts").toStdString();
    for (const char* file : {"checkpoint.pt", "bare64.pt"}) {
      models::Model m = models::load_model(fixture(file));
      const std::string err = test::torchscript_matches(*m.generator, path);
      QVERIFY2(err.empty(), (std::string(file) + ": " + err).c_str());
    }
  }

  void bare_state_dict_with_other_blur_kernel() {
    models::Model m = models::load_model(fixture("bare64.pt"));
    QCOMPARE(m.arch, models::Arch::StyleGAN2);
    QCOMPARE(m.generator_source, std::string());
    QVERIFY(!m.discriminator);
    const nlohmann::json o = m.generator->options();
    QCOMPARE(o["size"].get<int64_t>(), 64);
    QCOMPARE(o["n_mlp"].get<int64_t>(), 1);
    QCOMPARE(o["blur_kernel"].dump(), nlohmann::json({1.0, 2.0, 1.0}).dump());
    QCOMPARE(o["widths"]["convs.7"].get<int64_t>(), 8);
    QCOMPARE(m.generator->cost().params, expected()["bare64_params"].get<int64_t>());
    torch::NoGradGuard no_grad;
    verify_close(m.generator->forward(io::read_npy(fixture("bare64_latents.npy"))),
                 io::read_npy(fixture("bare64_expected.npy")), 1e-4);
    const std::string err = test::slice_equals_mask(*m.generator, 2, 5);
    QVERIFY2(err.empty(), err.c_str());
  }

  // The inference kernels against their definitions: the filters with the layers' own up-sampling and blur settings
  // (separable kernels and others), a 3-tap kernel, an asymmetric kernel (the flip matters), odd sizes; ToRGB's product
  // (3 and 6 outputs, 35 positions: whole blocks and the rest) with its bias and skip; the demodulation coefficients;
  // the activation chain, also a plane at a time; the blur of planes a source writes; EqualLinear's product; and
  // nothing taken over where gradients are wanted.
  void direct_filters_match_their_definitions() {
    torch::manual_seed(0);
    struct Case {
      int64_t n, c, h, w, k, up, pad0, pad1;
    };
    // Up-sampling with a separable kernel and output rows of whole 4-float vectors per parity goes by fir_up2.h
    // (ToRGB's skip at 8, 16 and 32 px; other taps and pads): 4 and 8 floats per parity, rows of several vectors.
    for (const Case& t : {Case{2, 3, 8, 8, 4, 2, 2, 1}, Case{2, 5, 17, 17, 4, 1, 1, 1}, Case{1, 4, 9, 9, 3, 1, 1, 1},
                          Case{3, 2, 5, 7, 3, 2, 1, 0}, Case{1, 1, 4, 6, 5, 2, 0, 3}, Case{2, 3, 4, 4, 4, 2, 2, 1},
                          Case{1, 2, 16, 16, 4, 2, 2, 1}, Case{2, 2, 6, 8, 3, 2, 1, 1}, Case{1, 2, 4, 8, 4, 2, 1, 2},
                          Case{1, 1, 3, 12, 3, 2, 2, 0}}) {
      const at::Tensor x = torch::randn({t.n, t.c, t.h, t.w});
      // A kernel of k² taps, and a separable one (summed in two passes of k), asymmetric with negative entries.
      for (const at::Tensor& kernel :
           {torch::rand({t.k, t.k}), torch::outer(torch::rand({t.k}) + 0.1, torch::rand({t.k}) - 0.5)}) {
        torch::NoGradGuard no_grad;
        QVERIFY(models::fir_direct_applies(x, kernel, t.up, t.pad0, t.pad1));
        verify_close(models::fir_direct(x, kernel, t.up, t.pad0, t.pad1),
                     reference_upfir2d(x, kernel, t.up, t.pad0, t.pad1), 1e-5);
      }
    }
    const at::Tensor x = torch::randn({2, 6, 5, 7}), weight = torch::randn({3, 6}), style = torch::randn({2, 6});
    {
      torch::NoGradGuard no_grad;
      QVERIFY(models::modulated_pointwise_applies(x, weight, style));
      verify_close(models::modulated_pointwise(x, weight, style),
                   torch::conv2d(x * style.view({2, 6, 1, 1}), weight.view({3, 6, 1, 1})), 1e-5);
      const at::Tensor wide = torch::randn({6, 6}); // outputs in blocks of 4 and 2
      verify_close(models::modulated_pointwise(x, wide, style),
                   torch::conv2d(x * style.view({2, 6, 1, 1}), wide.view({6, 6, 1, 1})), 1e-5);
      const at::Tensor rgb_bias = torch::randn({3}), skip = torch::randn({2, 3, 5, 7});
      QVERIFY(models::modulated_pointwise_applies(x, weight, style, rgb_bias, skip));
      QVERIFY(!models::modulated_pointwise_applies(x, weight, style, rgb_bias, torch::randn({2, 3, 5, 6})));
      verify_close(models::modulated_pointwise(x, weight, style, rgb_bias, skip),
                   torch::conv2d(x * style.view({2, 6, 1, 1}), weight.view({3, 6, 1, 1}), rgb_bias) + skip, 1e-5);
      const at::Tensor sums = torch::rand({4, 6});
      QVERIFY(models::demodulation_applies(style, sums));
      verify_close(models::demodulation(style, sums), torch::rsqrt(torch::mm(style.pow(2), sums.t()) + 1e-8), 1e-5);
      // The activation chain, with per-sample and shared noise, with and without demodulation.
      const at::Tensor demod = torch::rand({2, 6}), bias = torch::randn({6}), weight_n = torch::randn({1});
      for (const at::Tensor& noise : {torch::randn({1, 1, 5, 7}), torch::randn({2, 1, 5, 7})})
        for (const at::Tensor& d : {demod, at::Tensor()}) {
          QVERIFY(models::styled_activation_applies(x, d, noise, weight_n, bias));
          const at::Tensor scaled = d.defined() ? x * d.view({2, 6, 1, 1}) : x;
          const at::Tensor want =
              torch::leaky_relu(scaled + weight_n * noise + bias.view({1, 6, 1, 1}), 0.2) * std::sqrt(2.0);
          verify_close(models::styled_activation(x.clone(), d, noise, weight_n, bias), want, 1e-6);
        }
      QVERIFY(!models::styled_activation_applies(x, demod, torch::randn({3, 1, 5, 7}), weight_n, bias));
      // The same chain applied a plane at a time as a route writes them; a plane of the wrong size is refused.
      const at::Tensor noise = torch::randn({2, 1, 5, 7});
      const auto finish = models::styled_activation_finish(x.sizes(), demod, noise, weight_n, bias);
      at::Tensor planes = x.clone();
      for (int64_t item = 0; item < 12; ++item) {
        float* plane = planes.data_ptr<float>() + item * 35;
        finish(item, plane, 35, plane, 1, 35);
      }
      const at::Tensor want = models::styled_activation(x.clone(), demod, noise, weight_n, bias);
      verify_close(planes, want, 1e-6);
      // Moved out of rows with gaps (5 rows of 7 floats, 9 apart), as a route's sums are.
      const at::Tensor gapped = torch::constant_pad_nd(x, {0, 2}).contiguous();
      at::Tensor moved = torch::empty_like(x);
      for (int64_t item = 0; item < 12; ++item)
        finish(item, gapped.data_ptr<float>() + item * 45, 9, moved.data_ptr<float>() + item * 35, 5, 7);
      verify_close(moved, want, 1e-6);
      QVERIFY_THROWS_EXCEPTION(std::logic_error,
                               finish(0, planes.data_ptr<float>(), 34, planes.data_ptr<float>(), 1, 34));
      // The blur of planes a source writes (a direct route's sums) is the blur of the tensor they come from.
      const at::Tensor blur = torch::outer(torch::rand({4}) + 0.1, torch::rand({4}));
      const models::PlaneSource source = [&](int64_t item, float* dst, int64_t stride) {
        for (int64_t i = 0; i < 5; ++i) std::copy_n(x.data_ptr<float>() + item * 35 + i * 7, 7, dst + i * stride);
      };
      QVERIFY(models::fir_direct_applies(x.sizes(), blur, 1, 2, 1));
      verify_close(models::fir_direct(source, x.sizes(), x.options(), blur, 2, 1), reference_upfir2d(x, blur, 1, 2, 1),
                   1e-5);
      // EqualLinear's product (the weight transposed), with and without the activation.
      // Outputs in blocks of 16, 8 and 4, then 3 one at a time; rows in a block of 4, then one.
      const at::Tensor w_t = torch::randn({6, 31}), b = torch::randn({31}), rows = torch::randn({5, 6});
      QVERIFY(models::linear_direct_applies(rows, w_t, b));
      QVERIFY(!models::linear_direct_applies(rows, w_t.t(), b));
      verify_close(models::linear_direct(rows, w_t, b, false), torch::addmm(b, rows, w_t), 1e-5);
      verify_close(models::linear_direct(rows, w_t, b, true),
                   torch::leaky_relu(torch::addmm(b, rows, w_t), 0.2) * std::sqrt(2.0), 1e-5);
      // PixelNorm of the latents.
      QVERIFY(models::pixel_norm_direct_applies(rows));
      QVERIFY(!models::pixel_norm_direct_applies(x));
      verify_close(models::pixel_norm_direct(rows), rows * torch::rsqrt(rows.pow(2).mean(1, true) + 1e-8), 1e-6);
      QVERIFY(!models::fir_direct_applies(x, torch::rand({4, 4}), 2, -1, 1)); // a crop
      QVERIFY(!models::fir_direct_applies(x, torch::rand({4, 4}), 3, 1, 1));
    }
    const at::Tensor learnt = x.clone().requires_grad_();
    QVERIFY(!models::fir_direct_applies(learnt, torch::rand({4, 4}), 1, 1, 1));
    QVERIFY(!models::modulated_pointwise_applies(learnt, weight, style));
    QVERIFY(!models::pixel_norm_direct_applies(torch::randn({2, 6}).requires_grad_()));
  }

  // phase_blur reads an image as its four phases (as a stride-2 transposed convolution's direct route leaves them),
  // each row between guards of NaN it must ignore: StyleGAN2's up-sampling blur (4 taps, pads 1 and 0) on 8-float and
  // 4-float vectors, a 3-tap one with pads 1 and 1, separable kernels with negative entries; with the styled
  // activation (noise shared by the samples and each sample's own) as after the blur.
  void blur_of_phases_matches_the_interleaved_image() {
    struct Case {
      int64_t rows, cols, k, pad0, pad1;
    };
    torch::NoGradGuard no_grad;
    for (const Case& t : {Case{9, 17, 4, 1, 0}, Case{5, 5, 4, 1, 0}, Case{4, 8, 3, 1, 1}}) {
      const at::Tensor image = torch::randn({2, 3, 2 * t.rows, 2 * t.cols});
      const at::Tensor kernel = torch::outer(torch::rand({t.k}) + 0.1, torch::rand({t.k}) - 0.5);
      const int64_t guard = models::kPhaseGuard, stride = t.cols + 2 * guard;
      // phases[p]: [planes, rows, stride], phase p = a · 2 + b of each plane in columns guard .. guard + cols.
      std::vector<at::Tensor> phases;
      for (int64_t a = 0; a < 2; ++a)
        for (int64_t b = 0; b < 2; ++b) {
          at::Tensor p = torch::full({6, t.rows + 2, stride}, std::nanf(""));
          using torch::indexing::None, torch::indexing::Slice;
          p.index_put_(
              {Slice(), Slice(1, t.rows + 1), Slice(guard, guard + t.cols)},
              image.reshape({6, 2 * t.rows, 2 * t.cols}).index({Slice(), Slice(a, None, 2), Slice(b, None, 2)}));
          phases.push_back(p);
        }
      const models::PhaseSource source = [&](int64_t item) {
        models::PhasePlanes p;
        for (int i = 0; i < 4; ++i)
          p.data[i] = phases[i].data_ptr<float>() + (item * (t.rows + 2) + 1) * stride + guard;
        p.rows = t.rows, p.cols = t.cols, p.stride = stride;
        return p;
      };
      QVERIFY(models::phase_blur_applies(image.sizes(), kernel, t.pad0, t.pad1));
      const at::Tensor blurred = models::phase_blur(source, image.sizes(), image.options(), kernel, t.pad0, t.pad1);
      verify_close(blurred, reference_upfir2d(image, kernel, 1, t.pad0, t.pad1), 1e-5);
      // With StyleGAN2's activation applied as the output is stored: the same as after it.
      const at::Tensor demod = torch::rand({2, 3}) + 0.5, bias = torch::randn({3}), weight = torch::tensor({0.7f});
      for (const at::Tensor& noise : {torch::randn({1, 1, blurred.size(2), blurred.size(3)}),
                                      torch::randn({2, 1, blurred.size(2), blurred.size(3)})}) {
        const models::StyledActivation activation(blurred.sizes(), demod, noise, weight, bias);
        verify_close(models::phase_blur(source, image.sizes(), image.options(), kernel, t.pad0, t.pad1, &activation),
                     models::styled_activation(blurred.clone(), demod, noise, weight, bias), 1e-5);
      }
    }
    // Not: a kernel that is not separable, odd columns per parity, an odd image, pads as wide as the kernel.
    const at::Tensor blur = torch::outer(torch::rand({4}), torch::rand({4}));
    QVERIFY(!models::phase_blur_applies({1, 1, 18, 34}, torch::eye(4), 1, 0));
    QVERIFY(!models::phase_blur_applies({1, 1, 18, 14}, blur, 1, 0));
    QVERIFY(!models::phase_blur_applies({1, 1, 18, 33}, blur, 1, 0));
    QVERIFY(!models::phase_blur_applies({1, 1, 18, 34}, blur, 4, 3));
  }

  // The 3 × 3 direct route against LibTorch's convolution of the modulated input: narrow and odd channel counts, odd
  // and one-pixel planes, rows of whole vectors (whose gaps the kernel skips; an odd count of them), planes narrower
  // than a vector (laid out with the samples innermost), with and without bias and scale, both vector widths; not
  // where gradients are wanted.
  void conv3x3_direct_matches_the_convolution() {
    if (!cpu_has_avx2_fma()) QSKIP("no direct kernel on this CPU");
    torch::manual_seed(0);
    struct Case {
      int64_t n, in, out, h, w;
      bool bias, scale;
    };
    for (const Case& c :
         {Case{2, 10, 10, 16, 16, false, true}, Case{3, 3, 17, 5, 9, true, false}, Case{1, 70, 4, 1, 1, true, true},
          Case{2, 20, 9, 4, 4, false, false}, Case{3, 6, 7, 7, 8, true, true}, Case{2, 5, 12, 3, 32, true, false},
          Case{6, 9, 11, 3, 4, true, true}, Case{4, 3, 5, 2, 2, false, true}}) {
      const at::Tensor x = torch::randn({c.n, c.in, c.h, c.w}), weight = torch::randn({c.out, c.in, 3, 3});
      const at::Tensor bias = c.bias ? torch::randn({c.out}) : at::Tensor();
      const at::Tensor scale = c.scale ? torch::rand({c.n, c.in}) : at::Tensor();
      const at::Tensor want = torch::conv2d(c.scale ? x * scale.view({c.n, c.in, 1, 1}) : x, weight, bias, 1, 1);
      torch::NoGradGuard no_grad;
      QVERIFY(models::conv3x3_direct_applies(x, weight));
      verify_close(models::conv3x3_direct(x, weight, bias, scale), want, 1e-5);
      verify_close(models::conv3x3_direct(x, weight, bias, scale, VectorWidth::Avx2), want, 1e-5);
    }
    const at::Tensor weight = torch::randn({4, 3, 3, 3}, torch::requires_grad());
    QVERIFY(!models::conv3x3_direct_applies(torch::randn({1, 3, 8, 8}), weight));
    torch::NoGradGuard no_grad;
    QVERIFY(models::conv3x3_direct_applies(torch::randn({1, 3, 8, 8}), weight));
    QVERIFY(!models::conv3x3_direct_applies(torch::randn({1, 3, 8, 8}), torch::randn({4, 3, 5, 5})));
    QVERIFY(models::conv3x3_direct_pays(torch::randn({1, 10, 8, 8}), torch::randn({10, 10, 3, 3})));
    // Multiples of 16 (lanes: 0 without the kernels, where nothing pays, 8 with AVX2, 16 with AVX-512).
    const bool avx2 = models::direct::lanes() == 8, avx512 = models::direct::lanes() == 16;
    const auto pays = [](int64_t in, int64_t out, int64_t side) {
      return models::conv3x3_direct_pays(torch::randn({1, in, side, side}), torch::randn({out, in, 3, 3}));
    };
    QCOMPARE(pays(32, 16, 8), avx2 || avx512); // AVX2: at most 64 channels up to 8 px; AVX-512: every layer
    QCOMPARE(pays(64, 64, 8), avx2 || avx512); // AVX2: rows of whole vectors up to 16 px
    QCOMPARE(pays(32, 32, 16), avx2 || avx512);
    QCOMPARE(pays(32, 32, 32), avx512);
    QCOMPARE(pays(64, 64, 4), avx2 || avx512);
    QCOMPARE(pays(128, 128, 4), avx512);
    QCOMPARE(pays(256, 256, 8), avx512);
    QCOMPARE(pays(128, 128, 32), avx512);
    QVERIFY(pays(16, 16, 32));
    QCOMPARE(pays(16, 16, 16), avx2 || avx512); // without the kernels: from 32 px
  }

  // Large batches go through in slices of samples: every sample's outputs arrive, and the finish sees each plane's
  // item (sample · channels + channel) of the whole batch, not of its slice. 40 × 40 planes take one sample per slice;
  // 150 samples of 4 × 4 take slices of 72, 72 and 6 (the last not interleaved); 16 samples of 64 → 64 at 4 × 4 two
  // slices of 8, interleaved (not 15 and 1); 7 such samples slices of 6 and 1, the second not interleaved; 16 samples
  // of 77 → 50 at 8 × 8 two slices of 8 (the cache's share would take 4), 12 of them 8 and 4, both interleaved.
  // Both vector widths.
  void conv3x3_direct_finishes_every_plane_of_every_slice() {
    if (!cpu_has_avx2_fma()) QSKIP("no direct kernel on this CPU");
    torch::manual_seed(0);
    const models::direct::PlaneFinish add_item = [](int64_t item, const float* src, int64_t stride, float* dst,
                                                    int64_t rows, int64_t width) {
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < width; ++j) dst[i * width + j] = src[i * stride + j] + static_cast<float>(item);
    };
    torch::NoGradGuard no_grad;
    struct Case {
      int64_t n, side, in, out;
    };
    for (const auto& [n, side, in, out] : {Case{5, 40, 8, 6}, Case{150, 4, 8, 6}, Case{16, 4, 64, 64},
                                           Case{7, 4, 64, 64}, Case{16, 8, 77, 50}, Case{12, 8, 77, 50}}) {
      const at::Tensor x = torch::randn({n, in, side, side}), weight = torch::randn({out, in, 3, 3});
      const at::Tensor items = torch::arange(n * out, torch::kFloat).view({n, out, 1, 1});
      const at::Tensor want = torch::conv2d(x, weight, {}, 1, 1) + items;
      for (const VectorWidth width : {VectorWidth::Widest, VectorWidth::Avx2})
        verify_close(models::conv3x3_direct(x, weight, {}, {}, width, add_item), want, 1e-5);
    }
  }

  // Inference (no gradients) takes the direct routes: up-sampling convolutions on the direct transposed route with
  // an even-sized output, narrow 3 × 3 ones on conv3x3_direct, the blur, ToRGB and activations by stylegan2_kernels.h;
  // with gradients every layer is LibTorch's. Same images, for both blur kernels (bare64's [1, 2, 1] leaves a crop that
  // the direct blur does not take), at a batch of 3 and one of 8 (whose 4 px up-sampling sums the samples innermost).
  void inference_routes_match_the_training_forward() {
    for (const char* file : {"checkpoint.pt", "bare64.pt"}) {
      models::Model m = models::load_model(fixture(file));
      for (const int64_t n : {3, 8}) {
        const at::Tensor z = torch::randn({n, m.generator->input_spec().shape[0]});
        const at::Tensor trained = m.generator->forward(z).detach();
        torch::NoGradGuard no_grad;
        verify_close(m.generator->forward(z), trained, 1e-5);
      }
    }
    // Widths oneDNN pads: the 3 × 3 layers on conv3x3_direct.
    models::Model m = load_fixture();
    const auto pruned = m.generator->with_widths({{"conv1", 13}, {"convs.1", 11}, {"convs.3", 7}, {"convs.5", 5}});
    const at::Tensor z = torch::randn({3, pruned->input_spec().shape[0]});
    const at::Tensor trained = pruned->forward(z).detach();
    torch::NoGradGuard no_grad;
    verify_close(pruned->forward(z), trained, 1e-5);
  }

  void noise_modes() {
    models::Model m = load_fixture();
    torch::NoGradGuard no_grad;
    const at::Tensor z = io::read_npy(fixture("latents.npy"));
    const at::Tensor a = m.generator->forward(z, {1.0, true});
    const at::Tensor b = m.generator->forward(z, {1.0, true});
    QVERIFY(test::relative_max_diff(a, b) > 1e-3);
    QCOMPARE(test::relative_max_diff(m.generator->forward(z), m.generator->forward(z)), 0.0);
  }

  void parameter_count_matches_python() {
    models::Model m = load_fixture();
    QCOMPARE(m.generator->cost().params, expected()["generator_params"].get<int64_t>());
    int64_t d = 0;
    for (const auto& p : m.discriminator->module().parameters()) d += p.numel();
    QCOMPARE(d, expected()["discriminator_params"].get<int64_t>());
    QCOMPARE(static_cast<int64_t>(models::state_dict(m.generator->module()).size()),
             expected()["generator_state_keys"].get<int64_t>());
  }

  void cost_counts_layers() {
    models::Model m = load_fixture();
    const auto by_output = m.generator->cost(models::MacConvention::TransposedByOutput);
    const auto by_input = m.generator->cost(models::MacConvention::TransposedByInput);
    auto find = [](const models::CostReport& r, const std::string& name) {
      for (const auto& l : r.layers)
        if (l.layer == name) return l;
      return models::LayerCost{};
    };
    QCOMPARE(find(by_output, "conv1.conv").macs, int64_t{4 * 4 * 32 * 32 * 9});
    QCOMPARE(find(by_output, "convs.2.conv").macs, int64_t{16 * 16 * 32 * 16 * 9});
    QCOMPARE(find(by_input, "convs.2.conv").macs, int64_t{8 * 8 * 32 * 16 * 9});
    QCOMPARE(find(by_output, "to_rgbs.2.conv").macs, int64_t{32 * 32 * 16 * 3});
    QCOMPARE(find(by_output, "convs.5.conv.modulation").macs, int64_t{32 * 16});
    QCOMPARE(find(by_output, "style.2").macs, int64_t{32 * 32});
    QVERIFY(by_output.macs > by_input.macs);
  }

  void missing_tensor_is_named() {
    const std::string err = load_edited([](std::vector<io::NamedTensor>& g) {
      g.erase(std::remove_if(g.begin(), g.end(), [](const auto& nt) { return nt.name == "convs.3.noise.weight"; }),
              g.end());
    });
    QVERIFY2(err.find("convs.3.noise.weight") != std::string::npos, err.c_str());
  }

  void misshaped_tensor_is_named() {
    const std::string err = load_edited([](std::vector<io::NamedTensor>& g) {
      for (auto& nt : g)
        if (nt.name == "convs.0.activate.bias") nt.tensor = torch::zeros({33});
    });
    QVERIFY2(err.find("convs.0.activate.bias") != std::string::npos, err.c_str());
    QVERIFY2(err.find("mis-shaped") != std::string::npos, err.c_str());
  }

  void slicing_equals_masking() {
    models::Model m = load_fixture();
    const std::string err = test::slice_equals_mask(*m.generator, 4, 11);
    QVERIFY2(err.empty(), err.c_str());
    // Slicing narrows the groups it names and keeps the layout.
    models::KeptChannels kept{{"convs.2", {0, 3, 5}}, {"input", {1, 2}}};
    auto small = models::slice(*m.generator, kept);
    QCOMPARE(small->options()["widths"]["convs.2"].get<int64_t>(), 3);
    QCOMPARE(small->channel_groups().size(), m.generator->channel_groups().size());
  }

  void fixture_round_trips() {
    models::Model m = load_fixture();
    QTemporaryDir dir;
    const std::string err = test::save_load_round_trip(*m.generator, dir.path().toStdString());
    QVERIFY2(err.empty(), err.c_str());
  }

  void default_model_recognised_and_round_trips() {
    models::Model m = models::build_model(models::Arch::StyleGAN2, {{"size", 32}}, nlohmann::json{{"size", 32}});
    const nlohmann::json o = m.generator->options();
    QCOMPARE(o["widths"]["convs.5"].get<int64_t>(), 512);
    io::ValueArena arena;
    std::vector<io::NamedTensor> named;
    for (const auto& [name, t] : models::state_dict(m.generator->module())) named.push_back({name, t});
    models::Model bare = models::load_model(io::make_state_dict(arena, named), "bare");
    QCOMPARE(bare.arch, models::Arch::StyleGAN2);
    QCOMPARE(bare.generator->options().dump(), o.dump());

    QTemporaryDir dir;
    const std::string path = dir.path().toStdString() + "/full.pt";
    models::save_model(path, m);
    models::Model back = models::load_model(path);
    QVERIFY(back.discriminator);
    QCOMPARE(back.discriminator->options().dump(), m.discriminator->options().dump());
    const std::string err = test::save_load_round_trip(*m.generator, dir.path().toStdString());
    QVERIFY2(err.empty(), err.c_str());
  }

  void rejects_bad_options() {
    QVERIFY_THROWS_EXCEPTION(models::ModelError, models::build_model(models::Arch::StyleGAN2, {{"size", 48}}));
    QVERIFY_THROWS_EXCEPTION(
        models::ModelError, models::build_model(models::Arch::StyleGAN2, {{"size", 32}, {"widths", {{"convs.6", 8}}}}));
  }
};

QTEST_APPLESS_MAIN(TestStyleGAN2)
#include "test_stylegan2.moc"
