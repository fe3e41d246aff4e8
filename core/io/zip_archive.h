// Minimal ZIP container support for torch.save / TorchScript archives: stored (uncompressed) entries, ZIP64 aware.
#pragma once
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace gs::io {

struct ZipEntry {
  std::string name;
  uint64_t data_offset = 0; // absolute offset of the entry's bytes in the archive
  uint64_t size = 0;        // bytes as stored
  uint16_t method = 0;      // 0 = stored; TorchScript archives deflate their code/ entries, which are never read here
};

// Reads the central directory of an archive held in memory. Throws IoError naming `file` on any inconsistency.
class ZipReader {
public:
  ZipReader(std::string file, std::string_view bytes);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(std::string_view name) const;
  // Bytes of an entry, bounds-checked against the archive.
  std::string_view read(const ZipEntry& entry) const;
  // The common top-level folder torch.save puts every record under ("archive/" or the file stem), with slash.
  std::string prefix() const;

private:
  std::string file_;
  std::string_view bytes_;
  std::vector<ZipEntry> entries_;
};

// Writes stored entries with 64-byte aligned data, the layout PyTorch itself writes.
class ZipWriter {
public:
  explicit ZipWriter(std::ostream& out) : out_(out) {}
  void add(const std::string& name, const void* data, size_t size);
  void finish();

private:
  struct Central {
    std::string name;
    uint32_t crc;
    uint32_t size;
    uint32_t offset;
  };
  void put16(uint16_t v);
  void put32(uint32_t v);
  std::ostream& out_;
  uint64_t pos_ = 0;
  std::vector<Central> central_;
};

uint32_t crc32(const void* data, size_t size, uint32_t crc = 0);

} // namespace gs::io
