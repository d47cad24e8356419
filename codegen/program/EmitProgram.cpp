//===- EmitProgram.cpp - Module to runtime program ------------------------===//

#include "codegen/program/EmitProgram.h"

#include "artifact/Artifact.h"
#include "codegen/halide/HalideBackend.h"
#include "ir/OpRegistry.h"
#include "ir/ops/Kernels.h"
#include "ops/Ops.h"
#include "ops/Params.h"
#include "passes/PlanMemory.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <unordered_map>

namespace dlc {
namespace {

using namespace dlrt::program;

class Emitter {
public:
  Emitter(const Module &module, Diagnostics &diag, const EmitOptions &options)
      : module_(module), diag_(diag) {
    if (options.backend == "halide")
      halide_ = std::make_unique<HalideBackend>(options.target, options.schedule);
  }

  std::optional<EmittedProgram> emit() {
    const Graph *main = module_.graph("main");
    if (!main) {
      (void)diag_.error({}, "the module has no graph @main");
      return std::nullopt;
    }
    if (failed(order(*main)))
      return std::nullopt;
    out_.program.functions.resize(order_.size());
    for (size_t f = 0; f < order_.size(); ++f)
      if (failed(function(*order_[f], out_.program.functions[f])))
        return std::nullopt;
    dropUnreached(out_.program);
    if (failed(signature(*main)))
      return std::nullopt;
    if (halide_ && halide_->size() > 0) {
      std::string error;
      out_.nativeObject = halide_->link(error);
      if (out_.nativeObject.empty()) {
        (void)diag_.error({}, "native kernels: " + error);
        return std::nullopt;
      }
    }
    return std::move(out_);
  }

private:
  /// Drops the functions no instruction reaches from main (the op-by-op
  /// bodies of fused kernels that compiled native), keeping the order.
  static void dropUnreached(Program &program) {
    std::vector<Function> &fns = program.functions;
    std::vector<bool> reached(fns.size(), false);
    std::vector<size_t> work = {0};
    reached[0] = true;
    auto reach = [&](int64_t f) {
      if (!reached[static_cast<size_t>(f)]) {
        reached[static_cast<size_t>(f)] = true;
        work.push_back(static_cast<size_t>(f));
      }
    };
    while (!work.empty()) {
      size_t f = work.back();
      work.pop_back();
      for (const Instr &instr : fns[f].body) {
        if (instr.kind == InstrKind::Call || instr.kind == InstrKind::If ||
            instr.kind == InstrKind::Loop)
          reach(instr.index);
        if (instr.kind == InstrKind::If)
          reach(instr.index2);
      }
    }
    std::vector<int64_t> renumbered(fns.size(), -1);
    std::vector<Function> kept;
    for (size_t f = 0; f < fns.size(); ++f)
      if (reached[f]) {
        renumbered[f] = static_cast<int64_t>(kept.size());
        kept.push_back(std::move(fns[f]));
      }
    for (Function &fn : kept)
      for (Instr &instr : fn.body) {
        if (instr.kind == InstrKind::Call || instr.kind == InstrKind::If ||
            instr.kind == InstrKind::Loop)
          instr.index = renumbered[static_cast<size_t>(instr.index)];
        if (instr.kind == InstrKind::If)
          instr.index2 = renumbered[static_cast<size_t>(instr.index2)];
      }
    fns = std::move(kept);
  }

