//===- DependencySmokeTest.cpp - Halide 14 and MLIR 19 in one process ----===//

#include "DependencySmoke.h"

#include <gtest/gtest.h>

namespace dlc::smoke {
namespace {

TEST(DependencySmoke, HalideAndMlirJitInOneProcess) {
  std::vector<int> halide = runHalideJit(5);
  EXPECT_EQ(halide, (std::vector<int>{1, 3, 5, 7, 9}));

  std::optional<int64_t> mlir = runMlirJit(6, 7);
  ASSERT_TRUE(mlir.has_value());
  EXPECT_EQ(*mlir, 6 * 7 + 6);

  // Halide again after MLIR's LLVM has been initialized.
  EXPECT_EQ(runHalideJit(3), (std::vector<int>{1, 3, 5}));
}

} // namespace
} // namespace dlc::smoke
