// scores.json: {"format": "ganstudio-scores", "version": 1, "method", "arch", "selection": {...},
//               "groups": [{"name", "width", "scores": [...], "kept": [...]}], "info": {...}}
#include "core/prune/plan.h"

#include "core/io/atomic_file.h"
#include "core/io/json_file.h"
#include "core/models/channel_ops.h"

#include <sstream>

namespace gs::prune {
namespace {

constexpr const char* kFormat = "ganstudio-scores";

template <typename T> T field(const nlohmann::json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key)) throw std::invalid_argument(where + ": missing \"" + key + "\"");
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw std::invalid_argument(where + ": \"" + key + "\" has the wrong type");
  }
}

} // namespace

Plan make_plan(models::Generator& g, const std::string& method, ChannelScores scores, const Selection& selection) {
  Plan plan;
  plan.method = method;
  plan.arch = models::arch_name(g.arch());
  const auto groups = g.channel_groups();
  for (const auto& group : groups) plan.widths[group.name] = group.width;
  plan.kept = select_channels(groups, scores, selection);
  plan.scores = std::move(scores);
  plan.selection = selection;
  return plan;
}

nlohmann::json plan_to_json(const Plan& plan) {
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& [name, width] : plan.widths) {
    nlohmann::json g{{"name", name}, {"width", width}};
    g["scores"] = plan.scores.count(name) ? nlohmann::json(plan.scores.at(name)) : nlohmann::json::array();
    g["kept"] = plan.kept.count(name) ? nlohmann::json(plan.kept.at(name)) : nlohmann::json::array();
    groups.push_back(g);
  }
  nlohmann::json j{{"format", kFormat},
                   {"version", 1},
                   {"method", plan.method},
                   {"arch", plan.arch},
                   {"selection", selection_to_json(plan.selection)},
                   {"groups", groups},
                   {"info", plan.info}};
  if (!plan.discriminator_kept.empty()) j["discriminator_kept"] = plan.discriminator_kept;
  return j;
}

Plan plan_from_json(const nlohmann::json& j) {
  if (!j.is_object() || j.value("format", "") != kFormat)
    throw std::invalid_argument("not a ganstudio scores file (\"format\" is not \"ganstudio-scores\")");
  if (field<int>(j, "version", "scores") != 1) throw std::invalid_argument("unsupported scores file version");
  Plan plan;
  plan.method = field<std::string>(j, "method", "scores");
  plan.arch = field<std::string>(j, "arch", "scores");
  if (!j.contains("selection")) throw std::invalid_argument("scores: missing \"selection\"");
  plan.selection = selection_from_json(j.at("selection"));
  if (!j.contains("groups") || !j.at("groups").is_array()) throw std::invalid_argument("scores: missing \"groups\"");
  for (const auto& g : j.at("groups")) {
    const auto name = field<std::string>(g, "name", "group");
    plan.widths[name] = field<int64_t>(g, "width", "group " + name);
    plan.scores[name] = field<std::vector<double>>(g, "scores", "group " + name);
    plan.kept[name] = field<std::vector<int64_t>>(g, "kept", "group " + name);
    if (static_cast<int64_t>(plan.scores[name].size()) != plan.widths[name])
      throw std::invalid_argument("group " + name + ": " + std::to_string(plan.scores[name].size()) +
                                  " scores for width " + std::to_string(plan.widths[name]));
  }
  if (j.contains("info")) plan.info = j.at("info");
  if (j.contains("discriminator_kept"))
    plan.discriminator_kept = field<models::KeptChannels>(j, "discriminator_kept", "scores");
  return plan;
}

// One line per top-level field and per group: readable, diffable, and not one number per line.
void save_plan(const std::string& path, const Plan& plan) {
  const nlohmann::json j = plan_to_json(plan);
  std::string text = "{";
  for (auto it = j.begin(); it != j.end(); ++it) {
    text += (it == j.begin() ? "\n " : ",\n ") + nlohmann::json(it.key()).dump() + ": ";
    if (it.key() != "groups") {
      text += it.value().dump();
      continue;
    }
    text += "[";
    for (size_t i = 0; i < it.value().size(); ++i) text += (i ? ",\n  " : "\n  ") + it.value()[i].dump();
    text += "\n ]";
  }
  io::write_file_atomic(path, text + "\n}\n");
}

Plan load_plan(const std::string& path) {
  return io::read_json_file<Plan>(path, "scores file", plan_from_json);
}

void check_plan_fits(const Plan& plan, models::Generator& g) {
  const std::string arch = models::arch_name(g.arch());
  if (plan.arch != arch)
    throw models::ModelError("the plan was made for a " + plan.arch + " generator, this one is " + arch);
  const auto groups = g.channel_groups();
  if (groups.size() != plan.widths.size())
    throw models::ModelError("the plan has " + std::to_string(plan.widths.size()) + " channel groups, the model " +
                             std::to_string(groups.size()));
  for (const auto& group : groups) {
    const auto it = plan.widths.find(group.name);
    if (it == plan.widths.end()) throw models::ModelError("the plan has no channel group " + group.name);
    if (it->second != group.width)
      throw models::ModelError("group " + group.name + " is " + std::to_string(group.width) +
                               " channels wide, the plan was made for " + std::to_string(it->second));
  }
  models::validate_kept(groups, plan.kept);
}

models::CostReport cost_after(models::Generator& g, const models::KeptChannels& kept,
                              models::MacConvention convention) {
  return g.with_widths(models::widths_after(g.channel_groups(), kept))->cost(convention);
}

Budget uniform_budget(models::Generator& g, double sparsity, bool outputs, models::MacConvention convention) {
  ChannelScores zeros;
  for (const auto& group : g.channel_groups()) zeros[group.name].assign(group.width, 0.0);
  Selection uniform;
  uniform.sparsity = sparsity;
  const models::CostReport cut = cost_after(g, select_channels(g.channel_groups(), zeros, uniform), convention);
  return {cut.macs, outputs ? cut.outputs : 0, convention};
}

} // namespace gs::prune