  /// Every graph that runs, callers before callees (reverse post-order of
  /// the call graph from @main); recursion is an error.
  LogicalResult order(const Graph &main) {
    std::vector<const Graph *> post;
    std::map<const Graph *, int> state; // 1 = on the stack, 2 = done
    std::function<LogicalResult(const Graph &)> visit = [&](const Graph &g) -> LogicalResult {
      state[&g] = 1;
      for (const auto &node : g.nodes()) {
        std::vector<const Graph *> callees;
        if (node->is(OpId::Call)) {
          const Graph *callee = module_.graph(node->stringAttr("callee"));
          if (!callee)
            return diag_.error(node->location(), "calls unknown graph @" +
                                                     node->stringAttr("callee"));
          callees.push_back(callee);
        }
        int id = node->def().hasRegions() ? regionCount_++ : 0;
        for (const auto &[attr, value] : node->attrs())
          if (value.kind() == AttrKind::Graph) {
            const Graph *region = &value.getGraph();
            callees.push_back(region);
            if (node->is(OpId::Fusion))
              fusionBodies_.insert(region);
            names_[region] = (g.name().empty() ? names_[&g] : g.name()) + "." +
                             std::string(node->opName()) + std::to_string(id) +
                             "." + attr;
          }
        for (const Graph *callee : callees) {
          if (state[callee] == 1)
            return diag_.error(node->location(), "recursive call of graph @" + callee->name() +
                                                     " (the compiled path runs no recursion)");
          if (state[callee] == 0 && failed(visit(*callee)))
            return failure();
        }
      }
      state[&g] = 2;
      post.push_back(&g);
      return success();
    };
    if (failed(visit(main)))
      return failure();
    order_.assign(post.rbegin(), post.rend());
    for (size_t i = 0; i < order_.size(); ++i)
      index_[order_[i]] = static_cast<int64_t>(i);
    return success();
  }

  int64_t symbol(const std::string &name, bool dataDependent) {
    auto [it, inserted] = symbols_.emplace(name, out_.program.symbols.size());
    if (inserted)
      out_.program.symbols.push_back({name, dataDependent});
    return static_cast<int64_t>(it->second);
  }

  void code(const SymExpr &expr, Expr &out) {
    auto push = [&](ExprOp op) { out.ops.push_back(static_cast<uint8_t>(op)); };
    push(ExprOp::Const);
    out.operands.push_back(expr.constant());
    for (const SymExpr::Term &term : expr.terms()) {
      push(ExprOp::Const);
      out.operands.push_back(term.coeff);
      for (const auto &atom : term.factors) {
        switch (atom->kind) {
        case SymAtom::Kind::Symbol:
        case SymAtom::Kind::DataSymbol:
          push(ExprOp::Symbol);
          out.operands.push_back(symbol(atom->name, atom->kind == SymAtom::Kind::DataSymbol));
          break;
        case SymAtom::Kind::FloorDiv:
        case SymAtom::Kind::Min:
        case SymAtom::Kind::Max:
          code(atom->lhs, out);
          code(atom->rhs, out);
          push(atom->kind == SymAtom::Kind::FloorDiv ? ExprOp::FloorDiv
               : atom->kind == SymAtom::Kind::Min    ? ExprOp::Min
                                                     : ExprOp::Max);
          break;
        }
        push(ExprOp::Mul);
      }
      push(ExprOp::Add);
    }
  }

  /// The expression index of `dim`.
  int64_t dimExpr(const Dim &dim) {
    SymExpr expr = dim.expr();
    std::string key = expr.str();
    auto it = exprs_.find(key);
    if (it != exprs_.end())
      return it->second;
    Expr code;
    if (expr.symbolName()) { // a bare symbol: the form bind() recognizes
      code.ops.push_back(static_cast<uint8_t>(ExprOp::Symbol));
      code.operands.push_back(symbol(*expr.symbolName(), expr.isDataSymbol()));
    } else {
      this->code(expr, code);
    }
    int64_t index = static_cast<int64_t>(out_.program.exprs.size());
    out_.program.exprs.push_back(std::move(code));
    exprs_.emplace(std::move(key), index);
    return index;
  }

  /// The register type of `value`; unknown ranks and dims become kAnyDim
  /// (known only once the buffer is; see emitProgram's checks).
  RegisterType registerType(const Value &value) {
    const TensorType &type = value.type();
    RegisterType out;
    out.type = kernels::elementType(type.dtype());
    out.ranked = type.hasRank();
    if (out.ranked)
      for (const Dim &dim : type.dims())
        out.dims.push_back(dim.isUnknown() || !dim.expr().valid() ? kAnyDim : dimExpr(dim));
    return out;
  }

  static bool fullyKnown(const RegisterType &type) {
    return type.ranked &&
           std::find(type.dims.begin(), type.dims.end(), kAnyDim) == type.dims.end();
  }

  int64_t weight(const std::string &key, const Tensor &tensor) {
    auto [it, inserted] = weights_.emplace(key, out_.weights.weights.size());
    if (inserted) {
      dlrt::program::Weight w;
      w.name = key;
      w.type = kernels::elementType(tensor.dtype());
      w.dims = kernels::shapeOf(tensor);
      w.data = tensor.bytes();
      out_.weights.weights.push_back(std::move(w));
    }
    return static_cast<int64_t>(it->second);
  }

