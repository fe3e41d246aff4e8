// The separable FIR after two-times zero-insertion up-sampling (upfir2d with up = 2: StyleGAN2's ToRGB skip)
// summed from the input itself. Each output column of one parity reads every other tap of a row, and each output row
// of one parity every other row: k/2 taps a pass, where the zero-inserted image took k along its rows (half of them
// on zeros) and had to be written first.
#pragma once

#include <cstdint>

namespace gs::models {

struct Up2Blur {
  int64_t h = 0, w = 0;       // the input plane
  int64_t k = 0, pad0 = 0;    // taps, zero rows and columns before the up-sampled image
  int64_t oh = 0, ow = 0;     // the output plane
  const float* row = nullptr; // the flipped kernel's separable factors along a row (k)
  const float* col = nullptr; // and down a column (k)
};

// The geometry of upfir2d(x, kernel of k taps, 2, pad0, pad1) for an h × w plane, where fir_up2_plane computes it: 3
// or 4 taps (upstream's [1, 3, 3, 1] and 3-tap blurs), pad0 1 or 2 (2: upstream's ToRGB), pad1 at most k, output
// rows of whole 4-float vectors in each parity (ow even, ow / 2 a multiple of 4); k = 0 where it does not.
Up2Blur fir_up2_geometry(int64_t h, int64_t w, int64_t k, int64_t pad0, int64_t pad1);

// Floats of scratch fir_up2_stage and fir_up2_plane need (a thread reuses it from plane to plane: the zeros it
// writes stay).
int64_t fir_up2_scratch(const Up2Blur& b);

// Copies plane x (h × w) into scratch's slot 0 or 1, for fir_up2_plane to read. The sums read each value from up to
// three vector loads that straddle the copy's stores: a plane staged right before its sums stalled every load on a
// store not yet written (store forwarding fails on a partial overlap), so callers stage the next plane before summing
// the current one.
void fir_up2_stage(const Up2Blur& b, const float* x, float* scratch, int slot);

// The plane staged in `slot` into out (oh × ow). scratch: fir_up2_scratch(b) floats, zeroed before its first use.
void fir_up2_plane(const Up2Blur& b, float* scratch, int slot, float* out);

} // namespace gs::models
