// Model summaries for the CLI and the GUI.
#include "core/models/model_summary.h"

#include "core/models/cost.h"

#include <torch/torch.h>

#include <sstream>

namespace gs::models {

ModelSummary summarize_model(const Model& model) {
  ModelSummary s;
  Generator& g = *model.generator;
  s.arch = arch_name(model.arch);
  s.generator_options = g.options();
  for (const auto& group : g.channel_groups()) s.groups.emplace_back(group.name, group.width);
  s.cost = g.cost(MacConvention::TransposedByOutput);
  s.macs_by_input = g.cost(MacConvention::TransposedByInput).macs;
  if (model.discriminator) {
    s.has_discriminator = true;
    for (const auto& p : model.discriminator->module().parameters(true)) s.discriminator_params += p.numel();
  }
  s.generator_source = model.generator_source;
  s.notes = model.notes;
  return s;
}

nlohmann::json summary_to_json(const ModelSummary& s) {
  nlohmann::json j;
  j["arch"] = s.arch;
  j["generator_options"] = s.generator_options;
  j["generator_source"] = s.generator_source;
  j["params"] = s.cost.params;
  j["macs"] = s.cost.macs;
  j["macs_transposed_by_input"] = s.macs_by_input;
  auto& groups = j["channel_groups"] = nlohmann::json::array();
  for (const auto& [name, width] : s.groups) groups.push_back({{"name", name}, {"width", width}});
  auto& layers = j["layers"] = nlohmann::json::array();
  for (const auto& l : s.cost.layers) layers.push_back({{"layer", l.layer}, {"params", l.params}, {"macs", l.macs}});
  if (s.has_discriminator) j["discriminator_params"] = s.discriminator_params;
  j["notes"] = s.notes;
  return j;
}

std::string summary_to_text(const ModelSummary& s) {
  std::ostringstream os;
  os << "architecture: " << s.arch
     << (s.generator_source.empty() ? "" : " (generator from '" + s.generator_source + "')") << "\n";
  os << "generator: " << human_count(s.cost.params) << " params, " << human_count(s.cost.macs)
     << " MACs per sample (transposed convs counted by output pixels; " << human_count(s.macs_by_input)
     << " counted by input pixels)\n";
  if (s.has_discriminator) os << "discriminator: " << human_count(s.discriminator_params) << " params\n";
  os << "prunable channel groups (" << s.groups.size() << "):";
  for (size_t i = 0; i < s.groups.size(); ++i)
    os << (i % 6 == 0 ? "\n  " : "  ") << s.groups[i].first << "=" << s.groups[i].second;
  os << "\n";
  for (const auto& note : s.notes) os << "note: " << note << "\n";
  return os.str();
}

} // namespace gs::models
