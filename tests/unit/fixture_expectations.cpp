#include "fixture_expectations.h"

#include "core/io/tensor_rebuild.h"

#include <torch/torch.h>

#include <cmath>
#include <fstream>

namespace gs::test {

std::string fixture(const std::string& name) {
  return std::string(GANSTUDIO_FIXTURES) + "/" + name;
}

const nlohmann::json& expectations() {
  static const nlohmann::json j = [] {
    std::ifstream in(fixture("expected.json"));
    return nlohmann::json::parse(in);
  }();
  return j;
}

nlohmann::json describe(const std::vector<io::NamedTensor>& tensors) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& nt : tensors) {
    at::Tensor flat = nt.tensor.reshape({-1}).to(torch::kDouble);
    std::vector<double> first;
    for (int64_t i = 0; i < std::min<int64_t>(4, flat.numel()); ++i) first.push_back(flat[i].item<double>());
    rows.push_back({{"name", nt.name},
                    {"dtype", io::short_dtype_name(nt.tensor.scalar_type())},
                    {"shape", nt.tensor.sizes().vec()},
                    {"sum", flat.sum().item<double>()},
                    {"first", first},
                    {"contiguous", nt.tensor.is_contiguous()}});
  }
  return rows;
}

std::string compare_tensors(const std::vector<io::NamedTensor>& tensors, const nlohmann::json& expected) {
  const nlohmann::json got = describe(tensors);
  if (got.size() != expected.size())
    return "expected " + std::to_string(expected.size()) + " tensors, got " + std::to_string(got.size());
  auto close = [](double a, double b) { return std::abs(a - b) <= 1e-6 * std::max(1.0, std::abs(b)); };
  for (size_t i = 0; i < got.size(); ++i) {
    const auto& g = got[i];
    const auto& e = expected[i];
    const std::string where = "tensor #" + std::to_string(i) + " '" + e["name"].get<std::string>() + "': ";
    for (const char* key : {"name", "dtype", "shape", "contiguous"})
      if (g[key] != e[key]) return where + key + " is " + g[key].dump() + ", expected " + e[key].dump();
    if (!close(g["sum"], e["sum"])) return where + "sum " + g["sum"].dump() + " != " + e["sum"].dump();
    for (size_t k = 0; k < e["first"].size(); ++k)
      if (!close(g["first"][k], e["first"][k])) return where + "element " + std::to_string(k) + " differs";
  }
  return {};
}

} // namespace gs::test
