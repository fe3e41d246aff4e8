// The one exception type of core/io: every message names the file and the reason.
#pragma once
#include <stdexcept>
#include <string>

namespace gs::io {

class IoError : public std::runtime_error {
public:
  IoError(const std::string& file, const std::string& reason);
  const std::string& file() const { return file_; }
  const std::string& reason() const { return reason_; }

private:
  std::string file_;
  std::string reason_;
};

} // namespace gs::io
