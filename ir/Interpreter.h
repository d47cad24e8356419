//===- Interpreter.h - Reference execution of IR graphs -------*- C++ -*-===//
//
// The interpreter runs any graph, control flow included, by calling each
// op's reference implementation (OpDef::eval, which runs the op's kernel
// from the runtime's kernel library): plain, obviously correct loops, the
// oracle every compiled path is checked against. Result shapes
// come from the same inference that types the IR, run on the concrete
// operand values; kernels only fill in data (and decide data-dependent
// dims, such as nonzero's count).
//
// Bad input is an error, never a crash: inputs are checked against the
// graph's declared types (dtype, rank, static dims, one size per symbol),
// every allocation against kMaxTensorBytes, and loops against an iteration
// limit.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_INTERPRETER_H
#define DLC_IR_INTERPRETER_H

#include "ir/OpRegistry.h"
#include "threading/ThreadPool.h"

#include <functional>
#include <memory>

namespace dlc {

/// Tensors are immutable once produced; values share them.
using TensorRef = std::shared_ptr<const Tensor>;

struct InterpreterOptions {
  /// A loop running more iterations than this is stopped with an error.
  int64_t maxLoopIterations = int64_t(1) << 24;
  /// Threads for the kernels that split their work (matmul's rows): 1 runs
  /// everything on the calling thread, 0 uses every hardware thread.
  /// Results do not depend on it.
  int threads = 1;
  /// Called after every node runs, nested graphs' included, with its
  /// operands and results (profiling: `dlc compile --profile-inputs`).
  std::function<void(const Node &, const std::vector<TensorRef> &operands,
                     const std::vector<TensorRef> &results)>
      observer;
};

class Interpreter {
public:
  explicit Interpreter(Diagnostics &diag, InterpreterOptions options = {})
      : diag_(diag), options_(options) {}

  /// Checks `inputs` against `graph`'s input types, then runs it. Returns
  /// the outputs, or nullopt after emitting an error.
  std::optional<std::vector<TensorRef>>
  run(const Graph &graph, const std::vector<TensorRef> &inputs);

  /// Runs a graph without checking its inputs (nested graphs, whose input
  /// types the verifier has matched to their operands already).
  std::optional<std::vector<TensorRef>>
  runGraph(const Graph &graph, const std::vector<TensorRef> &inputs);

  /// Runs one node on concrete operands and captures (constant folding
  /// uses this). Returns its results, or nullopt after emitting an error.
  std::optional<std::vector<TensorRef>>
  runNode(const Node &node, const std::vector<TensorRef> &operands,
          std::vector<TensorRef> captures = {});

  const InterpreterOptions &options() const { return options_; }
  /// The kernels' thread pool, started on first use; null when single
  /// threaded.
  dlrt::ThreadPool *pool();

private:
  LogicalResult checkInputs(const Graph &graph,
                            const std::vector<TensorRef> &inputs);

  Diagnostics &diag_;
  InterpreterOptions options_;
  std::unique_ptr<dlrt::ThreadPool> pool_;
};

/// What a reference implementation sees: the InferContext helpers over the
/// concrete operands, the inferred result types, output allocation and a
/// way to run nested graphs.
class EvalContext : public InferContext {
public:
  EvalContext(const Node &node, Diagnostics &diag,
              const std::vector<const Tensor *> &operands,
              const std::vector<TensorRef> &shared,
              std::vector<TensorRef> captures, std::vector<TensorType> inferred,
              Interpreter &interpreter)
      : InferContext(node, diag, &operands), operands_(operands),
        shared_(shared), captures_(std::move(captures)),
        inferred_(std::move(inferred)), interpreter_(interpreter) {}

  const Tensor &input(size_t i) const { return *operands_.at(i); }
  /// Operand `i` itself, to pass on without copying (tensors are immutable).
  const TensorRef &sharedInput(size_t i) const { return shared_.at(i); }
  const std::vector<TensorRef> &captures() const { return captures_; }
  /// Result types inferred from the operand values; dims that depend on
  /// data (not just shapes) are unknown. Empty for ops with nested graphs.
  const std::vector<TensorType> &inferred() const { return inferred_; }

  /// Allocates the next output, zero-filled. `type` must be static; null
  /// after an error if the payload exceeds kMaxTensorBytes.
  Tensor *addOutput(const TensorType &type);
  /// Appends an existing tensor as the next output (no copy).
  void addOutput(TensorRef tensor) { outputs_.push_back(std::move(tensor)); }
  std::vector<TensorRef> &outputs() { return outputs_; }

  std::optional<std::vector<TensorRef>>
  runGraph(const Graph &graph, const std::vector<TensorRef> &inputs) {
    return interpreter_.runGraph(graph, inputs);
  }
  const InterpreterOptions &options() const { return interpreter_.options(); }
  dlrt::ThreadPool *pool() { return interpreter_.pool(); }

private:
  const std::vector<const Tensor *> &operands_;
  const std::vector<TensorRef> &shared_;
  std::vector<TensorRef> captures_;
  std::vector<TensorType> inferred_;
  std::vector<TensorRef> outputs_;
  Interpreter &interpreter_;
};

} // namespace dlc

#endif // DLC_IR_INTERPRETER_H
