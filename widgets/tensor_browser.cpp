#include "widgets/tensor_browser.h"

#include "widgets/tensor_sort_proxy.h"
#include "widgets/tensor_table_model.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QTableView>
#include <QVBoxLayout>

namespace gs::widgets {

TensorBrowser::TensorBrowser(QWidget* parent)
    : QWidget(parent), model_(new TensorTableModel(this)), proxy_(new TensorSortProxy(this)),
      filter_(new QLineEdit(this)), count_(new QLabel(this)), table_(new QTableView(this)) {
  proxy_->setSourceModel(model_);

  filter_->setObjectName(QStringLiteral("tensorFilter"));
  filter_->setPlaceholderText(tr("Filter by name, type, shape or layout"));
  filter_->setClearButtonEnabled(true);
  // A file dropped here should open as a checkpoint (handled by the window), not paste its path as filter text.
  filter_->setAcceptDrops(false);
  connect(filter_, &QLineEdit::textChanged, proxy_, &QSortFilterProxyModel::setFilterFixedString);
  connect(filter_, &QLineEdit::textChanged, this, &TensorBrowser::update_count);

  table_->setObjectName(QStringLiteral("tensorTable"));
  table_->setModel(proxy_);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setAlternatingRowColors(true);
  table_->setWordWrap(false);
  table_->verticalHeader()->hide();
  table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  table_->horizontalHeader()->setStretchLastSection(false);
  table_->horizontalHeader()->setSectionResizeMode(TensorTableModel::NameColumn, QHeaderView::Stretch);
  // No sort indicator at first: the table starts in the checkpoint's own order, which is the model's layer order.
  table_->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
  table_->setSortingEnabled(true);

  auto* top = new QHBoxLayout;
  top->addWidget(filter_, 1);
  top->addWidget(count_);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addLayout(top);
  layout->addWidget(table_, 1);
  update_count();
}

void TensorBrowser::set_tensors(QVector<TensorRow> rows) {
  model_->set_rows(std::move(rows));
  for (int column = TensorTableModel::DtypeColumn; column < TensorTableModel::ColumnCount; ++column)
    table_->resizeColumnToContents(column);
  update_count();
}

void TensorBrowser::focus_filter() {
  filter_->setFocus(Qt::ShortcutFocusReason);
  filter_->selectAll();
}

void TensorBrowser::update_count() {
  const int total = model_->rowCount();
  const int shown = proxy_->rowCount();
  // Nothing to filter before a checkpoint is open.
  filter_->setEnabled(total > 0);
  count_->setVisible(total > 0);
  if (shown != total)
    count_->setText(tr("%1 of %2 tensors").arg(shown).arg(total));
  else
    count_->setText(total == 1 ? tr("1 tensor") : tr("%1 tensors").arg(total));
}

} // namespace gs::widgets
