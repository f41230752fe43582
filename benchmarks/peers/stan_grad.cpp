// Stan's gradient, timed in C++ with the model built once.
//
// httpstan's extension module rebuilds the model from a Python dict on every
// log_prob_grad call, which on these data sets costs more than the gradient;
// this driver is compiled against the C++ that httpstan generated for the
// model (passed with -include) and httpstan's bundled Stan headers, reads the
// data once, and loops over the points.
//
//   stan_grad DATA.json POINTS.txt MIN_SECONDS
//
// POINTS.txt: first line "n d", then n rows of d unconstrained values.
// Prints, per point, "lp <log density with constants and Jacobian> <gradient...>",
// then "us_per_grad <microseconds>" for log_prob_grad<propto=true, jacobian=true>
// (the call Stan's samplers make) over the points repeatedly for MIN_SECONDS.
#include <stan/io/json/json_data.hpp>
#include <stan/model/log_prob_grad.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: stan_grad DATA.json POINTS.txt MIN_SECONDS\n";
    return 2;
  }
  std::ifstream data_stream(argv[1]);
  stan::json::json_data data(data_stream);
  stan_model model(data, 0, &std::cerr);

  std::ifstream pts(argv[2]);
  size_t n, d;
  pts >> n >> d;
  if (d != model.num_params_r()) {
    std::cerr << "expected " << model.num_params_r() << " unconstrained parameters, got " << d << "\n";
    return 2;
  }
  std::vector<std::vector<double>> points(n, std::vector<double>(d));
  for (auto& p : points)
    for (auto& x : p) pts >> x;
  double min_seconds = std::atof(argv[3]);

  std::vector<int> params_i;
  std::vector<double> grad;
  for (auto& p : points) {
    double lp = stan::model::log_prob_grad<false, true>(model, p, params_i, grad, &std::cerr);
    std::printf("lp %.17g", lp);
    for (double g : grad) std::printf(" %.17g", g);
    std::printf("\n");
  }

  using clock = std::chrono::steady_clock;
  double sink = 0;
  size_t calls = 0;
  auto t0 = clock::now();
  double elapsed = 0;
  while (elapsed < min_seconds) {
    for (auto& p : points) {
      sink += stan::model::log_prob_grad<true, true>(model, p, params_i, grad, &std::cerr);
      ++calls;
    }
    elapsed = std::chrono::duration<double>(clock::now() - t0).count();
  }
  std::printf("us_per_grad %.6g\n", 1e6 * elapsed / calls);
  std::printf("sink %g\n", sink);
  return 0;
}
