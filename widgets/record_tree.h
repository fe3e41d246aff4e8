// The Records tab: objects the checkpoint holds (training options and the like, shown field by field) and its
// scalar entries such as the step count.
#pragma once
#include "widgets/checkpoint_view.h"

#include <QTreeWidget>

namespace gs::widgets {

class RecordTree : public QTreeWidget {
  Q_OBJECT

public:
  explicit RecordTree(QWidget* parent = nullptr);

  void set_content(const QVector<RecordRow>& records, const QVector<FieldRow>& values);
  bool has_content() const { return topLevelItemCount() > 0; }
};

} // namespace gs::widgets
