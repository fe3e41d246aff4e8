// A pruning plan: the scores a method gave, the selection made from them, and the kept indices; saved as scores.json.
#pragma once
#include "core/prune/mac_model.h"
#include "core/prune/selection.h"

namespace gs::prune {

struct Plan {
  std::string method;                    // scorer name
  std::string arch;                      // architecture the plan was made for
  std::map<std::string, int64_t> widths; // group widths of the model the scores belong to
  ChannelScores scores;
  Selection selection;
  models::KeptChannels kept;
  models::KeptChannels discriminator_kept;        // methods that prune the discriminator too (density); empty otherwise
  nlohmann::json info = nlohmann::json::object(); // free-form: model path, costs before/after, batches, notes
};

// Scores + selection -> a complete plan for `g`.
Plan make_plan(models::Generator& g, const std::string& method, ChannelScores scores, const Selection& selection);

nlohmann::json plan_to_json(const Plan& plan);
// Throws std::invalid_argument naming the first field that is missing or malformed.
Plan plan_from_json(const nlohmann::json& json);

void save_plan(const std::string& path, const Plan& plan); // atomic
Plan load_plan(const std::string& path);                   // std::runtime_error naming the file on any problem

// Throws models::ModelError when the plan was made for another architecture or other widths, naming the first
// group that differs.
void check_plan_fits(const Plan& plan, models::Generator& g);

// Parameters and MACs of `g` once narrowed to `kept` (built at the new widths, not sliced: cheap enough for a slider).
models::CostReport cost_after(models::Generator& g, const models::KeptChannels& kept,
                              models::MacConvention convention = models::MacConvention::TransposedByOutput);

// What the uniform cut at `sparsity` costs in MACs and (when `outputs`) values written: the budget learned methods
// are held to, so that they compare with the scorers' students at equal cost.
Budget uniform_budget(models::Generator& g, double sparsity, bool outputs = true,
                      models::MacConvention convention = models::MacConvention::TransposedByOutput);

} // namespace gs::prune
