//===- TextFormatTest.cpp - Builder -> text -> parser, and parser fuzzing -===//

#include "ir/Builder.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

namespace dlc {
namespace {

std::string readExample() {
  std::ifstream in(std::string(DLC_SOURCE_DIR) + "/examples/gated_loop.dlir");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Parses and verifies; returns the printed module or "" on error.
std::string roundTrip(const std::string &text) {
  Diagnostics diag;
  std::unique_ptr<Module> module = parseModule(text, "<test>", diag);
  if (!module || failed(verifyModule(*module, diag)))
    return "";
  return printModule(*module);
}

TEST(TextFormatTest, BuiltGraphRoundTrips) {
  Module module;
  Tensor weights(TensorType(DType::F32, {4, 4}));
  for (int64_t i = 0; i < 16; ++i)
    weights.setDouble(i, 0.25 * i);
  module.addWeight({"w", std::make_shared<Tensor>(std::move(weights)), {}});
  Builder b(*module.addGraph("main"));
  Value *x = b.input(TensorType(DType::F32, {Dim::symbol("N"), 4}), "x");
  Value *w = b.create("weight", {}).attr("name", "w").result();
  Value *h = b.op("matmul", {x, w});
  h->setName("h");
  Value *probs = b.create("softmax", {h}).attr("axis", 1).result();
  b.output({probs});

  std::string printed = printModule(module);
  EXPECT_EQ(printed,
            "graph @main(%x: f32[N,4]) {\n"
            "  %0 = weight() {name = \"w\"} : f32[4,4]\n"
            "  %h = matmul(%x, %0) : f32[N,4]\n"
            "  %1 = softmax(%h) {axis = 1} : f32[N,4]\n"
            "  return %1\n"
            "}\n"
            "\n"
            "weight @w = dense<f32[4,4] [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, "
            "1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0, 3.25, 3.5, 3.75]>\n");
  EXPECT_EQ(roundTrip(printed), printed);
}

TEST(TextFormatTest, DuplicateNamesAreMadeUnique) {
  Module module;
  Builder b(*module.addGraph("main"));
  Value *x = b.input(TensorType(DType::F32, {2}), "v");
  Value *y = b.op("neg", {x});
  y->setName("v");
  Value *z = b.op("abs", {y});
  z->setName("7"); // numeric names print as anonymous values
  b.output({z});
  std::string printed = printModule(module);
  EXPECT_NE(printed.find("%v.1 = neg(%v)"), std::string::npos) << printed;
  EXPECT_NE(printed.find("%0 = abs(%v.1)"), std::string::npos) << printed;
  EXPECT_EQ(roundTrip(printed), printed);
}

TEST(TextFormatTest, FloatsPrintShortestAndExact) {
  EXPECT_EQ(formatFloat(1.0), "1.0");
  EXPECT_EQ(formatFloat(-0.0), "-0.0");
  EXPECT_EQ(formatFloat(0.1f), "0.1");
  EXPECT_EQ(formatFloat(1e-5), "1e-05");
  EXPECT_EQ(formatFloat(1e300), "1e+300");
}

TEST(TextFormatTest, EveryPrefixOfTheExampleFailsCleanlyOrParses) {
  std::string text = readExample();
  ASSERT_FALSE(text.empty());
  ASSERT_FALSE(roundTrip(text).empty());
  size_t rejected = 0;
  for (size_t length = 0; length < text.size(); ++length) {
    Diagnostics diag;
    std::unique_ptr<Module> module =
        parseModule(text.substr(0, length), "<prefix>", diag);
    if (!module) {
      EXPECT_TRUE(diag.hasErrors()) << "no error for prefix " << length;
      ++rejected;
    } else if (succeeded(verifyModule(*module, diag))) {
      // A prefix that is a whole module (cut between graphs) prints back.
      EXPECT_FALSE(diag.hasErrors());
      EXPECT_EQ(roundTrip(printModule(*module)), printModule(*module));
    } else {
      EXPECT_TRUE(diag.hasErrors()) << "verifier failed silently at " << length;
    }
  }
  EXPECT_GT(rejected, text.size() / 2); // most prefixes cut a graph short
}

TEST(TextFormatTest, RandomMutationsNeverCrash) {
  std::string text = readExample();
  std::mt19937 rng(1234);
  const std::string alphabet = "%@(){}[]<>,:=?*\"\\0123456789-.eaxf ~\n\xff";
  int parsed = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string mutated = text;
    int edits = 1 + rng() % 4;
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % mutated.size();
      switch (rng() % 3) {
      case 0: mutated[at] = alphabet[rng() % alphabet.size()]; break;
      case 1: mutated.erase(at, 1 + rng() % 8); break;
      default: mutated.insert(at, 1, alphabet[rng() % alphabet.size()]);
      }
    }
    Diagnostics diag;
    std::unique_ptr<Module> module = parseModule(mutated, "<fuzz>", diag);
    if (module) {
      ++parsed;
      if (succeeded(verifyModule(*module, diag)))
        EXPECT_EQ(roundTrip(printModule(*module)), printModule(*module));
      else
        EXPECT_TRUE(diag.hasErrors()) << "verifier failed silently";
    } else {
      EXPECT_TRUE(diag.hasErrors());
    }
  }
  EXPECT_GT(parsed, 0); // some mutations (e.g. in comments) stay valid
}

TEST(TextFormatTest, DeepNestingIsAnErrorNotAStackOverflow) {
  std::string text = "graph @g(%c: bool[]) {\n";
  for (int i = 0; i < 1000; ++i)
    text += "%r = if(%c) captures(%c) {then_branch = graph(%c: bool[]) {";
  Diagnostics diag;
  EXPECT_EQ(parseModule(text, "<deep>", diag), nullptr);
  EXPECT_EQ(diag.errors().at(0).message, "graphs nested more than 200 deep");
}

} // namespace
} // namespace dlc
