// What the widgets show of a checkpoint, as plain Qt data: the app layer fills it from the core summary, so the
// widgets never see the engine's types.
#pragma once
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>

namespace gs::widgets {

struct TensorRow {
  QString name;
  QString dtype;
  QVector<qint64> shape;
  qint64 elements = 0;
  qint64 bytes = 0;
  bool contiguous = true;
};

struct FieldRow {
  QString name;
  QString type;
  QString value;
};

struct RecordRow {
  QString path;
  QString class_name;
  QVector<FieldRow> fields;
};

// Totals for one top-level part ("g", "g_ema", ...).
struct PartRow {
  QString key;
  qint64 tensors = 0;
  qint64 parameters = 0;
  qint64 bytes = 0;
};

struct CheckpointView {
  QString path;
  QString format;
  QString root_type;
  QStringList top_keys;
  QVector<TensorRow> tensors;
  QVector<RecordRow> records;
  QVector<FieldRow> values;
  QVector<PartRow> parts;
  qint64 parameters = 0;
  qint64 elements = 0;
  qint64 bytes = 0;
};

} // namespace gs::widgets

// Travels through queued signals from the loader thread.
Q_DECLARE_METATYPE(gs::widgets::CheckpointView)
