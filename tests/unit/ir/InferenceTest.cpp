//===- InferenceTest.cpp - Type and shape inference of the op registry ---===//

#include "ir/Builder.h"
#include "ir/OpRegistry.h"

#include <gtest/gtest.h>

namespace dlc {
namespace {

Dim sym(const char *name) { return Dim::symbol(name); }
TensorType f32(std::vector<Dim> dims) { return TensorType(DType::F32, dims); }
TensorType i64(std::vector<Dim> dims) { return TensorType(DType::I64, dims); }

/// Builds one node over fresh inputs (and constant i64 operands) and returns
/// its printed result types, or "error: ..." with the diagnostic.
class Infer {
public:
  Infer(std::string op) : op_(std::move(op)), builder_(graph_, &diag_) {}

  Infer &in(TensorType type) {
    operands_.push_back(builder_.input(std::move(type)));
    return *this;
  }
  /// A constant i64 operand (for shape-like operands).
  Infer &ints(std::vector<int64_t> values) {
    Tensor tensor(i64({static_cast<int64_t>(values.size())}));
    for (size_t i = 0; i < values.size(); ++i)
      tensor.setInt(i, values[i]);
    operands_.push_back(builder_.constant(std::move(tensor)));
    return *this;
  }
  /// A constant f32 operand (resize scales).
  Infer &floats(std::vector<double> values) {
    Tensor tensor(TensorType(DType::F32, {static_cast<int64_t>(values.size())}));
    for (size_t i = 0; i < values.size(); ++i)
      tensor.setDouble(i, values[i]);
    operands_.push_back(builder_.constant(std::move(tensor)));
    return *this;
  }
  Infer &attr(std::string name, Attribute value) {
    attrs_.emplace_back(std::move(name), std::move(value));
    return *this;
  }

