//===- GraphTest.cpp - The IR's mutation API ------------------------------===//
//
// Use lists, replace-all-uses-with, insertion points, checked erasure, walk
// and the change counter: the bookkeeping every pass relies on.
//
//===----------------------------------------------------------------------===//

#include "ir/Builder.h"
#include "ir/Clone.h"
#include "ir/Printer.h"

#include <gtest/gtest.h>

namespace dlc {
namespace {

TensorType f32x4() { return TensorType(DType::F32, {4}); }

std::vector<std::string_view> opNames(const Graph &graph) {
  std::vector<std::string_view> names;
  for (const auto &node : graph.nodes())
    names.push_back(node->opName());
  return names;
}

/// if(c) { relu(x) } else { x }.
Value *reluIf(Builder &b, Value *c, Value *x) {
  return b.create("if", {c})
      .captures({x})
      .region("then_branch", {f32x4()},
              [](Builder &inner, const std::vector<Value *> &in) {
                return std::vector<Value *>{inner.op("relu", {in[0]})};
              })
      .region("else_branch", {f32x4()},
              [](Builder &, const std::vector<Value *> &in) {
                return std::vector<Value *>{in[0]};
              })
      .result();
}

TEST(GraphTest, UseListsFollowOperandsCapturesAndOutputs) {
  Module module;
  Builder b(*module.addGraph("main"));
  Value *x = b.input(f32x4(), "x");
  Value *a = b.op("add", {x, x});
  EXPECT_EQ(x->users().size(), 2u); // one entry per slot
  Value *r = b.op("relu", {a});
  b.output({r, r});
  EXPECT_EQ(r->outputUses(), 2);
  EXPECT_TRUE(r->hasUses());
  a->definingNode()->setOperand(1, r);
  EXPECT_EQ(x->users().size(), 1u);
  EXPECT_EQ(r->users().size(), 1u);
}

TEST(GraphTest, ReplaceAllUsesWithRewritesEverySlot) {
  Module module;
  Builder b(*module.addGraph("main"));
  Value *x = b.input(f32x4(), "x");
  Value *n = b.op("neg", {x});
  Value *a = b.op("add", {n, n});
  b.output({n, a});
  n->replaceAllUsesWith(x);
  EXPECT_FALSE(n->hasUses());
  EXPECT_EQ(a->definingNode()->operand(0), x);
  EXPECT_EQ(a->definingNode()->operand(1), x);
  EXPECT_EQ(b.graph().outputs()[0], x);
  EXPECT_EQ(x->users().size(), 3u); // neg, and add twice
  EXPECT_EQ(x->outputUses(), 1);
  b.graph().eraseNode(n->definingNode());
  EXPECT_EQ(opNames(b.graph()), (std::vector<std::string_view>{"add"}));
}

TEST(GraphTest, InsertionPointPlacesNodesBefore) {
  Module module;
  Builder b(*module.addGraph("main"));
  Value *x = b.input(f32x4(), "x");
  Value *r = b.op("relu", {x});
  b.output({r});
  b.setInsertionPointAndLocation(r->definingNode());
  Value *n = b.op("neg", {x});
  r->definingNode()->setOperand(0, n);
  EXPECT_EQ(opNames(b.graph()), (std::vector<std::string_view>{"neg", "relu"}));
  b.graph().moveNode(n->definingNode(), nullptr);
  EXPECT_EQ(opNames(b.graph()), (std::vector<std::string_view>{"relu", "neg"}));
}

TEST(GraphTest, ErasingAUsedNodeIsACompilerBug) {
  Module module;
  Builder b(*module.addGraph("main"));
  Value *x = b.input(f32x4(), "x");
  Value *n = b.op("neg", {x});
  b.output({n});
  EXPECT_EXIT(b.graph().eraseNode(n->definingNode()),
              testing::ExitedWithCode(2), "a result is still used");
}

TEST(GraphTest, WalkVisitsNestedGraphsAndAllowsErasure) {
  Module module;
  Builder b(*module.addGraph("main"));
  Value *c = b.input(TensorType(DType::Bool, {}), "c");
  Value *x = b.input(f32x4(), "x");
  b.op("neg", {x}); // dead
  Value *y = reluIf(b, c, x);
  b.output({y});
  std::vector<std::string_view> seen;
  b.graph().walk([&](Node &node) {
    seen.push_back(node.opName());
    if (!node.result(0)->hasUses())
      node.graph()->eraseNode(&node);
  });
  EXPECT_EQ(seen, (std::vector<std::string_view>{"neg", "relu", "if"}));
  EXPECT_EQ(opNames(b.graph()), (std::vector<std::string_view>{"if"}));
}

TEST(GraphTest, ChangeCounterSeesNestedMutations) {
  Module module;
  Builder b(*module.addGraph("main"));
  Value *c = b.input(TensorType(DType::Bool, {}), "c");
  Value *x = b.input(f32x4(), "x");
  Value *y = reluIf(b, c, x);
  b.output({y});
  uint64_t before = module.changeCount();
  uint64_t graphBefore = b.graph().changeCount();
  Graph *then = y->definingNode()->regions()[1]; // attributes by name: else, then
  Node *relu = then->nodes().front().get();
  then->setOutputs({then->input(0)});
  then->eraseNode(relu);
  EXPECT_GT(module.changeCount(), before);
  EXPECT_GT(b.graph().changeCount(), graphBefore);
  uint64_t steady = module.changeCount();
  y->setType(y->type());
  EXPECT_EQ(module.changeCount(), steady); // same type: no change
}

TEST(GraphTest, EraseCaptureDropsRegionInputs) {
  Module module;
  Builder b(*module.addGraph("main"));
  Value *c = b.input(TensorType(DType::Bool, {}), "c");
  Value *x = b.input(f32x4(), "x");
  Value *z = b.input(f32x4(), "z");
  Node *node = b.create("if", {c})
                   .captures({z, x})
                   .region("then_branch", {f32x4(), f32x4()},
                           [](Builder &, const std::vector<Value *> &in) {
                             return std::vector<Value *>{in[1]};
                           })
                   .region("else_branch", {f32x4(), f32x4()},
                           [](Builder &inner, const std::vector<Value *> &in) {
                             return std::vector<Value *>{inner.op("neg", {in[1]})};
                           })
                   .result()
                   ->definingNode();
  node->eraseCapture(0);
  EXPECT_EQ(node->captures(), (std::vector<Value *>{x}));
  EXPECT_FALSE(z->hasUses());
  for (Graph *region : node->regions()) {
    ASSERT_EQ(region->numInputs(), 1u);
    EXPECT_EQ(region->input(0)->index(), 0);
  }
}


TEST(GraphTest, OutputNamesBelongToTheSlot) {
  Module module;
  Builder b(*module.addGraph("main"));
  Value *x = b.input(f32x4(), "x");
  Value *y = b.op("relu", {x});
  y->setName("y");
  Value *z = b.op("neg", {x});
  z->setName("z");
  b.output({y, z});
  Graph &graph = b.graph();
  EXPECT_EQ(graph.outputNames(), (std::vector<std::string>{"y", "z"}));
  y->replaceAllUsesWith(x); // a pass replaces the value behind "y"
  graph.setOutput(1, x);
  EXPECT_EQ(graph.outputs(), (std::vector<Value *>{x, x}));
  EXPECT_EQ(graph.outputNames(), (std::vector<std::string>{"y", "z"}));
  graph.eraseOutput(0);
  EXPECT_EQ(graph.outputNames(), (std::vector<std::string>{"z"}));
  EXPECT_EQ(x->outputUses(), 1);
  std::unique_ptr<Graph> copy = cloneGraph(graph);
  EXPECT_EQ(copy->outputNames(), (std::vector<std::string>{"z"}));
}

} // namespace
} // namespace dlc
