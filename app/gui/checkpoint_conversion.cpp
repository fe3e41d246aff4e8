#include "app/gui/checkpoint_conversion.h"

namespace gs::gui {

namespace {

QString q(const std::string& s) {
  return QString::fromStdString(s);
}

widgets::FieldRow to_row(const io::FieldInfo& field) {
  return {q(field.name), q(field.type), q(field.value)};
}

} // namespace

widgets::CheckpointView to_view(const io::CheckpointSummary& summary) {
  widgets::CheckpointView view;
  view.path = q(summary.path);
  view.format = q(summary.format);
  view.root_type = q(summary.root_type);
  for (const auto& key : summary.top_keys) view.top_keys << q(key);

  view.tensors.reserve(static_cast<int>(summary.tensors.size()));
  for (const auto& t : summary.tensors) {
    widgets::TensorRow row;
    row.name = q(t.name);
    row.dtype = q(t.dtype);
    row.shape = QVector<qint64>(t.shape.begin(), t.shape.end());
    row.elements = t.numel;
    row.bytes = t.bytes;
    row.contiguous = t.contiguous;
    view.tensors.push_back(std::move(row));
  }
  for (const auto& r : summary.records) {
    widgets::RecordRow row{q(r.path), q(r.class_name), {}};
    for (const auto& f : r.fields) row.fields.push_back(to_row(f));
    view.records.push_back(std::move(row));
  }
  for (const auto& v : summary.values) view.values.push_back(to_row(v));
  for (const auto& g : summary.groups) view.parts.push_back({q(g.key), g.tensors, g.parameters, g.bytes});
  view.parameters = summary.parameters;
  view.elements = summary.elements;
  view.bytes = summary.bytes;
  return view;
}

} // namespace gs::gui
