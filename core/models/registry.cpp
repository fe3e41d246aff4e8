// Recognising, building, loading and saving models. Each architecture adds one entry to architectures().
#include "core/models/registry.h"

#include "core/io/checkpoint.h"
#include "core/log.h"
#include "core/models/cyclegan.h"
#include "core/models/dcgan.h"
#include "core/models/pix2pix.h"
#include "core/models/ssd.h"
#include "core/models/stylegan2.h"

#include <torch/torch.h>

namespace gs::models {
namespace {

constexpr int kFormatVersion = 1;

nlohmann::json parse_options(const io::Value* meta, const std::string& key, const std::string& what) {
  const io::Value* v = meta->get(key);
  if (!v || v->kind != io::Kind::String) throw ModelError(what + ": the ganstudio record lacks '" + key + "'");
  try {
    return nlohmann::json::parse(v->text);
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(what + ": the ganstudio record's '" + key + "' is not valid JSON: " + e.what());
  }
}

Recognised from_own_record(const ArchEntry& entry, const io::Value* meta, const std::string& what) {
  Recognised r;
  r.generator_options = parse_options(meta, "generator_options", what);
  r.generator_prefix = entry.generator_key;
  if (const io::Value* d = meta->get("discriminator_options"); d && d->kind == io::Kind::String) {
    r.discriminator_options = parse_options(meta, "discriminator_options", what);
    r.discriminator_prefix = entry.discriminator_key;
  }
  return r;
}

std::string describe(const TensorMap& tensors) {
  if (tensors.empty()) return "it holds no tensors";
  std::string s = "it holds " + std::to_string(tensors.size()) + " tensors, e.g.";
  int n = 0;
  for (const auto& [name, t] : tensors) {
    s += (n ? ", '" : " '") + name + "'";
    if (++n == 4) break;
  }
  return s;
}

std::string known_names() {
  std::string s;
  for (const auto& e : architectures()) s += (s.empty() ? "" : ", ") + std::string(arch_name(e.arch));
  return s;
}

} // namespace

const char* arch_name(Arch arch) {
  switch (arch) {
  case Arch::DCGAN:
    return "dcgan";
  case Arch::SSD:
    return "ssd";
  case Arch::StyleGAN2:
    return "stylegan2";
  case Arch::Pix2Pix:
    return "pix2pix";
  case Arch::CycleGAN:
    return "cyclegan";
  }
  return "unknown";
}

std::optional<Arch> arch_from_name(std::string_view name) {
  for (Arch a : {Arch::DCGAN, Arch::SSD, Arch::StyleGAN2, Arch::Pix2Pix, Arch::CycleGAN})
    if (name == arch_name(a)) return a;
  return std::nullopt;
}

std::optional<Recognised> recognise_state_dicts(const TensorMap& tensors, const GeneratorProbe& generator,
                                                const DiscriminatorProbe& discriminator) {
  for (const std::string prefix : {"", "netG"}) {
    auto g = generator(with_prefix_stripped(tensors, prefix));
    if (!g) continue;
    Recognised r;
    r.generator_options = *g;
    r.generator_prefix = prefix;
    if (!prefix.empty())
      if (auto d = discriminator(with_prefix_stripped(tensors, "netD"), *g)) {
        r.discriminator_options = *d;
        r.discriminator_prefix = "netD";
      }
    return r;
  }
  return std::nullopt;
}

const std::vector<ArchEntry>& architectures() {
  static const std::vector<ArchEntry> entries = [] {
    std::vector<ArchEntry> e;
    // Architectures register here, most specific recogniser first.
    e.push_back(stylegan2_entry());
    e.push_back(pix2pix_entry());
    e.push_back(cyclegan_entry());
    e.push_back(ssd_entry());
    e.push_back(dcgan_entry());
    return e;
  }();
  return entries;
}

const ArchEntry& architecture(Arch arch) {
  for (const auto& e : architectures())
    if (e.arch == arch) return e;
  throw ModelError(std::string("architecture '") + arch_name(arch) + "' is not built into this program");
}

Model build_model(Arch arch, const nlohmann::json& generator_options,
                  const std::optional<nlohmann::json>& discriminator_options) {
  const ArchEntry& entry = architecture(arch);
  Model m;
  m.arch = arch;
  m.generator = entry.build_generator(generator_options);
  if (discriminator_options && entry.build_discriminator)
    m.discriminator = entry.build_discriminator(*discriminator_options);
  return m;
}

Model load_model(const io::Value* root, const std::string& what) {
  TensorMap tensors;
  for (auto& nt : io::flatten_tensors(root)) tensors[nt.name] = nt.tensor;

  const ArchEntry* entry = nullptr;
  std::optional<Recognised> found;
  if (const io::Value* meta = root ? root->get("ganstudio") : nullptr; meta && meta->kind == io::Kind::Dict) {
    const io::Value* arch = meta->get("arch");
    auto a = arch && arch->kind == io::Kind::String ? arch_from_name(arch->text) : std::nullopt;
    if (!a)
      throw ModelError(what + ": the ganstudio record names no architecture this program knows (" + known_names() +
                       ")");
    entry = &architecture(*a);
    found = from_own_record(*entry, meta, what);
  } else {
    for (const auto& e : architectures())
      if ((found = e.recognise(tensors, root))) {
        entry = &e;
        break;
      }
  }
  if (!found)
    throw ModelError(what + ": not a generator of a known architecture (" + known_names() + "); " + describe(tensors));

  Model m = build_model(entry->arch, found->generator_options, found->discriminator_options);
  m.generator_source = found->generator_prefix;
  TensorMap g = with_prefix_stripped(tensors, found->generator_prefix);
  if (entry->patch_state) entry->patch_state(g, m.notes);
  load_strict(m.generator->module(), g, what + ": generator");
  if (m.discriminator) {
    TensorMap d = with_prefix_stripped(tensors, found->discriminator_prefix);
    if (entry->patch_state) entry->patch_state(d, m.notes);
    load_strict(m.discriminator->module(), d, what + ": discriminator");
  }
  m.generator->module().eval();
  if (m.discriminator) m.discriminator->module().eval();
  for (const auto& note : m.notes) log::get("models")->info("{}: {}", what, note);
  return m;
}

Model load_model(const std::string& path) {
  io::Checkpoint ckpt = io::load_checkpoint(path);
  return load_model(ckpt.doc.root, path);
}

void save_model(const std::string& path, const Model& model) {
  const ArchEntry& entry = architecture(model.arch);
  io::ValueArena arena;
  auto state = [&](torch::nn::Module& module) {
    std::vector<io::NamedTensor> named;
    for (const auto& [name, t] : state_dict(module)) named.push_back({name, t.detach().cpu().contiguous()});
    return io::make_state_dict(arena, named);
  };
  io::Value* root = arena.dict();
  io::Value* meta = arena.dict();
  meta->entries.push_back({arena.string("format"), arena.integer(kFormatVersion)});
  meta->entries.push_back({arena.string("arch"), arena.string(arch_name(model.arch))});
  meta->entries.push_back({arena.string("generator_options"), arena.string(model.generator->options().dump())});
  if (model.discriminator)
    meta->entries.push_back(
        {arena.string("discriminator_options"), arena.string(model.discriminator->options().dump())});
  root->entries.push_back({arena.string("ganstudio"), meta});
  root->entries.push_back({arena.string(entry.generator_key), state(model.generator->module())});
  if (model.discriminator)
    root->entries.push_back({arena.string(entry.discriminator_key), state(model.discriminator->module())});
  io::save_checkpoint(path, root);
}

at::Tensor discriminator_input(Arch arch, const at::Tensor& input, const at::Tensor& output) {
  return arch == Arch::Pix2Pix ? torch::cat({input, output}, 1) : output;
}

} // namespace gs::models
