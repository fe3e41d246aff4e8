// Composable fine-tuning objectives: adversarial variants, distillation from the teacher, DGL-GAN's teacher term, R1.
#pragma once
#include <ATen/core/Tensor.h>

#include <map>
#include <string>

#include <optional>
#include <string>

namespace gs::train {

enum class Adversarial {
  Logistic, // non-saturating logistic (StyleGAN2); "bce" names the same loss on logits (DCGAN, SSD)
  Hinge,
  LSGAN,
};
std::optional<Adversarial> adversarial_from_name(const std::string& name); // logistic, bce, hinge, lsgan
const char* adversarial_name(Adversarial a);

// Discriminator loss on logits of real and fake samples (any shape: PatchGAN maps are averaged).
at::Tensor discriminator_loss(Adversarial a, const at::Tensor& real_logits, const at::Tensor& fake_logits);
// Generator loss on the discriminator's logits for generated samples. DGL-GAN's teacher term is this loss on the
// frozen teacher discriminator's logits: softplus(-D_T(G_S(z))) for logistic, -E[D_T] for hinge.
at::Tensor generator_loss(Adversarial a, const at::Tensor& fake_logits);

// Mean absolute difference between student and teacher outputs.
at::Tensor pixel_distillation(const at::Tensor& student, const at::Tensor& teacher);

// Relation distillation: at each of `scales` resolutions (the full one, then halved by average pooling), the cosine
// similarity matrix of the batch's flattened outputs, turned into row-wise distributions by a softmax, matched with
// KL(teacher || student); summed over scales. Needs a batch of at least 2.
at::Tensor relation_distillation(const at::Tensor& student, const at::Tensor& teacher, int scales = 3);

// Feature distillation: per channel group present in both maps, the mean absolute difference between the student's
// activations and the teacher's at the student's kept channels (`kept[group]`, as long indices on the activations'
// device; a group without an entry keeps all its channels); averaged over groups. Throws std::invalid_argument when a
// group's widths do not match its kept channels.
at::Tensor feature_distillation(const std::map<std::string, at::Tensor>& student,
                                const std::map<std::string, at::Tensor>& teacher,
                                const std::map<std::string, at::Tensor>& kept);

// R1: mean over the batch of |d D(real) / d real|^2 (the caller scales by gamma / 2 and the lazy interval).
at::Tensor r1_penalty(const at::Tensor& real_logits, const at::Tensor& real_images);

} // namespace gs::train
