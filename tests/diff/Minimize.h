//===- Minimize.h - Delta debugging over a failing module ------*- C++ -*-===//
//
// Shrinks a module that fails a check to one that still fails with fewer
// nodes: first the smallest prefix of @main (each value in turn made the
// only output, the dead rest removed: the first that still fails), then
// node by node (a node whose result has the type of one of its operands
// is bypassed by that operand), to a fixpoint. Graphs nested in if and
// loop nodes are kept whole. Modules travel as .dlir text, which round-
// trips, so each candidate is a fresh parse.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_TESTS_DIFF_MINIMIZE_H
#define DLC_TESTS_DIFF_MINIMIZE_H

#include <functional>
#include <string>

namespace dlc::difftest {

/// The smallest failing module found from `text` (which fails); `fails`
/// decides a candidate.
std::string minimize(const std::string &text,
                     const std::function<bool(const std::string &)> &fails);

} // namespace dlc::difftest

#endif // DLC_TESTS_DIFF_MINIMIZE_H
