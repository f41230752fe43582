"""Stan's library beyond what pplc implements: such names are reported as
unsupported (or removed from Stan), not answered with a "did you mean"."""
from __future__ import annotations

from ppl.stdlib import known_names

from .errors import did_you_mean


# Stan's library beyond what pplc implements: named as unsupported, not "did you mean"
STAN_DISTRIBUTIONS = {
    "multi_normal", "multi_normal_cholesky", "multi_normal_prec", "multi_student_t",
    "multi_student_t_cholesky", "multi_gp", "multi_gp_cholesky", "gaussian_dlm_obs", "lkj_corr",
    "lkj_corr_cholesky", "lkj_cov", "wishart", "wishart_cholesky", "inv_wishart",
    "inv_wishart_cholesky", "dirichlet", "dirichlet_multinomial", "categorical", "categorical_logit",
    "categorical_logit_glm", "multinomial", "multinomial_logit", "ordered_logistic", "ordered_probit",
    "skew_normal", "skew_double_exponential", "von_mises", "pareto", "pareto_type_2", "rayleigh",
    "frechet", "gumbel", "chi_square", "inv_chi_square", "scaled_inv_chi_square", "exp_mod_normal",
    "beta_binomial", "beta_neg_binomial", "hypergeometric", "neg_binomial", "neg_binomial_2_log",
    "neg_binomial_2_log_glm", "poisson_log_glm", "bernoulli_logit_glm", "normal_id_glm", "wiener",
    "discrete_range", "loglogistic", "beta_proportion", "binomial_logit_glm", "std_normal",
}
STAN_FUNCTIONS = {
    "diag_pre_multiply", "diag_post_multiply", "cholesky_decompose", "inverse", "inverse_spd",
    "determinant", "log_determinant", "log_determinant_spd", "eigenvalues_sym", "eigenvectors_sym",
    "eigenvalues", "eigenvectors", "singular_values", "svd_U", "svd_V", "qr_Q", "qr_R", "qr_thin_Q",
    "qr_thin_R", "crossprod", "tcrossprod", "quad_form", "quad_form_sym", "quad_form_diag",
    "trace_quad_form", "multiply_lower_tri_self_transpose", "to_matrix", "to_array_2d", "to_int",
    "to_complex", "sort_asc", "sort_desc", "sort_indices_asc", "sort_indices_desc", "rank", "reverse",
    "norm1", "norm2", "columns_dot_product", "rows_dot_product", "columns_dot_self", "rows_dot_self",
    "matrix_exp", "matrix_exp_multiply", "matrix_power", "trace", "block", "sub_col", "sub_row",
    "linspaced_vector", "linspaced_row_vector", "linspaced_array", "linspaced_int_array",
    "one_hot_vector", "one_hot_row_vector", "one_hot_array", "one_hot_int_array", "zeros_vector",
    "zeros_row_vector", "zeros_array", "zeros_int_array", "ones_vector", "ones_row_vector",
    "ones_array", "ones_int_array", "uniform_simplex", "identity_matrix", "add_diag", "diagonal",
    "choose", "trigamma", "binary_log_loss", "owens_t", "exp2", "fma", "inc_beta", "gamma_p",
    "gamma_q", "bessel_first_kind", "bessel_second_kind", "modified_bessel_first_kind",
    "modified_bessel_second_kind", "log_modified_bessel_first_kind", "falling_factorial",
    "rising_factorial", "log_falling_factorial", "log_rising_factorial", "lambert_w0", "lambert_wm1",
    "log_inv_logit_diff", "algebra_solver", "algebra_solver_newton", "solve_newton", "solve_powell",
    "map_rect", "reduce_sum", "reduce_sum_static", "ode_rk45", "ode_rk45_tol", "ode_bdf",
    "ode_bdf_tol", "ode_adams", "ode_adams_tol", "ode_ckrk", "ode_adjoint_tol_ctl", "integrate_1d",
    "hmm_marginal", "hmm_latent_rng", "hmm_hidden_state_prob", "csr_matrix_times_vector",
    "csr_extract_w", "csr_extract_v", "csr_extract_u", "csr_to_dense_matrix", "mdivide_left_tri_low",
    "mdivide_right_tri_low", "mdivide_left_spd", "mdivide_right_spd", "mdivide_left", "mdivide_right",
    "cov_exp_quad", "gp_exp_quad_cov", "gp_matern32_cov", "gp_matern52_cov", "gp_periodic_cov",
    "gp_dot_prod_cov", "gp_exponential_cov", "cholesky_factor_corr_constrain", "log_softmax",
    "cumulative_sum", "abs2", "logical_negation", "is_inf", "get_real", "get_imag", "complex_schur_decompose",
    "fft", "inv_fft", "fft2", "inv_fft2", "svd", "eigendecompose_sym", "eigendecompose", "csr_matrix",
    "norm", "polar", "conj", "arg", "proj", "int_step", "inv_erfc", "inv_inc_beta", "log_inc_beta",
    "std_normal_log_qf", "std_normal_qf", "inv_cloglog", "log1p_exp", "logical_or", "logical_and",
    "num_elements", "dims", "print", "sum", "max", "min", "prod", "mean", "variance", "sd",
}
# Removed from Stan: what to write instead
STAN_REMOVED = {
    "increment_log_prob": "'increment_log_prob(...)' was removed from Stan; use 'target += ...'",
    "get_lp": "'get_lp()' was removed from Stan; use 'target()'",
    "if_else": "'if_else(c, a, b)' was removed from Stan; use the conditional operator 'c ? a : b'",
    "integrate_ode": "'integrate_ode' was removed from Stan (and ODE solvers are not supported)",
    "integrate_ode_rk45": "'integrate_ode_rk45' was removed from Stan (and ODE solvers are not supported)",
    "integrate_ode_bdf": "'integrate_ode_bdf' was removed from Stan (and ODE solvers are not supported)",
    "integrate_ode_adams": "'integrate_ode_adams' was removed from Stan (and ODE solvers are not supported)",
}


def unknown_callable_message(name: str, what: str) -> str:
    """Why ``name`` cannot be called: removed from Stan, in Stan but not in pplc, or a typo."""
    from ppl.stdlib.distributions import DISTRIBUTIONS
    if name in STAN_REMOVED:
        return STAN_REMOVED[name]
    base, _, suffix = name.rpartition("_")
    if name.endswith(("_cdf_log", "_ccdf_log")):
        dist = name.rsplit("_", 2)[0]
        new = "lcdf" if name.endswith("_cdf_log") else "lccdf"
        return f"'{name}' was removed from Stan; use '{dist}_{new}(y | ...)'"
    if suffix == "log" and base in DISTRIBUTIONS:
        new = "lpmf" if DISTRIBUTIONS[base].discrete else "lpdf"
        return f"'{name}' was removed from Stan; use '{base}_{new}(y | ...)'"
    if name in STAN_DISTRIBUTIONS or suffix in ("lpdf", "lpmf", "lupdf", "lupmf", "rng", "log", "cdf",
                                                "lcdf", "lccdf") \
            and base in STAN_DISTRIBUTIONS:
        dist = name if name in STAN_DISTRIBUTIONS else base
        return f"the distribution '{dist}' is part of Stan but not supported by pplc yet"
    if name in STAN_FUNCTIONS:
        return f"the function '{name}' is part of Stan but not supported by pplc yet"
    return f"unknown {what} '{name}'" + did_you_mean(name, known_names() if what == "function" else dist_names())


def dist_names():
    from ppl.stdlib.distributions import DISTRIBUTIONS
    return list(DISTRIBUTIONS)
