#include "core/io/zip_archive.h"

#include "core/io/io_error.h"

#include <array>
#include <cstring>
#include <limits>

namespace gs::io {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEocdSig = 0x06054b50;
constexpr uint32_t kEocd64Sig = 0x06064b50;
constexpr uint32_t kEocd64LocatorSig = 0x07064b50;
constexpr size_t kAlign = 64;

// Bounds-checked little-endian reads from the archive.
class Cursor {
public:
  Cursor(const std::string& file, std::string_view bytes) : file_(file), bytes_(bytes) {}
  void need(uint64_t offset, uint64_t n, const char* what) const {
    if (offset > bytes_.size() || n > bytes_.size() - offset)
      throw IoError(file_,
                    std::string("truncated or corrupt zip archive (") + what + " lies past the end of the file)");
  }
  uint64_t le(uint64_t offset, int n, const char* what) const {
    need(offset, n, what);
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes_[offset + i]);
    return v;
  }

private:
  const std::string& file_;
  std::string_view bytes_;
};

} // namespace

uint32_t crc32(const void* data, size_t size, uint32_t crc) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

ZipReader::ZipReader(std::string file, std::string_view bytes) : file_(std::move(file)), bytes_(bytes) {
  Cursor c(file_, bytes_);
  if (bytes_.size() < 22) throw IoError(file_, "truncated zip archive (no end-of-central-directory record)");
  // The end record sits in the last 22 + 65535 bytes (its comment may be up to 64 KiB).
  uint64_t eocd = std::numeric_limits<uint64_t>::max();
  uint64_t lowest = bytes_.size() > 22 + 65535 ? bytes_.size() - 22 - 65535 : 0;
  for (uint64_t p = bytes_.size() - 22 + 1; p-- > lowest;) {
    if (c.le(p, 4, "end record") == kEocdSig) {
      eocd = p;
      break;
    }
  }
  if (eocd == std::numeric_limits<uint64_t>::max())
    throw IoError(file_, "truncated or corrupt zip archive (end-of-central-directory record not found)");

  uint64_t count = c.le(eocd + 10, 2, "end record");
  uint64_t cd_size = c.le(eocd + 12, 4, "end record");
  uint64_t cd_offset = c.le(eocd + 16, 4, "end record");
  if (eocd >= 20 && c.le(eocd - 20, 4, "zip64 locator") == kEocd64LocatorSig) {
    uint64_t e64 = c.le(eocd - 20 + 8, 8, "zip64 locator");
    if (c.le(e64, 4, "zip64 end record") != kEocd64Sig) throw IoError(file_, "corrupt zip64 end record");
    count = c.le(e64 + 32, 8, "zip64 end record");
    cd_size = c.le(e64 + 40, 8, "zip64 end record");
    cd_offset = c.le(e64 + 48, 8, "zip64 end record");
  }
  c.need(cd_offset, cd_size, "central directory");
  // Each central entry takes at least 46 bytes, so a huge count in a small directory is a lie.
  if (count > cd_size / 46)
    throw IoError(file_, "corrupt zip archive (entry count does not fit the central directory)");

  entries_.reserve(count);
  uint64_t p = cd_offset;
  for (uint64_t i = 0; i < count; ++i) {
    if (c.le(p, 4, "central directory") != kCentralSig)
      throw IoError(file_, "corrupt zip archive (bad central directory entry)");
    uint64_t method = c.le(p + 10, 2, "central directory");
    uint64_t csize = c.le(p + 20, 4, "central directory");
    uint64_t usize = c.le(p + 24, 4, "central directory");
    uint64_t name_len = c.le(p + 28, 2, "central directory");
    uint64_t extra_len = c.le(p + 30, 2, "central directory");
    uint64_t comment_len = c.le(p + 32, 2, "central directory");
    uint64_t local = c.le(p + 42, 4, "central directory");
    c.need(p + 46, name_len + extra_len + comment_len, "central directory entry");
    std::string name(bytes_.substr(p + 46, name_len));
    // ZIP64 extra field: the 64-bit values present are those whose 32-bit fields are saturated.
    for (uint64_t e = p + 46 + name_len; e + 4 <= p + 46 + name_len + extra_len;) {
      uint64_t id = c.le(e, 2, "extra field"), len = c.le(e + 2, 2, "extra field");
      if (id == 0x0001) {
        uint64_t q = e + 4;
        if (usize == 0xFFFFFFFF) usize = c.le(q, 8, "zip64 extra"), q += 8;
        if (csize == 0xFFFFFFFF) csize = c.le(q, 8, "zip64 extra"), q += 8;
        if (local == 0xFFFFFFFF) local = c.le(q, 8, "zip64 extra"), q += 8;
      }
      e += 4 + len;
    }
    if (method == 0 && csize != usize) throw IoError(file_, "corrupt zip entry '" + name + "' (sizes disagree)");
    if (c.le(local, 4, "local header") != kLocalSig)
      throw IoError(file_, "corrupt zip archive (bad local header for '" + name + "')");
    uint64_t data = local + 30 + c.le(local + 26, 2, "local header") + c.le(local + 28, 2, "local header");
    c.need(data, csize, ("data of '" + name + "'").c_str());
    entries_.push_back({std::move(name), data, csize, static_cast<uint16_t>(method)});
    p += 46 + name_len + extra_len + comment_len;
  }
}

