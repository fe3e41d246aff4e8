#include "widgets/guide_panel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace gs::widgets {

GuidePanel::GuidePanel(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("guidePanel"));
  pages_ = new QStackedWidget(this);
  pages_->addWidget(page(
      Load, tr("1. Load a generator"),
      tr("A GAN generator turns random numbers (a latent vector) into an image. It is built from layers of "
         "convolution channels; compression removes channels that matter least, so the network gets smaller and "
         "faster.<br><br>The demo is a small DCGAN trained on Fashion-MNIST clothes: 370 thousand parameters, 20.6 "
         "million multiply-accumulates (MACs) per image. Its samples appear in the Model box."),
      tr("Open the demo model")));
  pages_->addWidget(
      page(Score, tr("2. Score every channel"),
           tr("A scoring method gives each channel a number: higher means keep. <b>Random</b> is the baseline. "
              "<b>L1</b> keeps channels with large filter weights. <b>Normalisation scale</b> (GAN-Slimming) keeps "
              "channels that batch norm lets through strongly. <b>Content-aware</b> (CAGAN) keeps channels that react "
              "when noise hits the important part of the image. <b>Diversity-aware</b> (DCP-GAN) keeps channels whose "
              "response changes across many latent directions: the ones that keep samples varied.<br><br>The heatmap "
              "shows one row per layer; bright cells are important channels."),
           tr("Score with batch-norm scale")));
  pages_->addWidget(
      page(Prune, tr("3. Choose how much to remove"),
           tr("<b>Sparsity</b> is the share of channels removed. <b>Uniform</b> removes the same share from every "
              "layer; <b>global</b> compares scores across layers. Shaded cells in the heatmap are pruned; tick "
              "\u201cSort\u201d to see the cut as a red line. Watch parameters and MACs fall as you move the slider. "
              "Click a cell to keep or drop it by hand; right-click to see the samples with that channel zeroed."),
           tr("Set sparsity to 50%")));
  pages_->addWidget(
      page(FineTune, tr("4. Fine-tune the student"),
           tr("Removing channels damages the generator. Fine-tuning trains the smaller <b>student</b> to imitate the "
              "original <b>teacher</b>: a pixel loss and a relation loss compare their images on the same latents, and "
              "a discriminator keeps the images realistic. <b>DGL-GAN</b> adds the teacher's own discriminator as a "
              "second judge. It runs in the background: pause or stop at any time."),
           tr("Fine-tune for 300 steps")));
  pages_->addWidget(
      page(Compare, tr("5. Compare teacher and student"),
           tr("The Curves tab plots quality as training goes. <b>Fr\u00e9chet distance</b> compares the statistics of "
              "generated and real images (lower is better). <b>Precision</b>: how many generated images look real. "
              "<b>Recall</b>: how much of the real variety the generator covers. <b>Density</b> and <b>coverage</b> "
              "are sturdier versions of the two. Numbers labelled \u201cbuiltin\u201d come from this app's own "
              "feature extractor: compare them with each other, not with papers. The Samples tab shows teacher and "
              "student side by side."),
           tr("Show the samples")));

  position_ = new QLabel(this);
  back_ = new QPushButton(tr("Back"), this);
  next_ = new QPushButton(tr("Next"), this);
  back_->setObjectName(QStringLiteral("guideBack"));
  next_->setObjectName(QStringLiteral("guideNext"));
  connect(back_, &QPushButton::clicked, this, [this] { go_to(current() - 1); });
  connect(next_, &QPushButton::clicked, this, [this] { go_to(current() + 1); });
  auto* nav = new QHBoxLayout;
  nav->addWidget(position_);
  nav->addStretch();
  nav->addWidget(back_);
  nav->addWidget(next_);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(pages_, 1);
  layout->addLayout(nav);
  go_to(0);
}

QWidget* GuidePanel::page(Step step, const QString& title, const QString& text, const QString& button) {
  auto* w = new QWidget(this);
  auto* l = new QVBoxLayout(w);
  auto* t = new QLabel(QStringLiteral("<h3>%1</h3>").arg(title), w);
  auto* body = new QLabel(text, w);
  body->setWordWrap(true);
  body->setTextFormat(Qt::RichText);
  auto* b = new QPushButton(button, w);
  b->setObjectName(QStringLiteral("guideAction%1").arg(static_cast<int>(step)));
  connect(b, &QPushButton::clicked, this, [this, step] { Q_EMIT action(step); });
  l->addWidget(t);
  l->addWidget(body);
  l->addWidget(b);
  l->addStretch();
  return w;
}

int GuidePanel::current() const {
  return pages_->currentIndex();
}

void GuidePanel::go_to(int step) {
  step = std::clamp(step, 0, static_cast<int>(StepCount) - 1);
  pages_->setCurrentIndex(step);
  position_->setText(tr("Step %1 of %2").arg(step + 1).arg(static_cast<int>(StepCount)));
  back_->setEnabled(step > 0);
  next_->setEnabled(step + 1 < StepCount);
}

} // namespace gs::widgets
