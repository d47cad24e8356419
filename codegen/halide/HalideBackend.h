//===- HalideBackend.h - Fused kernels as Halide pipelines ------*- C++ -*-===//
//
// Lowers kernels (a fusion's body, or a single op) to Halide 14 pipelines,
// compiles them ahead of time for a target built from CPUID, and links them
// with one copy of Halide's runtime into a shared object the dlc runtime
// loads from the artifact. Symbolic dims are run-time extents: the kernel
// takes the value of every symbol its sizes use as an int32 parameter, so
// one compiled kernel serves every size.
//
// Halide.h stays inside this library's .cpp (it must never meet LLVM 19's
// headers); this header has no Halide type.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_CODEGEN_HALIDE_HALIDEBACKEND_H
#define DLC_CODEGEN_HALIDE_HALIDEBACKEND_H

#include "ir/Graph.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dlc {

class HalideBackend {
public:
  /// `target`: a Halide target string; empty: hostTarget(). `schedule`:
  /// "manual" (dlc's hand schedules) or "auto:NAME" (Halide 14's
  /// autoscheduler plugin NAME: Adams2019, Li2018, Mullapudi2016), tuned for
  /// symbol sizes of `estimate`.
  explicit HalideBackend(std::string target = "", std::string schedule = "manual",
                         int64_t estimate = 128);
  ~HalideBackend();

  /// The target for this CPU, from CPUID: the AVX-512 baseline DESIGN.md
  /// names (sapphirerapids only with AMX and AVX512-FP16), else AVX2/FMA,
  /// else SSE4.1. Never Halide 14's `host` (it crashes on Zen 4).
  static std::string hostTarget();
  /// Loads autoscheduler plugin `name` once; "" or why it cannot.
  static std::string loadAutoscheduler(const std::string &name);

  struct Kernel {
    std::string name;
    /// Buffers the kernel takes, in order: these values' buffers, then its
    /// results' buffers.
    std::vector<const Value *> inputs;
    /// Symbols whose values it takes (int32), after the buffers.
    std::vector<std::string> symbols;
  };

  /// Lowers the kernel that reads `inputs`, runs `nodes` (in order; weight
  /// and large constant nodes among them become inputs) and returns
  /// `outputs`. Nullopt, with the reason in `why`, if an op, a dtype or a
  /// broadcast is not covered: the caller then runs it on the reference
  /// kernels.
  std::optional<Kernel> add(const std::vector<const Value *> &inputs,
                            const std::vector<const Node *> &nodes,
                            const std::vector<const Value *> &outputs, std::string &why);

  size_t size() const;

  /// Compiles every kernel added and links them with the Halide runtime
  /// into one shared object (its bytes); empty with `error` set on failure.
  std::vector<uint8_t> link(std::string &error);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace dlc

#endif // DLC_CODEGEN_HALIDE_HALIDEBACKEND_H
