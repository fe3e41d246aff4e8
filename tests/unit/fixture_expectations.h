// Shared by the io tests: expected.json (written by tests/fixtures/make_io_fixtures.py) and comparisons against it.
#pragma once
#include "core/io/checkpoint.h"

#include <nlohmann/json.hpp>

#include <string>

namespace gs::test {

std::string fixture(const std::string& name);
const nlohmann::json& expectations();
// Empty when `tensors` matches the expected rows (names, dtypes, shapes, sums, first elements, contiguity);
// otherwise a description of the first mismatch.
std::string compare_tensors(const std::vector<io::NamedTensor>& tensors, const nlohmann::json& expected_rows);
// The same rows as make_io_fixtures.py's describe(), computed on our side.
nlohmann::json describe(const std::vector<io::NamedTensor>& tensors);

} // namespace gs::test
