// Sorting and filtering for the tensor table: numbers sort as numbers and names in natural order ("layer.9" before
// "layer.10"); the filter is a case-insensitive substring of any column.
#pragma once
#include <QCollator>
#include <QSortFilterProxyModel>

namespace gs::widgets {

class TensorSortProxy : public QSortFilterProxyModel {
  Q_OBJECT

public:
  explicit TensorSortProxy(QObject* parent = nullptr);

protected:
  bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

private:
  QCollator collator_;
};

} // namespace gs::widgets
