// Read-only memory map of a whole file, so large checkpoints are never copied just to be parsed.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gs::io {

class MappedFile {
public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }

private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

} // namespace gs::io
