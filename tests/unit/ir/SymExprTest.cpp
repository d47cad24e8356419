//===- SymExprTest.cpp - Canonical symbolic size expressions --------------===//

#include "ir/SymExpr.h"
#include "ir/Type.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>

namespace dlc {
namespace {

SymExpr sym(const char *name) { return SymExpr::symbol(name); }

TEST(SymExprTest, CanonicalFormsCompareEqual) {
  SymExpr n = sym("N"), h = sym("H"), a = sym("A"), b = sym("B");
  EXPECT_EQ(SymExpr::floorDiv(n * 4, 4), n);
  EXPECT_EQ(a + b, b + a);
  EXPECT_EQ(SymExpr::floorDiv(h - 3, 2) + 1, SymExpr::floorDiv(h - 1, 2));
  EXPECT_EQ(SymExpr::ceilDiv(h, 2), SymExpr::floorDiv(h + 1, 2));
  EXPECT_EQ(SymExpr::mod(n * 6, 3), SymExpr(0));
  EXPECT_EQ(SymExpr::min(a, b), SymExpr::min(b, a));
  EXPECT_EQ(SymExpr::floorDiv(SymExpr::floorDiv(n, 2), 4), SymExpr::floorDiv(n, 8));
  EXPECT_EQ(SymExpr::floorDiv(a * b * 6, a * 3), b * 2);
  EXPECT_EQ(n * 2 - n, n);
  EXPECT_NE(SymExpr::floorDiv(n, 2) * 2, n); // not exact for odd N
  EXPECT_EQ((SymExpr::floorDiv(h - 3, 2) + 1).str(), "(H-1)/2");
}

TEST(SymExprTest, BoundsDecideMinAndMax) {
  SymExpr n = sym("N");
  // Every symbol is a size in [0, 2^40]: an end of 2^62 clamps to N.
  EXPECT_EQ(SymExpr::min(n, SymExpr(int64_t(1) << 50)), n);
  EXPECT_EQ(SymExpr::max(n, SymExpr(0)), n);
  EXPECT_EQ(SymExpr::min(n + 3, n), n);
  EXPECT_FALSE(SymExpr::max(n - 1, SymExpr(0)).isConstant());
}

TEST(SymExprTest, SubstituteAndEvaluate) {
  SymExpr e = SymExpr::floorDiv(sym("H") + sym("P") * 2 - 3, 2) + 1;
  EXPECT_EQ(e.evaluate({{"H", 224}, {"P", 1}}), std::optional<int64_t>(112));
  EXPECT_EQ(e.evaluate({{"H", 224}}), std::nullopt);
  EXPECT_EQ(e.substitute({{"P", 1}}), SymExpr::floorDiv(sym("H") + 1, 2));
  std::set<std::string> names;
  e.collectSymbols(names);
  EXPECT_EQ(names, (std::set<std::string>{"H", "P"}));
}

TEST(SymExprTest, OverflowAndSizeLimitsMakeInvalid) {
  SymExpr big(INT64_MAX);
  EXPECT_FALSE((big + 1).valid());
  EXPECT_FALSE((sym("N") * big * 2).valid());
  EXPECT_FALSE(SymExpr::floorDiv(sym("N"), SymExpr(0)).valid());
  SymExpr sum;
  for (int i = 0; i < 40; ++i)
    sum = sum + SymExpr::symbol("s" + std::to_string(i));
  EXPECT_FALSE(sum.valid()); // more terms than are kept
  EXPECT_TRUE(Dim::fromExpr(sum).isUnknown());
}

TEST(SymExprTest, DimArithmetic) {
  Dim n = Dim::symbol("N");
  EXPECT_EQ((n * Dim(4)).str(), "4*N");
  EXPECT_EQ(floorDiv(n * Dim(4), Dim(4)), n);
  EXPECT_TRUE((n + Dim::unknown()).isUnknown());
  EXPECT_TRUE((Dim(2) - Dim(3)).isUnknown()); // not a size
  EXPECT_EQ(Dim(2) + Dim(3), Dim(5));
  EXPECT_TRUE(Dim::dataSymbol("nz0").isDataSymbol());
  EXPECT_EQ(Dim::dataSymbol("nz0").str(), "?nz0");
}

// Random expressions over A and B: the canonical form evaluates to what the
// expression tree it was built from evaluates to, for many bindings.
TEST(SymExprTest, RandomExpressionsEvaluateLikeTheirTrees) {
  std::mt19937 rng(7);
  struct Built {
    SymExpr expr;
    std::function<int64_t(int64_t, int64_t)> eval;
  };
  auto floorDivInt = [](int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
  };
  std::function<Built(int)> build = [&](int depth) -> Built {
    int choice = depth == 0 ? rng() % 3 : rng() % 9;
    switch (choice) {
    case 0: return {sym("A"), [](int64_t a, int64_t) { return a; }};
    case 1: return {sym("B"), [](int64_t, int64_t b) { return b; }};
    case 2: {
      int64_t c = int64_t(rng() % 11) - 5;
      return {SymExpr(c), [c](int64_t, int64_t) { return c; }};
    }
    }
    Built x = build(depth - 1), y = build(depth - 1);
    switch (choice) {
    case 3: return {x.expr + y.expr, [=](int64_t a, int64_t b) { return x.eval(a, b) + y.eval(a, b); }};
    case 4: return {x.expr - y.expr, [=](int64_t a, int64_t b) { return x.eval(a, b) - y.eval(a, b); }};
    case 5: return {x.expr * y.expr, [=](int64_t a, int64_t b) { return x.eval(a, b) * y.eval(a, b); }};
    case 6: {
      int64_t k = 1 + rng() % 4;
      return {SymExpr::floorDiv(x.expr, k),
              [=](int64_t a, int64_t b) { return floorDivInt(x.eval(a, b), k); }};
    }
    case 7: return {SymExpr::min(x.expr, y.expr), [=](int64_t a, int64_t b) { return std::min(x.eval(a, b), y.eval(a, b)); }};
    default: return {SymExpr::max(x.expr, y.expr), [=](int64_t a, int64_t b) { return std::max(x.eval(a, b), y.eval(a, b)); }};
    }
  };
  int checked = 0;
  for (int round = 0; round < 400; ++round) {
    Built built = build(3);
    if (!built.expr.valid())
      continue;
    for (int64_t a : {0, 1, 2, 5, 17}) {
      for (int64_t b : {0, 3, 8}) {
        std::optional<int64_t> value = built.expr.evaluate({{"A", a}, {"B", b}});
        ASSERT_TRUE(value) << built.expr.str();
        ASSERT_EQ(*value, built.eval(a, b)) << built.expr.str() << " A=" << a << " B=" << b;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 3000);
}

} // namespace
} // namespace dlc
