#include "app/gui/engine_worker.h"

#include "core/io/png.h"
#include "core/jobs/compress_job.h"
#include "core/jobs/run_dir.h"
#include "core/models/channel_ops.h"
#include "core/models/cost.h"
#include "core/models/registry.h"
#include "core/prune/scorer.h"
#include "core/runtime.h"
#include "widgets/sample_view.h"

#include <c10/util/Exception.h>
#include <torch/torch.h>

#include <QFileInfo>
#include <QThread>

namespace gs::gui {
namespace {

constexpr int kUpdateMs = 100; // about ten updates a second at most

QImage to_qimage(const at::Tensor& grid) { // uint8 [H, W, 3]
  const at::Tensor c = grid.contiguous();
  const int h = static_cast<int>(c.size(0)), w = static_cast<int>(c.size(1));
  QImage img(w, h, QImage::Format_RGB888);
  for (int y = 0; y < h; ++y)
    std::memcpy(img.scanLine(y), c.data_ptr<uint8_t>() + static_cast<int64_t>(y) * w * 3, w * 3);
  return img;
}

QVector<widgets::HeatmapRow> rows_of(const prune::ChannelScores& scores,
                                     const std::vector<models::ChannelGroup>& order) {
  QVector<widgets::HeatmapRow> rows;
  for (const auto& g : order) {
    widgets::HeatmapRow r;
    r.group = QString::fromStdString(g.name);
    const auto it = scores.find(g.name);
    if (it != scores.end()) r.scores = QVector<double>(it->second.begin(), it->second.end());
    rows.push_back(r);
  }
  return rows;
}

// Core exceptions as one readable line.
QString reason(const std::exception& e) {
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) {
    std::string msg = c10->what_without_backtrace();
    if (msg.find("out of memory") != std::string::npos) return QObject::tr("out of memory: %1").arg(msg.c_str());
    return QString::fromStdString(msg).section('\n', 0, 0);
  }
  return QString::fromUtf8(e.what());
}

} // namespace

EngineWorker::EngineWorker(const std::atomic<bool>& stop, const std::atomic<bool>& pause) : stop_(stop), pause_(pause) {
  static const bool registered = [] {
    qRegisterMetaType<ModelInfo>();
    qRegisterMetaType<ScoreUpdate>();
    qRegisterMetaType<JobProgress>();
    return true;
  }();
  (void)registered;
}

bool EngineWorker::due(QElapsedTimer& timer) {
  if (timer.isValid() && timer.elapsed() < kUpdateMs) return false;
  timer.restart();
  return true;
}

void EngineWorker::inspect(const QString& path) {
  try {
    models::Model m = models::load_model(path.toStdString());
    models::Generator& g = *m.generator;
    ModelInfo info;
    info.path = path;
    info.arch = models::arch_name(m.arch);
    info.options_json = QString::fromStdString(g.options().dump());
    for (const auto& group : g.channel_groups()) {
      info.groups << QString::fromStdString(group.name);
      info.widths << static_cast<int>(group.width);
    }
    const models::CostReport cost = g.cost();
    info.params = cost.params;
    info.macs = cost.macs;
    info.macs_computed = g.cost(models::MacConvention::TransposedByInput).macs;
    info.image_to_image = g.input_spec().kind == models::InputSpec::Kind::Image;
    info.has_discriminator = m.discriminator != nullptr;
    info.summary = QStringLiteral("%1, %2 parameters, %3 MACs, %4 channel groups")
                       .arg(info.arch, QString::fromStdString(models::human_count(cost.params)),
                            QString::fromStdString(models::human_count(cost.macs)))
                       .arg(info.groups.size());
    for (const auto* list : {&prune::scorers(), &prune::learned_methods()})
      for (const auto& s : *list)
        info.methods.push_back({QString::fromStdString(s.name), QString::fromStdString(s.label),
                                QString::fromStdString(s.summary),
                                QString::fromStdString(prune::not_applicable(s.name, g, info.has_discriminator)),
                                prune::is_learned_method(s.name)});
    if (!info.image_to_image) {
      torch::NoGradGuard no_grad;
      g.module().eval();
      auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
      const at::Tensor images = g.forward(at::randn({16, g.input_spec().shape.at(0)}, gen));
      info.samples = to_qimage(io::make_grid(images, 8));
      info.sample = to_qimage(io::make_grid(images.slice(0, 0, 1), 1, 0));
    }
    inspected_ = path;
    Q_EMIT model_ready(info);
  } catch (const std::exception& e) {
    Q_EMIT failed(QStringLiteral("inspect"), QObject::tr("%1: %2").arg(QFileInfo(path).fileName(), reason(e)));
  }
}

void EngineWorker::score(const QString& path, const QString& method, const QString& score_settings_json,
                         const QString& data) {
  try {
    nlohmann::json j{{"model", path.toStdString()}, {"method", method.toStdString()}, {"data", data.toStdString()}};
    nlohmann::json settings = nlohmann::json::parse(score_settings_json.toStdString());
    if (settings.contains("seed")) {
      j["seed"] = settings["seed"];
      settings.erase("seed");
    }
    j["score"] = settings;
    const jobs::CompressConfig config = jobs::config_from_json(j);
    models::Model m = models::load_model(config.model);
    models::Generator& g = *m.generator;
    std::unique_ptr<data::Dataset> inputs;
    if (g.input_spec().kind == models::InputSpec::Kind::Image && method == QStringLiteral("content"))
      inputs = jobs::open_job_data(config, g);
    prune::ScoreParams p = jobs::score_params(config, g, inputs.get());
    p.abort = &stop_;
    const auto groups = g.channel_groups();
    QElapsedTimer timer;
    p.on_partial = [&](int64_t done, int64_t total, const prune::ChannelScores& partial) {
      if (done < total && !due(timer)) return;
      Q_EMIT scores({rows_of(partial, groups), static_cast<int>(done), static_cast<int>(total), false, method});
    };
    const prune::ScoreResult r = prune::score(method.toStdString(), g, p);
    Q_EMIT scores({rows_of(r.scores, groups), static_cast<int>(r.batches), static_cast<int>(r.batches), true, method});
    Q_EMIT finished(QStringLiteral("score"), r.cancelled, {});
  } catch (const std::exception& e) {
    Q_EMIT failed(QStringLiteral("score"), reason(e));
  }
}

