#include "widgets/model_panel.h"

#include "widgets/number_format.h"

#include <QFileInfo>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QStackedWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>

namespace gs::widgets {

namespace {

enum PartColumn { PartKey, PartTensors, PartParameters, PartSize, PartColumnCount };

QTableWidgetItem* number_item(const QString& text, const QString& tooltip) {
  auto* item = new QTableWidgetItem(text);
  item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  item->setToolTip(tooltip);
  return item;
}

} // namespace

ModelPanel::ModelPanel(QWidget* parent) : QWidget(parent), pages_(new QStackedWidget(this)) {
  setObjectName(QStringLiteral("modelPanel"));

  auto* empty =
      new QLabel(tr("<p><b>No checkpoint open.</b></p>"
                    "<p>Use <b>File \u2192 Open\u2026</b> (Ctrl+O) or drop a checkpoint file on the window.</p>"
                    "<p>Reads torch.save files (zip and legacy), TorchScript archives, safetensors and "
                    ".npy; nothing in the file is executed.</p>"),
                 pages_);
  empty->setObjectName(QStringLiteral("modelPanelEmpty"));
  empty->setWordWrap(true);
  empty->setAlignment(Qt::AlignLeft | Qt::AlignTop);
  empty->setMargin(8);
  pages_->addWidget(empty);

  auto* details = new QWidget(pages_);
  auto* form = new QFormLayout;
  form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  form->setRowWrapPolicy(QFormLayout::DontWrapRows);
  file_ = add_row(form, tr("File"), "modelFile");
  format_ = add_row(form, tr("Format"), "modelFormat");
  root_ = add_row(form, tr("Root"), "modelRoot");
  tensors_ = add_row(form, tr("Tensors"), "modelTensors");
  parameters_ = add_row(form, tr("Parameters"), "modelParameters");
  size_ = add_row(form, tr("Size"), "modelSize");
  keys_ = add_row(form, tr("Top-level keys"), "modelKeys");

  parts_title_ = new QLabel(tr("<b>Parts</b>"), details);
  parts_ = new QTableWidget(0, PartColumnCount, details);
  parts_->setObjectName(QStringLiteral("partsTable"));
  parts_->setHorizontalHeaderLabels({tr("Part"), tr("Tensors"), tr("Params"), tr("Size")});
  parts_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  parts_->setSelectionBehavior(QAbstractItemView::SelectRows);
  parts_->verticalHeader()->hide();
  parts_->verticalHeader()->setDefaultSectionSize(parts_->fontMetrics().height() + 6);
  parts_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  parts_->horizontalHeader()->setSectionResizeMode(PartKey, QHeaderView::Stretch);
  parts_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

  auto* details_layout = new QVBoxLayout(details);
  details_layout->setContentsMargins(8, 8, 8, 8);
  details_layout->addLayout(form);
  details_layout->addSpacing(6);
  details_layout->addWidget(parts_title_);
  details_layout->addWidget(parts_);
  details_layout->addStretch(1);
  pages_->addWidget(details);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(pages_);
  clear();
}

QLabel* ModelPanel::add_row(QFormLayout* form, const QString& label, const char* object_name) {
  auto* value = new QLabel(this);
  value->setObjectName(QLatin1String(object_name));
  value->setTextInteractionFlags(Qt::TextSelectableByMouse);
  value->setWordWrap(true);
  // Long file names and key lists wrap instead of widening the dock.
  value->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  form->addRow(label, value);
  return value;
}

void ModelPanel::set_checkpoint(const CheckpointView& view) {
  const QFileInfo info(view.path);
  file_->setText(info.fileName());
  file_->setToolTip(info.absoluteFilePath());
  format_->setText(view.format);
  root_->setText(view.root_type.isEmpty() ? tr("(unknown)") : view.root_type);
  root_->setToolTip(tr("Python type of the object the file holds"));
  tensors_->setText(QString::number(view.tensors.size()));
  parameters_->setText(format_count(view.parameters));
  parameters_->setToolTip(tr("%1 elements of floating-point tensors (%2 elements in all)")
                              .arg(format_exact(view.parameters), format_exact(view.elements)));
  size_->setText(format_bytes(view.bytes));
  size_->setToolTip(tr("%1 bytes of tensor data").arg(format_exact(view.bytes)));
  set_keys(view.top_keys);
  fill_parts(view.parts);
  pages_->setCurrentIndex(1);
}

void ModelPanel::set_keys(const QStringList& keys) {
  // A plain state dict has a key per tensor: a few name the kind of file, hundreds would push the parts off the panel.
  constexpr int shown = 8;
  constexpr int in_tooltip = 40;
  if (keys.isEmpty()) {
    keys_->setText(tr("(none)"));
    keys_->setToolTip({});
    return;
  }
  if (keys.size() <= shown + 2) { // "…, (9 in all)" would hide less than it costs
    keys_->setText(keys.join(QStringLiteral(", ")));
    keys_->setToolTip({});
    return;
  }
  keys_->setText(tr("%1, \u2026 (%2 in all)").arg(keys.mid(0, shown).join(QStringLiteral(", "))).arg(keys.size()));
  QString tooltip = keys.mid(0, in_tooltip).join(QLatin1Char('\n'));
  if (keys.size() > in_tooltip) tooltip += tr("\n\u2026 and %1 more").arg(keys.size() - in_tooltip);
  keys_->setToolTip(tooltip);
}

void ModelPanel::fill_parts(const QVector<PartRow>& parts) {
  parts_->setRowCount(parts.size());
  for (int i = 0; i < parts.size(); ++i) {
    const PartRow& part = parts[i];
    auto* key = new QTableWidgetItem(part.key.isEmpty() ? tr("(all)") : part.key);
    key->setToolTip(key->text());
    parts_->setItem(i, PartKey, key);
    parts_->setItem(i, PartTensors, number_item(QString::number(part.tensors), {}));
    parts_->setItem(i, PartParameters,
                    number_item(format_count(part.parameters), tr("%1 parameters").arg(format_exact(part.parameters))));
    parts_->setItem(i, PartSize, number_item(format_bytes(part.bytes), tr("%1 bytes").arg(format_exact(part.bytes))));
  }
  // As tall as its rows (up to a dozen): a few parts should not leave a large empty table filling the panel.
  const int visible_rows = std::min<int>(parts.size(), 12);
  parts_->setFixedHeight(parts_->horizontalHeader()->sizeHint().height() +
                         visible_rows * parts_->verticalHeader()->defaultSectionSize() + 2 * parts_->frameWidth());
  // One part is the whole file again: the table would only repeat the totals above.
  const bool useful = parts.size() > 1;
  parts_title_->setVisible(useful);
  parts_->setVisible(useful);
}

void ModelPanel::clear() {
  pages_->setCurrentIndex(0);
}

} // namespace gs::widgets
