// Pruning a generator or a discriminator by channel groups: physically slicing it smaller, or zeroing the same channels
// in place.
#pragma once
#include "core/models/generator.h"

namespace gs::models {

// Throws ModelError for unknown groups, out-of-range or repeated indices, or a group left empty.
void validate_kept(const std::vector<ChannelGroup>& groups, const KeptChannels& kept);

// A smaller generator holding only the kept channels: built with with_widths(), then every parameter and buffer
// copied from `full` with each group's slots narrowed to the kept indices.
std::unique_ptr<Generator> slice(Generator& full, const KeptChannels& kept);
std::unique_ptr<Discriminator> slice(Discriminator& full, const KeptChannels& kept);

// Zeroes the pruned channels of every slot of every group in place; the output then equals slice()'s.
void mask(Generator& full, const KeptChannels& kept);
void mask(Discriminator& full, const KeptChannels& kept);

// An independent copy with the same widths, weights and train/eval mode.
std::unique_ptr<Generator> clone(Generator& g);
std::unique_ptr<Discriminator> clone(Discriminator& d); // throws ModelError where with_widths() does

// Kept indices -> group widths, for with_widths() and cost estimates before slicing.
std::map<std::string, int64_t> widths_after(const std::vector<ChannelGroup>& groups, const KeptChannels& kept);

} // namespace gs::models
