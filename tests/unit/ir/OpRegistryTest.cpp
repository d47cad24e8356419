//===- OpRegistryTest.cpp - Op identity, traits and attribute defaults ----===//

#include "ir/Builder.h"
#include "ir/OpRegistry.h"

#include <gtest/gtest.h>

namespace dlc {
namespace {

TEST(OpRegistryTest, EveryOpHasAnIdentity) {
  for (const OpDef *def : OpRegistry::get().ops()) {
    EXPECT_EQ(&OpRegistry::get().get(def->id), def) << def->name;
    EXPECT_EQ(opName(def->id), def->name);
  }
}

TEST(OpRegistryTest, Traits) {
  const OpRegistry &ops = OpRegistry::get();
  EXPECT_TRUE(ops.get(OpId::Add).has(OpTrait::Commutative));
  EXPECT_TRUE(ops.get(OpId::Add).has(OpTrait::Elementwise));
  EXPECT_FALSE(ops.get(OpId::Sub).has(OpTrait::Commutative));
  EXPECT_TRUE(ops.get(OpId::Reshape).has(OpTrait::ShapeOnly));
  EXPECT_TRUE(ops.get(OpId::Transpose).has(OpTrait::Layout));
  EXPECT_TRUE(ops.get(OpId::Nonzero).has(OpTrait::DataDependentShape));
  EXPECT_TRUE(ops.get(OpId::Weight).has(OpTrait::ConstantLike));
  EXPECT_TRUE(ops.get(OpId::If).hasRegions());
  EXPECT_FALSE(ops.get(OpId::Matmul).hasRegions());
}

TEST(OpRegistryTest, DefaultValuedAttributesAreNotStored) {
  Module module;
  Builder b(*module.addGraph("main"));
  Value *x = b.input(TensorType(DType::F32, {2, 3}), "x");
  Node *implicit = b.op("softmax", {x})->definingNode();
  Node *explicitDefault =
      b.create("softmax", {x}).attr("axis", -1).result()->definingNode();
  Node *other = b.create("softmax", {x}).attr("axis", 0).result()->definingNode();
  EXPECT_TRUE(explicitDefault->attrs().empty());
  EXPECT_EQ(implicit->intAttr("axis"), -1);
  EXPECT_EQ(explicitDefault->intAttr("axis"), -1);
  EXPECT_EQ(other->intAttr("axis"), 0);
  EXPECT_EQ(other->attrs().size(), 1u);
}

} // namespace
} // namespace dlc

namespace dlc {
namespace {

// An optional scalar attribute without a default must be one whose absence
// means something (so readers test for it instead of calling intAttr):
// this list is checked by hand against the readers.
TEST(OpRegistryTest, OptionalScalarAttributesHaveDefaults) {
  std::vector<std::string> withoutDefault;
  for (const OpDef *def : OpRegistry::get().ops())
    for (const AttrSpec &spec : def->attrs)
      if (!spec.required && std::holds_alternative<std::monostate>(spec.defaultValue) &&
          (spec.kind == AttrKind::Int || spec.kind == AttrKind::Float ||
           spec.kind == AttrKind::String))
        withoutDefault.push_back(std::string(def->name) + "." + std::string(spec.name));
  // compress/unique: no axis means "flatten"; hidden_size: inferred from R.
  EXPECT_EQ(withoutDefault,
            (std::vector<std::string>{"compress.axis", "gru.hidden_size",
                                      "lstm.hidden_size", "rnn.hidden_size",
                                      "unique.axis"}));
}

} // namespace
} // namespace dlc
