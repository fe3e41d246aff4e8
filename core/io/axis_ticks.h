// Round axis ticks, shared by the report's PNG charts (core/io/line_chart) and the GUI's live charts
// (widgets/live_chart), so that both label a run's curves alike. Plain C++, without Torch or Qt: its own library,
// which both layers link.
#pragma once

#include <string>
#include <vector>

namespace gs::axis {

// Curves whose values all lie within this fraction of their size of each other are drawn as flat: an FD of 1252.764
// and 1252.765 (a two-step run) read as a rising line under five ticks all labelled 1.25e+03.
constexpr double kFlat = 1e-3;
bool is_flat(double lo, double hi);

// Ticks at round values, about four to the range: multiples of 1, 2, 2.5 or 5 times a power of ten; whole numbers
// only where the data are (steps: no tick at step 1.5).
double tick_interval(double lo, double hi, bool whole);

// The multiples of `interval` in [lo, hi].
std::vector<double> ticks(double lo, double hi, double interval);

// Significant digits ("%.*g") that print every tick of [lo, hi] at `interval` exactly: as many as the largest has down
// to the interval's last digit (one more for 2.5 × 10^k), and whole numbers below a million (steps) without an exponent
// ("%.3g" printed step 1000 as 1e+03).
int label_digits(double lo, double hi, double interval);
std::string label(double value, int digits);

// A log axis labels only powers of ten: a range that holds fewer than two (losses between 0.2 and 0.5 had no label at
// all) widens to whole decades.
void whole_decades(double& lo, double& hi);

// A range of one value (a single step, a constant curve) widened around it, so that it sits in the middle.
void around_one_value(double& lo, double& hi, bool log);

// The range a curve's values [lo, hi] are drawn over: a constant one widened around it, a linear one with 5% of its
// size to spare at either end, a log one widened to whole decades.
void fit_values(double& lo, double& hi, bool log);

} // namespace gs::axis
