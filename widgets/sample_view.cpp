#include "widgets/sample_view.h"

#include <QComboBox>
#include <QGridLayout>
#include <QLabel>
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

void SampleView::refresh() {
  const int z = zoom_->currentIndex();
  auto show = [z](QLabel* label, const QImage& img) {
    if (img.isNull()) return;
    QPixmap pm = QPixmap::fromImage(img);
    if (z == 0) {
      const QSize room = label->parentWidget() ? label->parentWidget()->size() - QSize(8, 8) : label->size();
      const int factor =
          std::max(1, std::min(room.width() / std::max(1, img.width()), room.height() / std::max(1, img.height())));
      pm = pm.scaled(img.size() * factor, Qt::KeepAspectRatio, Qt::FastTransformation);
    } else {
      pm = pm.scaled(img.size() * z, Qt::KeepAspectRatio, Qt::FastTransformation);
    }
    label->setPixmap(pm);
  };
  show(teacher_label_, teacher_);
  show(student_label_, student_);
}

} // namespace gs::widgets
