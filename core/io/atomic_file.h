// Writing a whole file so that readers see either the old contents or the new, never a half-written file.
#pragma once
#include <string>
#include <string_view>

namespace gs::io {

// Writes to "<path>.tmp", fsyncs, renames over `path`. On failure the temporary is removed, `path` is untouched,
// and an IoError names the file and the system's reason (e.g. "No space left on device").
void write_file_atomic(const std::string& path, std::string_view bytes);

} // namespace gs::io