  int64_t entryPoint(std::string_view name) {
    auto [it, inserted] = entryPoints_.emplace(std::string(name), out_.program.entryPoints.size());
    if (inserted)
      out_.program.entryPoints.emplace_back(name);
    return static_cast<int64_t>(it->second);
  }

  LogicalResult function(const Graph &graph, Function &fn) {
    current_ = &graph;
    fn.name = graph.name().empty() ? names_[&graph] : graph.name();
    std::unordered_map<const Value *, int64_t> registers;
    auto define = [&](const Value *value, const Location &) -> LogicalResult {
      registers[value] = static_cast<int64_t>(fn.registers.size());
      fn.registers.push_back(registerType(*value));
      return success();
    };
    Location graphLoc;
    graphLoc.node = "graph @" + fn.name;
    for (const auto &input : graph.inputs()) {
      if (failed(define(input.get(), graphLoc)))
        return failure();
      fn.inputs.push_back(registers[input.get()]);
    }
    // Last use of each value: instruction index (outputs live to the end).
    std::unordered_map<const Value *, size_t> lastUse;
    size_t position = 0;
    for (const auto &node : graph.nodes()) {
      for (const Value *operand : node->operands())
        lastUse[operand] = position;
      for (const Value *capture : node->captures())
        lastUse[capture] = position;
      ++position;
    }
    std::set<const Value *> outputs(graph.outputs().begin(), graph.outputs().end());
    std::unordered_map<const Value *, int64_t> arena = arenaOffsets(graph, fn.arenaBytes);
    position = 0;
    for (const auto &owned : graph.nodes()) {
      const Node &node = *owned;
      Instr instr;
      instr.name = node.location().node.empty()
                       ? std::string(node.opName()) + " #" + std::to_string(position)
                       : node.location().node;
      for (size_t i = 0; i < node.numResults(); ++i) {
        if (failed(define(node.result(i), node.location())))
          return failure();
        instr.results.push_back(registers[node.result(i)]);
      }
      auto reg = [&](const Value *value) { return registers.at(value); };
      whyReference_.clear();
      if (!native(node, instr, fn, registers)) {
        if (failed(lower(node, instr, reg)))
          return failure();
        // Left on the reference: an op, or a fused kernel's ops (its body
        // runs op by op), with the reason the backend gave.
        size_t ops = 0;
        if (instr.kind == InstrKind::Op && !fusionBodies_.count(&graph))
          ops = 1;
        else if (node.is(OpId::Fusion) && halide_)
          for (const auto &inner : node.attr("body")->getGraph().nodes())
            ops += !inner->def().has(OpTrait::ConstantLike) && !inner->is(OpId::Identity);
        out_.referenceOps += ops;
        if (ops && halide_)
          out_.metadata.onReference.push_back(
              {fn.name, instr.name, static_cast<int64_t>(ops),
               whyReference_.empty() ? "not lowered" : whyReference_});
      }
      if (instr.kind == InstrKind::Op)
        for (size_t i = 0; i < node.numResults(); ++i)
          if (auto it = arena.find(node.result(i)); it != arena.end()) {
            instr.arenaOffsets.resize(node.numResults(), -1);
            instr.arenaOffsets[i] = it->second;
          }
      // Release what this is the last use of, and results nobody reads.
      std::set<const Value *> done;
      auto release = [&](const Value *value) {
        auto it = lastUse.find(value);
        bool last = it == lastUse.end() ? value->definingNode() == &node : it->second == position;
        if (last && !outputs.count(value) && done.insert(value).second)
          instr.releases.push_back(registers.at(value));
      };
      for (const Value *operand : node.operands())
        release(operand);
      for (const Value *capture : node.captures())
        release(capture);
      for (size_t i = 0; i < node.numResults(); ++i)
        release(node.result(i));
      fn.body.push_back(std::move(instr));
      ++position;
    }
    for (const Value *output : graph.outputs())
      fn.outputs.push_back(registers.at(output));
    return success();
  }

