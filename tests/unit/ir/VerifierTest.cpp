//===- VerifierTest.cpp - Malformed IR that text cannot express ----------===//
//
// The parser rejects forward references and out-of-scope names, so these
// cases are built through the C++ API: cycles, values of an enclosing graph
// used without capture, values from another graph, bad outputs.
//
//===----------------------------------------------------------------------===//

#include "ir/Builder.h"
#include "ir/OpRegistry.h"
#include "ir/Verifier.h"

#include <gtest/gtest.h>

namespace dlc {
namespace {

TensorType f32x4() { return TensorType(DType::F32, {4}); }

std::string firstError(const Diagnostics &diag) {
  return diag.hasErrors() ? diag.errors()[0].message : "";
}

TEST(VerifierTest, AcceptsWellFormedGraph) {
  Module module;
  Builder b(*module.addGraph("main"));
  Value *x = b.input(f32x4(), "x");
  b.output({b.op("relu", {b.op("neg", {x})})});
  Diagnostics diag;
  EXPECT_TRUE(succeeded(verifyModule(module, diag))) << diag.str();
}

TEST(VerifierTest, RejectsCycle) {
  Module module;
  Builder b(*module.addGraph("main"));
  Value *x = b.input(f32x4(), "x");
  Value *a = b.op("add", {x, x});
  Value *c = b.op("add", {a, x});
  c->setName("c");
  // Close a cycle a -> c -> a.
  a->definingNode()->setOperand(1, c);
  b.output({c});
  Diagnostics diag;
  EXPECT_TRUE(failed(verifyModule(module, diag)));
  EXPECT_EQ(firstError(diag),
            "'add' op operand 1 '%c' is used before its definition");
}

TEST(VerifierTest, RejectsUncapturedOuterValue) {
  Module module;
  Builder b(*module.addGraph("main"));
  Value *cond = b.input(TensorType(DType::Bool, {}));
  Value *x = b.input(f32x4(), "x");
  Value *y = b.create("if", {cond})
                 .region("then_branch", {},
                         [&](Builder &g, const std::vector<Value *> &) {
                           return std::vector<Value *>{g.op("relu", {x})};
                         })
                 .region("else_branch", {},
                         [&](Builder &, const std::vector<Value *> &) {
                           return std::vector<Value *>{x};
                         })
                 .result();
  b.output({y});
  Diagnostics diag;
  EXPECT_TRUE(failed(verifyModule(module, diag)));
  // Nested graphs are checked in attribute-name order: else, then.
  ASSERT_EQ(diag.errors().size(), 2u);
  EXPECT_EQ(diag.errors()[0].message,
            "graph 'else_branch' of 'if' returns '%x', which is not defined "
            "in it");
  EXPECT_EQ(diag.errors()[1].message, "'relu' op operand 0 '%x' belongs to an "
                                      "enclosing graph; pass it in as a capture");
}

TEST(VerifierTest, RejectsValueOfAnotherGraph) {
  Module module;
  Builder first(*module.addGraph("first"));
  Value *x = first.input(f32x4(), "x");
  first.output({x});
  Builder second(*module.addGraph("second"));
  second.output({second.op("relu", {x})});
  Diagnostics diag;
  EXPECT_TRUE(failed(verifyModule(module, diag)));
  EXPECT_EQ(firstError(diag), "'relu' op operand 0 '%x' belongs to another graph");
}

TEST(VerifierTest, RejectsChangedTypes) {
  Module module;
  Builder b(*module.addGraph("main"));
  Value *x = b.input(f32x4(), "x");
  Value *y = b.op("relu", {x});
  x->setType(TensorType(DType::F32, {5}));
  b.output({y});
  Diagnostics diag;
  EXPECT_TRUE(failed(verifyModule(module, diag)));
  EXPECT_EQ(firstError(diag),
            "'relu' op result 0 is declared f32[4] but inferred f32[5]");
}

TEST(VerifierTest, RejectsWrongAttributeKindSetAfterBuilding) {
  Module module;
  Builder b(*module.addGraph("main"));
  Value *x = b.input(TensorType(DType::F32, {2, 4}), "x");
  Value *y = b.create("softmax", {x}).attr("axis", 1).result();
  y->definingNode()->setAttr("axis", Attribute("one"));
  b.output({y});
  Diagnostics diag;
  EXPECT_TRUE(failed(verifyModule(module, diag)));
  EXPECT_EQ(firstError(diag),
            "'softmax' op attribute 'axis' must be int, got string");
}

TEST(VerifierTest, BuilderReportsInferenceErrors) {
  Graph graph;
  Diagnostics diag;
  Builder b(graph, &diag);
  Value *x = b.input(f32x4());
  Value *y = b.input(TensorType(DType::I32, {4}));
  EXPECT_EQ(b.op("add", {x, y}), nullptr);
  EXPECT_EQ(graph.nodes().size(), 0u); // the failed node is not left behind
  EXPECT_EQ(firstError(diag), "'add' op operands 0 and 1 must have the same "
                              "dtype, got f32[4] and i32[4]");
}

} // namespace
} // namespace dlc
