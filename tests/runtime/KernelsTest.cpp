//===- KernelsTest.cpp - The kernel library on raw buffers ----------------===//
//
// What the interpreter's conformance runs cannot show directly: the kernels
// work on plain buffers with no IR around them, broadcast, and report run
// time errors as statuses.
//
//===----------------------------------------------------------------------===//

#include "kernels/Elementwise.h"
#include "kernels/Half.h"
#include "kernels/Indexing.h"
#include "kernels/Reduction.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace dlrt::kernels {
namespace {

template <typename T>
BufferView view(std::vector<T> &data, ElementType type, const std::vector<int64_t> &dims) {
  return BufferView{data.data(), type, dims.data(), static_cast<int32_t>(dims.size())};
}

TEST(KernelsTest, BinaryBroadcastsOnRawBuffers) {
  std::vector<float> a = {1, 2, 3, 4, 5, 6}, b = {10, 20, 30}, out(6);
  std::vector<int64_t> ad = {2, 3}, bd = {3};
  Status status = binary(BinaryOp::Add, view(a, ElementType::F32, ad),
                         view(b, ElementType::F32, bd), view(out, ElementType::F32, ad));
  ASSERT_TRUE(status.isOk()) << status.message();
  EXPECT_EQ(out, (std::vector<float>{11, 22, 33, 14, 25, 36}));
}

TEST(KernelsTest, IntegerDivisionByZeroIsAStatus) {
  std::vector<int32_t> a = {7, 8}, b = {2, 0}, out(2);
  std::vector<int64_t> d = {2};
  Status status = binary(BinaryOp::Div, view(a, ElementType::I32, d),
                         view(b, ElementType::I32, d), view(out, ElementType::I32, d));
  EXPECT_FALSE(status.isOk());
  EXPECT_EQ(status.message(), "integer division by zero");
}

TEST(KernelsTest, ComparisonsWriteBoolAndUnsignedCompareUnsigned) {
  std::vector<uint64_t> a = {~uint64_t(0), 1}, b = {2, 2};
  std::vector<uint8_t> out(2);
  std::vector<int64_t> d = {2};
  ASSERT_TRUE(binary(BinaryOp::Greater, view(a, ElementType::U64, d),
                     view(b, ElementType::U64, d), view(out, ElementType::Bool, d))
                  .isOk());
  EXPECT_EQ(out, (std::vector<uint8_t>{1, 0}));
}

TEST(KernelsTest, HalfPrecisionComputesThroughFloat) {
  std::vector<uint16_t> x = {floatToHalf(-2.0f), floatToHalf(0.5f)}, out(2);
  std::vector<int64_t> d = {2};
  ASSERT_TRUE(unary({UnaryOp::Relu}, view(x, ElementType::F16, d),
                    view(out, ElementType::F16, d))
                  .isOk());
  EXPECT_EQ(halfToFloat(out[0]), 0.0f);
  EXPECT_EQ(halfToFloat(out[1]), 0.5f);
}

TEST(KernelsTest, WhereAndClip) {
  std::vector<uint8_t> c = {1, 0};
  std::vector<int64_t> a = {1, 2}, b = {-1, -2}, out(2), low = {0}, high = {1};
  std::vector<int64_t> d = {2}, scalar = {};
  ASSERT_TRUE(where(view(c, ElementType::Bool, d), view(a, ElementType::I64, d),
                    view(b, ElementType::I64, d), view(out, ElementType::I64, d))
                  .isOk());
  EXPECT_EQ(out, (std::vector<int64_t>{1, -2}));
  ASSERT_TRUE(clip(view(out, ElementType::I64, d), view(low, ElementType::I64, scalar),
                   view(high, ElementType::I64, scalar), view(out, ElementType::I64, d))
                  .isOk());
  EXPECT_EQ(out, (std::vector<int64_t>{1, 0}));
}

TEST(KernelsTest, IntegerReductionsAreExactBeyond2To53) {
  int64_t big = (int64_t(1) << 60) + 1;
  std::vector<int64_t> x = {big, 1, 2, 3}, out(2);
  std::vector<int64_t> xd = {2, 2}, od = {2};
  ASSERT_TRUE(reduce({ReduceOp::Sum, {1}}, view(x, ElementType::I64, xd),
                     view(out, ElementType::I64, od))
                  .isOk());
  EXPECT_EQ(out, (std::vector<int64_t>{big + 1, 5}));
  ASSERT_TRUE(reduce({ReduceOp::Max, {0}}, view(x, ElementType::I64, xd),
                     view(out, ElementType::I64, od))
                  .isOk());
  EXPECT_EQ(out, (std::vector<int64_t>{big, 3}));
}

TEST(KernelsTest, SoftmaxAndArgmaxAlongAnAxis) {
  std::vector<float> x = {0, 0, 1, 3}, out(4);
  std::vector<int64_t> d = {2, 2}, od = {2};
  ASSERT_TRUE(softmax({1, false}, view(x, ElementType::F32, d), view(out, ElementType::F32, d))
                  .isOk());
  EXPECT_FLOAT_EQ(out[0], 0.5f);
  EXPECT_NEAR(out[3], 1 / (1 + std::exp(-2.0)), 1e-6);
  std::vector<int64_t> index(2);
  ASSERT_TRUE(argReduce({true, 0, false}, view(x, ElementType::F32, d),
                        view(index, ElementType::I64, od))
                  .isOk());
  EXPECT_EQ(index, (std::vector<int64_t>{1, 1}));
}

TEST(KernelsTest, NonZeroCountsThenFills) {
  std::vector<float> x = {0, 1.5f, 0, -2};
  std::vector<int64_t> d = {2, 2};
  int64_t count = countNonZero(view(x, ElementType::F32, d));
  ASSERT_EQ(count, 2);
  std::vector<int64_t> out(2 * count), od = {2, count};
  ASSERT_TRUE(nonzero(view(x, ElementType::F32, d), view(out, ElementType::I64, od)).isOk());
  EXPECT_EQ(out, (std::vector<int64_t>{0, 1, 1, 1})); // rows then columns
  std::vector<int64_t> small(2), sd = {2, 1};
  EXPECT_FALSE(nonzero(view(x, ElementType::F32, d), view(small, ElementType::I64, sd)).isOk());
}

TEST(KernelsTest, GatherReportsTheBadIndex) {
  std::vector<float> x = {1, 2, 3}, out(2);
  std::vector<int32_t> indices = {-1, 3};
  std::vector<int64_t> xd = {3}, id = {2};
  Status status = gather(0, view(x, ElementType::F32, xd), view(indices, ElementType::I32, id),
                         view(out, ElementType::F32, id));
  ASSERT_FALSE(status.isOk());
  EXPECT_EQ(status.message(), "index 3 is out of range for a dim of size 3");
  EXPECT_EQ(out[0], 3.0f); // -1 counts from the end
}

} // namespace
} // namespace dlrt::kernels
