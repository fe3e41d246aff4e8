// FID, KID and precision/recall/density/coverage against NumPy/SciPy references on committed feature fixtures
// (tests/fixtures/make_metric_fixtures.py), and on small sets whose answers can be checked by hand.
#include "core/io/checkpoint.h"
#include "core/io/npy.h"
#include "core/metrics/feature_extractor.h"
#include "core/metrics/fid.h"
#include "core/metrics/gram.h"
#include "core/metrics/kid.h"
#include "core/metrics/prdc.h"

#include <QtTest>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <fstream>

using namespace gs;

namespace {

std::string metric_fixture(const std::string& name) {
  return std::string(GANSTUDIO_FIXTURES) + "/metrics/" + name;
}

const nlohmann::json& expected() {
  static const nlohmann::json j = nlohmann::json::parse(std::ifstream(metric_fixture("expected.json")));
  return j;
}

at::Tensor features(const char* name) {
  return io::read_npy(metric_fixture(name));
}

double fid_of(const at::Tensor& a, const at::Tensor& b, int64_t batch) {
  metrics::FeatureStats sa, sb;
  for (int64_t i = 0; i < a.size(0); i += batch) sa.add(a.narrow(0, i, std::min(batch, a.size(0) - i)));
  for (int64_t i = 0; i < b.size(0); i += batch) sb.add(b.narrow(0, i, std::min(batch, b.size(0) - i)));
  return metrics::frechet_distance(sa, sb);
}

void verify_relative(double got, double want, double tol) {
  QVERIFY2(std::abs(got - want) <= tol * std::abs(want),
           qPrintable(QString("got %1, expected %2").arg(got, 0, 'g', 17).arg(want, 0, 'g', 17)));
}

at::Tensor points(std::initializer_list<double> xs) {
  return torch::tensor(std::vector<double>(xs), torch::kDouble).unsqueeze(1);
}

} // namespace