  /// Compiles `node` (a fusion, or a single op) as a native kernel if the
  /// backend lowers it: a Native instruction, after Const instructions for
  /// the weights the kernel reads that the calling function does not hold.
  bool native(const Node &node, Instr &instr, Function &fn,
              std::unordered_map<const Value *, int64_t> &registers) {
    // A fusion body is the reference fallback of a fused kernel: op by op.
    if (!halide_ || fusionBodies_.count(current_) || node.def().has(OpTrait::ConstantLike) ||
        node.is(OpId::Identity) ||
        (node.def().hasRegions() && !node.is(OpId::Fusion)) || node.is(OpId::Call))
      return false;
    auto reference = [&](const std::string &why) {
      if (std::getenv("DLC_DEBUG_HALIDE"))
        std::fprintf(stderr, "reference: %s: %s\n", instr.name.c_str(), why.c_str());
      whyReference_ = why;
      return false;
    };
    // An op whose result sizes only the run decides (a resize to sizes, a
    // slice to bounds or a pad by amounts the program computes) is sized by
    // its entry point's rule first (the runtime binds the sizes), then runs
    // native with them: the kernel's operands are the op's, in order.
    std::optional<dlrt::ops::LoweredOp> sizing;
    if (introducesDataSymbol(node)) {
      if (node.is(OpId::Fusion))
        return reference("a fused kernel whose result sizes only the run decides");
      std::set<const Value *> distinct(node.operands().begin(), node.operands().end());
      if (distinct.size() != node.numOperands())
        return reference("results sized at run time by an op that reads an operand twice");
      if (!node.def().run.lower)
        return reference("results sized at run time by an op with no runtime entry point");
      Diagnostics quiet;
      InferContext ctx(node, quiet);
      sizing.emplace();
      if (failed(node.def().run.lower(ctx, *sizing)) || !sizing->kernel->resultDims)
        return reference("results sized at run time by an op with no rule for them");
    }
    // A native kernel's results are sized from their expressions.
    for (int64_t r : instr.results)
      if (!fullyKnown(fn.registers[r]))
        return reference("a result's size is not known before it runs");
    std::vector<const Value *> inputs, outputs;
    std::vector<const Node *> nodes;
    std::unordered_map<const Value *, const Value *> outside; // body input -> capture
    if (node.is(OpId::Fusion)) {
      const Graph &body = node.attr("body")->getGraph();
      for (size_t i = 0; i < body.numInputs(); ++i) {
        inputs.push_back(body.input(i));
        outside[body.input(i)] = node.captures()[i];
      }
      for (const auto &inner : body.nodes())
        nodes.push_back(inner.get());
      outputs.assign(body.outputs().begin(), body.outputs().end());
    } else {
      for (const Value *operand : node.operands())
        if (std::find(inputs.begin(), inputs.end(), operand) == inputs.end())
          inputs.push_back(operand);
      nodes.push_back(&node);
      for (size_t i = 0; i < node.numResults(); ++i)
        outputs.push_back(node.result(i));
    }
    std::string why;
    std::optional<HalideBackend::Kernel> kernel = halide_->add(inputs, nodes, outputs, why);
    if (!kernel)
      return reference(why);
    // Sized by the op's rule from the Native instruction's operands: they
    // must be the op's, in order.
    if (sizing && kernel->inputs != std::vector<const Value *>(node.operands().begin(),
                                                               node.operands().end()))
      return reference("results sized at run time by a kernel that reads other buffers");
    std::vector<int64_t> symbols;
    for (const std::string &name : kernel->symbols) {
      auto it = symbols_.find(name);
      if (it == symbols_.end())
        return reference("size " + name + " is never bound by the program");
      symbols.push_back(static_cast<int64_t>(it->second));
    }
    for (const Value *value : kernel->inputs) {
      if (auto o = outside.find(value); o != outside.end()) {
        instr.operands.push_back(registers.at(o->second));
        continue;
      }
      if (auto r = registers.find(value); r != registers.end()) {
        instr.operands.push_back(r->second);
        continue;
      }
      // A weight or constant inside the fused body: load it here.
      const Node *def = value->definingNode();
      Instr load;
      load.kind = InstrKind::Const;
      load.name = instr.name + " weight";
      load.index = def->is(OpId::Weight)
                       ? weight("weight " + def->stringAttr("name"),
                                *module_.weight(def->stringAttr("name"))->value)
                       : weight("constant " + load.name + " " + std::to_string(weights_.size()),
                                *def->attr("value")->getTensorPtr());
      int64_t reg = static_cast<int64_t>(fn.registers.size());
      fn.registers.push_back(registerType(*value));
      registers[value] = reg;
      load.results.push_back(reg);
      fn.body.push_back(std::move(load));
      instr.operands.push_back(reg);
      instr.releases.push_back(reg);
    }
    for (const Node *inner : nodes)
      out_.nativeOps += !inner->def().has(OpTrait::ConstantLike);
    instr.inPlace = inPlaceInput(nodes, outputs, kernel->inputs);
    if (sizing) {
      instr.index2 = 1 + entryPoint(sizing->kernel->name);
      instr.params = std::move(sizing->params);
    }
    instr.kind = InstrKind::Native;
    instr.index = static_cast<int64_t>(out_.program.nativeKernels.size());
    instr.symbols = std::move(symbols);
    out_.program.nativeKernels.push_back(kernel->name);
    out_.program.nativeProviders.push_back("halide");
    return true;
  }

