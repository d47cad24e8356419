//===- Generator.h - Random valid dynamic graphs ----------------*- C++ -*-===//
//
// One seed, one module: graph @main over a batch of N samples (symbolic
// N; features C), built from the structures dlc exists for: nested if and
// loop (data-dependent trip counts, loop-carried values, scan outputs),
// data-dependent sizes (nonzero, topk, unique), per-sample where, dense
// mixtures of experts (top-k routing, gates scattered into a dense
// matrix), row gather/scatter, broadcasting, reductions, matmul and conv,
// and dtype changes. Every node is built through ir/Builder, so the graph
// is valid by construction (its types inferred).
//
// Numerics are chosen so that backends cannot disagree on decisions:
// inputs and weights are small dyadic rationals (multiples of 1/8 and
// 1/4), and the generator tracks which values stay exact in f32 (sums and
// products of such numbers, while their magnitude and fraction bits fit in
// the mantissa). Only exact values feed decisions (comparisons, argmax,
// topk, nonzero, loop conditions), so every backend takes the same branch
// and picks the same rows whatever its summation order; inexact values
// (tanh, exp, softmax, means) are compared with tolerances.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_TESTS_DIFF_GENERATOR_H
#define DLC_TESTS_DIFF_GENERATOR_H

#include "ir/Interpreter.h"

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

namespace dlc::difftest {

/// The module of `seed` (the same on every machine: the generator uses
/// only the raw engine, never the library's distributions).
std::unique_ptr<Module> generateModule(uint64_t seed);

/// Random inputs for `graph` with every symbol of its input types bound to
/// `size`: dyadic values (multiples of 1/8 in [-2, 2]) for floats, small
/// integers, booleans.
std::vector<TensorRef> generateInputs(const Graph &graph, int64_t size, uint64_t seed);

} // namespace dlc::difftest

#endif // DLC_TESTS_DIFF_GENERATOR_H
