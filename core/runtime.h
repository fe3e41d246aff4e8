// Process-wide engine settings every front end (CLI, GUI, benchmarks) applies once at start-up.
#pragma once

namespace gs {

// Applies keep_freed_memory() and uses every core for intra-op parallelism unless OMP_NUM_THREADS says otherwise
// (Debian's LibTorch otherwise starts with a single OpenMP thread on some machines), through set_threads(). Returns
// the thread count in effect.
int init_runtime();

// Sets LibTorch's intra-op threads, and OpenBLAS (Debian's BLAS, loaded by LibTorch, which does not pass its count on)
// to one thread unless OPENBLAS_NUM_THREADS chose otherwise. OpenBLAS's own pool of waiting threads beside LibTorch's
// OpenMP threads oversubscribed the cores: on 2 cores it made the demos' training steps 1.05–1.6× slower and diversity
// scoring 2.4–3.5× slower, most of the time spent yielding (docs/benchmarks.md, "Threads"). Large matrix products
// (the metrics) take every thread through MatrixProductThreads instead.
void set_threads(int threads);

// For the scope of code whose time is in large matrix products (FID's scatter, KID's kernels, PRDC's distances), the
// other way round: OpenBLAS takes the threads LibTorch had, and LibTorch one, until the outermost such scope on this
// thread ends. With one OpenBLAS thread these were 1.5–1.9× slower; with both pools at two threads, KID 1.2×.
class MatrixProductThreads {
public:
  MatrixProductThreads();
  ~MatrixProductThreads();
  MatrixProductThreads(const MatrixProductThreads&) = delete;
  MatrixProductThreads& operator=(const MatrixProductThreads&) = delete;

private:
  int threads_;
};

// LibTorch allocates every CPU tensor with the C library's allocator. glibc hands blocks above its mmap threshold
// (dynamic, at most 32 MiB) straight to the kernel and unmaps them on free, so every large activation of every
// forward pass faults its pages in again: the StyleGAN2 demo's benchmark spent more time in the kernel than in
// convolutions (10.5 million page faults). This keeps freed blocks in the heap for reuse instead. No-op elsewhere.
void keep_freed_memory();

// Whether the CPU runs AVX2 with FMA, which the hand-vectorised kernels (the direct routes of core/models, the output
// tanh) are compiled for and take only where this holds. False off x86-64.
bool cpu_has_avx2_fma();
// Whether it also runs AVX-512F: those kernels then work on 16 floats at a time.
bool cpu_has_avx512f();

// The vectors a hand-vectorised kernel computes with: the widest the CPU runs, or at most AVX2's 8 floats even where
// AVX-512 runs (for tests and benchmarks: the form CPUs without AVX-512 take).
enum class VectorWidth { Widest, Avx2 };

// Gives the heap's free pages back to the system, for when a long job has ended and the process stays up (the GUI).
void release_freed_memory();

} // namespace gs
