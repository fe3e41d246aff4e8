#include "core/io/io_error.h"

namespace gs::io {

IoError::IoError(const std::string& file, const std::string& reason)
    : std::runtime_error(file + ": " + reason), file_(file), reason_(reason) {}

} // namespace gs::io
