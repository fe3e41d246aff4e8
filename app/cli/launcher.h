// `--nproc N` on one host: N copies of this command as ranks 0..N-1 of one c10d job (the torchrun variables set for
// each), Ctrl-C / SIGTERM forwarded, and when one rank fails the rest are stopped, so nothing is left waiting.
#pragma once
#include <chrono>
#include <string>
#include <vector>

namespace gs::cli {

// Runs `args` (this command's arguments, without --nproc) in `nproc` processes and waits for all of them. Returns 0
// when every rank succeeded, 130 when they were interrupted, otherwise the exit code of the first rank that failed.
// `master_port` 0 picks a free port. When a rank other than 0 fails, the others get `grace` to stop by themselves
// (rank 0 to finish what it writes and say why) before they are killed; when rank 0 fails, at once.
int launch_local(int nproc, const std::vector<std::string>& args, int master_port, std::chrono::seconds grace);

} // namespace gs::cli
