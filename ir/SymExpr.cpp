//===- SymExpr.cpp - Symbolic size expressions ----------------------------===//

#include "ir/SymExpr.h"

#include "ir/Check.h"

#include <algorithm>

namespace dlc {
namespace {

using AtomRef = std::shared_ptr<const SymAtom>;
using Term = SymExpr::Term;

/// Expressions larger than this (terms, or atoms counted recursively) are
/// not kept: they become invalid, i.e. unknown dims.
constexpr size_t kMaxTerms = 16;
constexpr size_t kMaxNodes = 128;
/// Bounds saturate here, far beyond any real size.
constexpr int64_t kInfinity = int64_t(1) << 62;
constexpr int64_t kMaxSymbol = int64_t(1) << 40;

int compareFactors(const std::vector<AtomRef> &a, const std::vector<AtomRef> &b) {
  if (a.size() != b.size())
    return a.size() < b.size() ? -1 : 1;
  for (size_t i = 0; i < a.size(); ++i)
    if (int c = a[i]->compare(*b[i]))
      return c;
  return 0;
}

std::vector<AtomRef> multiplyFactors(const std::vector<AtomRef> &a,
                                     const std::vector<AtomRef> &b) {
  std::vector<AtomRef> out;
  std::merge(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out),
             [](const AtomRef &x, const AtomRef &y) { return x->compare(*y) < 0; });
  return out;
}

int64_t saturate(__int128 v) {
  return v > kInfinity ? kInfinity : v < -kInfinity ? -kInfinity : int64_t(v);
}

int64_t floorDivInt(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

std::pair<int64_t, int64_t> multiplyBounds(std::pair<int64_t, int64_t> a,
                                           std::pair<int64_t, int64_t> b) {
  __int128 p[] = {__int128(a.first) * b.first, __int128(a.first) * b.second,
                  __int128(a.second) * b.first, __int128(a.second) * b.second};
  return {saturate(*std::min_element(p, p + 4)), saturate(*std::max_element(p, p + 4))};
}

std::pair<int64_t, int64_t> atomBounds(const SymAtom &atom) {
  switch (atom.kind) {
  case SymAtom::Kind::Symbol:
  case SymAtom::Kind::DataSymbol:
    return {0, kMaxSymbol};
  case SymAtom::Kind::FloorDiv: {
    auto [lo, hi] = atom.lhs.bounds();
    if (atom.rhs.isConstant() && atom.rhs.constant() > 0) {
      int64_t k = atom.rhs.constant();
      return {floorDivInt(lo, k), floorDivInt(hi, k)};
    }
    // A positive divisor shrinks magnitudes toward zero (and floors).
    return {std::min<int64_t>(lo, 0), std::max<int64_t>(hi, 0)};
  }
  case SymAtom::Kind::Min: {
    auto a = atom.lhs.bounds(), b = atom.rhs.bounds();
    return {std::min(a.first, b.first), std::min(a.second, b.second)};
  }
  case SymAtom::Kind::Max: {
    auto a = atom.lhs.bounds(), b = atom.rhs.bounds();
    return {std::max(a.first, b.first), std::max(a.second, b.second)};
  }
  }
  DLC_UNREACHABLE("bad atom kind");
}

size_t atomNodes(const SymAtom &atom) {
  return 1 + atom.lhs.complexity() + atom.rhs.complexity();
}

} // namespace

int SymAtom::compare(const SymAtom &other) const {
  if (kind != other.kind)
    return kind < other.kind ? -1 : 1;
  if (int c = name.compare(other.name))
    return c < 0 ? -1 : 1;
  if (int c = lhs.compare(other.lhs))
    return c;
  return rhs.compare(other.rhs);
}

SymExpr SymExpr::symbol(std::string name, bool dataDependent) {
  DLC_CHECK(!name.empty(), "empty symbol name");
  return fromAtom(SymAtom{dataDependent ? SymAtom::Kind::DataSymbol
                                        : SymAtom::Kind::Symbol,
                          std::move(name), {}, {}});
}

SymExpr SymExpr::invalid() {
  SymExpr e;
  e.valid_ = false;
  return e;
}

SymExpr SymExpr::fromAtom(SymAtom atom) {
  SymExpr e;
  e.terms_.push_back(Term{{std::make_shared<const SymAtom>(std::move(atom))}, 1});
  e.normalize();
  return e;
}

const std::string *SymExpr::symbolName() const {
  if (!valid_ || constant_ != 0 || terms_.size() != 1 || terms_[0].coeff != 1 ||
      terms_[0].factors.size() != 1)
    return nullptr;
  const SymAtom &atom = *terms_[0].factors[0];
  return atom.kind == SymAtom::Kind::Symbol || atom.kind == SymAtom::Kind::DataSymbol
             ? &atom.name
             : nullptr;
}

bool SymExpr::isDataSymbol() const {
  return symbolName() && terms_[0].factors[0]->kind == SymAtom::Kind::DataSymbol;
}

void SymExpr::normalize() {
  if (!valid_)
    return;
  // A term without factors is part of the constant.
  for (Term &term : terms_)
    if (term.factors.empty()) {
      if (__builtin_add_overflow(constant_, term.coeff, &constant_)) {
        *this = invalid();
        return;
      }
      term.coeff = 0;
    }
  std::sort(terms_.begin(), terms_.end(), [](const Term &a, const Term &b) {
    return compareFactors(a.factors, b.factors) < 0;
  });
  std::vector<Term> merged;
  for (Term &term : terms_) {
    if (!merged.empty() && compareFactors(merged.back().factors, term.factors) == 0) {
      if (__builtin_add_overflow(merged.back().coeff, term.coeff, &merged.back().coeff)) {
        *this = invalid();
        return;
      }
    } else {
      merged.push_back(std::move(term));
    }
  }
  merged.erase(std::remove_if(merged.begin(), merged.end(),
                              [](const Term &t) { return t.coeff == 0; }),
               merged.end());
  terms_ = std::move(merged);
  size_t nodes = 0;
  for (const Term &term : terms_)
    for (const AtomRef &atom : term.factors)
      nodes += atomNodes(*atom);
  nodes_ = nodes;
  if (terms_.size() > kMaxTerms || nodes > kMaxNodes)
    *this = invalid();
}

SymExpr operator+(const SymExpr &a, const SymExpr &b) {
  if (!a.valid_ || !b.valid_)
    return SymExpr::invalid();
  SymExpr r;
  if (__builtin_add_overflow(a.constant_, b.constant_, &r.constant_))
    return SymExpr::invalid();
  r.terms_ = a.terms_;
  r.terms_.insert(r.terms_.end(), b.terms_.begin(), b.terms_.end());
  r.normalize();
  return r;
}

SymExpr SymExpr::operator-() const {
  if (!valid_ || constant_ == INT64_MIN)
    return invalid();
  SymExpr r = *this;
  r.constant_ = -constant_;
  for (Term &term : r.terms_) {
    if (term.coeff == INT64_MIN)
      return invalid();
    term.coeff = -term.coeff;
  }
  return r;
}

SymExpr operator-(const SymExpr &a, const SymExpr &b) { return a + (-b); }

SymExpr operator*(const SymExpr &a, const SymExpr &b) {
  if (!a.valid_ || !b.valid_)
    return SymExpr::invalid();
  SymExpr r;
  if (__builtin_mul_overflow(a.constant_, b.constant_, &r.constant_))
    return SymExpr::invalid();
  auto scaled = [&](const Term &t, int64_t k, std::vector<std::shared_ptr<const SymAtom>> f) {
    Term out{std::move(f), 0};
    if (__builtin_mul_overflow(t.coeff, k, &out.coeff))
      r.valid_ = false;
    r.terms_.push_back(std::move(out));
  };
  for (const auto &ta : a.terms_) {
    if (b.constant_ != 0)
      scaled(ta, b.constant_, ta.factors);
    for (const auto &tb : b.terms_)
      scaled(ta, tb.coeff, multiplyFactors(ta.factors, tb.factors));
  }
  if (a.constant_ != 0)
    for (const auto &tb : b.terms_)
      scaled(tb, a.constant_, tb.factors);
  if (!r.valid_)
    return SymExpr::invalid();
  r.normalize();
  return r;
}

SymExpr SymExpr::floorDiv(const SymExpr &a, const SymExpr &b) {
  if (!a.valid_ || !b.valid_)
    return invalid();
  if (b.isConstant()) {
    int64_t k = b.constant_;
    if (k <= 0)
      return invalid();
    if (k == 1)
      return a;
    // a = k*quotient + rest, with every multiple of k moved to quotient and
    // the constant of rest in [0, k).
    SymExpr quotient(floorDivInt(a.constant_, k)), rest(a.constant_ - quotient.constant_ * k);
    for (const Term &term : a.terms_) {
      if (term.coeff % k == 0)
        quotient.terms_.push_back(Term{term.factors, term.coeff / k});
      else
        rest.terms_.push_back(term);
    }
    quotient.normalize();
    rest.normalize();
    if (rest.terms_.empty())
      return quotient;
    auto [lo, hi] = rest.bounds();
    if (lo >= 0 && hi < k)
      return quotient;
    // (x / m) / k = x / (m*k) for positive constants.
    if (rest.constant_ == 0 && rest.terms_.size() == 1 && rest.terms_[0].coeff == 1 &&
        rest.terms_[0].factors.size() == 1) {
      const SymAtom &inner = *rest.terms_[0].factors[0];
      int64_t mk;
      if (inner.kind == SymAtom::Kind::FloorDiv && inner.rhs.isConstant() &&
          !__builtin_mul_overflow(inner.rhs.constant_, k, &mk))
        return quotient + floorDiv(inner.lhs, SymExpr(mk));
    }
    return quotient + fromAtom(SymAtom{SymAtom::Kind::FloorDiv, "", rest, b});
  }
  if (a.isConstant() && a.constant_ == 0)
    return SymExpr(0);
  if (a == b)
    return SymExpr(1);
  // Exact division by a monomial c*M: every term of a is a multiple.
  if (b.constant_ == 0 && b.terms_.size() == 1 && b.terms_[0].coeff > 0 &&
      a.constant_ == 0) {
    const Term &divisor = b.terms_[0];
    SymExpr quotient;
    bool exact = true;
    for (const Term &term : a.terms_) {
      if (term.coeff % divisor.coeff != 0) {
        exact = false;
        break;
      }
      std::vector<AtomRef> rest;
      size_t j = 0;
      for (const AtomRef &factor : term.factors) {
        if (j < divisor.factors.size() && factor->compare(*divisor.factors[j]) == 0)
          ++j;
        else
          rest.push_back(factor);
      }
      if (j != divisor.factors.size()) {
        exact = false;
        break;
      }
      quotient.terms_.push_back(Term{std::move(rest), term.coeff / divisor.coeff});
    }
    if (exact) {
      quotient.normalize();
      return quotient;
    }
  }
  return fromAtom(SymAtom{SymAtom::Kind::FloorDiv, "", a, b});
}

SymExpr SymExpr::ceilDiv(const SymExpr &a, const SymExpr &b) {
  return floorDiv(a + b - SymExpr(1), b);
}

SymExpr SymExpr::mod(const SymExpr &a, const SymExpr &b) {
  return a - b * floorDiv(a, b);
}

SymExpr SymExpr::min(const SymExpr &a, const SymExpr &b) {
  if (!a.valid_ || !b.valid_)
    return invalid();
  SymExpr d = a - b;
  if (d.isConstant())
    return d.constant_ <= 0 ? a : b;
  auto [alo, ahi] = a.bounds();
  auto [blo, bhi] = b.bounds();
  if (ahi <= blo)
    return a;
  if (bhi <= alo)
    return b;
  bool ordered = a.compare(b) < 0;
  return fromAtom(SymAtom{SymAtom::Kind::Min, "", ordered ? a : b, ordered ? b : a});
}

SymExpr SymExpr::max(const SymExpr &a, const SymExpr &b) {
  if (!a.valid_ || !b.valid_)
    return invalid();
  SymExpr d = a - b;
  if (d.isConstant())
    return d.constant_ >= 0 ? a : b;
  auto [alo, ahi] = a.bounds();
  auto [blo, bhi] = b.bounds();
  if (alo >= bhi)
    return a;
  if (blo >= ahi)
    return b;
  bool ordered = a.compare(b) < 0;
  return fromAtom(SymAtom{SymAtom::Kind::Max, "", ordered ? a : b, ordered ? b : a});
}

int SymExpr::compare(const SymExpr &other) const {
  if (valid_ != other.valid_)
    return valid_ ? 1 : -1;
  if (constant_ != other.constant_)
    return constant_ < other.constant_ ? -1 : 1;
  if (terms_.size() != other.terms_.size())
    return terms_.size() < other.terms_.size() ? -1 : 1;
  for (size_t i = 0; i < terms_.size(); ++i) {
    if (int c = compareFactors(terms_[i].factors, other.terms_[i].factors))
      return c;
    if (terms_[i].coeff != other.terms_[i].coeff)
      return terms_[i].coeff < other.terms_[i].coeff ? -1 : 1;
  }
  return 0;
}

std::pair<int64_t, int64_t> SymExpr::bounds() const {
  if (!valid_)
    return {-kInfinity, kInfinity};
  __int128 lo = constant_, hi = constant_;
  for (const Term &term : terms_) {
    std::pair<int64_t, int64_t> product{term.coeff, term.coeff};
    for (const AtomRef &atom : term.factors)
      product = multiplyBounds(product, atomBounds(*atom));
    lo += product.first;
    hi += product.second;
  }
  return {saturate(lo), saturate(hi)};
}

SymExpr SymExpr::substitute(
    const std::map<std::string, int64_t, std::less<>> &values) const {
  if (!valid_)
    return *this;
  SymExpr result(constant_);
  for (const Term &term : terms_) {
    SymExpr product(term.coeff);
    for (const AtomRef &atom : term.factors) {
      SymExpr factor;
      switch (atom->kind) {
      case SymAtom::Kind::Symbol:
      case SymAtom::Kind::DataSymbol: {
        auto it = values.find(atom->name);
        factor = it != values.end() ? SymExpr(it->second)
                                    : symbol(atom->name, atom->kind == SymAtom::Kind::DataSymbol);
        break;
      }
      case SymAtom::Kind::FloorDiv:
        factor = floorDiv(atom->lhs.substitute(values), atom->rhs.substitute(values));
        break;
      case SymAtom::Kind::Min:
        factor = min(atom->lhs.substitute(values), atom->rhs.substitute(values));
        break;
      case SymAtom::Kind::Max:
        factor = max(atom->lhs.substitute(values), atom->rhs.substitute(values));
        break;
      }
      product = product * factor;
    }
    result = result + product;
  }
  return result;
}

std::optional<int64_t> SymExpr::evaluate(
    const std::map<std::string, int64_t, std::less<>> &values) const {
  SymExpr value = substitute(values);
  if (!value.isConstant())
    return std::nullopt;
  return value.constant_;
}

bool SymExpr::dependsOnData() const {
  for (const Term &term : terms_)
    for (const AtomRef &atom : term.factors)
      if (atom->kind == SymAtom::Kind::DataSymbol ||
          ((atom->kind != SymAtom::Kind::Symbol) &&
           (atom->lhs.dependsOnData() || atom->rhs.dependsOnData())))
        return true;
  return false;
}

void SymExpr::collectSymbols(std::set<std::string> &names) const {
  for (const Term &term : terms_)
    for (const AtomRef &atom : term.factors) {
      if (atom->kind == SymAtom::Kind::Symbol || atom->kind == SymAtom::Kind::DataSymbol) {
        names.insert(atom->name);
      } else {
        atom->lhs.collectSymbols(names);
        atom->rhs.collectSymbols(names);
      }
    }
}

namespace {

std::string atomText(const SymAtom &atom);

/// `expr` as an operand of `/` or `*`: parenthesized unless it is one atom
/// or a non-negative constant.
std::string operandText(const SymExpr &expr) {
  std::string text = expr.str();
  bool simple = (expr.isConstant() && expr.constant() >= 0) || expr.symbolName() ||
                text.find_first_of("+-*") == std::string::npos;
  return simple ? text : "(" + text + ")";
}

std::string atomText(const SymAtom &atom) {
  switch (atom.kind) {
  case SymAtom::Kind::Symbol: return atom.name;
  case SymAtom::Kind::DataSymbol: return "?" + atom.name;
  case SymAtom::Kind::FloorDiv: return operandText(atom.lhs) + "/" + operandText(atom.rhs);
  case SymAtom::Kind::Min: return "min(" + atom.lhs.str() + "," + atom.rhs.str() + ")";
  case SymAtom::Kind::Max: return "max(" + atom.lhs.str() + "," + atom.rhs.str() + ")";
  }
  DLC_UNREACHABLE("bad atom kind");
}

} // namespace

std::string SymExpr::str() const {
  if (!valid_)
    return "<invalid>";
  if (terms_.empty())
    return std::to_string(constant_);
  // One division by a constant plus a constant prints with the constant
  // folded into the numerator, as sizes are usually written: (H-1)/2 rather
  // than the canonical (H+1)/2-1. It parses back to the same form.
  if (constant_ != 0 && terms_.size() == 1 && terms_[0].coeff == 1 &&
      terms_[0].factors.size() == 1) {
    const SymAtom &atom = *terms_[0].factors[0];
    int64_t shift;
    if (atom.kind == SymAtom::Kind::FloorDiv && atom.rhs.isConstant() &&
        !__builtin_mul_overflow(constant_, atom.rhs.constant(), &shift)) {
      SymExpr numerator = atom.lhs + SymExpr(shift);
      if (numerator.valid())
        return operandText(numerator) + "/" + atom.rhs.str();
    }
  }
  std::string text;
  for (const Term &term : terms_) {
    bool negative = term.coeff < 0;
    uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(term.coeff)
                                  : static_cast<uint64_t>(term.coeff);
    if (!text.empty() || negative)
      text += negative ? "-" : "+";
    std::string product;
    for (const AtomRef &atom : term.factors) {
      std::string factor = atomText(*atom);
      // A division inside a product or negated needs parentheses: a*b/c
      // reads (a*b)/c.
      bool multiplied = term.factors.size() > 1 || magnitude != 1 || negative;
      if (atom->kind == SymAtom::Kind::FloorDiv && multiplied)
        factor = "(" + factor + ")";
      product += (product.empty() ? "" : "*") + factor;
    }
    text += magnitude == 1 ? product : std::to_string(magnitude) + "*" + product;
  }
  if (constant_ > 0)
    text += "+" + std::to_string(constant_);
  else if (constant_ < 0)
    text += "-" + std::to_string(0 - static_cast<uint64_t>(constant_));
  return text;
}

} // namespace dlc
