// A small command-line parser for ganstudio-cli: declared options, generated --help, one-line errors.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gs::cli {

// Thrown for bad command lines; main prints "ganstudio-cli <command>: <message>" and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string name;       // "--json"
  std::string value_name; // empty for flags, e.g. "PATH"
  std::string help;
};

class Args {
public:
  Args(std::string command, std::string summary, std::vector<std::string> positionals, std::vector<OptionSpec> options);

  // Returns false when --help was asked for (help is then printed to stdout).
  bool parse(const std::vector<std::string>& argv);
  std::string help() const;

  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
  // The value of a required option; UsageError "missing NAME" when absent.
  std::string required(const std::string& name) const;
  // Whole-number and real option values, `fallback` when absent; UsageError naming the option for anything that is
  // not a number of at least `min` (integers) / greater than zero (reals, when `positive`).
  int64_t integer(const std::string& name, int64_t fallback, int64_t min) const;
  double number(const std::string& name, double fallback, bool positive) const;
  const std::string& positional(size_t i) const { return positional_values_.at(i); }

private:
  const OptionSpec* find(const std::string& name) const;
  std::string command_, summary_;
  std::vector<std::string> positionals_;
  std::vector<OptionSpec> options_;
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> flags_;
  std::vector<std::string> positional_values_;
};

} // namespace gs::cli
