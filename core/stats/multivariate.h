/* The multivariate drift statistics of docs/statistics.md on plain row-major matrices: standardising
 * rows against a reference, PCA reconstruction error with its chunk thresholds, and the MMD
 * permutation test. Pure computation (no profile, no window tables): analyze.c feeds them. */
#ifndef DW_DRIFT_MULTIVARIATE_H
#define DW_DRIFT_MULTIVARIATE_H

#include <stddef.h>
#include <stdint.h>

/* ---- standardising ---- */

/* z[i][j] = (x[i][j] - mean[j]) / s[j] with s = std[j], or 1 when std[j] is 0 or not finite;
 * a missing value (NAN) is imputed with mean[j] first (so z = 0). A column whose mean is not
 * finite (no reference values at all) is 0 in every row: it carries no information.
 * x and z are n x p row-major and may be the same array. */
void mv_standardise(const double *x, size_t n, size_t p, const double *mean, const double *std, double *z);

/* ---- pca_reconstruction (NannyML's data reconstruction drift) ---- */

#define PCA_VARIANCE_RATIO 0.65
#define PCA_CHUNKS 10

struct pca_model {
    size_t p;           /* features */
    size_t k;           /* components kept */
    double *mu;         /* p: the fitted rows' column means */
    double *w;          /* p x k row-major: the kept principal directions (orthonormal columns) */
    double explained;   /* cumulative explained variance ratio of the k kept (NAN: no variance) */
};

/* PCA of z (n x p, n >= 1) centred by its own column means; keeps the fewest components whose
 * cumulative explained variance ratio >= min_ratio. Rows with no variance at all (one row, all
 * equal) keep 0 components: the reconstruction is mu. Uses the p x p covariance and GSL's
 * symmetric eigensolver when n >= p, else the SVD of the n x p centred matrix (transposed, since
 * gsl_linalg_SV_decomp needs rows >= columns). Returns 0, or -1 out of memory. */
int pca_fit(const double *z, size_t n, size_t p, double min_ratio, struct pca_model *m);
void pca_clear(struct pca_model *m);

/* Mean over the n rows of z of the Euclidean norm of (z - mu) - (z - mu) W W^T; NAN when n == 0. */
double pca_error(const struct pca_model *m, const double *z, size_t n);

/* docs/data-formats.md's chunk thresholds on the reconstruction error: the n rows of z (file order) cut
 * into `chunks` chunks of floor(n / chunks) rows, the remainder joining the last; lower/upper =
 * mean -/+ 3 std (ddof = 0) of the errors of the non-empty chunks, lower clipped at 0 (an error is
 * a norm); both NAN when fewer than 2 chunks are non-empty. */
void pca_thresholds(const struct pca_model *m, const double *z, size_t n, size_t chunks, double *lower,
                    double *upper);

/* ---- mmd (Gretton et al. 2012) ---- */

#define MMD_MAX_ROWS 1000
#define MMD_PERMUTATIONS 200

struct mmd_result {
    double statistic; /* unbiased MMD^2 */
    double p_value;   /* (1 + #{MMD^2_perm >= MMD^2}) / (B + 1) */
    double sigma2;    /* the kernel's bandwidth: median squared distance of the pooled sample */
    size_t n, m;      /* rows used per side after subsampling */
};

/* The row index of the i-th of m rows taken evenly spaced from n: floor(i * n / m). */
size_t mmd_take(size_t n, size_t m, size_t i);

/* MMD test of x (n x p) against y (m x p), both standardised: at most max_rows of each side
 * taken evenly spaced, Gaussian kernel exp(-d^2 / (2 sigma^2)) with sigma^2 the median of the
 * squared distances between all pairs of different rows of the pooled sample (numpy's median;
 * 0 -> 1, when every row is equal), the unbiased MMD^2, and the permutation p-value from B
 * seeded shuffles of the pooled rows (the kernel matrix is computed once). Needs n, m >= 2.
 * Returns 0, -1 out of memory, -2 too few rows. */
int mmd_test(const double *x, size_t n, const double *y, size_t m, size_t p, size_t max_rows, unsigned permutations,
             uint64_t seed, struct mmd_result *r);

#endif
