#include "core/jobs/report.h"

#include "core/io/atomic_file.h"
#include "core/io/line_chart.h"
#include "core/io/png.h"
#include "core/models/cost.h"
#include "core/runtime.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <tuple>

namespace gs::jobs {
namespace {

const std::vector<std::string> kMetrics{"fd", "precision", "recall", "density", "coverage"};
// The longest the batch-64 latency row may add to the end of a job (estimated from the batch-16 passes).
constexpr double kBatch64BudgetSeconds = 60;
// How long one batch size's latency row should take at most, where 9 timed passes per side fit.
constexpr double kLatencyRowSeconds = 20;

// measure_latency_ms's blocks: kBlock timed passes of one model after kSettle untimed ones, then the other's.
constexpr int kBlock = 10, kSettle = 3;

// Timed passes per side (10–30) for a teacher and student pass that take pair_ms together: each block of kBlock timed
// passes costs kBlock + kSettle, plus 3 warm-up passes. More passes where they are cheap: with 10, an AVX2 machine's
// noise moved a 70% DCGAN student's speed-up per MAC cut from 0.65 to 0.82 between two runs.
int repeats_for(double pair_ms) {
  const double passes = kLatencyRowSeconds * 1000 / std::max(pair_ms, 1e-3);
  return std::clamp(static_cast<int>((passes - 3) * kBlock / (kBlock + kSettle)) / kBlock * kBlock, kBlock, 30);
}

std::string fixed(double v, int digits = 3) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// The last evaluation of each model ("teacher", "pruned", "student").
std::map<std::string, nlohmann::json> last_evals(const std::vector<nlohmann::json>& events) {
  std::map<std::string, nlohmann::json> out;
  for (const auto& e : events)
    if (e.value("kind", "") == "eval") out[e.value("model", "student")] = e;
  return out;
}

std::string plot(RunDirectory& run, const std::string& file, const std::vector<io::Series>& series, bool log_y) {
  if (series.empty()) return {};
  io::write_png(run.path(file), io::line_chart(series, 640, 320, log_y));
  std::string legend;
  for (size_t i = 0; i < series.size(); ++i)
    legend += (i ? ", " : "") + std::string(io::series_colour(i)) + ": " + series[i].name;
  return "![" + file + "](" + file + ")\n\n" + legend + "\n\n";
}

} // namespace

namespace {

// One timed forward pass in milliseconds.
double time_forward(models::Generator& g, const at::Tensor& x) {
  const bool cuda = x.device().is_cuda();
  if (cuda) torch::cuda::synchronize();
  const auto t0 = std::chrono::steady_clock::now();
  g.forward(x);
  if (cuda) torch::cuda::synchronize();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

at::Tensor latency_inputs(models::Generator& g, int64_t batch) {
  const auto params = g.module().parameters();
  const auto spec = g.input_spec();
  std::vector<int64_t> shape{batch};
  shape.insert(shape.end(), spec.shape.begin(), spec.shape.end());
  return torch::randn(shape).to(params.empty() ? at::Device(at::kCPU) : params.front().device());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

} // namespace

Latency measure_latency_ms(models::Generator& a, models::Generator& b, int64_t batch, int repeats) {
  torch::NoGradGuard no_grad;
  const bool a_training = a.module().is_training(), b_training = b.module().is_training();
  a.module().eval();
  b.module().eval();
  const at::Tensor xa = latency_inputs(a, batch), xb = latency_inputs(b, batch);
  for (int i = 0; i < 3; ++i) time_forward(a, xa), time_forward(b, xb);
  // Blocks of kBlock timed passes per model, alternately, each after kSettle untimed passes: the passes after the other
  // model's run slower while the machine settles back (caches the other model evicted; up to a fifth of a 70% DCGAN
  // student's time in a trial), which no generator that runs on its own pays. On a Zen 5 the first pass of a small
  // student after the teacher's was 11–15% slower than its tenth and the second and third still 3–8% (StyleGAN2 coronet
  // 70% and pix2pix density 70%, batch 16, the teacher's own passes level): blocks of 3 after one untimed pass had
  // measured those.
  std::vector<double> ta, tb;
  for (int done = 0; done < repeats; done += kBlock)
    for (auto [g, x, t] : {std::tuple{&a, &xa, &ta}, std::tuple{&b, &xb, &tb}}) {
      for (int i = 0; i < kSettle; ++i) time_forward(*g, *x);
      for (int i = 0; i < kBlock; ++i) t->push_back(time_forward(*g, *x));
    }
  a.module().train(a_training);
  b.module().train(b_training);
  return {median(ta), median(tb), *std::min_element(ta.begin(), ta.end()), *std::min_element(tb.begin(), tb.end())};
}

void write_report(RunDirectory& run, const CompressConfig& c, models::Model& teacher, models::Model& student,
                  const prune::Plan& plan) {
  size_t offset = 0;
  const auto events = read_events(run.path("events.jsonl"), offset);
  models::Generator& t = *teacher.generator;
  models::Generator& s = *student.generator;
  const models::CostReport tc = t.cost(), sc = s.cost();
  const int64_t t_in = t.cost(models::MacConvention::TransposedByInput).macs;
  const int64_t s_in = s.cost(models::MacConvention::TransposedByInput).macs;
  // On the CPU, one thread: with two OpenMP threads on a shared 2-core machine, batch-1 latency was bimodal (0.3 ms
  // or 7.8 ms for the same DCGAN from run to run) while one thread gave the same figure every time.
  const auto params = s.module().parameters();
  const bool cpu = params.empty() || params.front().device().is_cpu();
  const std::string device = cpu ? "cpu, 1 thread" : params.front().device().str();
  const int threads = at::get_num_threads();
  if (cpu) set_threads(1);
  const Latency l1 = measure_latency_ms(t, s, 1, 30);
  const Latency l16 = measure_latency_ms(t, s, 16, repeats_for(16 * (l1.a + l1.b)));
  // Batch 64 for throughput. Whether a student's speed-up per MAC cut grows with the batch tells per-operator costs
  // (StyleGAN2's many small operations: it does) from work proportional to the width (DCGAN, pix2pix: it does not).
  // Its 16 passes per side take about 64 batch-16 passes; skipped where that would hold up the end of a job for long
  // (large models on one thread).
  const double b64_estimate_s = 64 * (l16.a + l16.b) / 1000;
  const bool b64 = b64_estimate_s <= kBatch64BudgetSeconds;
  const Latency l64 = b64 ? measure_latency_ms(t, s, 64, kBlock) : Latency{};
  set_threads(threads);
  // Rows of medians, then of fastest passes ("fastest pass, batch N": bench/compress_table.py reads the medians by
  // "latency batch N").
  std::vector<std::pair<int, Latency>> latencies{{1, l1}, {16, l16}};
  if (b64) latencies.emplace_back(64, l64);
  std::string latency_rows;
  for (const bool fastest : {false, true})
    for (const auto& [batch, l] : latencies) {
      const double a = fastest ? l.a_fastest : l.a, b = fastest ? l.b_fastest : l.b;
      latency_rows += (fastest ? "| fastest pass, batch " : "| latency batch ") + std::to_string(batch) + ", " +
                      device + (fastest ? " (ms) | " : " (ms, median) | ") + fixed(a) + " | " + fixed(b) + " | " +
                      fixed(a / b, 2) + "x |\n";
    }

  std::ostringstream md;
  md << "# Compression report\n\n"
     << "Model `" << c.model << "` (" << models::arch_name(t.arch()) << "), method **" << c.method << "**, "
     << prune::policy_name(plan.selection.policy) << " selection at sparsity " << plan.selection.sparsity << ", "
     << c.steps << " fine-tuning steps (batch " << c.batch << ").\n\n"
     << "| | teacher | student | ratio |\n|---|---:|---:|---:|\n"
     << "| parameters | " << models::human_count(tc.params) << " | " << models::human_count(sc.params) << " | "
     << fixed(static_cast<double>(tc.params) / sc.params, 2) << "x |\n"
     << "| MACs (transposed convs by output) | " << models::human_count(tc.macs) << " | "
     << models::human_count(sc.macs) << " | " << fixed(static_cast<double>(tc.macs) / sc.macs, 2) << "x |\n"
     << "| MACs (transposed convs by input: the multiplications performed) | " << models::human_count(t_in) << " | "
     << models::human_count(s_in) << " | " << fixed(static_cast<double>(t_in) / s_in, 2) << "x |\n"
     << latency_rows << "\n"
     << (b64 ? ""
             : "Latency at batch 64 not measured: it would have taken about " + fixed(b64_estimate_s, 0) + " s.\n\n")
     << "Teacher and student run in alternate blocks of passes. The median is the typical pass; the fastest pass is "
        "the machine's speed when nothing else competes for its core (on a shared machine the two differ most).\n\n";

  const auto evals = last_evals(events);
  if (!evals.empty()) {
    const nlohmann::json& any = evals.begin()->second;
    md << "Metrics on " << any.value("n", 0) << " samples with the feature extractor `" << any.value("extractor", "")
       << "` (labels say which: only the standard Inception file gives FID).\n\n| | ";
    for (const auto& m : kMetrics) md << any["labels"].value(m, m) << " | ";
    md << "\n|---|";
    for (size_t i = 0; i < kMetrics.size(); ++i) md << "---:|";
    md << "\n";
    for (const char* who : {"teacher", "pruned", "student"}) {
      const auto it = evals.find(who);
      if (it == evals.end()) continue;
      md << "| " << (std::string(who) == "pruned" ? "pruned, before fine-tuning" : who) << " | ";
      for (const auto& m : kMetrics) md << fixed(it->second.value(m, NAN)) << " | ";
      md << "\n";
    }
    md << "\n";
  }

  std::map<std::string, io::Series> losses, learning;
  std::vector<io::Series> metric_series(kMetrics.size());
  for (const auto& e : events) {
    const std::string kind = e.value("kind", "");
    const double step = e.value("step", 0.0);
    if (kind == "learn")
      for (const auto& [k, v] : e.items())
        if (v.is_number_float() && k != "elapsed" && k != "time") {
          learning[k].name = k;
          learning[k].x.push_back(e.value("learn_step", 0.0));
          learning[k].y.push_back(v.get<double>());
        }
    if (kind == "loss")
      for (const auto& [k, v] : e.items())
        if (v.is_number() && k != "step" && k != "time" && k != "elapsed") {
          losses[k].name = k;
          losses[k].x.push_back(step);
          losses[k].y.push_back(v.get<double>());
        }
    if (kind == "eval" && e.value("model", "") != "teacher")
      for (size_t i = 0; i < kMetrics.size(); ++i) {
        metric_series[i].name = e["labels"].value(kMetrics[i], kMetrics[i]);
        metric_series[i].x.push_back(step);
        metric_series[i].y.push_back(e.value(kMetrics[i], NAN));
      }
  }
  std::vector<io::Series> loss_list;
  for (auto& [k, v] : losses) loss_list.push_back(v);
  if (!learning.empty()) {
    std::vector<io::Series> list;
    for (auto& [k, v] : learning) list.push_back(v);
    md << "## Pruning dynamics\n\nLosses while " << c.method
       << " learned which channels to keep, against its steps.\n\n"
       << plot(run, "learn.png", list, false);
  }
  md << "## Fine-tuning losses\n\n" << plot(run, "losses.png", loss_list, false);
  if (!metric_series[0].x.empty()) {
    md << "## Metrics during fine-tuning\n\n"
       << plot(run, "fd.png", {metric_series[0]}, false)
       << plot(run, "prdc.png", {metric_series.begin() + 1, metric_series.end()}, false);
  }
  md << "## Kept channels\n\n| group | kept / width |\n|---|---:|\n";
  for (const auto& [group, width] : plan.widths)
    md << "| " << group << " | " << plan.kept.at(group).size() << " / " << width << " |\n";
  if (!plan.discriminator_kept.empty()) {
    md << "\nThe discriminator was pruned with the generator:\n\n| discriminator group | kept / width |\n|---|---:|\n";
    for (const auto& g : teacher.discriminator->channel_groups())
      md << "| " << g.name << " | " << plan.discriminator_kept.at(g.name).size() << " / " << g.width << " |\n";
  }
  io::write_file_atomic(run.path("report.md"), md.str());
}

} // namespace gs::jobs
