//===- Printer.h - The textual form of the IR (.dlir) ---------*- C++ -*-===//
//
// Prints a Module in the .dlir text format, which the Parser reads back:
// printing the parse of printed text reproduces it exactly. Sketch:
//
//   graph @main(%x: f32[N,2], %c: bool[]) {
//     %w = weight() {name = "fc.w"} : f32[2,2]
//     %y = if(%c) captures(%x, %w) {
//       else_branch = graph(%a: f32[N,2], %b: f32[2,2]) {
//         return %a
//       },
//       then_branch = graph(%a: f32[N,2], %b: f32[2,2]) {
//         %0 = matmul(%a, %b) : f32[N,2]
//         return %0
//       }
//     } : f32[N,2]
//     return %y
//   }
//
//   weight @fc.w = dense<f32[2,2] [1.0, 0.5, -2.0, 0.0]>
//
// Values keep their names where they have one (made unique within their
// graph); unnamed values print as %0, %1, ... Each graph is its own scope.
// Attributes print sorted by name. Tensors with more than
// PrintOptions::maxListElements elements print as little-endian hex, a tensor
// whose elements are all equal as one value (`dense<f32[512] 0.0>`). Graphs
// come first, the weights (bulk data) after them.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_PRINTER_H
#define DLC_IR_PRINTER_H

#include "ir/Graph.h"

#include <string>

namespace dlc {

/// Largest tensor printed as one value when all its elements are equal (a
/// few bytes of text must not stand for gigabytes; the parser holds to it).
inline constexpr int64_t kMaxSplatBytes = int64_t(64) << 20;

struct PrintOptions {
  /// Tensors with more elements than this print as a hex blob.
  int64_t maxListElements = 16;
  /// Tensors (weights and constant attributes) with more elements than
  /// this print as `elided<type>`, which the parser refuses; the text's
  /// first line says so. -1 prints every tensor (an exact round trip).
  int64_t elideAbove = -1;
};

/// The whole module as .dlir text.
std::string printModule(const Module &module, const PrintOptions &options = {});

/// Shortest text that parses back to exactly `value`, always with a '.',
/// an exponent, or inf/nan so that it reads as a float.
std::string formatFloat(double value);
std::string formatFloat(float value);

} // namespace dlc

#endif // DLC_IR_PRINTER_H
