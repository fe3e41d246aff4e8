// The ganstudio-cli subcommands; each takes its arguments after the command name and returns an exit code.
#pragma once
#include <string>
#include <vector>

namespace gs::cli {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};

int run_info(const std::vector<std::string>& args);
int run_fid(const std::vector<std::string>& args);
int run_prdc(const std::vector<std::string>& args);
int run_generate(const std::vector<std::string>& args);
int run_pretrain(const std::vector<std::string>& args);
int run_score(const std::vector<std::string>& args);
int run_prune(const std::vector<std::string>& args);
int run_compress(const std::vector<std::string>& args);
int run_eval(const std::vector<std::string>& args);
int run_cache(const std::vector<std::string>& args);
int run_edges(const std::vector<std::string>& args);
int run_report(const std::vector<std::string>& args);

const std::vector<Command>& commands();

} // namespace gs::cli
