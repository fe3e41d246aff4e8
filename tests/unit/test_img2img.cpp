// Pix2Pix (U-Net) and CycleGAN (ResNet) against upstream's module definitions
// (tests/fixtures/models/make_img2img_fixtures.py): recognition, outputs, old checkpoints, pruning, published MACs.
#include "core/io/npy.h"
#include "core/models/channel_ops.h"
#include "core/models/pix2pix.h"
#include "core/models/registry.h"
#include "core/models/strided_conv.h"
#include "core/models/torchscript_export.h"
#include "core/models/transposed_conv.h"
#include "core/models/transposed_direct.h"
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
  return std::string(GANSTUDIO_FIXTURES) + "/models/img2img/" + name;
}

const nlohmann::json& expected() {
  static const nlohmann::json j = nlohmann::json::parse(std::ifstream(fixture("expected.json")));
  return j;
}

// A batch norm in eval mode with random running statistics and affine parameters.
torch::nn::BatchNorm2d eval_norm(int64_t channels) {
  torch::nn::BatchNorm2d norm(channels);
  torch::NoGradGuard no_grad;
  norm->eval();
  norm->running_mean.normal_();
  norm->running_var.uniform_(0.5, 2.0);
  norm->weight.normal_();
  norm->bias.normal_();
  return norm;
}

void verify_close(const at::Tensor& got, const at::Tensor& want) {
  QCOMPARE(got.sizes().vec(), want.sizes().vec());
  const double d = test::relative_max_diff(got, want);
  QVERIFY2(d <= 1e-4, qPrintable(QString("relative difference %1").arg(d)));
}

double giga(int64_t macs) {
  return std::round(static_cast<double>(macs) / 1e8) / 10;
} // 3 significant digits

} // namespace

