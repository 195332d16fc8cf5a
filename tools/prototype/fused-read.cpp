// What one position's read of the logits would cost as one fused read over the raw logits, against
// the reads node-llama-cpp 3.22.1 makes today. Each of today's reads fills a vocabulary-sized
// llama_token_data array (under the context's sampler mutex) and runs llama.cpp's samplers on it:
// greedy plus a scalar Σ expf for the normaliser, top-k's partial sort for the top N. The fused
// read sweeps the raw float logits (as llama_get_logits_ith returns them) twice, with no candidate
// array: max and a top-N heap, then Σ exp(logit - max). Benchmark only: never shipped.
//
//   fused-read VOCAB TOP_N REPS   → one JSON line of medians, in ms
#include "llama.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

struct Top { float logit; int id; };
// fused-sweep.cpp, compiled with -ffast-math so the Σ exp sweep vectorises.
float fused_read(const float * logits, int n, int top_n, Top * top, float * max_out);

static double median(std::vector<double> xs) {
    std::sort(xs.begin(), xs.end());
    return xs[xs.size() / 2];
}

template <typename F> static double time_ms(F && f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

int main(int argc, char ** argv) {
    const int V = argc > 1 ? std::atoi(argv[1]) : 151936;
    const int N = argc > 2 ? std::atoi(argv[2]) : 8;
    const int reps = argc > 3 ? std::atoi(argv[3]) : 200;
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 2.0f);
    std::vector<float> logits(V);
    for (auto & l : logits) l = normal(rng);
    std::vector<llama_token_data> cand(V);
    llama_sampler * greedy = llama_sampler_init_greedy();
    llama_sampler * top_k = llama_sampler_init_top_k(N);
    const auto fill = [&](llama_token_data_array & a) {
        for (int i = 0; i < V; i++) cand[i] = llama_token_data{ i, logits[i], 0.0f };
        a = { cand.data(), (size_t) V, -1, false };
    };
    std::vector<double> plain, norm, top, fused;
    volatile float sink = 0;
    for (int r = 0; r < reps; r++) {
        llama_token_data_array a;
        plain.push_back(time_ms([&] { fill(a); llama_sampler_apply(greedy, &a); sink = sink + a.selected; }));
        norm.push_back(time_ms([&] {
            fill(a);
            llama_sampler_apply(greedy, &a);
            float max = a.data[0].logit;
            for (size_t i = 0; i < a.size; i++) max = std::max(max, a.data[i].logit);
            float sum = 0.0f;
            for (size_t i = 0; i < a.size; i++) sum += expf(a.data[i].logit - max);
            sink = sink + sum;
        }));
        top.push_back(time_ms([&] { fill(a); llama_sampler_apply(top_k, &a); sink = sink + a.data[0].logit; }));
        std::vector<Top> heap(N);
        fused.push_back(time_ms([&] { float max; sink = sink + fused_read(logits.data(), V, N, heap.data(), &max); }));
    }
    llama_sampler_free(greedy);
    llama_sampler_free(top_k);
    std::printf("{\"vocab\": %d, \"topN\": %d, \"plainReadMs\": %.4f, \"normalizerReadMs\": %.4f, \"topReadMs\": %.4f, \"fusedReadMs\": %.4f}\n",
        V, N, median(plain), median(norm), median(top), median(fused));
    return 0;
}
