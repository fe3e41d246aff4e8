// Plain messages the engine worker sends to the window (queued across threads): no tensors, no core types.
#pragma once
#include "widgets/channel_heatmap.h"

#include <QImage>
#include <QMetaType>
#include <QStringList>
#include <QVector>

namespace gs::gui {

struct MethodChoice {
  QString name, label, summary;
  QString unavailable;  // why it does not apply to this model; empty when it does
  bool learned = false; // learns its channels during Start instead of scoring first
};

struct ModelInfo {
  QString path, arch, summary; // summary: "dcgan, 370K parameters, 20.6M MACs"
  QString options_json;        // the generator's options, widths included (rebuilds it at other widths)
  QStringList groups;
  QVector<int> widths;
  qint64 params = 0, macs = 0;
  qint64 macs_computed = 0; // transposed convolutions counted by input pixels: the multiplications performed
  bool image_to_image = false;
  bool has_discriminator = false;
  QImage samples; // teacher grid on fixed latents (unconditional models)
  QImage sample;  // the first of them alone (for drawing a region of interest)
  QVector<MethodChoice> methods;
};

struct ScoreUpdate {
  QVector<widgets::HeatmapRow> rows; // scores only; selection is the window's business
  int done = 0, total = 0;
  bool final = false;
  QString method;
};

struct JobProgress {
  QString stage;
  qint64 done = 0, total = 0;
  double elapsed = 0; // seconds in this stage
};

} // namespace gs::gui

Q_DECLARE_METATYPE(gs::gui::ModelInfo)
Q_DECLARE_METATYPE(gs::gui::ScoreUpdate)
Q_DECLARE_METATYPE(gs::gui::JobProgress)