void EngineWorker::ablate(const QString& group, int channel) {
  try {
    models::Model m = models::load_model(inspected_.toStdString());
    models::Generator& g = *m.generator;
    if (g.input_spec().kind != models::InputSpec::Kind::Latent)
      throw std::invalid_argument("the ablation preview samples latents; this model takes images");
    torch::NoGradGuard no_grad;
    g.module().eval();
    auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
    const at::Tensor z = at::randn({16, g.input_spec().shape.at(0)}, gen);
    const QImage original = to_qimage(io::make_grid(g.forward(z), 8));
    models::KeptChannels kept;
    for (const auto& grp : g.channel_groups())
      if (grp.name == group.toStdString())
        for (int64_t c = 0; c < grp.width; ++c)
          if (c != channel) kept[grp.name].push_back(c);
    models::mask(g, kept);
    Q_EMIT ablation(group, channel, original, to_qimage(io::make_grid(g.forward(z), 8)));
  } catch (const std::exception& e) {
    Q_EMIT failed(QStringLiteral("ablation preview"), reason(e));
  }
}

void EngineWorker::interpolate(const QString& student, int seed) {
  try {
    auto strip = [&](const std::string& path) {
      models::Model m = models::load_model(path);
      models::Generator& g = *m.generator;
      if (g.input_spec().kind != models::InputSpec::Kind::Latent)
        throw std::invalid_argument("interpolation walks through latents; this model takes images");
      torch::NoGradGuard no_grad;
      g.module().eval();
      auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
      const at::Tensor ends = at::randn({2, g.input_spec().shape.at(0)}, gen);
      const at::Tensor t = torch::linspace(0, 1, 8).unsqueeze(1);
      return to_qimage(io::make_grid(g.forward((1 - t) * ends[0] + t * ends[1]), 8));
    };
    const QImage teacher = strip(inspected_.toStdString());
    Q_EMIT interpolation(teacher, student.isEmpty() ? QImage() : strip(student.toStdString()));
  } catch (const std::exception& e) {
    Q_EMIT failed(QStringLiteral("interpolation"), reason(e));
  }
}

void EngineWorker::compress(const QString& config_json, const QString& run_dir, bool resume) {
  try {
    const jobs::CompressConfig config = jobs::config_from_json(nlohmann::json::parse(config_json.toStdString()));
    jobs::JobCallbacks cb;
    cb.abort = &stop_;
    cb.pause = &pause_;
    QElapsedTimer progress_timer, event_timer, sample_timer, stage_clock;
    QString stage;
    QStringList pending;
    cb.on_progress = [&](const std::string& s, int64_t done, int64_t total) {
      const QString name = QString::fromStdString(s);
      if (name != stage) stage = name, stage_clock.start();
      if (done < total && !due(progress_timer)) return;
      Q_EMIT progress({name, done, total, stage_clock.elapsed() / 1000.0});
    };
    cb.on_event = [&](const nlohmann::json& e) {
      pending << QString::fromStdString(e.dump());
      const std::string kind = e.value("kind", "");
      if (kind != "loss" || due(event_timer)) {
        Q_EMIT events(pending);
        pending.clear();
      }
    };
    cb.on_scores = [&](const prune::ChannelScores& partial, int64_t done, int64_t total) {
      if (done < total && !due(progress_timer)) return;
      ScoreUpdate u;
      for (const auto& [name, s] : partial) {
        widgets::HeatmapRow r;
        r.group = QString::fromStdString(name);
        r.scores = QVector<double>(s.begin(), s.end());
        u.rows.push_back(r);
      }
      u.done = static_cast<int>(done);
      u.total = static_cast<int>(total);
      u.final = done >= total;
      u.method = QString::fromStdString(config.method);
      Q_EMIT scores(u);
    };
    cb.on_samples = [&](int64_t step, const at::Tensor& t, const at::Tensor& s, const at::Tensor& in) {
      sample_timer.restart();
      if (in.defined()) { // each output beside its input, as a followed run's grid shows
        const auto [teacher, student] =
            widgets::split_triplets(to_qimage(jobs::sample_grid(t, s, in)), jobs::kTripletColumns);
        Q_EMIT samples(step, teacher, student);
      } else {
        Q_EMIT samples(step, to_qimage(io::make_grid(t, 8)), to_qimage(io::make_grid(s, 8)));
      }
    };
    const jobs::JobResult r = jobs::run_compress(config, run_dir.toStdString(), resume, cb);
    if (!pending.isEmpty()) Q_EMIT events(pending);
    Q_EMIT finished(QStringLiteral("compress"), r.cancelled, run_dir);
  } catch (const std::exception& e) {
    Q_EMIT failed(QStringLiteral("compress"), reason(e));
  }
  release_freed_memory(); // the window stays open after a job: give its activations' pages back
}

} // namespace gs::gui
