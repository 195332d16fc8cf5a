// The fused read's two sweeps over raw logits (see fused-read.cpp); built with -ffast-math.
#include <algorithm>
#include <cmath>

struct Top { float logit; int id; };

float fused_read(const float * logits, int n, int top_n, Top * top, float * max_out) {
    // Sweep 1: the max, and the top N in a min-heap (most logits fail the first comparison).
    int filled = 0;
    const auto worse = [](const Top & a, const Top & b) { return a.logit > b.logit; };
    float max = logits[0];
    for (int i = 0; i < n; i++) {
        const float l = logits[i];
        max = l > max ? l : max;
        if (filled < top_n) {
            top[filled++] = { l, i };
            std::push_heap(top, top + filled, worse);
        } else if (l > top[0].logit) {
            std::pop_heap(top, top + filled, worse);
            top[filled - 1] = { l, i };
            std::push_heap(top, top + filled, worse);
        }
    }
    // Sweep 2: Σ exp(logit - max), which the compiler vectorises.
    float sum = 0.0f;
    for (int i = 0; i < n; i++) sum += std::exp(logits[i] - max);
    std::sort_heap(top, top + filled, worse);
    *max_out = max;
    return sum;
}
