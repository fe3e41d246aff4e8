// What `info` and the GUI's model panel show about a recognised model: architecture, widths, params, MACs.
#pragma once
#include "core/models/registry.h"

#include <string>

namespace gs::models {

struct ModelSummary {
  std::string arch;
  nlohmann::json generator_options;
  std::vector<std::pair<std::string, int64_t>> groups; // prunable channel groups and their widths
  CostReport cost;                                     // MACs counted the published way (transposed conv by output)
  int64_t macs_by_input = 0;                           // the same model with transposed convs counted by input
  bool has_discriminator = false;
  int64_t discriminator_params = 0;
  std::string generator_source;
  std::vector<std::string> notes;
};

ModelSummary summarize_model(const Model& model);
nlohmann::json summary_to_json(const ModelSummary& summary);
std::string summary_to_text(const ModelSummary& summary);

} // namespace gs::models
