// keep_freed_memory(): large blocks come from the heap and stay there for the next forward pass, until
// release_freed_memory() hands them back. set_threads(): LibTorch's and OpenBLAS's thread counts move together.
#include "core/runtime.h"

#include <QtTest>
#include <torch/torch.h>

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <thread>

#include <malloc.h>

class TestRuntime : public QObject {
  Q_OBJECT

private Q_SLOTS:
  void large_blocks_are_kept_for_reuse_until_released() {
    if (std::getenv("GLIBC_TUNABLES") || std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_"))
      QSKIP("the environment tunes malloc itself");
    gs::keep_freed_memory();
    constexpr size_t kBlock = size_t{96} << 20; // above glibc's largest default mmap threshold (32 MiB)
    const size_t mapped_before = mallinfo2().hblkhd;
    void* p = std::malloc(kBlock);
    QVERIFY(p);
    std::memset(p, 1, kBlock);
    QCOMPARE(mallinfo2().hblkhd, mapped_before); // from the heap, not a mapping of its own
    std::free(p);
    const size_t heap_after_free = mallinfo2().arena;
    QVERIFY(heap_after_free >= kBlock); // not trimmed: the next block this size reuses these pages
    gs::release_freed_memory();
    QVERIFY(mallinfo2().arena + kBlock / 2 <= heap_after_free);
  }

  void openblas_takes_threads_only_for_matrix_products() {
    using GetThreads = int (*)();
    const auto openblas = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    if (!openblas) QSKIP("LibTorch is not using OpenBLAS here");
    if (std::getenv("OPENBLAS_NUM_THREADS")) QSKIP("OPENBLAS_NUM_THREADS is set: the user's count wins");
    // OpenBLAS caps its count at the cores it found.
    for (const int n : {1, std::min(2, static_cast<int>(std::thread::hardware_concurrency()))}) {
      gs::set_threads(n);
      QCOMPARE(at::get_num_threads(), n);
      QCOMPARE(openblas(), 1); // its pool beside LibTorch's would oversubscribe the cores
      {
        const gs::MatrixProductThreads products;
        QCOMPARE(openblas(), n);
        QCOMPARE(at::get_num_threads(), 1);
        {
          const gs::MatrixProductThreads nested; // leaves the outer scope's settings as they are
          QCOMPARE(openblas(), n);
        }
        QCOMPARE(openblas(), n);
      }
      QCOMPARE(openblas(), 1);
      QCOMPARE(at::get_num_threads(), n);
    }
  }
};

QTEST_APPLESS_MAIN(TestRuntime)
#include "test_runtime.moc"