class TestMetrics : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void fid_matches_scipy() {
    const double want = expected()["fid_ab"]["sqrtm"];
    // Streaming in uneven batches must not change the answer.
    for (int64_t batch : {600, 128, 7})
      verify_relative(fid_of(features("a.npy"), features("b.npy"), batch), want, 1e-6);
  }

  void fid_rank_deficient() {
    verify_relative(fid_of(features("rank_a.npy"), features("rank_b.npy"), 16),
                    expected()["fid_rank_deficient"]["eigvals"], 1e-6);
  }

  void fid_of_identical_sets_is_zero() {
    at::Tensor a = features("a.npy");
    QVERIFY(std::abs(fid_of(a, a, 100)) < 1e-8);
  }

  void streaming_statistics_match_direct_ones() {
    at::Tensor a = features("a.npy").to(torch::kDouble);
    metrics::FeatureStats s;
    for (int64_t i = 0; i < a.size(0); i += 50) s.add(a.narrow(0, i, 50));
    at::Tensor centred = a - a.mean(0);
    QVERIFY(torch::allclose(s.covariance(), centred.t().mm(centred) / (a.size(0) - 1), 1e-10, 1e-12));
    QVERIFY(torch::allclose(s.mean(), a.mean(0), 1e-12, 1e-12));
  }

  void kid_matches_reference() {
    metrics::KidOptions opt;
    opt.subsets = 5; // every subset holds all 300 samples, so each equals the reference and the spread is zero
    auto r = metrics::kernel_inception_distance(features("kid_a.npy"), features("kid_b.npy"), opt);
    verify_relative(r.mean, expected()["kid_full"], 1e-9);
    QVERIFY(r.std < 1e-12);
    QCOMPARE(r.subset_size, int64_t(300));
  }

  void kid_subsets() {
    // Unbiased MMD² of a set against itself sits at or just below zero (its estimate is not clamped), well under
    // the value for a shifted set.
    at::Tensor a = features("kid_a.npy");
    auto same = metrics::kernel_inception_distance(a, a, {10, 1000, 1});
    QVERIFY(same.mean <= 1e-12);
    QVERIFY(std::abs(same.mean) < expected()["kid_full"].get<double>());
    auto sub = metrics::kernel_inception_distance(features("a.npy"), features("b.npy"), {20, 100, 3});
    QCOMPARE(sub.subset_size, int64_t(100));
    QVERIFY(sub.std > 0);
  }

  // The BLAS products behind FID and KID against LibTorch's own, on shapes where a transposed result or a swapped
  // leading dimension would show.
  void blas_products_match_libtorch() {
    torch::manual_seed(0);
    const at::Tensor a = torch::randn({7, 5}, torch::kDouble);
    QVERIFY(torch::allclose(metrics::gram_rows_upper(a), a.mm(a.t()).triu()));
    at::Tensor c = torch::zeros({5, 5}, torch::kDouble);
    metrics::add_gram_upper(c, a);
    QVERIFY(torch::allclose(c.triu(), a.t().mm(a).triu()));
    const at::Tensor l = torch::randn({5, 5}, torch::kDouble).tril(), s = a.t().mm(a);
    QVERIFY(torch::allclose(metrics::lower_congruence(l, s), l.t().mm(s).mm(l)));
  }

  void prdc_matches_reference_data() {
    QTest::addColumn<int>("k");
    QTest::newRow("k=3") << 3;
    QTest::newRow("k=5") << 5;
  }
  void prdc_matches_reference() {
    QFETCH(int, k);
    const auto& e = expected()["prdc_k" + std::to_string(k)];
    for (size_t memory : {size_t(1) << 30, size_t(4096)}) { // one block, then many tiny ones
      auto r =
          metrics::precision_recall_density_coverage(features("pr_real.npy"), features("pr_fake.npy"), {k, memory});
      QCOMPARE(r.precision, e["precision"].get<double>());
      QCOMPARE(r.recall, e["recall"].get<double>());
      verify_relative(r.density, e["density"], 1e-12);
      QCOMPARE(r.coverage, e["coverage"].get<double>());
    }
  }

  void prdc_by_hand() {
    // Real 0,1,2,3 (k=1 radii all 1); fake 0.5, 10, 2.2 (radii 1.7, 7.8, 1.7).
    auto r = metrics::precision_recall_density_coverage(points({0, 1, 2, 3}), points({0.5, 10, 2.2}), {1});
    QCOMPARE(r.precision, 2.0 / 3.0); // 0.5 and 2.2 lie in real balls, 10 does not
    QCOMPARE(r.recall, 1.0);          // every real point lies in some fake ball
    QCOMPARE(r.density, 4.0 / 3.0);   // 0.5 is in the balls of 0 and 1; 2.2 in those of 2 and 3
    QCOMPARE(r.coverage, 1.0);
    // Strict '<': a fake point exactly on a ball's edge is outside it.
    auto edge = metrics::precision_recall_density_coverage(points({0, 1, 2, 3}), points({4, 4.5}), {1});
    QCOMPARE(edge.precision, 0.0);
  }

  void identical_sets_have_full_precision_and_recall() {
    at::Tensor a = features("pr_real.npy");
    auto r = metrics::precision_recall_density_coverage(a, a, {3});
    QCOMPARE(r.precision, 1.0);
    QCOMPARE(r.recall, 1.0);
    QCOMPARE(r.coverage, 1.0);
  }

  void standard_extractor_interface() {
    const std::string dir = std::string(GANSTUDIO_FIXTURES) + "/extractors/";
    auto fx = metrics::FeatureExtractor::load(dir + "inception_standin.pt");
    QCOMPARE(int(fx.info().kind), int(metrics::ExtractorKind::StandardInception));
    QCOMPARE(fx.info().dims, int64_t(2048));
    QCOMPARE(QString::fromStdString(fx.info().fd_label), QString("FID"));
    // Same features as python3-torch computed with return_features=True on the same images.
    auto ref = io::load_checkpoint(dir + "standin_reference.pt");
    at::Tensor img = ref.doc.root->get("img")->tensor, want = ref.doc.root->get("features")->tensor;
    QVERIFY(torch::allclose(fx.features(img), want, 1e-5, 1e-6));
    // Grey images are repeated to RGB.
    QCOMPARE(fx.features(torch::zeros({4, 1, 28, 28}, torch::kUInt8)).size(0), int64_t(4));
  }

  void other_extractors_carry_their_own_label() {
    const std::string dir = std::string(GANSTUDIO_FIXTURES) + "/extractors/";
    auto custom = metrics::FeatureExtractor::load(dir + "custom16.pt");
    QCOMPARE(int(custom.info().kind), int(metrics::ExtractorKind::Custom));
    QCOMPARE(custom.info().dims, int64_t(16));
    QCOMPARE(QString::fromStdString(custom.info().fd_label), QString("FD-custom"));
    auto builtin = metrics::FeatureExtractor::load(dir + "inception_standin.pt", /*builtin=*/true);
    QCOMPARE(QString::fromStdString(builtin.info().fd_label), QString("FD-builtin")); // never "FID"
    for (const char* bad : {"not_a_module.pt", "missing.pt"}) {
      try {
        metrics::FeatureExtractor::load(dir + bad);
        QFAIL(bad);
      } catch (const std::runtime_error& e) {
        QVERIFY2(QString(e.what()).contains(bad), e.what());
      }
    }
    try {
      custom.features(torch::zeros({2, 3, 8, 8}));
      QFAIL("float input accepted");
    } catch (const std::invalid_argument&) {
    }
  }

  void bad_input_is_a_clear_error() {
    auto expect_error = [](const std::function<void()>& f, const char* needle) {
      try {
        f();
      } catch (const std::invalid_argument& e) {
        QVERIFY2(QString(e.what()).contains(needle), e.what());
        return;
      }
      QFAIL(needle);
    };
    at::Tensor a = torch::randn({20, 4}), b = torch::randn({20, 5});
    expect_error([&] { metrics::precision_recall_density_coverage(a, b); }, "dimensions differ");
    expect_error([&] { metrics::kernel_inception_distance(a, b); }, "dimensions differ");
    expect_error([&] { fid_of(a, b, 10); }, "dimension");
    expect_error([&] { metrics::precision_recall_density_coverage(a.narrow(0, 0, 3), a, {3}); }, "more than k=3");
    at::Tensor nan = a.clone();
    nan[3][1] = NAN;
    expect_error([&] { metrics::precision_recall_density_coverage(nan, a); }, "NaN");
    expect_error([&] { fid_of(nan, a, 10); }, "NaN");
    expect_error([&] { fid_of(a.narrow(0, 0, 1), a, 10); }, "at least 2 samples");
    expect_error([&] { metrics::precision_recall_density_coverage(torch::randn({10}), a); }, "2-D");
  }

  // A batch with a NaN or an infinity anywhere (first batch or later, float or double) is refused and leaves the
  // statistics as they were.
  void a_bad_batch_leaves_the_statistics_alone() {
    const at::Tensor good = torch::randn({30, 6});
    for (auto dtype : {torch::kFloat, torch::kDouble}) {
      metrics::FeatureStats first;
      at::Tensor bad = good.to(dtype).clone();
      bad[0][2] = NAN;
      QVERIFY_THROWS_EXCEPTION(std::invalid_argument, first.add(bad));
      QCOMPARE(first.count(), int64_t{0});
      first.add(good.to(dtype));
      QVERIFY(at::allclose(first.covariance(), good.to(torch::kDouble).t().cov(), 1e-10, 1e-12));

      metrics::FeatureStats later;
      later.add(good.to(dtype));
      for (float v : {INFINITY, -INFINITY}) {
        bad = good.to(dtype).clone();
        bad[7][4] = v;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, later.add(bad));
      }
      bad = good.to(dtype).clone();
      bad[1][0] = INFINITY, bad[2][0] = -INFINITY; // one column's infinities cancel to NaN in its sum
      QVERIFY_THROWS_EXCEPTION(std::invalid_argument, later.add(bad));
      QCOMPARE(later.count(), int64_t{30});
      QVERIFY(at::allclose(later.covariance(), first.covariance(), 1e-12, 1e-14));
    }
  }

  // Different k for density / coverage in one pass equals two separate computations.
  void prdc_with_two_ks_equals_two_passes() {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
    const at::Tensor real = at::randn({80, 6}, gen), fake = at::randn({70, 6}, gen) + 0.3;
    metrics::PrdcOptions a, b, both;
    a.k = 3;
    b.k = 5;
    both.k = 3;
    both.k_density = 5;
    const auto ra = metrics::precision_recall_density_coverage(real, fake, a);
    const auto rb = metrics::precision_recall_density_coverage(real, fake, b);
    const auto r = metrics::precision_recall_density_coverage(real, fake, both);
    QCOMPARE(r.precision, ra.precision);
    QCOMPARE(r.recall, ra.recall);
    QCOMPARE(r.density, rb.density);
    QCOMPARE(r.coverage, rb.coverage);
  }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "test_metrics.moc"
