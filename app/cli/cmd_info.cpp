// ganstudio-cli info: what a checkpoint holds, read without executing anything from it.
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/io/checkpoint_summary.h"

#include <iostream>

namespace gs::cli {

int run_info(const std::vector<std::string>& argv) {
  Args args("info",
            "Show what a checkpoint holds: format, top-level keys, every tensor's name, dtype and shape,\n"
            "parameter totals (elements of floating-point tensors, per top-level part), and the records found\n"
            "(objects such as training options, shown field by field; nothing from the file is executed).\n"
            "Reads torch.save files (zip and legacy), TorchScript archives, safetensors and .npy.",
            {"checkpoint"}, {{"--json", "", "print the summary as JSON"}});
  if (!args.parse(argv)) return 0;
  const auto summary = io::summarize_checkpoint(args.positional(0));
  std::cout << (args.flag("--json") ? io::summary_to_json(summary) + "\n" : io::summary_to_text(summary));
  return 0;
}

} // namespace gs::cli
