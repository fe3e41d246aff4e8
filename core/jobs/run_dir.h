// A run directory (DESIGN.md): config.json, events.jsonl, scores.json, samples/, checkpoints/, student.pt, report.md.
// Writers replace whole files atomically and append events a line at a time, so a reader following a run that is
// still being written never sees half a file.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace gs::jobs {

class RunDirectory {
public:
  explicit RunDirectory(std::string root);
  ~RunDirectory();
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;

  // Creates root, samples/ and checkpoints/ and opens events.jsonl for appending. Throws std::runtime_error naming
  // the directory when it cannot be created or written.
  void open();
  std::string path(const std::string& relative) const;
  bool exists(const std::string& relative) const;
  // Appends one JSON line, adding "time" (seconds since the Unix epoch) when absent; flushed at once.
  void append_event(nlohmann::json event);
  void write_json(const std::string& relative, const nlohmann::json& j) const; // atomic

private:
  std::string root_;
  std::FILE* events_ = nullptr;
};

// How a "samples" event's grid is laid out (its "layout"): teacher rows above student rows, or (image-to-image)
// input | teacher | student triplets, kTripletColumns tiles to a row.
constexpr const char* kStackedLayout = "teacher_over_student";
constexpr const char* kTripletLayout = "input_teacher_student";
constexpr int kTripletColumns = 6;

// Complete lines of an events file from byte `offset` on; `offset` moves past them (a partial last line stays for
// the next call). Lines that are not JSON are skipped. For following a run that is still being written.
std::vector<nlohmann::json> read_events(const std::string& path, size_t& offset);

} // namespace gs::jobs
