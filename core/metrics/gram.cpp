#include "core/metrics/gram.h"

#include <torch/torch.h>

#include <algorithm>

#ifdef GANSTUDIO_HAVE_BLAS
extern "C" void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha,
                       const double* a, const int* lda, const double* beta, double* c, const int* ldc);
extern "C" void dtrmm_(const char* side, const char* uplo, const char* transa, const char* diag, const int* m,
                       const int* n, const double* alpha, const double* a, const int* lda, double* b, const int* ldb);
#endif

namespace gs::metrics {
namespace {

#ifdef GANSTUDIO_HAVE_BLAS
bool blas_fits(const at::Tensor& x) {
  return x.is_cpu() && x.scalar_type() == at::kDouble && x.is_contiguous() && x.size(0) < (int64_t{1} << 31) &&
         x.size(1) < (int64_t{1} << 31);
}
#endif

} // namespace

void add_gram_upper(at::Tensor& c, const at::Tensor& x) {
#ifdef GANSTUDIO_HAVE_BLAS
  if (blas_fits(x) && c.is_contiguous()) {
    // Row-major x [n, d] is column-major A = xᵀ [d, n]: A Aᵀ into the column-major lower triangle, which is the
    // row-major upper one.
    const int d = static_cast<int>(x.size(1)), n = static_cast<int>(x.size(0));
    const double one = 1;
    dsyrk_("L", "N", &d, &n, &one, x.data_ptr<double>(), &d, &one, c.data_ptr<double>(), &d);
    return;
  }
#endif
  c.addmm_(x.t(), x);
}

at::Tensor gram_rows_upper(const at::Tensor& x) {
#ifdef GANSTUDIO_HAVE_BLAS
  if (blas_fits(x)) {
    // Column-major A = xᵀ [d, n]: Aᵀ A = x xᵀ into the column-major lower triangle = row-major upper one.
    const int n = static_cast<int>(x.size(0)), d = static_cast<int>(x.size(1));
    const double one = 1, zero = 0;
    at::Tensor c = at::zeros({n, n}, x.options());
    dsyrk_("L", "T", &n, &d, &one, x.data_ptr<double>(), &d, &zero, c.data_ptr<double>(), &n);
    return c;
  }
#endif
  return x.mm(x.t()).triu();
}

at::Tensor lower_congruence(const at::Tensor& l, const at::Tensor& s) {
#ifdef GANSTUDIO_HAVE_BLAS
  const at::Tensor lc = l.contiguous();
  if (blas_fits(lc) && blas_fits(s)) {
    // Row-major L is column-major U = Lᵀ, and the symmetric S is itself either way: U S Uᵀ in column-major is
    // Lᵀ S L, by two triangular products (half a general product's work each).
    const int n = static_cast<int>(s.size(0));
    const double one = 1;
    at::Tensor b = s.contiguous().clone();
    dtrmm_("R", "U", "T", "N", &n, &n, &one, lc.data_ptr<double>(), &n, b.data_ptr<double>(), &n);
    dtrmm_("L", "U", "N", "N", &n, &n, &one, lc.data_ptr<double>(), &n, b.data_ptr<double>(), &n);
    return b;
  }
#endif
  return l.t().mm(s).mm(l);
}

at::Tensor symmetric_from_upper(const at::Tensor& c) {
  if (!c.is_cpu() || c.scalar_type() != at::kDouble) return c.triu() + c.triu(1).t();
  // Copies the upper triangle onto the lower one tile by tile: reading the transpose element by element walks the
  // whole matrix with a stride of one row per element (0.15 s at 2048 x 2048, against about 10 ms this way).
  at::Tensor out = c.contiguous().clone();
  const int64_t n = out.size(0);
  double* p = out.data_ptr<double>();
  constexpr int64_t tile = 64;
  at::parallel_for(0, (n + tile - 1) / tile, 1, [&](int64_t first, int64_t last) {
    for (int64_t bi = first; bi < last; ++bi)
      for (int64_t bj = 0; bj <= bi; ++bj)
        for (int64_t i = bi * tile; i < std::min(n, (bi + 1) * tile); ++i)
          for (int64_t j = bj * tile; j < std::min(i, (bj + 1) * tile); ++j) p[i * n + j] = p[j * n + i];
  });
  return out;
}

} // namespace gs::metrics