class TestImg2Img : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void recognises_and_matches_upstream_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("arch");
    QTest::addColumn<QString>("norm");
    QTest::newRow("unet batch") << "unet_batch" << int(models::Arch::Pix2Pix) << "batch";
    QTest::newRow("unet instance") << "unet_instance" << int(models::Arch::Pix2Pix) << "instance";
    QTest::newRow("resnet instance") << "resnet" << int(models::Arch::CycleGAN) << "instance";
    QTest::newRow("resnet batch dropout") << "resnet_batch" << int(models::Arch::CycleGAN) << "batch";
  }
  void recognises_and_matches_upstream() {
    QFETCH(QString, name);
    QFETCH(int, arch);
    QFETCH(QString, norm);
    const std::string n = name.toStdString();
    models::Model m = models::load_model(fixture(n + ".pt"));
    QCOMPARE(int(m.arch), arch);
    QCOMPARE(QString::fromStdString(m.generator->options()["norm"].get<std::string>()), norm);
    QCOMPARE(m.generator->cost().params, expected()[n + "_params"].get<int64_t>());
    torch::NoGradGuard no_grad;
    verify_close(m.generator->forward(io::read_npy(fixture("inputs.npy"))),
                 io::read_npy(fixture("expected_" + n + ".npy")));
  }

  void conditional_discriminator_loads_and_matches() {
    models::Model m = models::load_model(fixture("unet_instance.pt"));
    QVERIFY(m.discriminator);
    QCOMPARE(m.discriminator->options()["input_nc"].get<int64_t>(), 6);
    torch::NoGradGuard no_grad;
    const at::Tensor x = io::read_npy(fixture("inputs.npy"));
    verify_close(m.discriminator->forward(torch::cat({x, m.generator->forward(x)}, 1)),
                 io::read_npy(fixture("expected_d.npy")));
  }

  void old_instance_norm_statistics_are_dropped_with_a_note() {
    models::Model m = models::load_model(fixture("resnet_old.pt"));
    QCOMPARE(m.notes.size(), size_t{1});
    QVERIFY2(m.notes[0].find("dropped 6 instance-norm") != std::string::npos, m.notes[0].c_str());
    torch::NoGradGuard no_grad;
    verify_close(m.generator->forward(io::read_npy(fixture("inputs.npy"))),
                 io::read_npy(fixture("expected_resnet.npy")));
  }

  void missing_and_misshaped_tensors_are_named() {
    std::string err = test::load_error_after_edit(fixture("resnet.pt"), "", [](std::vector<io::NamedTensor>& t) {
      t.erase(std::remove_if(t.begin(), t.end(), [](auto& nt) { return nt.name == "model.11.conv_block.5.bias"; }),
              t.end());
    });
    QVERIFY2(err.find("model.11.conv_block.5.bias") != std::string::npos, err.c_str());
    err = test::load_error_after_edit(fixture("unet_batch.pt"), "", [](std::vector<io::NamedTensor>& t) {
      for (auto& nt : t)
        if (nt.name == "model.model.1.model.2.running_var") nt.tensor = torch::ones({3});
    });
    QVERIFY2(err.find("model.model.1.model.2.running_var") != std::string::npos, err.c_str());
  }

  // Within float rounding: a sliced layer and its full-width masked twin may take different routes (the direct one
  // for a few output channels), which sum in different orders, and instance norm scales the difference up.
  void slicing_equals_masking() {
    for (const char* f : {"unet_batch.pt", "unet_instance.pt", "resnet.pt", "resnet_batch.pt"}) {
      models::Model m = models::load_model(fixture(f));
      const std::string err = test::slice_equals_mask(*m.generator, 4, 23, 5e-5);
      QVERIFY2(err.empty(), (std::string(f) + ": " + err).c_str());
    }
  }

  void round_trips() {
    QTemporaryDir dir;
    for (const char* f : {"unet_batch.pt", "resnet_batch.pt"}) {
      models::Model m = models::load_model(fixture(f));
      const std::string err = test::save_load_round_trip(*m.generator, dir.path().toStdString());
      QVERIFY2(err.empty(), err.c_str());
    }
  }

  void published_mac_counts() {
    // CycleGAN ResNet-9 (ngf 64) at 256x256: 56.8G MACs counting transposed convs by output, 49.6G by input.
    auto cyclegan = models::build_model(models::Arch::CycleGAN, {{"n_blocks", 9}});
    QCOMPARE(giga(cyclegan.generator->cost(models::MacConvention::TransposedByOutput).macs), 56.8);
    QCOMPARE(giga(cyclegan.generator->cost(models::MacConvention::TransposedByInput).macs), 49.6);
    QCOMPARE(cyclegan.generator->cost().params, int64_t{11378179}); // upstream's resnet_9blocks netG
    // pix2pix unet_256 (ngf 64): 6.0G by input ("about 6.0G"); by output 18.1G, where papers quote about 18.6G
    // (their profilers also count non-convolution work; see docs).
    auto pix2pix = models::build_model(models::Arch::Pix2Pix, {{"num_downs", 8}});
    QCOMPARE(giga(pix2pix.generator->cost(models::MacConvention::TransposedByInput).macs), 6.0);
    QCOMPARE(giga(pix2pix.generator->cost(models::MacConvention::TransposedByOutput).macs), 18.1);
    QCOMPARE(pix2pix.generator->cost().params, int64_t{54413955}); // upstream's unet_256 netG
  }

  // The TorchScript export equals the generator, for both norms and after slicing.
  void torchscript_export_matches() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("g.ts").toStdString();
    for (const char* file : {"unet_batch.pt", "unet_instance.pt", "resnet.pt", "resnet_batch.pt"}) {
      models::Model m = models::load_model(fixture(file));
      const std::string err = test::torchscript_matches(*m.generator, path);
      QVERIFY2(err.empty(), (std::string(file) + ": " + err).c_str());
    }
  }

  // The encoder's stride-2 4×4 convolutions by the direct route give LibTorch's outputs at both vector widths, for
  // RGB inputs (the route strided_conv picks), wider inputs, bias, uneven channel counts, non-square inputs and output
  // rows of whole vectors (whose gaps the kernel skips); it does not apply to gradients, odd sizes or other strides and
  // kernels.
  void strided_route_matches_the_convolution() {
    torch::manual_seed(0);
    struct Case {
      int64_t batch, in, out, h, w;
      bool bias, picked;
    };
    for (const Case& c :
         {Case{2, 3, 8, 16, 16, false, true}, Case{3, 3, 10, 12, 20, true, true}, Case{2, 5, 7, 6, 6, true, true},
          Case{1, 27, 19, 8, 4, false, false}, Case{2, 16, 3, 2, 2, true, true}, Case{2, 18, 26, 16, 16, true, true},
          Case{2, 16, 32, 16, 16, false, models::direct::lanes() == 16}, // 8 × 8 outputs interleaved with AVX-512
          Case{1, 64, 20, 16, 16, false, false},
          Case{2, 12, 16, 16, 16, false, true}, // a padded input with AVX2, interleaved with AVX-512
          Case{1, 24, 32, 16, 16, false, false}, Case{3, 3, 5, 10, 32, true, true}}) {
      torch::nn::Conv2d conv(torch::nn::Conv2dOptions(c.in, c.out, 4).stride(2).padding(1).bias(c.bias));
      const at::Tensor x = torch::randn({c.batch, c.in, c.h, c.w});
      {
        torch::NoGradGuard no_grad;
        QCOMPARE(models::strided_direct_applies(*conv, x), cpu_has_avx2_fma());
        QCOMPARE(models::strided_conv_route_is_direct(*conv, x), c.picked && cpu_has_avx2_fma());
        verify_close(models::strided_conv(*conv, x), conv->forward(x));
        if (!cpu_has_avx2_fma()) continue;
        verify_close(models::strided_direct(*conv, x), conv->forward(x));
        verify_close(models::strided_direct(*conv, x, VectorWidth::Avx2), conv->forward(x));
      }
      QVERIFY(!models::strided_direct_applies(*conv, x)); // gradients wanted
    }
    torch::NoGradGuard no_grad;
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 8, 4).stride(2).padding(1));
    QVERIFY(!models::strided_direct_applies(*conv, torch::randn({1, 3, 7, 8})));
    torch::nn::Conv2d unstrided(torch::nn::Conv2dOptions(3, 8, 4).stride(1).padding(1));
    QVERIFY(!models::strided_direct_applies(*unstrided, torch::randn({1, 3, 8, 8})));
    torch::nn::Conv2d three(torch::nn::Conv2dOptions(3, 8, 3).stride(2).padding(1));
    QVERIFY(!models::strided_direct_applies(*three, torch::randn({1, 3, 8, 8})));
  }

  // A 2×2 input reads the kernel's central taps only: one matrix product, with the convolution's outputs and
  // gradients.
  void single_pixel_route_matches_the_convolution() {
    torch::manual_seed(0);
    for (const bool bias : {true, false}) {
      torch::nn::Conv2d conv(torch::nn::Conv2dOptions(7, 9, 4).stride(2).padding(1).bias(bias));
      const at::Tensor x = torch::randn({3, 7, 2, 2});
      QVERIFY(models::single_pixel_applies(*conv, x));
      QVERIFY(!models::single_pixel_applies(*conv, torch::randn({3, 7, 4, 4})));
      {
        torch::NoGradGuard no_grad;
        verify_close(models::strided_conv(*conv, x), conv->forward(x));
      }
      const at::Tensor weights = torch::randn({3, 9, 1, 1});
      auto grads = [&](bool route) {
        conv->zero_grad();
        const at::Tensor input = x.clone().requires_grad_(true);
        const at::Tensor y = route ? models::strided_conv(*conv, input) : conv->forward(input);
        (y * weights).sum().backward();
        std::vector<at::Tensor> g{input.grad(), conv->weight.grad().clone()};
        if (bias) g.push_back(conv->bias.grad().clone());
        return g;
      };
      const auto routed = grads(true), reference = grads(false);
      for (size_t i = 0; i < routed.size(); ++i) verify_close(routed[i], reference[i]);
    }
    // Read through an eval-mode batch norm and a leaky ReLU (applied in one pass before the product), or neither.
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(7, 9, 4).stride(2).padding(1));
    torch::nn::BatchNorm2d norm = eval_norm(7);
    torch::NoGradGuard no_grad;
    const at::Tensor x = torch::randn({5, 7, 2, 2});
    for (torch::nn::BatchNorm2dImpl* n : {norm.get(), static_cast<torch::nn::BatchNorm2dImpl*>(nullptr)})
      verify_close(models::strided_conv_after_norm_leaky(*conv, n, x, 0.2),
                   conv->forward(torch::leaky_relu(n ? n->forward(x) : x, 0.2)));
  }

  // A U-Net decoder's input, relu(cat(norm(skip), norm(x))), laid out by the direct route straight from its parts;
  // parts scaled per sample and channel.
  void decoder_input_parts_match_the_concatenation() {
    torch::manual_seed(0);
    torch::nn::ConvTranspose2d up(torch::nn::ConvTranspose2dOptions(7 + 5, 6, 4).stride(2).padding(1).bias(false));
    torch::nn::BatchNorm2d norm(5), skip_norm(7);
    for (auto* n : {norm.get(), skip_norm.get()}) {
      torch::NoGradGuard no_grad;
      n->eval();
      n->running_mean.normal_();
      n->running_var.uniform_(0.5, 2.0);
      n->weight.normal_();
      n->bias.normal_();
    }
    const at::Tensor skip = torch::randn({3, 7, 6, 10}), x = torch::randn({3, 5, 6, 10});
    torch::NoGradGuard no_grad;
    using Norm = torch::nn::BatchNorm2dImpl*;
    for (const auto& [sn, n] :
         {std::pair<Norm, Norm>{nullptr, norm.get()}, {nullptr, nullptr}, {skip_norm.get(), norm.get()}}) {
      const at::Tensor want =
          up->forward(torch::relu(torch::cat({sn ? sn->forward(skip) : skip, n ? n->forward(x) : x}, 1)));
      const std::vector<models::InputPart> parts{{skip, sn, true}, {x, n, true}};
      verify_close(models::transposed_conv_of_parts(*up, parts), want);
      if (!cpu_has_avx2_fma()) continue;
      QCOMPARE(models::concatenated_shape(parts).sizes().vec(), (std::vector<int64_t>{3, 12, 6, 10}));
      QCOMPARE(models::transposed_route(*up, models::concatenated_shape(parts)), models::TransposedRoute::Direct);
      verify_close(models::transposed_direct(*up, parts), want);
      verify_close(models::transposed_direct(*up, parts, VectorWidth::Avx2), want);
    }
    // Parts read as they are, and parts that do not fit.
    verify_close(models::transposed_conv_of_parts(*up, {{skip}, {x}}), up->forward(torch::cat({skip, x}, 1)));
    if (cpu_has_avx2_fma())
      verify_close(models::transposed_direct(*up, {{skip}, {x}}), up->forward(torch::cat({skip, x}, 1)));
    // Each sample's channels scaled first (StyleGAN2's modulation), before a norm too; a scale of the wrong shape.
    const at::Tensor scale = torch::randn({3, 5});
    const at::Tensor scaled = x * scale.view({3, 5, 1, 1});
    const std::vector<models::InputPart> modulated{{skip}, {x, nullptr, false, scale}},
        normed{{skip}, {x, norm.get(), true, scale}};
    verify_close(models::transposed_conv_of_parts(*up, modulated), up->forward(torch::cat({skip, scaled}, 1)));
    const at::Tensor after_norm = up->forward(torch::cat({skip, torch::relu(norm->forward(scaled))}, 1));
    verify_close(models::transposed_conv_of_parts(*up, normed), after_norm);
    if (cpu_has_avx2_fma()) {
      verify_close(models::transposed_direct(*up, modulated), up->forward(torch::cat({skip, scaled}, 1)));
      verify_close(models::transposed_direct(*up, normed, VectorWidth::Avx2), after_norm);
      QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                               models::transposed_direct(*up, {{skip}, {x, nullptr, false, scale.t()}}));
    }
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             models::transposed_direct(*up, std::vector<models::InputPart>{{skip}}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             models::concatenated_shape({{skip}, {torch::randn({2, 5, 6, 10})}}));
  }

  // Batches of whole vectors of planes narrower than a vector are summed with the samples innermost and moved back
  // (transposed 8 × 8 at a time): every sample, row, column and phase back in its place, for both kernels' geometries
  // (StyleGAN2's 3 × 3 with output padding, DCGAN's 4 × 4 with padding 1), parts read through a norm, a ReLU and a
  // scale per sample; straight into the output with a finish on each plane (one that adds the plane's item number),
  // and as sums for a caller that reads the planes.
  void narrow_planes_of_whole_batches_match_the_library() {
    if (!cpu_has_avx2_fma()) QSKIP("the direct route needs AVX2 and FMA");
    const models::direct::PlaneFinish add_item = [](int64_t item, const float* src, int64_t stride, float* dst,
                                                    int64_t rows, int64_t width) {
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < width; ++j) dst[i * width + j] = src[i * stride + j] + static_cast<float>(item);
    };
    torch::manual_seed(3);
    torch::NoGradGuard no_grad;
    torch::nn::BatchNorm2d norm(5);
    norm->eval();
    norm->running_mean.normal_();
    norm->weight.normal_();
    for (const int64_t k : {3, 4}) {
      auto options = torch::nn::ConvTranspose2dOptions(7 + 5, 6, k).stride(2).bias(true);
      torch::nn::ConvTranspose2d up(k == 3 ? options.output_padding(1) : options.padding(1));
      for (const int64_t n : {8, 16, 24, 32})
        for (const int64_t side : {1, 2, 4, 5, 7, 8, 12}) {
          const at::Tensor skip = torch::randn({n, 7, side, side}), x = torch::randn({n, 5, side, side});
          const at::Tensor scale = torch::randn({n, 5});
          const at::Tensor read = torch::relu(norm->forward(x * scale.view({n, 5, 1, 1})));
          const at::Tensor want = up->forward(torch::cat({skip, read}, 1));
          const std::vector<models::InputPart> parts{{skip}, {x, norm.get(), true, scale}};
          const at::Tensor numbered = want + torch::arange(n * 6, want.options()).view({n, 6, 1, 1});
          for (const VectorWidth width : {VectorWidth::Avx2, VectorWidth::Widest}) {
            verify_close(models::transposed_direct(*up, parts, width), want);
            verify_close(models::transposed_direct(*up, parts, width, add_item), numbered);
            at::Tensor planes = torch::empty_like(want);
            const models::DirectSums sums = models::transposed_direct_sums(*up, parts, width);
            for (int64_t item = 0; item < n * 6; ++item)
              sums.write_plane(item, planes.data_ptr<float>() + item * want.size(2) * want.size(3), want.size(3));
            verify_close(planes, want);
          }
        }
    }
  }

  // An image's output layer (1–3 channels from a 4 × 4 kernel with padding 1) sums its four phases together; with 16
  // lanes each input row is loaded once and its shifted columns taken in registers. Every output count it takes, odd
  // and even sides, batches whose positions end inside a block, and more input planes than one group (whose sums are
  // added to), for both kernels.
  void output_layers_sum_their_phases_together() {
    if (!cpu_has_avx2_fma()) QSKIP("the direct route needs AVX2 and FMA");
    torch::manual_seed(5);
    torch::NoGradGuard no_grad;
    for (const int64_t out : {1, 2, 3})
      for (const int64_t in : {3, 21, 70})
        for (const auto& [n, side] :
             std::vector<std::pair<int64_t, int64_t>>{{1, 3}, {3, 5}, {2, 16}, {5, 17}, {1, 32}}) {
          torch::nn::ConvTranspose2d up(torch::nn::ConvTranspose2dOptions(in, out, 4).stride(2).padding(1).bias(true));
          const at::Tensor x = torch::randn({n, in, side, side});
          for (const VectorWidth width : {VectorWidth::Avx2, VectorWidth::Widest})
            verify_close(models::transposed_direct(*up, x, nullptr, width), up->forward(x));
        }
  }

  // Outputs narrower than a vector, of batches whose rows of all samples fill whole vectors, are summed with the
  // samples innermost: 8 at a time through a transpose, the rest one by one, read through the norm and leaky ReLU, both
  // kernels; the route is then picked however wide the layer (a 64 → 128 layer from 8 × 8 at batch 16).
  void strided_route_interleaves_narrow_outputs() {
    if (!cpu_has_avx2_fma()) QSKIP("the direct route needs AVX2 and FMA");
    torch::manual_seed(4);
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(5, 7, 4).stride(2).padding(1).bias(true));
    torch::nn::BatchNorm2d norm = eval_norm(5);
    torch::NoGradGuard no_grad;
    for (const int64_t n : {2, 4, 6, 12, 16, 24, 32})
      for (const auto& [h, w] : std::vector<std::pair<int64_t, int64_t>>{{2, 2}, {4, 4}, {8, 8}, {6, 16}, {16, 8}}) {
        const at::Tensor x = torch::randn({n, 5, h, w});
        const at::Tensor want = conv->forward(torch::leaky_relu(norm->forward(x), 0.2));
        for (const VectorWidth width : {VectorWidth::Avx2, VectorWidth::Widest})
          verify_close(models::strided_direct(*conv, x, norm.get(), 0.2, width), want);
      }
    torch::nn::Conv2d wide(torch::nn::Conv2dOptions(64, 128, 4).stride(2).padding(1));
    QVERIFY(models::strided_conv_route_is_direct(*wide, torch::randn({16, 64, 8, 8})));
    QVERIFY(!models::strided_conv_route_is_direct(*wide, torch::randn({1, 64, 8, 8})));
  }

  // The encoder's layers reading norm(x) through a leaky ReLU, applied as the direct route lays out its input.
  void strided_route_applies_the_norm_and_activation() {
    torch::manual_seed(2);
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(6, 9, 4).stride(2).padding(1).bias(true));
    torch::nn::BatchNorm2d norm = eval_norm(6);
    torch::NoGradGuard no_grad;
    const at::Tensor x = torch::randn({2, 6, 20, 36}); // rows of 36: vectors and a remainder
    for (torch::nn::BatchNorm2dImpl* n : {norm.get(), static_cast<torch::nn::BatchNorm2dImpl*>(nullptr)}) {
      const at::Tensor want = conv->forward(torch::leaky_relu(n ? n->forward(x) : x, 0.2));
      verify_close(models::strided_conv_after_norm_leaky(*conv, n, x, 0.2), want);
      if (!cpu_has_avx2_fma()) continue;
      QVERIFY(models::strided_conv_route_is_direct(*conv, x));
      verify_close(models::strided_direct(*conv, x, n, 0.2), want);
      verify_close(models::strided_direct(*conv, x, n, 0.2, VectorWidth::Avx2), want);
    }
  }

  // Generation (eval mode, no gradients) leaves the decoder's concatenation, norm and ReLU to the next layer where it
  // can: the same outputs as the step-by-step forward, for each norm and for widths that take the direct routes.
  void unet_generation_matches_the_step_by_step_forward_data() {
    QTest::addColumn<QString>("norm");
    QTest::newRow("batch") << "batch";
    QTest::newRow("none") << "none";
    QTest::newRow("instance") << "instance";
  }
  void unet_generation_matches_the_step_by_step_forward() {
    QFETCH(QString, norm);
    torch::manual_seed(1);
    const nlohmann::json widths{{"down.0", 5}, {"down.1", 10}, {"down.2", 19}, {"down.3", 13}, {"down.4", 11},
                                {"up.1", 6},   {"up.2", 9},    {"up.3", 7},    {"up.4", 12}};
    auto g = models::make_unet_generator(
        {{"num_downs", 5}, {"ngf", 8}, {"norm", norm.toStdString()}, {"load_size", 32}, {"widths", widths}});
    {
      torch::NoGradGuard no_grad;
      for (auto& b : g->module().named_buffers())
        if (b.key().find("running_mean") != std::string::npos)
          b.value().normal_();
        else if (b.key().find("running_var") != std::string::npos)
          b.value().uniform_(0.5, 2.0);
      for (auto& p : g->module().parameters()) p.normal_(0.0, 0.3);
    }
    g->module().eval();
    const at::Tensor x = torch::rand({2, 3, 32, 32}) * 2 - 1;
    const at::Tensor step_by_step = g->forward(x, {}).detach(); // gradients wanted: nothing fused
    torch::NoGradGuard no_grad;
    verify_close(g->forward(x, {}), step_by_step);
  }
};

QTEST_APPLESS_MAIN(TestImg2Img)
#include "test_img2img.moc"