const ZipEntry* ZipReader::find(std::string_view name) const {
  for (const auto& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

std::string_view ZipReader::read(const ZipEntry& entry) const {
  if (entry.method != 0)
    throw IoError(file_, "zip entry '" + entry.name + "' is compressed (method " + std::to_string(entry.method) +
                             "); PyTorch stores tensor data and pickles uncompressed");
  return bytes_.substr(entry.data_offset, entry.size);
}

std::string ZipReader::prefix() const {
  for (const auto& e : entries_) {
    auto slash = e.name.find('/');
    if (slash != std::string::npos && e.name.compare(slash + 1, std::string::npos, "data.pkl") == 0)
      return e.name.substr(0, slash + 1);
  }
  return {};
}

void ZipWriter::put16(uint16_t v) {
  char b[2] = {char(v & 0xFF), char(v >> 8)};
  out_.write(b, 2);
  pos_ += 2;
}

void ZipWriter::put32(uint32_t v) {
  put16(uint16_t(v & 0xFFFF));
  put16(uint16_t(v >> 16));
}

void ZipWriter::add(const std::string& name, const void* data, size_t size) {
  if (size >= 0xFFFFFFFFu || pos_ >= 0xFFFFFFFFu) throw std::runtime_error("zip writer: archive larger than 4 GiB");
  uint32_t offset = static_cast<uint32_t>(pos_);
  uint32_t crc = crc32(data, size);
  // Pad through an extra field so the data starts on a 64-byte boundary (mmap-friendly, like PyTorch's writer).
  size_t header_end = pos_ + 30 + name.size() + 4;
  uint16_t pad = static_cast<uint16_t>((kAlign - header_end % kAlign) % kAlign);
  put32(kLocalSig);
  put16(20), put16(0), put16(0), put16(0), put16(0x21);
  put32(crc), put32(uint32_t(size)), put32(uint32_t(size));
  put16(uint16_t(name.size())), put16(uint16_t(4 + pad));
  out_.write(name.data(), std::streamsize(name.size()));
  pos_ += name.size();
  put16(0x4246), put16(pad);
  std::string zeros(pad, '\0');
  out_.write(zeros.data(), pad);
  out_.write(static_cast<const char*>(data), std::streamsize(size));
  pos_ += pad + size;
  central_.push_back({name, crc, uint32_t(size), offset});
}

void ZipWriter::finish() {
  uint64_t cd_start = pos_;
  for (const auto& e : central_) {
    put32(kCentralSig);
    put16(20), put16(20), put16(0), put16(0), put16(0), put16(0x21);
    put32(e.crc), put32(e.size), put32(e.size);
    put16(uint16_t(e.name.size())), put16(0), put16(0), put16(0), put16(0);
    put32(0), put32(e.offset);
    out_.write(e.name.data(), std::streamsize(e.name.size()));
    pos_ += e.name.size();
  }
  uint64_t cd_size = pos_ - cd_start;
  if (pos_ >= 0xFFFFFFFFu || central_.size() >= 0xFFFF) throw std::runtime_error("zip writer: archive too large");
  put32(kEocdSig);
  put16(0), put16(0), put16(uint16_t(central_.size())), put16(uint16_t(central_.size()));
  put32(uint32_t(cd_size)), put32(uint32_t(cd_start)), put16(0);
}

} // namespace gs::io
