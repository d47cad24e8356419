//===- InterpreterTest.cpp - Reference execution ------------------------===//

#include "ir/Interpreter.h"
#include "ir/Parser.h"
#include "ir/Verifier.h"

#include <gtest/gtest.h>

namespace dlc {
namespace {

TensorRef tensor(TensorType type, std::vector<double> values) {
  auto t = std::make_shared<Tensor>(type);
  for (size_t i = 0; i < values.size(); ++i)
    t->setDouble(i, values[i]);
  return t;
}

std::vector<double> values(const Tensor &t) {
  std::vector<double> out;
  for (int64_t i = 0; i < t.numElements(); ++i)
    out.push_back(t.getDouble(i));
  return out;
}

/// Parses and verifies `text`, runs @main on `inputs`; the outputs, or the
/// first error message.
struct RunResult {
  std::optional<std::vector<TensorRef>> outputs;
  std::string error;
};

RunResult run(const std::string &text, std::vector<TensorRef> inputs,
        InterpreterOptions options = {}) {
  Diagnostics diag;
  std::unique_ptr<Module> module = parseModule(text, "<test>", diag);
  if (!module || failed(verifyModule(*module, diag)))
    return {std::nullopt, diag.errors().at(0).message};
  Interpreter interpreter(diag, options);
  RunResult result{interpreter.run(*module->graph("main"), inputs), ""};
  if (!result.outputs)
    result.error = diag.errors().at(0).message;
  return result;
}

TEST(InterpreterTest, BroadcastingArithmetic) {
  RunResult r = run(R"(
graph @main(%a: f32[2,3], %b: f32[3]) {
  %0 = mul(%a, %b) : f32[2,3]
  %1 = reduce_sum(%0) {axes = [1], keepdims = 0} : f32[2]
  return %1
}
)",
              {tensor(TensorType(DType::F32, {2, 3}), {1, 2, 3, 4, 5, 6}),
               tensor(TensorType(DType::F32, {3}), {1, 10, 100})});
  ASSERT_TRUE(r.outputs) << r.error;
  EXPECT_EQ(values(*r.outputs->at(0)), (std::vector<double>{321, 654}));
}

TEST(InterpreterTest, IntegerArithmeticWraps) {
  // Two's complement, as numpy and ONNX Runtime: no undefined behaviour,
  // and a huge exponent costs log(exponent) steps.
  auto i64 = [](std::vector<int64_t> v) {
    auto t = std::make_shared<Tensor>(
        TensorType(DType::I64, {static_cast<int64_t>(v.size())}));
    for (size_t i = 0; i < v.size(); ++i)
      t->setInt(i, v[i]);
    return TensorRef(t);
  };
  const int64_t max = INT64_MAX, min = INT64_MIN;
  RunResult r = run(R"(
graph @main(%a: i64[4], %b: i64[4], %e: i64[1]) {
  %0 = add(%a, %b) : i64[4]
  %1 = mul(%a, %b) : i64[4]
  %2 = neg(%a) : i64[4]
  %3 = div(%a, %b) : i64[4]
  %4 = pow(%b, %e) : i64[4]
  return %0, %1, %2, %3, %4
}
)",
          {i64({max, min, 3, min}), i64({1, -1, 2, -1}), i64({max})});
  ASSERT_TRUE(r.outputs) << r.error;
  auto ints = [](const Tensor &t) {
    std::vector<int64_t> out;
    for (int64_t i = 0; i < t.numElements(); ++i)
      out.push_back(t.getInt(i));
    return out;
  };
  EXPECT_EQ(ints(*r.outputs->at(0)), (std::vector<int64_t>{min, max, 5, max}));
  EXPECT_EQ(ints(*r.outputs->at(1)), (std::vector<int64_t>{max, min, 6, min}));
  EXPECT_EQ(ints(*r.outputs->at(2)), (std::vector<int64_t>{min + 1, min, -3, min}));
  EXPECT_EQ(ints(*r.outputs->at(3)), (std::vector<int64_t>{max, min, 1, min}));
  // 1^max = 1, (-1)^max = -1 (max is odd), 2^max wraps to 0.
  EXPECT_EQ(ints(*r.outputs->at(4)), (std::vector<int64_t>{1, -1, 0, -1}));
}

TEST(InterpreterTest, IfTakesTheBranchTheConditionSelects) {
  const char *text = R"(
graph @main(%c: bool[], %x: f32[2]) {
  %y = if(%c) captures(%x) {
    else_branch = graph(%v: f32[2]) {
      %n = neg(%v) : f32[2]
      return %n
    },
    then_branch = graph(%v: f32[2]) {
      %d = add(%v, %v) : f32[2]
      return %d
    }
  } : f32[2]
  return %y
}
)";
  auto x = tensor(TensorType(DType::F32, {2}), {1, 2});
  RunResult yes = run(text, {tensor(TensorType(DType::Bool, {}), {1}), x});
  RunResult no = run(text, {tensor(TensorType(DType::Bool, {}), {0}), x});
  ASSERT_TRUE(yes.outputs && no.outputs);
  EXPECT_EQ(values(*yes.outputs->at(0)), (std::vector<double>{2, 4}));
  EXPECT_EQ(values(*no.outputs->at(0)), (std::vector<double>{-1, -2}));
}