  std::string run() {
    NodeBuilder node = builder_.create(op_, operands_);
    for (auto &[name, value] : attrs_)
      node.attr(name, std::move(value));
    std::vector<Value *> results = node.results();
    if (results.empty())
      return "error: " + diag_.errors().at(0).message;
    std::string text;
    for (Value *result : results)
      text += (text.empty() ? "" : ", ") + result->type().str();
    return text;
  }

private:
  std::string op_;
  Graph graph_;
  Diagnostics diag_;
  Builder builder_;
  std::vector<Value *> operands_;
  std::vector<std::pair<std::string, Attribute>> attrs_;
};

TEST(InferenceTest, BroadcastingWithSymbols) {
  EXPECT_EQ(Infer("add").in(f32({sym("N"), 1, 4})).in(f32({3, 1})).run(),
            "f32[N,3,4]");
  EXPECT_EQ(Infer("add").in(f32({sym("N")})).in(f32({sym("N")})).run(),
            "f32[N]");
  // A symbol against a static size > 1 must be 1 or equal: the static wins.
  EXPECT_EQ(Infer("mul").in(f32({sym("N")})).in(f32({5})).run(), "f32[5]");
  EXPECT_EQ(Infer("mul").in(f32({sym("N")})).in(f32({sym("M")})).run(),
            "f32[?]");
  EXPECT_EQ(Infer("less").in(f32({2, 3})).in(f32({})).run(), "bool[2,3]");
  EXPECT_EQ(Infer("add").in(f32({2})).in(TensorType::unranked(DType::F32)).run(),
            "f32[*]");
  EXPECT_EQ(Infer("add").in(f32({2})).in(f32({3})).run(),
            "error: 'add' op operands do not broadcast: f32[2], f32[3]");
}

TEST(InferenceTest, WhereAndClip) {
  EXPECT_EQ(Infer("where")
                .in(TensorType(DType::Bool, {sym("B"), 1}))
                .in(f32({1, 8}))
                .in(f32({}))
                .run(),
            "f32[B,8]");
  EXPECT_EQ(Infer("clip").in(f32({4})).in(f32({})).in(f32({})).run(), "f32[4]");
  EXPECT_EQ(Infer("clip").in(f32({4})).in(f32({2})).run(),
            "error: 'clip' op bound operand 1 must be a scalar, got f32[2]");
}

TEST(InferenceTest, Matmul) {
  EXPECT_EQ(Infer("matmul").in(f32({sym("B"), 2, 3})).in(f32({3, 5})).run(),
            "f32[B,2,5]");
  EXPECT_EQ(Infer("matmul").in(f32({3})).in(f32({3, 5})).run(), "f32[5]");
  EXPECT_EQ(Infer("matmul").in(f32({2, 3})).in(f32({3})).run(), "f32[2]");
  EXPECT_EQ(Infer("matmul").in(f32({3})).in(f32({3})).run(), "f32[]");
  EXPECT_EQ(Infer("matmul").in(f32({4, 1, 2, 3})).in(f32({5, 3, 2})).run(),
            "f32[4,5,2,2]");
}

TEST(InferenceTest, Gemm) {
  EXPECT_EQ(Infer("gemm")
                .in(f32({3, sym("M")}))
                .in(f32({5, 3}))
                .in(f32({5}))
                .attr("trans_a", 1)
                .attr("trans_b", 1)
                .run(),
            "f32[M,5]");
  EXPECT_EQ(Infer("gemm").in(f32({2, 3})).in(f32({3, 4})).in(f32({3})).run(),
            "error: 'gemm' op operand 2 f32[3] does not broadcast to the "
            "result f32[2,4]");
}

TEST(InferenceTest, ConvAndPooling) {
  EXPECT_EQ(Infer("conv")
                .in(f32({sym("N"), 4, 32, 32}))
                .in(f32({8, 2, 3, 3}))
                .in(f32({8}))
                .attr("group", 2)
                .attr("strides", std::vector<int64_t>{2, 2})
                .attr("pads", std::vector<int64_t>{1, 1, 1, 1})
                .run(),
            "f32[N,8,16,16]");
  EXPECT_EQ(Infer("conv")
                .in(f32({1, 1, 10}))
                .in(f32({1, 1, 3}))
                .attr("dilations", std::vector<int64_t>{2})
                .run(),
            "f32[1,1,6]");
  EXPECT_EQ(Infer("max_pool")
                .in(f32({1, 3, 7, 7}))
                .attr("kernel_shape", std::vector<int64_t>{2, 2})
                .attr("strides", std::vector<int64_t>{2, 2})
                .attr("ceil_mode", 1)
                .run(),
            "f32[1,3,4,4]");
  EXPECT_EQ(Infer("avg_pool")
                .in(f32({1, 3, sym("H"), 7}))
                .attr("kernel_shape", std::vector<int64_t>{3, 3})
                .run(),
            "f32[1,3,H-2,5]");
  // Symbolic windows: (H + 2 - 3) / 2 + 1 = (H+1)/2.
  EXPECT_EQ(Infer("conv")
                .in(f32({sym("N"), 3, sym("H"), sym("W")}))
                .in(f32({8, 3, 3, 3}))
                .attr("strides", std::vector<int64_t>{2, 2})
                .attr("pads", std::vector<int64_t>{1, 1, 1, 1})
                .run(),
            "f32[N,8,(H+1)/2,(W+1)/2]");
  EXPECT_EQ(Infer("global_avg_pool").in(f32({2, 3, 7, 7})).run(),
            "f32[2,3,1,1]");
  EXPECT_EQ(Infer("max_pool")
                .in(f32({1, 3, 7, 7}))
                .attr("kernel_shape", std::vector<int64_t>{2})
                .run(),
            "error: 'max_pool' op attribute 'kernel_shape' needs 2 values");
}

TEST(InferenceTest, ResizeWithSymbolicDims) {
  // Exact scales keep the size symbolic; others leave it unknown.
  EXPECT_EQ(Infer("resize").in(f32({sym("N"), 3, sym("H"), sym("W")}))
                .floats({1, 1, 2, 0.5})
                .run(),
            "f32[N,3,2*H,W/2]");
  EXPECT_EQ(Infer("resize").in(f32({sym("N"), 3, sym("H"), 8}))
                .floats({1, 1, 1.5, 0.25})
                .run(),
            "f32[N,3,?,2]");
}

TEST(InferenceTest, ReductionsAndSoftmax) {
  EXPECT_EQ(Infer("reduce_sum")
                .in(f32({sym("N"), 3, 4}))
                .attr("axes", std::vector<int64_t>{-1, 1})
                .run(),
            "f32[N,1,1]");
  EXPECT_EQ(Infer("reduce_max")
                .in(f32({sym("N"), 3, 4}))
                .attr("axes", std::vector<int64_t>{0})
                .attr("keepdims", 0)
                .run(),
            "f32[3,4]");
  EXPECT_EQ(Infer("reduce_mean").in(f32({2, 3})).attr("keepdims", 0).run(),
            "f32[]");
  EXPECT_EQ(Infer("argmax").in(f32({2, 3})).attr("axis", 1).run(), "i64[2,1]");
  EXPECT_EQ(Infer("log_softmax").in(f32({2, 3})).run(), "f32[2,3]");
  EXPECT_EQ(Infer("reduce_sum")
                .in(f32({2, 3}))
                .attr("axes", std::vector<int64_t>{1, -1})
                .run(),
            "error: 'reduce_sum' op attribute 'axes' repeats an axis");
}

TEST(InferenceTest, Normalization) {
  EXPECT_EQ(Infer("batch_norm")
                .in(f32({sym("N"), 3, 8, 8}))
                .in(f32({3}))
                .in(f32({3}))
                .in(f32({3}))
                .in(f32({3}))
                .run(),
            "f32[N,3,8,8]");
  EXPECT_EQ(Infer("layer_norm")
                .in(f32({sym("B"), sym("T"), 16}))
                .in(f32({16}))
                .in(f32({16}))
                .run(),
            "f32[B,T,16]");
  EXPECT_EQ(Infer("batch_norm")
                .in(f32({1, 3, 8}))
                .in(f32({4}))
                .in(f32({3}))
                .in(f32({3}))
                .in(f32({3}))
                .run(),
            "error: 'batch_norm' op operand 1 must be 1-D with one value per "
            "channel of f32[1,3,8], got f32[4]");
}

TEST(InferenceTest, Reshape) {
  EXPECT_EQ(Infer("reshape").in(f32({2, 3, 4})).ints({0, -1}).run(),
            "f32[2,12]");
  // Symbols cancel: [N,3,4] -> [N,-1] infers 12.
  EXPECT_EQ(Infer("reshape").in(f32({sym("N"), 3, 4})).ints({0, -1}).run(),
            "f32[N,12]");
  EXPECT_EQ(Infer("reshape").in(f32({sym("N"), 12})).ints({-1, 3, 4}).run(),
            "f32[N,3,4]");
  EXPECT_EQ(Infer("reshape").in(f32({sym("N"), 12})).ints({2, -1}).run(),
            "f32[2,6*N]");
  // A quotient that is not exact stays unknown.
  EXPECT_EQ(Infer("reshape").in(f32({sym("N"), 3})).ints({2, -1}).run(),
            "f32[2,?]");
  // A non-constant shape gives the rank only.
  EXPECT_EQ(Infer("reshape").in(f32({6})).in(i64({3})).run(), "f32[?,?,?]");
  EXPECT_EQ(Infer("reshape").in(f32({6})).ints({-1, -1}).run(),
            "error: 'reshape' op shape has more than one -1");
  EXPECT_EQ(Infer("reshape").in(f32({6})).ints({4, -1}).run(),
            "error: 'reshape' op cannot reshape f32[6] to f32[4,?]");
}

TEST(InferenceTest, SliceWithConstantBounds) {
  EXPECT_EQ(Infer("slice").in(f32({10, 8})).ints({1}).ints({-1}).ints({0})
                .run(),
            "f32[8,8]");
  // Negative steps walk backwards: [9:2:-3] over 10 -> 9, 6, 3.
  EXPECT_EQ(Infer("slice")
                .in(f32({10}))
                .ints({9})
                .ints({2})
                .ints({0})
                .ints({-3})
                .run(),
            "f32[3]");
  EXPECT_EQ(Infer("slice")
                .in(f32({10, sym("N")}))
                .ints({0, 0})
                .ints({INT64_MAX, 2})
                .run(),
            "f32[10,min(N,2)]");
  EXPECT_EQ(Infer("slice").in(f32({4})).ints({0}).ints({4}).ints({0}).ints({0})
                .run(),
            "error: 'slice' op slice step must not be 0");
}

TEST(InferenceTest, ShapeOps) {
  EXPECT_EQ(Infer("transpose").in(f32({sym("N"), 3, 4})).run(), "f32[4,3,N]");
  EXPECT_EQ(Infer("transpose")
                .in(f32({sym("N"), 3, 4}))
                .attr("perm", std::vector<int64_t>{0, 2, 1})
                .run(),
            "f32[N,4,3]");
  EXPECT_EQ(Infer("concat")
                .in(f32({sym("N"), 2}))
                .in(f32({sym("N"), 3}))
                .attr("axis", 1)
                .run(),
            "f32[N,5]");
  EXPECT_EQ(Infer("concat").in(f32({sym("N")})).in(f32({2})).attr("axis", 0)
                .run(),
            "f32[N+2]");
  EXPECT_EQ(Infer("squeeze")
                .in(f32({1, sym("N"), 1}))
                .attr("axes", std::vector<int64_t>{0, -1})
                .run(),
            "f32[N]");
  EXPECT_EQ(Infer("unsqueeze")
                .in(f32({3, 4}))
                .attr("axes", std::vector<int64_t>{0, 3})
                .run(),
            "f32[1,3,4,1]");
  EXPECT_EQ(Infer("flatten").in(f32({2, 3, 4})).attr("axis", 1).run(),
            "f32[2,12]");
  EXPECT_EQ(Infer("flatten").in(f32({sym("N"), 3, 4})).attr("axis", 0).run(),
            "f32[1,12*N]");
  EXPECT_EQ(Infer("expand").in(f32({3, 1})).ints({2, 1, 4}).run(),
            "f32[2,3,4]");
  EXPECT_EQ(Infer("shape").in(f32({sym("N"), 3})).run(), "i64[2]");
  EXPECT_EQ(Infer("cast").in(f32({2})).attr("to", "bf16").run(), "bf16[2]");
}

TEST(InferenceTest, Indexing) {
  EXPECT_EQ(Infer("gather")
                .in(f32({5, 4, 3}))
                .in(i64({sym("N"), 2}))
                .attr("axis", 1)
                .run(),
            "f32[5,N,2,3]");
  EXPECT_EQ(
      Infer("gather_elements").in(f32({5, 4})).in(i64({2, 4})).run(),
      "f32[2,4]");
  EXPECT_EQ(Infer("scatter_nd")
                .in(f32({4, 5, 6}))
                .in(i64({3, 2}))
                .in(f32({3, 6}))
                .run(),
            "f32[4,5,6]");
  EXPECT_EQ(Infer("scatter_nd")
                .in(f32({4, 5, 6}))
                .in(i64({3, 2}))
                .in(f32({3, 5}))
                .run(),
            "error: 'scatter_nd' op updates f32[3,5] must have shape f32[3,6]");
  EXPECT_EQ(Infer("topk").in(f32({sym("N"), 8})).ints({2}).run(),
            "f32[N,2], i64[N,2]");
  EXPECT_EQ(Infer("topk").in(f32({sym("N"), 8})).in(i64({1})).run(),
            "f32[N,?], i64[N,?]");
  EXPECT_EQ(Infer("nonzero").in(f32({3, 4})).run(), "i64[2,?]");
}

TEST(InferenceTest, ControlFlow) {
  Graph graph;
  Diagnostics diag;
  Builder b(graph, &diag);
  Value *cond = b.input(TensorType(DType::Bool, {}));
  Value *x = b.input(f32({sym("N"), 4}));
  Value *trips = b.input(i64({}));
  Value *y = b.create("if", {cond})
                 .captures({x})
                 .region("then_branch", {x->type()},
                         [](Builder &g, const std::vector<Value *> &in) {
                           return std::vector<Value *>{g.op("relu", {in[0]})};
                         })
                 .region("else_branch", {x->type()},
                         [](Builder &g, const std::vector<Value *> &in) {
                           return std::vector<Value *>{in[0]};
                         })
                 .result();
  ASSERT_NE(y, nullptr) << diag.str();
  EXPECT_EQ(y->type().str(), "f32[N,4]");

  std::vector<Value *> loop =
      b.create("loop", {trips, cond, x})
          .region("body",
                  {i64({}), TensorType(DType::Bool, {}), x->type()},
                  [](Builder &g, const std::vector<Value *> &in) {
                    Value *next = g.op("add", {in[2], in[2]});
                    Value *sum = g.create("reduce_sum", {next})
                                     .attr("keepdims", 0)
                                     .result();
                    return std::vector<Value *>{in[1], next, sum};
                  })
          .results();
  ASSERT_EQ(loop.size(), 2u) << diag.str();
  EXPECT_EQ(loop[0]->type().str(), "f32[N,4]");
  EXPECT_EQ(loop[1]->type().str(), "f32[?]");
}

TEST(InferenceTest, EveryOpHasAFamilyAndInference) {
  std::vector<const OpDef *> ops = OpRegistry::get().ops();
  EXPECT_GE(ops.size(), 75u);
  for (const OpDef *op : ops) {
    EXPECT_FALSE(op->family.empty()) << op->name;
    EXPECT_NE(op->infer, nullptr) << op->name;
  }
  EXPECT_EQ(lookupOp("nope"), nullptr);
}

} // namespace
} // namespace dlc
