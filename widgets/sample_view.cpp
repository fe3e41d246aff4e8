#include "widgets/sample_view.h"

#include <QComboBox>
#include <QEvent>
#include <QGridLayout>
#include <QLabel>
#include <QPainter>
#include <QScrollArea>

namespace gs::widgets {

SampleView::SampleView(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("sampleView"));
  caption_ = new QLabel(this);
  caption_->setObjectName(QStringLiteral("sampleCaption"));
  zoom_ = new QComboBox(this);
  zoom_->addItems({tr("Fit"), QStringLiteral("1\u00d7"), QStringLiteral("2\u00d7"), QStringLiteral("3\u00d7"),
                   QStringLiteral("4\u00d7")});
  zoom_->setCurrentIndex(0);
  connect(zoom_, &QComboBox::currentIndexChanged, this, &SampleView::refresh);
  auto make_pane = [this](const QString& title, QLabel*& image, QLabel*& t) {
    auto* box = new QWidget(this);
    auto* l = new QVBoxLayout(box);
    t = new QLabel(QStringLiteral("<b>%1</b>").arg(title), box);
    image = new QLabel(box);
    image->setAlignment(Qt::AlignCenter);
    image->setMinimumSize(160, 160);
    auto* scroll = new QScrollArea(box);
    scroll->setWidget(image);
    scroll->setWidgetResizable(true);
    scroll->viewport()->installEventFilter(this);
    l->addWidget(t);
    l->addWidget(scroll, 1);
    return box;
  };
  auto* grid = new QGridLayout(this);
  auto* top = new QHBoxLayout;
  top->addWidget(caption_, 1);
  top->addWidget(new QLabel(tr("Zoom"), this));
  top->addWidget(zoom_);
  grid->addLayout(top, 0, 0, 1, 2);
  grid->addWidget(make_pane(tr("Teacher"), teacher_label_, left_title_), 1, 0);
  grid->addWidget(make_pane(tr("Student"), student_label_, right_title_), 1, 1);
  teacher_label_->setObjectName(QStringLiteral("teacherImage"));
  student_label_->setObjectName(QStringLiteral("studentImage"));
  clear(tr("Samples appear here while fine-tuning runs: the same latents through teacher and student."));
}

void SampleView::set_images(const QImage& teacher, const QImage& student, const QString& caption) {
  teacher_ = teacher;
  student_ = student;
  caption_->setText(caption);
  refresh();
}

void SampleView::set_titles(const QString& left, const QString& right) {
  left_title_->setText(QStringLiteral("<b>%1</b>").arg(left.toHtmlEscaped()));
  right_title_->setText(QStringLiteral("<b>%1</b>").arg(right.toHtmlEscaped()));
}

void SampleView::clear(const QString& message) {
  teacher_ = student_ = QImage();
  caption_->setText(message);
  teacher_label_->clear();
  student_label_->clear();
}

bool SampleView::eventFilter(QObject* watched, QEvent* event) {
  // A pane's first real size arrives after the images when the tab was hidden: fitted to that, they stayed tiny.
  if (event->type() == QEvent::Resize && zoom_->currentIndex() == 0) refresh();
  return QWidget::eventFilter(watched, event);
}

void SampleView::refresh() {
  const int z = zoom_->currentIndex();
  auto show = [z](QLabel* label, const QImage& img) {
    if (img.isNull()) return;
    QPixmap pm = QPixmap::fromImage(img);
    if (z == 0) {
      const QSize room = label->parentWidget() ? label->parentWidget()->size() - QSize(8, 8) : label->size();
      const int factor = std::min(room.width() / std::max(1, img.width()), room.height() / std::max(1, img.height()));
      if (factor >= 1) // whole multiples keep the pixels sharp
        pm = pm.scaled(img.size() * factor, Qt::KeepAspectRatio, Qt::FastTransformation);
      else if (room.width() > 0 && room.height() > 0) // larger than the pane: all of it, smaller
        pm = pm.scaled(room, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    } else {
      pm = pm.scaled(img.size() * z, Qt::KeepAspectRatio, Qt::FastTransformation);
    }
    label->setPixmap(pm);
  };
  show(teacher_label_, teacher_);
  show(student_label_, student_);
}

std::pair<QImage, QImage> split_triplets(const QImage& grid, int columns, int padding) {
  const int cell = columns > 0 ? (grid.width() - padding) / columns : 0, tile = cell - padding;
  if (tile <= 0 || columns % 3 != 0 || grid.width() != columns * cell + padding) return {grid, QImage()};
  const int rows = (grid.height() - padding) / cell, triplets = columns / 3;
  const auto pairs = [&](int second) { // the input, then tile `second` of each triplet
    QImage out(2 * triplets * cell + padding, rows * cell + padding, grid.format());
    out.fill(Qt::white);
    QPainter painter(&out);
    for (int r = 0; r < rows; ++r)
      for (int k = 0; k < triplets; ++k)
        for (int j = 0; j < 2; ++j)
          painter.drawImage(QPoint(padding + (2 * k + j) * cell, padding + r * cell), grid,
                            QRect(padding + (3 * k + (j == 0 ? 0 : second)) * cell, padding + r * cell, tile, tile));
    return out;
  };
  return {pairs(1), pairs(2)};
}

} // namespace gs::widgets
