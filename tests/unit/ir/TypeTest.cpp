//===- TypeTest.cpp - DType, Dim and TensorType --------------------------===//

#include "ir/Type.h"
#include "ir/Check.h"

#include <gtest/gtest.h>

namespace dlc {
namespace {

TEST(TypeTest, DTypeNamesRoundTrip) {
  for (DType type : kAllDTypes)
    EXPECT_EQ(parseDType(dtypeName(type)), type);
  EXPECT_FALSE(parseDType("f31").has_value());
  EXPECT_EQ(dtypeSize(DType::BF16), 2);
  EXPECT_EQ(dtypeSize(DType::Bool), 1);
}

TEST(TypeTest, PrintsDims) {
  TensorType type(DType::F32, {Dim::symbol("N"), 3, Dim::unknown()});
  EXPECT_EQ(type.str(), "f32[N,3,?]");
  EXPECT_EQ(TensorType(DType::I64, {}).str(), "i64[]");
  EXPECT_EQ(TensorType::unranked(DType::Bool).str(), "bool[*]");
}

TEST(TypeTest, NumElementsIsOverflowSafe) {
  EXPECT_EQ(TensorType(DType::F32, {2, 3, 4}).numElements(), 24);
  EXPECT_EQ(TensorType(DType::F32, {}).numElements(), 1);
  EXPECT_EQ(TensorType(DType::F32, {0, kMaxDimSize}).numElements(), 0);
  TensorType huge(DType::F32, {kMaxDimSize, kMaxDimSize});
  EXPECT_FALSE(huge.numElements().has_value());
  EXPECT_FALSE(TensorType(DType::F32, {10, 10}).numElements(99).has_value());
  EXPECT_FALSE(
      TensorType(DType::F32, {Dim::symbol("N")}).numElements().has_value());
}

TEST(TypeTest, Compatibility) {
  TensorType a(DType::F32, {Dim::symbol("N"), 4});
  TensorType b(DType::F32, {Dim::unknown(), 4});
  TensorType c(DType::F32, {Dim::symbol("M"), 4});
  EXPECT_TRUE(a.compatibleWith(b));
  EXPECT_FALSE(a.compatibleWith(c));
  EXPECT_FALSE(a.compatibleWith(a.withDType(DType::F16)));
  EXPECT_TRUE(a.compatibleWith(TensorType::unranked(DType::F32)));
  EXPECT_FALSE(a.compatibleWith(TensorType(DType::F32, {4})));
}

} // namespace
} // namespace dlc

namespace dlc {
namespace {

// Compiler bugs (never user input) end the process with status 2, the
// driver's "internal error" code.
TEST(CheckDeathTest, InternalErrorExitsWithStatusTwo) {
  EXPECT_EXIT(Dim(-1), ::testing::ExitedWithCode(2),
              "dlc: internal error: static dim out of range");
}

} // namespace
} // namespace dlc
