//===- TensorTest.cpp - Tensor payloads and 16-bit float conversions -----===//

#include "ir/Tensor.h"

#include <gtest/gtest.h>

#include <cmath>

namespace dlc {
namespace {

TEST(TensorTest, HalfConversionsRoundTripEveryHalf) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    float value = halfToFloat(static_cast<uint16_t>(bits));
    if (std::isnan(value))
      continue;
    EXPECT_EQ(floatToHalf(value), bits) << "bits " << bits;
  }
}

TEST(TensorTest, HalfRoundsToNearestEven) {
  EXPECT_EQ(halfToFloat(floatToHalf(1.0f + 1.0f / 4096)), 1.0f); // tie -> even
  EXPECT_EQ(halfToFloat(floatToHalf(65504.0f)), 65504.0f);
  EXPECT_TRUE(std::isinf(halfToFloat(floatToHalf(65520.0f))));
  EXPECT_EQ(halfToFloat(floatToHalf(5.9604645e-08f)), 5.9604645e-08f);
  EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(NAN))));
}

TEST(TensorTest, BFloat16) {
  EXPECT_EQ(bfloat16ToFloat(floatToBFloat16(1.0f)), 1.0f);
  EXPECT_EQ(bfloat16ToFloat(floatToBFloat16(-2.5f)), -2.5f);
  EXPECT_EQ(bfloat16ToFloat(floatToBFloat16(1.00390625f)), 1.0f); // tie
  EXPECT_TRUE(std::isnan(bfloat16ToFloat(floatToBFloat16(NAN))));
}

TEST(TensorTest, ElementAccessConvertsPerDType) {
  Tensor t(TensorType(DType::I8, {3}));
  t.setInt(0, -5);
  t.setDouble(1, 7.9);
  t.setInt(2, 1);
  EXPECT_EQ(t.toInts(), (std::vector<int64_t>{-5, 7, 1}));
  Tensor b(TensorType(DType::Bool, {2}));
  b.setDouble(0, 0.5);
  EXPECT_EQ(b.getInt(0), 1);
  EXPECT_EQ(b.getInt(1), 0);
  Tensor h(TensorType(DType::F16, {1}));
  h.setDouble(0, 0.1);
  EXPECT_NEAR(h.getDouble(0), 0.1, 1e-4);
  EXPECT_EQ(h.bytes().size(), 2u);
}

TEST(TensorTest, PayloadLimits) {
  EXPECT_EQ(Tensor::payloadBytes(TensorType(DType::F64, {2, 3})), 48);
  EXPECT_FALSE(Tensor::payloadBytes(TensorType(DType::F32, {kMaxDimSize})));
  EXPECT_FALSE(Tensor::payloadBytes(TensorType(DType::F32, {Dim::unknown()})));
}

} // namespace
} // namespace dlc
