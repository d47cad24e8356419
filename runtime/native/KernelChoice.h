//===- KernelChoice.h - Kernel choices measured on this CPU -----*- C++ -*-===//
//
// Which of two kernels computes a product is decided by timing both on the
// machine at hand, not by thresholds measured on another: once per CPU
// model (the first time a product large enough for the choice to matter
// runs), kept in dlc's cache directory beside the compiled kernels, and
// measured again when a program runs on a CPU the cache has not seen.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_NATIVE_KERNELCHOICE_H
#define DLRT_NATIVE_KERNELCHOICE_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dlrt::native {

/// dlc's cache directory (compiled kernels, measured choices):
/// $DLC_CACHE_DIR ("off": none), else $XDG_CACHE_HOME/dlc, else
/// ~/.cache/dlc; empty if none.
std::string cacheDirectory();

/// This CPU: its brand string, family/model/stepping and vector ISA, as a
/// file name's characters.
std::string cpuKey();

/// The matmul kernel choice: products whose every dim (m, n, depth) is at
/// least `openblasFrom` go to OpenBLAS, the others to dlc's kernel; 0: none
/// do.
struct GemmChoice {
  int64_t openblasFrom = 0;
  std::string cpu;    ///< the CPU it was measured on
  std::string origin; ///< "measured", the cache file read, or the override
  /// Per size measured: {size, dlc ms, OpenBLAS ms} (empty when read).
  std::vector<std::vector<double>> timings;
};

/// The cubes the two kernels are compared on, smallest first.
const std::vector<int64_t> &gemmChoiceSizes();

/// The choice from per-size times: the smallest size from which on
/// OpenBLAS is faster (by 3%, the noise) at every size measured; 0 if none.
int64_t chooseOpenblasFrom(const std::vector<std::vector<double>> &timings);

/// The choice for `cpu`: read from `dir` (empty: no cache) when it holds
/// one for that CPU, else measured by `time(size, openblas)` (milliseconds
/// of one size^3 product) and written there (atomically: racing processes
/// write the same).
GemmChoice loadOrMeasureGemmChoice(const std::string &dir, const std::string &cpu,
                                   const std::function<double(int64_t, bool)> &time);

} // namespace dlrt::native

#endif // DLRT_NATIVE_KERNELCHOICE_H
