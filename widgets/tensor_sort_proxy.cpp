#include "widgets/tensor_sort_proxy.h"

#include "widgets/tensor_table_model.h"

namespace gs::widgets {

TensorSortProxy::TensorSortProxy(QObject* parent) : QSortFilterProxyModel(parent) {
  setSortRole(TensorTableModel::SortRole);
  setFilterKeyColumn(-1);
  setFilterCaseSensitivity(Qt::CaseInsensitive);
  collator_.setNumericMode(true);
  collator_.setCaseSensitivity(Qt::CaseInsensitive);
}

bool TensorSortProxy::lessThan(const QModelIndex& left, const QModelIndex& right) const {
  const QVariant a = left.data(sortRole());
  const QVariant b = right.data(sortRole());
  if (a.typeId() == QMetaType::LongLong && b.typeId() == QMetaType::LongLong) return a.toLongLong() < b.toLongLong();
  return collator_.compare(a.toString(), b.toString()) < 0;
}

} // namespace gs::widgets
