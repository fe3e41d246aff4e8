#include "app/cli/args.h"

#include <cmath>
#include <iostream>
#include <sstream>

namespace gs::cli {

Args::Args(std::string command, std::string summary, std::vector<std::string> positionals,
           std::vector<OptionSpec> options)
    : command_(std::move(command)), summary_(std::move(summary)), positionals_(std::move(positionals)),
      options_(std::move(options)) {}

const OptionSpec* Args::find(const std::string& name) const {
  for (const auto& o : options_)
    if (o.name == name) return &o;
  return nullptr;
}

bool Args::parse(const std::vector<std::string>& argv) {
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << help();
      return false;
    }
    if (a.rfind("--", 0) == 0) {
      std::string inline_value;
      bool has_inline = false;
      if (auto eq = a.find('='); eq != std::string::npos) {
        inline_value = a.substr(eq + 1);
        a = a.substr(0, eq);
        has_inline = true;
      }
      const OptionSpec* spec = find(a);
      if (!spec) throw UsageError("unknown option " + a + " (see --help)");
      if (spec->value_name.empty()) {
        if (has_inline) throw UsageError(a + " takes no value");
        flags_[a] = true;
      } else if (has_inline) {
        values_[a] = inline_value;
      } else {
        if (i + 1 >= argv.size()) throw UsageError(a + " needs a value (" + spec->value_name + ")");
        values_[a] = argv[++i];
      }
      continue;
    }
    if (positional_values_.size() >= positionals_.size()) throw UsageError("unexpected argument '" + a + "'");
    positional_values_.push_back(a);
  }
  if (positional_values_.size() < positionals_.size())
    throw UsageError("missing <" + positionals_[positional_values_.size()] + "> (see --help)");
  return true;
}

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::required(const std::string& name) const {
  auto v = value(name);
  if (!v) throw UsageError("missing " + name + " (see --help)");
  return *v;
}

int64_t Args::integer(const std::string& name, int64_t fallback, int64_t min) const {
  auto v = value(name);
  if (!v) return fallback;
  try {
    size_t used = 0;
    const long long n = std::stoll(*v, &used);
    if (used == v->size() && n >= min) return n;
  } catch (const std::exception&) {
  }
  throw UsageError(name + " must be a whole number of at least " + std::to_string(min) + ", got '" + *v + "'");
}

double Args::number(const std::string& name, double fallback, bool positive) const {
  auto v = value(name);
  if (!v) return fallback;
  try {
    size_t used = 0;
    const double x = std::stod(*v, &used);
    if (used == v->size() && std::isfinite(x) && (!positive || x > 0)) return x;
  } catch (const std::exception&) {
  }
  throw UsageError(name + " must be a " + (positive ? "positive " : "") + "number, got '" + *v + "'");
}

std::string Args::help() const {
  std::ostringstream os;
  os << "usage: ganstudio-cli " << command_;
  for (const auto& p : positionals_) os << " <" << p << ">";
  if (!options_.empty()) os << " [options]";
  os << "\n\n" << summary_ << "\n\noptions:\n";
  for (const auto& o : options_) {
    std::string left = o.name + (o.value_name.empty() ? "" : " " + o.value_name);
    left.resize(std::max<size_t>(left.size() + 2, 20), ' ');
    os << "  " << left << o.help << "\n";
  }
  os << "  --help, -h          show this help\n";
  return os.str();
}

} // namespace gs::cli
