//===- OpsTest.cpp - The op entry points refuse inconsistent views --------===//
//
// A program's op calls come from a file: the entry points check the element
// types when it loads (OpKernel::types) and the shapes they index by when
// they run. Each case here hands an entry point views that disagree and
// expects a status, not a read or write past a buffer (the ASan build of
// this test, asan_runtime_tests, would report one).
//
//===----------------------------------------------------------------------===//

#include "ops/Ops.h"
#include "ops/OpParams.h"

#include "kernels/Conv.h"
#include "kernels/Image.h"
#include "kernels/Linalg.h"
#include "kernels/Reduction.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

namespace dlrt::ops {
namespace {

using kernels::ElementType;

/// Views over zero-filled storage, kept alive for one call.
class Views {
public:
  BufferView add(ElementType type, std::vector<int64_t> dims) {
    dims_.push_back(std::move(dims));
    int64_t count = 1;
    for (int64_t d : dims_.back())
      count *= d;
    storage_.emplace_back(size_t(std::max<int64_t>(count, 1)) * 8, 0);
    return BufferView{storage_.back().data(), type, dims_.back().data(),
                      static_cast<int32_t>(dims_.back().size())};
  }

private:
  std::deque<std::vector<int64_t>> dims_;
  std::deque<std::vector<uint8_t>> storage_;
};

Status call(std::string_view name, const std::vector<uint8_t> &params,
            const std::vector<BufferView> &operands, const std::vector<BufferView> &results) {
  const OpKernel *kernel = findOpKernel(name);
  EXPECT_NE(kernel, nullptr) << name;
  OpArgs args;
  args.params = params.data();
  args.paramBytes = params.size();
  args.operands = operands.data();
  args.numOperands = operands.size();
  args.results = results.data();
  args.numResults = results.size();
  return kernel->run(args);
}

/// The error `name` gives, or "ok".
std::string failure(std::string_view name, const std::vector<uint8_t> &params,
                    const std::vector<BufferView> &operands,
                    const std::vector<BufferView> &results) {
  Status status = call(name, params, operands, results);
  return status.isOk() ? "ok" : status.message();
}

constexpr ElementType F32 = ElementType::F32, I64 = ElementType::I64;

// A program whose types leave a size unknown (a model exported without
// shapes) is sized when it runs: every entry point computes its results'
// dims from the operands.
TEST(OpsTest, EveryEntryPointSizesItsResults) {
  for (const OpKernel &kernel : allOpKernels())
    EXPECT_NE(kernel.resultDims, nullptr) << kernel.name;
}

TEST(OpsTest, EverySignatureMatchesItsArity) {
  for (const OpKernel &kernel : allOpKernels()) {
    SCOPED_TRACE(std::string(kernel.name));
    size_t arrow = kernel.types.find("->");
    ASSERT_NE(arrow, std::string_view::npos);
    auto count = [](std::string_view side) {
      size_t terms = 0;
      bool variadic = side.find("...") != std::string_view::npos;
      for (size_t i = 0; i < side.size(); ++i)
        terms += side[i] != ' ' && (i == 0 || side[i - 1] == ' ');
      return std::make_pair(terms, variadic);
    };
    auto [operands, variadic] = count(kernel.types.substr(0, arrow));
    auto [results, variadicResults] = count(kernel.types.substr(arrow + 2));
    EXPECT_FALSE(variadicResults);
    if (variadic)
      EXPECT_LT(kernel.arity.maxOperands, 0);
    else
      EXPECT_EQ(static_cast<int>(operands), kernel.arity.maxOperands);
    EXPECT_EQ(static_cast<int>(results), kernel.arity.maxResults);
  }
}

TEST(OpsTest, TypesAreCheckedAgainstTheSignature) {
  const OpKernel &matmul = *findOpKernel("matmul");
  EXPECT_TRUE(checkTypes(matmul, {F32, F32}, {F32}).isOk());
  Status status = checkTypes(matmul, {F32, ElementType::F16}, {F32});
  ASSERT_FALSE(status.isOk());
  EXPECT_EQ(status.message(), "'matmul' does not take operand 1 of type f16 (its types: T T -> T)");
  EXPECT_FALSE(checkTypes(matmul, {F32, F32}, {ElementType::F64}).isOk());
  // L: the kernel writes int64_t.
  EXPECT_FALSE(checkTypes(*findOpKernel("shape"), {F32}, {ElementType::I32}).isOk());
  EXPECT_TRUE(checkTypes(*findOpKernel("topk"), {F32, I64}, {F32, I64}).isOk());
  EXPECT_FALSE(checkTypes(*findOpKernel("topk"), {F32, I64}, {F32, ElementType::I32}).isOk());
  // T...: every operand.
  const OpKernel &concat = *findOpKernel("concat");
  EXPECT_TRUE(checkTypes(concat, {F32, F32, F32}, {F32}).isOk());
  EXPECT_FALSE(checkTypes(concat, {F32, F32, ElementType::U8}, {F32}).isOk());
}

TEST(OpsTest, ResultsOfTheWrongDimsAreRefused) {
  Views v;
  auto axis0 = encodeParams(AxisParams{0});
  EXPECT_EQ(failure("gather", axis0, {v.add(F32, {4, 3}), v.add(I64, {2})}, {v.add(F32, {2, 2})}),
            "gather: the result has dims [2,2], expected [2,3]");
  EXPECT_EQ(failure("matmul", {}, {v.add(F32, {2, 3}), v.add(F32, {3, 5})}, {v.add(F32, {2, 4})}),
            "matmul: the result has dims [2,4], expected [2,5]");
  EXPECT_EQ(failure("gemm", encodeParams(kernels::GemmParams{}),
                    {v.add(F32, {2, 3}), v.add(F32, {3, 5})}, {v.add(F32, {5, 2})}),
            "gemm: the result has dims [5,2], expected [2,5]");
  EXPECT_EQ(failure("shape", {}, {v.add(F32, {2, 3, 4})}, {v.add(I64, {2})}),
            "shape: the result has dims [2], expected [3]");
  EXPECT_EQ(failure("transpose", encodeParams(PermParams{true, {0, 0}}), {v.add(F32, {2, 3})},
                    {v.add(F32, {3, 2})}),
            "transpose: perm is not a permutation of rank 2");
  EXPECT_EQ(failure("concat", encodeParams(AxisParams{1}), {v.add(F32, {2, 3}), v.add(F32, {3, 1})},
                    {v.add(F32, {2, 4})}),
            "concat: an input has dims [3,1], expected [2,1]");
  EXPECT_EQ(failure("arg_reduce", encodeParams(kernels::ArgReduceParams{true, 1, false}),
                    {v.add(F32, {4, 3})}, {v.add(I64, {3})}),
            "arg_reduce: the result has 3 elements, expected 4");
  EXPECT_EQ(failure("global_pool", encodeParams(WindowParams{}), {v.add(F32, {1, 8, 4, 4})},
                    {v.add(F32, {1, 9, 1, 1})}),
            "global_pool: the result has dims [1,9,1,1], expected [1,8,1,1]");
  EXPECT_EQ(failure("det", {}, {v.add(F32, {3, 2, 2})}, {v.add(F32, {2})}),
            "det: the result has dims [2], expected [3]");
}

TEST(OpsTest, OperandsThatDisagreeAreRefused) {
  Views v;
  auto none = encodeParams(ScatterParams{});
  EXPECT_EQ(failure("scatter_nd", none,
                    {v.add(F32, {4, 3}), v.add(I64, {2, 1}), v.add(F32, {2, 2})},
                    {v.add(F32, {4, 3})}),
            "scatter_nd: the updates has dims [2,2], expected [2,3]");
  EXPECT_EQ(failure("scatter_elements", none,
                    {v.add(F32, {4, 3}), v.add(I64, {2, 5}), v.add(F32, {2, 5})},
                    {v.add(F32, {4, 3})}),
            "scatter_elements: the indices have dims [2,5], more than the data's [4,3] off "
            "the axis");
  EXPECT_EQ(failure("gather_nd", encodeParams(AxisParams{0}),
                    {v.add(F32, {4, 3}), v.add(I64, {2, 3})}, {v.add(F32, {2})}),
            "gather_nd: index tuples of 3 after 0 batch dims do not fit data of rank 2");
  EXPECT_EQ(failure("batch_norm", encodeParams(EpsilonParams{1e-5}),
                    {v.add(F32, {2, 8, 3}), v.add(F32, {8}), v.add(F32, {8}), v.add(F32, {4}),
                     v.add(F32, {8})},
                    {v.add(F32, {2, 8, 3})}),
            "batch_norm: a per-channel operand has 4 elements, expected 8");
  EXPECT_EQ(failure("grid_sample", encodeParams(kernels::GridSampleParams{}),
                    {v.add(F32, {1, 2, 4, 4}), v.add(F32, {1, 3, 3, 3})},
                    {v.add(F32, {1, 2, 3, 3})}),
            "grid_sample: the grid has dims [1,3,3,3], expected [1,3,3,2]");
  EXPECT_EQ(failure("roi_align", encodeParams(kernels::RoiAlignParams{}),
                    {v.add(F32, {1, 2, 4, 4}), v.add(F32, {3, 4}), v.add(I64, {3})},
                    {v.add(F32, {2, 2, 2, 2})}),
            "roi_align: the rois has dims [3,4], expected [2,4]");
  WindowParams pool;
  pool.kernel = {2, 2};
  pool.isMax = true;
  EXPECT_EQ(
      failure("pool", encodeParams(pool), {v.add(F32, {1, 2, 4, 4})}, {v.add(F32, {1, 3, 3, 3})}),
      "pool: the result's planes are not the input's");
  pool.strides = {int64_t(1) << 61, 1};
  EXPECT_EQ(
      failure("pool", encodeParams(pool), {v.add(F32, {1, 2, 4, 4})}, {v.add(F32, {1, 2, 3, 3})}),
      "pool: strides, dilations, kernel or pads out of range");
  EXPECT_EQ(failure("einsum", encodeParams(kernels::EinsumParams{"ij,jk->ik"}),
                    {v.add(F32, {2, 3}), v.add(F32, {4, 5})}, {v.add(F32, {2, 5})}),
            "einsum: label 'j' has sizes 3 and 4");
}

TEST(OpsTest, PoolVisitsOnlyTheTapsInsideTheInput) {
  // A window of 2^40 x 2^40 over a 3x3 plane: the 9 taps inside, not 2^80.
  Views v;
  WindowParams p;
  p.kernel = {int64_t(1) << 40, int64_t(1) << 40};
  BufferView x = v.add(F32, {1, 1, 3, 3}), out = v.add(F32, {1, 1, 1, 1});
  for (int i = 0; i < 9; ++i)
    static_cast<float *>(x.data)[i] = float(i);
  ASSERT_EQ(failure("pool", encodeParams(p), {x}, {out}), "ok");
  EXPECT_EQ(static_cast<float *>(out.data)[0], 4.0f); // the mean of 0..8
  p.isMax = true;
  BufferView indices = v.add(I64, {1, 1, 1, 1});
  ASSERT_EQ(failure("pool", encodeParams(p), {x}, {out, indices}), "ok");
  EXPECT_EQ(static_cast<float *>(out.data)[0], 8.0f);
  EXPECT_EQ(static_cast<int64_t *>(indices.data)[0], 8);
}

} // namespace
} // namespace dlrt::ops