  /// Arena offsets of a kernel graph's statically sized intermediates, from
  /// the memory plan: buffers (and the elementwise results planned over
  /// them) that die inside the graph. Graphs with control flow get none:
  /// their results may alias what their branches yield.
  static std::unordered_map<const Value *, int64_t> arenaOffsets(const Graph &graph,
                                                                int64_t &arenaBytes) {
    std::unordered_map<const Value *, int64_t> offsets;
    arenaBytes = 0;
    for (const auto &node : graph.nodes())
      if (node->def().hasRegions() || node->is(OpId::Call))
        return offsets;
    MemoryPlan plan = planMemory(graph, {}, /*placeReturned=*/false);
    for (const BufferPlan &buffer : plan.buffers) {
      if (buffer.offset < 0)
        continue;
      offsets[buffer.value] = buffer.offset;
      for (const Value *value : buffer.inPlace)
        offsets[value] = buffer.offset;
      arenaBytes = std::max(arenaBytes, buffer.offset + buffer.bytes);
    }
    return offsets;
  }

  template <typename Reg>
  LogicalResult lower(const Node &node, Instr &instr, Reg &&reg) {
    for (const Value *operand : node.operands())
      instr.operands.push_back(reg(operand));
    switch (node.id()) {
    case OpId::Constant:
      instr.kind = InstrKind::Const;
      instr.operands.clear();
      instr.index = weight("constant " + instr.name + " " + std::to_string(weights_.size()),
                           *node.attr("value")->getTensorPtr());
      return success();
    case OpId::Weight: {
      instr.kind = InstrKind::Const;
      std::string name = node.stringAttr("name");
      instr.index = weight("weight " + name, *module_.weight(name)->value);
      return success();
    }
    case OpId::Identity:
      instr.kind = InstrKind::Alias;
      return success();
    case OpId::Call:
      instr.kind = InstrKind::Call;
      instr.index = index_.at(module_.graph(node.stringAttr("callee")));
      return success();
    case OpId::Fusion: // the reference path runs the fused body op by op
      instr.kind = InstrKind::Call;
      instr.index = index_.at(&node.attr("body")->getGraph());
      for (const Value *capture : node.captures())
        instr.operands.push_back(reg(capture));
      return success();
    case OpId::If:
      instr.kind = InstrKind::If;
      instr.index = index_.at(&node.attr("then_branch")->getGraph());
      instr.index2 = index_.at(&node.attr("else_branch")->getGraph());
      for (const Value *capture : node.captures())
        instr.operands.push_back(reg(capture));
      return success();
    case OpId::Loop:
      instr.kind = InstrKind::Loop;
      instr.index = index_.at(&node.attr("body")->getGraph());
      instr.index2 = static_cast<int64_t>(node.numOperands()) - 2;
      for (const Value *capture : node.captures())
        instr.operands.push_back(reg(capture));
      return success();
    default:
      break;
    }
    const OpDef &def = node.def();
    if (!def.run.lower)
      return diag_.error(node.location(), "op '" + std::string(def.name) +
                                              "' is not supported by the compiled path yet");
    InferContext ctx(node, diag_);
    dlrt::ops::LoweredOp lowered;
    if (failed(def.run.lower(ctx, lowered)))
      return failure();
    instr.kind = InstrKind::Op;
    instr.index = entryPoint(lowered.kernel->name);
    instr.params = std::move(lowered.params);
    return success();
  }

