// ganstudio-cli info: what a checkpoint holds, read without executing anything from it.
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/io/checkpoint_summary.h"
#include "core/models/model_summary.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <optional>

namespace gs::cli {

int run_info(const std::vector<std::string>& argv) {
  Args args("info",
            "Show what a checkpoint holds: format, top-level keys, every tensor's name, dtype and shape,\n"
            "parameter totals (elements of floating-point tensors, per top-level part), and the records found\n"
            "(objects such as training options, shown field by field; nothing from the file is executed).\n"
            "Reads torch.save files (zip and legacy), TorchScript archives, safetensors and .npy.\n"
            "When the tensors form a generator of a known architecture, also its options, prunable channel groups,\n"
            "parameters and MACs per sample. MACs count convolutions and linear layers only; a transposed convolution\n"
            "counts output pixels x in x out x k^2 (as compression papers do: CycleGAN ResNet-9 at 256^2 = 56.8G),\n"
            "and the figure counting input pixels instead is shown beside it.",
            {"checkpoint"}, {{"--json", "", "print the summary as JSON"}});
  if (!args.parse(argv)) return 0;
  const std::string path = args.positional(0);
  const auto summary = io::summarize_checkpoint(path);
  // A file that is not a model of a known architecture is still worth describing: the model part is optional.
  std::optional<models::ModelSummary> model;
  std::string not_a_model;
  try {
    model = models::summarize_model(models::load_model(path));
  } catch (const models::ModelError& e) {
    not_a_model = e.what();
    if (auto nl = not_a_model.find('\n'); nl != std::string::npos) not_a_model.resize(nl);
  }
  if (args.flag("--json")) {
    auto j = nlohmann::json::parse(io::summary_to_json(summary));
    if (model)
      j["model"] = models::summary_to_json(*model);
    else
      j["model_error"] = not_a_model;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << io::summary_to_text(summary);
    std::cout << "\n" << (model ? models::summary_to_text(*model) : "model: " + not_a_model + "\n");
  }
  return 0;
}

} // namespace gs::cli
