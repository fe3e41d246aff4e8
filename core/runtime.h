// Process-wide engine settings every front end (CLI, GUI, benchmarks) applies once at start-up.
#pragma once

namespace gs {

// Applies keep_freed_memory() and uses every core for intra-op parallelism unless OMP_NUM_THREADS says otherwise
// (Debian's LibTorch otherwise starts with a single OpenMP thread on some machines). Returns the thread count in
// effect.
int init_runtime();

// Sets LibTorch's intra-op threads and those of OpenBLAS (Debian's BLAS, loaded by LibTorch), which LibTorch does not
// pass its count on to: without this, a "one-thread" run still multiplies matrices on every core.
void set_threads(int threads);

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
