//===- Printer.h - The textual form of the IR (.dlir) ---------*- C++ -*-===//
//
// Prints a Module in the .dlir text format, which the Parser reads back:
// printing the parse of printed text reproduces it exactly. Sketch:
//
//   weight @fc.w = dense<f32[2,2] [1.0, 0.5, -2.0, 0.0]>
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
// Values keep their names where they have one (made unique within their
// graph); unnamed values print as %0, %1, ... Each graph is its own scope.
// Attributes print sorted by name. Tensors with more than
// PrintOptions::maxListElements elements print as little-endian hex.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_PRINTER_H
#define DLC_IR_PRINTER_H

#include "ir/Graph.h"

#include <string>

namespace dlc {

struct PrintOptions {
  /// Tensors with more elements than this print as a hex blob.
  int64_t maxListElements = 16;
};

/// The whole module as .dlir text.
std::string printModule(const Module &module, const PrintOptions &options = {});

/// Shortest text that parses back to exactly `value`, always with a '.',
/// an exponent, or inf/nan so that it reads as a float.
std::string formatFloat(double value);
std::string formatFloat(float value);

} // namespace dlc

#endif // DLC_IR_PRINTER_H
