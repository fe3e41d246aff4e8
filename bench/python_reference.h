// A Python reference script driven through a pipe, one command per line and one reply line per command, so that
// a benchmark can interleave its own runs with the reference's: the machine's load then weighs on both sides alike
// (timed in two separate phases, bench_models' ratios on one shared 2-core machine swung between 0.84 and 1.48 from
// run to run). Also the timing, table and option helpers the benches share. Bench programs only.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace gs::bench {

template <typename F> double time_ms(F fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

inline double median(std::vector<double> t) {
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// Each of a and b timed `repeats` times, the two alternating run by run, in `rounds` rounds: the median over rounds of
// each one's median, {a's, b's}.
template <typename A, typename B> std::pair<double, double> alternated_ms(int rounds, int repeats, A a, B b) {
  std::vector<double> ma, mb;
  for (int r = 0; r < rounds; ++r) {
    std::vector<double> ta, tb;
    for (int i = 0; i < repeats; ++i) {
      ta.push_back(time_ms(a));
      tb.push_back(time_ms(b));
    }
    ma.push_back(median(ta));
    mb.push_back(median(tb));
  }
  return {median(ma), median(mb)};
}

// Milliseconds for a table: 3 decimals below 10, 1 from there.
inline std::string fixed_ms(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 10 ? "%.3f" : "%.1f", v);
  return buf;
}

// Reads "NAME N" at argv[i] into value, moving i past N; false (i unchanged) where argv[i] is something else.
inline bool int_option(int argc, char** argv, int& i, const char* name, int& value) {
  if (std::string(argv[i]) != name || i + 1 >= argc) return false;
  value = std::atoi(argv[++i]);
  return true;
}

// A comma-separated option value's items ("a,b,c"), empty items kept.
inline std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

// The options of a bench that times two forms side by side: [--repeats N] [--rounds N] [--batch B]. On any other
// argument, false after printing the usage of the program (argv[0]).
inline bool repeat_options(int argc, char** argv, int& repeats, int& rounds, int& batch) {
  for (int i = 1; i < argc; ++i)
    if (!int_option(argc, argv, i, "--repeats", repeats) && !int_option(argc, argv, i, "--rounds", rounds) &&
        !int_option(argc, argv, i, "--batch", batch)) {
      std::fprintf(stderr, "usage: %s [--repeats N] [--rounds N] [--batch B]\n", argv[0]);
      return false;
    }
  return true;
}

class PythonReference {
public:
  // Runs `script` (under bench/) with `args` (already quoted for the shell) in Debian's python3; its standard
  // input is a FIFO in a fresh temporary directory, which dir() also offers for files the two sides exchange.
  PythonReference(const std::string& script, const std::string& args) {
    std::string dir = (std::filesystem::temp_directory_path() / "gs_bench.XXXXXX").string();
    if (!mkdtemp(dir.data())) throw std::runtime_error("cannot create a temporary directory");
    dir_ = dir;
    fifo_ = dir_ / "commands";
    const std::string cmd = std::string(GANSTUDIO_PYTHON) + " " + GANSTUDIO_SOURCE_DIR + "/bench/" + script + " " +
                            args + " < '" + fifo_.string() + "'";
    if (mkfifo(fifo_.c_str(), 0600) == 0) replies_ = popen(cmd.c_str(), "r");
    commands_ = replies_ ? std::fopen(fifo_.c_str(), "w") : nullptr; // opens once the script reads it
    if (!commands_) {
      if (replies_) pclose(replies_);
      std::filesystem::remove_all(dir_);
      throw std::runtime_error("cannot start " + cmd);
    }
  }
  ~PythonReference() {
    std::fclose(commands_);
    pclose(replies_);
    std::filesystem::remove_all(dir_);
  }
  PythonReference(const PythonReference&) = delete;
  PythonReference& operator=(const PythonReference&) = delete;

  // Sends one command and returns the number its reply line starts with (the scripts answer milliseconds).
  double ask(const std::string& command) {
    std::fprintf(commands_, "%s\n", command.c_str());
    std::fflush(commands_);
    char line[256];
    if (!std::fgets(line, sizeof line, replies_)) throw std::runtime_error("the reference script stopped");
    return std::atof(line);
  }
  const std::filesystem::path& dir() const { return dir_; }

private:
  std::filesystem::path dir_, fifo_;
  FILE* replies_ = nullptr;
  FILE* commands_ = nullptr;
};

} // namespace gs::bench