  static void dataSymbols(const TensorType &type, std::set<std::string> &names) {
    if (type.hasRank())
      for (const Dim &dim : type.dims())
        if (dim.dependsOnData())
          dim.expr().collectSymbols(names);
  }

  /// The kernel input its one result may overwrite, or -1: the result is
  /// a scatter whose data is a kernel input nothing else in the kernel
  /// reads (the scatter copies it element by element where it writes, then
  /// updates; the runtime takes the buffer only at its last use).
  static int64_t inPlaceInput(const std::vector<const Node *> &nodes,
                              const std::vector<const Value *> &outputs,
                              const std::vector<const Value *> &inputs) {
    if (outputs.size() != 1)
      return -1;
    const Node *scatter = outputs[0]->definingNode();
    if (!scatter || !(scatter->is(OpId::ScatterNd) || scatter->is(OpId::ScatterElements)))
      return -1;
    const Value *data = scatter->operand(0);
    if (!(data->type() == outputs[0]->type()) || scatter->operand(1) == data ||
        scatter->operand(2) == data)
      return -1;
    for (const Node *user : data->users())
      if (user != scatter && std::find(nodes.begin(), nodes.end(), user) != nodes.end())
        return -1;
    auto it = std::find(inputs.begin(), inputs.end(), data);
    return it == inputs.end() ? -1 : static_cast<int64_t>(it - inputs.begin());
  }

  static bool introducesDataSymbol(const Node &node) {
    std::set<std::string> known, produced;
    for (const Value *operand : node.operands())
      dataSymbols(operand->type(), known);
    for (const Value *capture : node.captures()) // a fusion reads captures
      dataSymbols(capture->type(), known);
    for (size_t i = 0; i < node.numResults(); ++i)
      dataSymbols(node.result(i)->type(), produced);
    for (const std::string &name : produced)
      if (!known.count(name))
        return true;
    return false;
  }

  /// The program's interface: main's inputs and its named results.
  LogicalResult signature(const Graph &main) {
    auto port = [&](const Value &value, const std::string &name) {
      Port p;
      p.name = name;
      p.type = kernels::elementType(value.type().dtype());
      p.ranked = value.type().hasRank();
      if (p.ranked)
        for (const Dim &dim : value.type().dims())
          p.dims.push_back(dim.str());
      return p;
    };
    for (const auto &input : main.inputs())
      out_.program.inputs.push_back(port(*input, input->name()));
    for (size_t i = 0; i < main.outputs().size(); ++i)
      out_.program.outputs.push_back(port(*main.outputs()[i], main.outputName(i)));
    return success();
  }

  const Module &module_;
  Diagnostics &diag_;
  std::string whyReference_; ///< why the node emitted last is not native
  EmittedProgram out_;
  std::vector<const Graph *> order_;
  std::map<const Graph *, int64_t> index_;
  std::map<const Graph *, std::string> names_; ///< of nested graphs: @main.if0.then_branch
  int regionCount_ = 0;
  std::map<std::string, size_t> symbols_, exprs_, weights_, entryPoints_;
  std::unique_ptr<HalideBackend> halide_;
  std::set<const Graph *> fusionBodies_;
  const Graph *current_ = nullptr;
};

} // namespace

std::optional<EmittedProgram> emitProgram(const Module &module, Diagnostics &diag,
                                          const EmitOptions &options) {
  return Emitter(module, diag, options).emit();
}

std::vector<uint8_t> writeArtifact(const EmittedProgram &emitted) {
  dlrt::artifact::ArtifactWriter writer;
  using dlrt::artifact::SectionKind;
  writer.addSection(SectionKind::HostProgram, dlrt::ops::encodeParams(emitted.program));
  writer.addSection(SectionKind::Weights, dlrt::ops::encodeParams(emitted.weights));
  if (!emitted.nativeObject.empty())
    writer.addSection(SectionKind::NativeObject, emitted.nativeObject);
  writer.addSection(SectionKind::Metadata, dlrt::ops::encodeParams(emitted.metadata));
  return writer.finish();
}

} // namespace dlc
