#include "core/jobs/run_dir.h"

#include "core/io/atomic_file.h"

#include <chrono>
#include <filesystem>
#include <fstream>

namespace gs::jobs {

namespace fs = std::filesystem;

RunDirectory::RunDirectory(std::string root) : root_(std::move(root)) {}

RunDirectory::~RunDirectory() {
  if (events_) std::fclose(events_);
}

void RunDirectory::open() {
  std::error_code ec;
  for (const char* sub : {"", "samples", "checkpoints"}) {
    fs::create_directories(fs::path(root_) / sub, ec);
    if (ec) throw std::runtime_error(root_ + ": cannot create the run directory (" + ec.message() + ")");
  }
  events_ = std::fopen(path("events.jsonl").c_str(), "a");
  if (!events_) throw std::runtime_error(path("events.jsonl") + ": cannot open for writing");
}

std::string RunDirectory::path(const std::string& relative) const {
  return (fs::path(root_) / relative).string();
}

bool RunDirectory::exists(const std::string& relative) const {
  return fs::exists(fs::path(root_) / relative);
}

void RunDirectory::append_event(nlohmann::json event) {
  if (!events_) return;
  if (!event.contains("time"))
    event["time"] = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string line = event.dump() + "\n";
  if (std::fwrite(line.data(), 1, line.size(), events_) != line.size() || std::fflush(events_) != 0)
    throw std::runtime_error(path("events.jsonl") + ": cannot append (disk full?)");
}

void RunDirectory::write_json(const std::string& relative, const nlohmann::json& j) const {
  io::write_file_atomic(path(relative), j.dump(2) + "\n");
}

std::vector<nlohmann::json> read_events(const std::string& path, size_t& offset) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path, std::ios::binary);
  if (!in) return out;
  in.seekg(static_cast<std::streamoff>(offset));
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break; // no newline yet: the writer is mid-line
    offset += line.size() + 1;
    try {
      out.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::parse_error&) {
    }
  }
  return out;
}

} // namespace gs::jobs