// Doubles v until its sum exceeds the limit, stacking each step's sum.
const char *kDoublingLoop = R"(
graph @main(%n: i64[], %v: f32[2], %limit: f32[]) {
  %go = constant() {value = dense<bool[] [true]>} : bool[]
  %final, %sums = loop(%n, %go, %v) captures(%limit) {
    body = graph(%i: i64[], %c: bool[], %x: f32[2], %l: f32[]) {
      %twice = add(%x, %x) : f32[2]
      %s = reduce_sum(%twice) {keepdims = 0} : f32[]
      %more = less(%s, %l) : bool[]
      return %more, %twice, %s
    }
  } : f32[2], f32[?]
  return %final, %sums
}
)";

TEST(InterpreterTest, LoopStopsOnConditionAndStacksScans) {
  RunResult r = run(kDoublingLoop, {tensor(TensorType(DType::I64, {}), {100}),
                              tensor(TensorType(DType::F32, {2}), {1, 2}),
                              tensor(TensorType(DType::F32, {}), {40})});
  ASSERT_TRUE(r.outputs) << r.error;
  EXPECT_EQ(values(*r.outputs->at(0)), (std::vector<double>{16, 32}));
  EXPECT_EQ(r.outputs->at(1)->type().str(), "f32[4]");
  EXPECT_EQ(values(*r.outputs->at(1)), (std::vector<double>{6, 12, 24, 48}));
}

TEST(InterpreterTest, LoopHonoursTripCountAndIterationLimit) {
  std::vector<TensorRef> inputs = {tensor(TensorType(DType::I64, {}), {2}),
                                   tensor(TensorType(DType::F32, {2}), {1, 2}),
                                   tensor(TensorType(DType::F32, {}), {1e30})};
  RunResult two = run(kDoublingLoop, inputs);
  ASSERT_TRUE(two.outputs);
  EXPECT_EQ(values(*two.outputs->at(0)), (std::vector<double>{4, 8}));

  inputs[0] = tensor(TensorType(DType::I64, {}), {1000});
  InterpreterOptions options;
  options.maxLoopIterations = 10;
  RunResult capped = run(kDoublingLoop, inputs, options);
  EXPECT_FALSE(capped.outputs);
  EXPECT_EQ(capped.error,
            "'loop' op ran more than 10 iterations (the interpreter's limit)");
}

TEST(InterpreterTest, ChecksInputsAgainstDeclaredTypes) {
  const char *text = R"(
graph @main(%a: f32[N,2], %b: f32[N]) {
  return %a
}
)";
  RunResult dtype = run(text, {tensor(TensorType(DType::F64, {1, 2}), {1, 2}),
                         tensor(TensorType(DType::F32, {1}), {1})});
  EXPECT_EQ(dtype.error, "input 'a' of graph @main: wrong dtype (expected "
                         "f32[N,2], got f64[1,2])");
  RunResult symbol = run(text, {tensor(TensorType(DType::F32, {1, 2}), {1, 2}),
                          tensor(TensorType(DType::F32, {3}), {1, 2, 3})});
  EXPECT_EQ(symbol.error, "input 'b' of graph @main: dim 0 is N, which an "
                          "earlier input bound to 1 (expected f32[N], got f32[3])");
  RunResult count = run(text, {});
  EXPECT_EQ(count.error, "graph @main takes 2 inputs, got 0");
}

TEST(InterpreterTest, RuntimeErrorsAreDiagnosticsNotCrashes) {
  RunResult gather = run(R"(
graph @main(%x: f32[3], %i: i64[1]) {
  %0 = gather(%x, %i) : f32[1]
  return %0
}
)",
                   {tensor(TensorType(DType::F32, {3}), {1, 2, 3}),
                    tensor(TensorType(DType::I64, {1}), {7})});
  EXPECT_EQ(gather.error,
            "'gather' op index 7 is out of range for a dim of size 3");

  // A shape computed at run time that would need 2^42 floats.
  RunResult huge = run(R"(
graph @main(%s: i64[2]) {
  %z = constant() {value = dense<f32[] [0.0]>} : f32[]
  %0 = expand(%z, %s) : f32[?,?]
  return %0
}
)",
                 {tensor(TensorType(DType::I64, {2}), {1 << 21, 1 << 21})});
  EXPECT_EQ(huge.error, "'expand' op result f32[2097152,2097152] exceeds the "
                        "4 GiB tensor limit");

  RunResult divide = run(R"(
graph @main(%a: i32[2], %b: i32[2]) {
  %0 = div(%a, %b) : i32[2]
  return %0
}
)",
                   {tensor(TensorType(DType::I32, {2}), {1, 2}),
                    tensor(TensorType(DType::I32, {2}), {1, 0})});
  EXPECT_EQ(divide.error, "'div' op integer division by zero");
}

TEST(InterpreterTest, DataDependentShapes) {
  RunResult r = run(R"(
graph @main(%x: f32[2,3]) {
  %0 = nonzero(%x) : i64[2,?]
  return %0
}
)",
              {tensor(TensorType(DType::F32, {2, 3}), {0, 1, 0, 2, 0, 3})});
  ASSERT_TRUE(r.outputs) << r.error;
  EXPECT_EQ(r.outputs->at(0)->type().str(), "i64[2,3]");
  EXPECT_EQ(values(*r.outputs->at(0)), (std::vector<double>{0, 1, 1, 1, 0, 2}));
}

} // namespace
} // namespace dlc
