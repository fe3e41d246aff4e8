#include "widgets/record_tree.h"

#include <QHeaderView>

namespace gs::widgets {

namespace {

enum Column { NameColumn, TypeColumn, ValueColumn };

QTreeWidgetItem* field_item(const FieldRow& field) {
  auto* item = new QTreeWidgetItem({field.name, field.type, field.value});
  item->setToolTip(ValueColumn, field.value);
  return item;
}

} // namespace

RecordTree::RecordTree(QWidget* parent) : QTreeWidget(parent) {
  setObjectName(QStringLiteral("recordTree"));
  setColumnCount(3);
  setHeaderLabels({tr("Name"), tr("Type"), tr("Value")});
  setAlternatingRowColors(true);
  setUniformRowHeights(true);
  header()->setSectionResizeMode(QHeaderView::Interactive);
  header()->setStretchLastSection(true);
}

void RecordTree::set_content(const QVector<RecordRow>& records, const QVector<FieldRow>& values) {
  clear();
  QFont bold = font();
  bold.setBold(true);

  for (const RecordRow& record : records) {
    auto* item = new QTreeWidgetItem({record.path.isEmpty() ? tr("(root)") : record.path, record.class_name});
    item->setFont(NameColumn, bold);
    item->setToolTip(TypeColumn, record.class_name);
    for (const FieldRow& field : record.fields) item->addChild(field_item(field));
    addTopLevelItem(item);
  }
  if (!values.isEmpty()) {
    auto* group = new QTreeWidgetItem({tr("Values")});
    group->setFont(NameColumn, bold);
    group->setToolTip(NameColumn, tr("Scalar entries of the checkpoint"));
    for (const FieldRow& value : values) group->addChild(field_item(value));
    addTopLevelItem(group);
  }
  expandAll();
  resizeColumnToContents(NameColumn);
  resizeColumnToContents(TypeColumn);
}

} // namespace gs::widgets
