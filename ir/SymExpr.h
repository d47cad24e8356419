//===- SymExpr.h - Symbolic size expressions -------------------*- C++ -*-===//
//
// A symbolic dimension is an integer expression over named symbols: `N`,
// `(H+1)/2`, `A+B`, `4*N`, `min(A,B)`. Expressions are kept in one
// canonical form so that equal sizes compare equal (`N*4/4` is `N`,
// `(H-3)/2+1` is `(H-1)/2`):
//
//   expr  = c0 + sum of ci * (product of atoms)    terms sorted, ci != 0
//   atom  = symbol | data-dependent symbol | floordiv(expr, expr)
//         | min(expr, expr) | max(expr, expr)
//
// Ceiling division is floordiv(a + b - 1, b); `mod(a, b)` is
// a - b * floordiv(a, b). Division by a constant pulls out every multiple of
// the divisor (floordiv(2N+M+5, 2) = N + 2 + floordiv(M+1, 2)), nested
// divisions by constants merge, and min/max decide whenever the bounds of
// their operands do (every symbol is a size in [0, 2^40]).
//
// Data-dependent symbols name sizes known only once tensor data is (the
// count of nonzero, a loop's trip count): the host program binds them at
// run time. They print with a leading `?` (`?nz0`).
//
// Arithmetic never overflows silently: a result whose coefficients leave
// int64 or that grows past a size limit is *invalid*, and callers turn it
// into an unknown dim.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_SYMEXPR_H
#define DLC_IR_SYMEXPR_H

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace dlc {

class SymExpr;
struct SymAtom;

class SymExpr {
public:
  /// The constant 0.
  SymExpr() = default;
  SymExpr(int64_t value) : constant_(value) {}
  static SymExpr symbol(std::string name, bool dataDependent = false);
  /// An invalid expression (overflow, or too large to keep).
  static SymExpr invalid();

  bool valid() const { return valid_; }
  bool isConstant() const { return valid_ && terms_.empty(); }
  int64_t constant() const { return constant_; }
  /// The name if the expression is exactly one symbol (coefficient 1).
  const std::string *symbolName() const;
  /// True if it is exactly one data-dependent symbol.
  bool isDataSymbol() const;

  friend SymExpr operator+(const SymExpr &a, const SymExpr &b);
  friend SymExpr operator-(const SymExpr &a, const SymExpr &b);
  friend SymExpr operator*(const SymExpr &a, const SymExpr &b);
  SymExpr operator-() const;
  /// Floor division; `b` must be positive when evaluated (a size).
  static SymExpr floorDiv(const SymExpr &a, const SymExpr &b);
  static SymExpr ceilDiv(const SymExpr &a, const SymExpr &b);
  static SymExpr mod(const SymExpr &a, const SymExpr &b);
  static SymExpr min(const SymExpr &a, const SymExpr &b);
  static SymExpr max(const SymExpr &a, const SymExpr &b);

  /// Structural equality of canonical forms: equal iff provably equal by
  /// the rules above.
  bool operator==(const SymExpr &other) const { return compare(other) == 0; }
  /// A total order (for canonical sorting).
  int compare(const SymExpr &other) const;

  /// Lower and upper bounds, with every symbol in [0, 2^40] (saturating).
  std::pair<int64_t, int64_t> bounds() const;

  /// Replaces bound symbols by their values and simplifies.
  SymExpr substitute(const std::map<std::string, int64_t, std::less<>> &values) const;
  /// The value if every symbol is bound; nullopt otherwise (or on overflow,
  /// or division by a non-positive number).
  std::optional<int64_t>
  evaluate(const std::map<std::string, int64_t, std::less<>> &values) const;
  /// True if it uses a data-dependent symbol.
  bool dependsOnData() const;
  /// Adds the names of the symbols it uses.
  void collectSymbols(std::set<std::string> &names) const;

  /// How many atoms it holds, counted through nested expressions.
  size_t complexity() const { return nodes_; }

  /// Canonical text: `N`, `4*N+1`, `(H-1)/2`, `min(A,B)`, `?nz0`.
  std::string str() const;

  /// One term: coefficient times a sorted product of atoms.
  struct Term {
    std::vector<std::shared_ptr<const SymAtom>> factors;
    int64_t coeff = 0;
  };
  /// The non-constant terms of the canonical form (code generation walks
  /// them: constant() + sum of terms).
  const std::vector<Term> &terms() const { return terms_; }

private:
  static SymExpr fromAtom(SymAtom atom);
  void normalize();

  std::vector<Term> terms_;
  int64_t constant_ = 0;
  size_t nodes_ = 0;
  bool valid_ = true;
};

/// The operands of a non-symbol atom, or its name.
struct SymAtom {
  enum class Kind { Symbol, DataSymbol, FloorDiv, Min, Max } kind;
  std::string name;
  SymExpr lhs, rhs;
  int compare(const SymAtom &other) const;
};

} // namespace dlc

#endif // DLC_IR_SYMEXPR_H
