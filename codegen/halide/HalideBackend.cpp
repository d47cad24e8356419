//===- HalideBackend.cpp - Fused kernels as Halide pipelines --------------===//
//
// Lowering: every value of the kernel is a Halide Func over its index space
// (row-major indices; Halide's dim 0 is the innermost, so arguments are
// reversed), or an ImageParam for what the kernel reads. Dims are symbolic
// expressions turned into Halide Exprs over int32 Params, one per symbol.
// Broadcasting is decided at compile time from the IR types: an operand
// dim that is 1 where the result's is not reads index 0, an equal dim reads
// the result's index; anything else (a symbol that may or may not be 1) is
// not lowered.
//
// f32 matmuls and gemms are extern stages calling the runtime's matmul
// ukernel, 2-D convolutions with groups of 8+ outputs or depthwise its conv
// ukernel (an implicit GEMM or a depthwise row kernel;
// runtime/native/Ukernels.h): the pipeline computes their operands
// (transposed or broadcast operands) and epilogues. 16-bit floats are read widened to f32 and stored narrowed.
// Indices read at run time (gathers, scatters) and integer divisors are
// checked in the kernel (Halide's require): a bad one fails the kernel
// with the reference's reason.
//
// Schedule: elementwise and layout values are inlined into their
// consumers; reductions, softmax statistics and extern stages' operands
// are computed at root, vectorized along their innermost dim (reductions
// along it first into vector lanes) and parallel over their outermost;
// outputs likewise; scatters update serially. Parallel loops run on the
// dlc runtime's pool (see runtime/native).
//
// What is not lowered (other ops, resize's tf_crop_and_resize, axes
// computed at run time) stays on the reference kernels, per kernel;
// results never differ in kind.
//
//===----------------------------------------------------------------------===//

#include "codegen/halide/HalideBackend.h"

#include "ir/OpRegistry.h"
#include "ir/Tensor.h"
#include "kernels/Image.h"
#include "kernels/Linalg.h"
#include "kernels/Normalization.h"
#include "native/KernelChoice.h"
#include "native/Reduce.h"
#include "native/Ukernels.h"
#include "ops/Ops.h"
#include "ops/Params.h"

#include <Halide.h>

#include <algorithm>
#include <cmath>
#include <cpuid.h>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace dlc {
namespace {

namespace H = Halide;
namespace native = dlrt::native;
using Index = std::vector<H::Expr>;

std::optional<H::Type> halideType(DType dtype) {
  switch (dtype) {
  case DType::F32: return H::Float(32);
  case DType::F64: return H::Float(64);
  case DType::I8: return H::Int(8);
  case DType::I16: return H::Int(16);
  case DType::I32: return H::Int(32);
  case DType::I64: return H::Int(64);
  case DType::U8: return H::UInt(8);
  case DType::U16: return H::UInt(16);
  case DType::U32: return H::UInt(32);
  case DType::U64: return H::UInt(64);
  case DType::Bool: return H::Bool();
  case DType::F16: return H::Float(16);
  case DType::BF16: return H::BFloat(16);
  }
  return std::nullopt;
}

/// The type a value of `type` is computed in: 16-bit floats in f32.
H::Type computeType(H::Type type) {
  return type.is_float() && type.bits() == 16 ? H::Float(32) : type;
}

/// base ** exponent for integers as the reference computes it: wrapping
/// multiplication by squaring over every bit of the exponent; a negative
/// exponent gives 1 for base 1, +-1 for base -1, else 0.
H::Expr integerPower(H::Expr base, H::Expr exponent) {
  H::Type t = base.type();
  H::Expr result = H::Internal::make_one(H::UInt(64)), factor = H::cast<uint64_t>(H::cast<int64_t>(base));
  H::Expr e = H::cast<uint64_t>(H::cast<int64_t>(exponent));
  int bits = exponent.type().bits();
  for (int bit = 0; bit < bits; ++bit) {
    H::Expr set = ((e >> static_cast<uint64_t>(bit)) & H::Internal::make_one(H::UInt(64))) != 0;
    result = H::select(set, result * factor, result);
    factor = factor * factor;
  }
  H::Expr value = H::cast(t, result);
  if (!t.is_int())
    return value;
  H::Expr one = H::Internal::make_one(t), zero = H::Internal::make_zero(t);
  H::Expr odd = (exponent & H::Internal::make_one(exponent.type())) != 0;
  H::Expr negative = H::select(base == one, one, base == -one, H::select(odd, -one, one), zero);
  return H::select(exponent < H::Internal::make_zero(exponent.type()), negative, value);
}

/// Whether `x` (a float) is a NaN, from its bits: integer compares that no
/// float optimization may assume away.
H::Expr isNaN(H::Expr x) {
  int bits = x.type().bits();
  H::Type u = H::UInt(bits);
  H::Expr b = H::reinterpret(u, x);
  uint64_t magnitude = bits == 64 ? 0x7fffffffffffffffull : bits == 32 ? 0x7fffffffull : 0x7fffull;
  uint64_t infinity = bits == 64 ? 0x7ff0000000000000ull : bits == 32 ? 0x7f800000ull
                      : x.type().is_bfloat() ? 0x7f80ull : 0x7c00ull;
  return (b & H::Internal::make_const(u, magnitude)) > H::Internal::make_const(u, infinity);
}

/// max (or min) over an inline reduction of `e` that is NaN when any term
/// is, as the reference's: Halide's max leaves a NaN operand's result
/// unspecified, so an integer max carries whether there was one.
H::Expr extremum(bool isMax, H::Expr e) {
  H::Expr best = isMax ? H::maximum(e) : H::minimum(e);
  if (!e.type().is_float())
    return best;
  H::Expr any = H::maximum(H::select(isNaN(e), H::UInt(8).max(), H::UInt(8).min()));
  return H::select(any != 0, H::Internal::make_const(e.type(), NAN), best);
}

/// Thrown (and caught in add()) when a kernel cannot be lowered.
struct NotLowered {
  std::string why;
};

[[noreturn]] void reject(std::string why) { throw NotLowered{std::move(why)}; }

/// A windowed op's strides, dilations (1 by default) and pads (begins then
/// ends, 0 by default), one per spatial dim.
struct Window {
  std::vector<int64_t> strides, dilations, pads;
};
Window windowOf(const Node &node, size_t spatial) {
  auto ints = [&](const char *name, size_t count, int64_t fallback) {
    const Attribute *attr = node.attr(name);
    std::vector<int64_t> values = attr ? attr->getInts() : std::vector<int64_t>();
    if (values.size() != count)
      values.assign(count, fallback);
    return values;
  };
  return {ints("strides", spatial, 1), ints("dilations", spatial, 1), ints("pads", 2 * spatial, 0)};
}

/// The params `node` lowers to for its reference entry point: attribute
/// decoding (defaults, parsing) has one home, the op's lowering.
template <typename P> P loweredParams(const Node &node) {
  Diagnostics diag;
  InferContext ctx(node, diag);
  dlrt::ops::LoweredOp lowered;
  P params;
  if (failed(node.def().run.lower(ctx, lowered)) ||
      !dlrt::ops::decodeParams(params, lowered.params.data(), lowered.params.size(),
                               node.opName())
           .isOk())
    reject("attributes of " + std::string(node.opName()) + " it cannot read");
  return params;
}

/// The register-blocked matmul schedule (Halide's matrix_multiplication
/// schedule widened to the target's vectors): `out`, over the product's
/// index space (columns innermost), in 3-vector x 32-row tiles, the tiles in
/// parallel; `pack` (the tile's columns of B for every k; may be undefined)
/// gathered at the tile; the product `prod` per 4-row slab with its 3x4
/// vector accumulators in registers, k outermost.
void tileMatmul(H::Func out, H::Func prod, H::Func pack, int lanes) {
  const auto guard = H::TailStrategy::GuardWithIf;
  std::vector<H::Var> args = out.args();
  H::Var x = args[0], y = args[1], xo("xo"), yo("yo"), xi("xi"), yi("yi"), yii("yii"),
      tile("tile");
  out.compute_root()
      .tile(x, y, xo, yo, xi, yi, 3 * lanes, 32, guard)
      .fuse(xo, yo, tile)
      .parallel(tile)
      .split(yi, yi, yii, 4, guard)
      .vectorize(xi, lanes, guard)
      .unroll(yii);
  if (pack.defined())
    pack.compute_at(out, tile).vectorize(pack.args()[0], lanes, guard);
  std::vector<H::Var> pargs = prod.args();
  prod.compute_at(out, yi).vectorize(pargs[0], lanes, guard).unroll(pargs[1]);
  H::Stage update = prod.update();
  update.reorder(pargs[0], pargs[1], H::RVar(update.get_schedule().rvars().at(0).var))
      .vectorize(pargs[0], lanes, guard)
      .unroll(pargs[0]) // the 3 vectors of a row: accumulators in registers
      .unroll(pargs[1]);
}

/// Unrolls the reduction of `update`, a window's taps, where they are few
/// and known (a 60x80 window unrolled takes minutes to compile).
void unrollTaps(H::Stage update) {
  const std::vector<H::Internal::ReductionVariable> &rvars = update.get_schedule().rvars();
  int64_t taps = 1;
  for (const H::Internal::ReductionVariable &rv : rvars) {
    const int64_t *extent = H::Internal::as_const_int(rv.extent);
    if (!extent)
      return;
    taps *= *extent;
  }
  if (taps > 64)
    return;
  for (const H::Internal::ReductionVariable &rv : rvars)
    update.unroll(H::RVar(rv.var));
}

class Lowering {
public:
  Lowering(const H::Target &target, std::map<std::string, H::Param<int32_t>> &symbols)
      : target_(target), symbols_(symbols) {}

  std::vector<const Value *> bufferInputs;
  std::vector<H::ImageParam> paramList; ///< in bufferInputs' order
  std::set<std::string> usedSymbols;

  void input(const Value *value) {
    std::optional<H::Type> type = halideType(value->type().dtype());
    if (!type)
      reject("dtype " + std::string(dtypeName(value->type().dtype())));
    if (!value->type().hasRank())
      reject("an operand of unknown rank");
    H::ImageParam param(*type, static_cast<int>(value->type().rank()),
                        "in" + std::to_string(bufferInputs.size()));
    params_.emplace(value, param);
    paramList.push_back(param);
    bufferInputs.push_back(value);
  }

  void node(const Node &node);

  /// Whether the kernel checks values at run time (indices in range,
  /// divisors): only such kernels keep Halide's assertions (see compile).
  bool checksValues = false;

  /// The Func of an output (a Func over the value's index space).
  H::Func output(const Value *value) {
    auto it = funcs_.find(value);
    if (it == funcs_.end())
      reject("an output that is not computed inside the kernel");
    H::Type type = *halideType(value->type().dtype());
    if (it->second.output_types()[0] != type) { // computed wider (16-bit floats in f32)
      H::Func narrowed("narrowed" + std::to_string(funcs_.size()));
      std::vector<H::Var> args = it->second.args();
      narrowed(args) = H::cast(type, it->second(args));
      it->second = narrowed;
    }
    roots_.insert(value);
    return it->second;
  }

  void schedule(const std::vector<const Value *> &outputs);

private:
  /// `value` where `condition` holds, else the kernel fails with `args`.
  template <typename... Args> H::Expr require(H::Expr condition, H::Expr value, Args &&...args) {
    checksValues = true;
    return H::require(condition, value, std::forward<Args>(args)...);
  }

  // -- values ---------------------------------------------------------------
  H::Expr symbol(const std::string &name) {
    usedSymbols.insert(name);
    auto it = symbols_.find(name);
    if (it == symbols_.end())
      it = symbols_.emplace(name, H::Param<int32_t>("sym_" + sanitize(name))).first;
    return it->second;
  }

  static std::string sanitize(std::string name) {
    for (char &c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)))
        c = '_';
    return name;
  }

  H::Expr sym(const SymExpr &expr) {
    if (!expr.valid())
      reject("an unknown dim");
    auto constant = [](int64_t value) {
      if (value > INT32_MAX || value < INT32_MIN)
        reject("a size beyond int32");
      return H::Expr(static_cast<int32_t>(value));
    };
    H::Expr result = constant(expr.constant());
    for (const SymExpr::Term &term : expr.terms()) {
      H::Expr product = constant(term.coeff);
      for (const auto &atom : term.factors) {
        H::Expr factor;
        switch (atom->kind) {
        case SymAtom::Kind::Symbol:
        case SymAtom::Kind::DataSymbol: factor = symbol(atom->name); break;
        case SymAtom::Kind::FloorDiv: factor = sym(atom->lhs) / sym(atom->rhs); break;
        case SymAtom::Kind::Min: factor = H::min(sym(atom->lhs), sym(atom->rhs)); break;
        case SymAtom::Kind::Max: factor = H::max(sym(atom->lhs), sym(atom->rhs)); break;
        }
        product = product * factor;
      }
      result = result + product;
    }
    return result;
  }

  H::Expr dim(const Dim &d) {
    if (d.isUnknown())
      reject("an unknown dim");
    return d.isStatic() ? H::Expr(static_cast<int32_t>(d.size())) : sym(d.expr());
  }

  std::vector<Dim> dimsOf(const Value *value) {
    if (!value->type().hasRank())
      reject("a value of unknown rank");
    return value->type().dims();
  }

  /// Element `idx` (row-major) of `value`.
  H::Expr at(const Value *value, const Index &idx) {
    if (auto s = scalars_.find(value); s != scalars_.end())
      return s->second;
    std::vector<H::Expr> args(idx.rbegin(), idx.rend());
    // 16-bit floats are stored as such and computed in f32.
    auto widened = [](H::Expr e) {
      return e.type().is_float() && e.type().bits() == 16 ? H::cast(H::Float(32), e) : e;
    };
    if (auto p = params_.find(value); p != params_.end())
      return widened(p->second(args));
    if (auto f = funcs_.find(value); f != funcs_.end())
      return widened(f->second(args));
    reject("a value defined outside the kernel");
  }

  /// `x` (N, C, spatial...) with `value` outside its spatial extent, in
  /// Halide order, for windows to read without a bound check: `value`
  /// everywhere, then x copied over its extent (both stages vectorized by
  /// vectorizePadded; a clamped index reads with gathers instead).
  H::Func exterior(const Value *x, H::Expr value) {
    std::vector<Dim> xd = dimsOf(x);
    std::vector<H::Var> vars;
    for (size_t d = 0; d < xd.size(); ++d)
      vars.emplace_back("x" + std::to_string(d));
    H::Func padded("padded" + std::to_string(funcs_.size()) + "_" + std::to_string(padded_.size()));
    padded(std::vector<H::Var>(vars.rbegin(), vars.rend())) = value;
    H::Region interior;
    for (size_t d = xd.size(); d-- > 2;) // innermost first
      interior.push_back(H::Range(0, dim(xd[d])));
    H::RDom r(interior);
    Index index = {vars[0], vars[1]}; // row-major: n, c, then spatial
    for (size_t d = 2; d < xd.size(); ++d)
      index.push_back(r[static_cast<int>(xd.size() - 1 - d)]);
    std::vector<H::Expr> args(index.rbegin(), index.rend());
    padded(args) = at(x, index);
    padded_.insert(padded.name());
    return padded;
  }

  /// The copy stage of a Func of exterior()'s, vectorized along the
  /// innermost dim.
  static H::Stage vectorizeCopy(H::Func padded, int lanes) {
    H::Stage copy = padded.update();
    return copy.vectorize(H::RVar(copy.get_schedule().rvars().at(0).var), lanes,
                          H::TailStrategy::GuardWithIf);
  }

  /// A Func of exterior()'s, its value and its copy along the innermost dim.
  static void vectorizePadded(H::Func padded, int lanes) {
    padded.vectorize(padded.args()[0], lanes, H::TailStrategy::GuardWithIf);
    vectorizeCopy(padded, lanes);
  }

  /// `operand` read at the result index `idx` of dims `out`, broadcast.
  H::Expr broadcast(const Value *operand, const std::vector<Dim> &out, const Index &idx) {
    if (scalars_.count(operand))
      return scalars_.at(operand);
    std::vector<Dim> dims = dimsOf(operand);
    if (dims.size() > out.size())
      reject("a broadcast to a lower rank");
    Index index;
    for (size_t d = 0; d < dims.size(); ++d) {
      size_t o = d + out.size() - dims.size();
      if (dims[d].isStatic() && dims[d].size() == 1)
        index.push_back(0);
      else if (dims[d] == out[o])
        index.push_back(idx[o]);
      else
        reject("a broadcast of " + operand->type().str() + " the types do not decide");
    }
    return at(operand, index);
  }

  /// Defines `value` as body(idx) over its index space.
  void define(const Value *value, const std::function<H::Expr(const Index &)> &body) {
    std::vector<Dim> dims = dimsOf(value);
    Index idx;
    std::vector<H::Var> vars;
    for (size_t d = 0; d < dims.size(); ++d) {
      vars.emplace_back("dim" + std::to_string(d));
      idx.push_back(vars.back());
    }
    H::Func f("f" + std::to_string(funcs_.size()));
    std::vector<H::Var> args(vars.rbegin(), vars.rend());
    std::optional<H::Type> type = halideType(value->type().dtype());
    if (!type)
      reject("dtype " + std::string(dtypeName(value->type().dtype())));
    H::Expr e = body(idx);
    f(args) = e.type() == *type ? e : H::cast(*type, e);
    funcs_.emplace(value, f);
  }

  /// `isMax ? max : sum` over i in [0, n) of term(i) at each point of
  /// `args` (the pure vars of the Func it defines), for an i that indexes
  /// the innermost dim: the terms are first reduced into vector lanes
  /// (contiguous reads: lane l takes i = l, l + lanes, ...), those partial
  /// results at root, then the lanes combined. (Reducing straight along
  /// the innermost dim under a consumer vectorized along another reads with
  /// gathers: 8x slower on softmax.)
  H::Expr inLanes(bool isMax, H::Expr n, const std::vector<H::Var> &args,
                  const std::function<H::Expr(H::Expr)> &term) {
    const int lanes = target_.natural_vector_size<float>();
    H::Var l("lane");
    H::RDom ro(0, (n + lanes - 1) / lanes);
    H::Expr i = ro * lanes + l;
    H::Expr v = term(H::clamp(i, 0, H::max(n - 1, 0)));
    H::Expr identity = isMax ? H::Internal::make_const(v.type(), -INFINITY)
                             : H::Internal::make_zero(v.type());
    H::Expr masked = H::select(i < n, v, identity);
    std::vector<H::Var> pargs = {l};
    pargs.insert(pargs.end(), args.begin(), args.end());
    H::Func partial("lanes" + std::to_string(funcs_.size()) + "_" +
                    std::to_string(statistics_.size()));
    partial(pargs) = isMax ? extremum(true, masked) : H::sum(masked);
    statistics_.push_back(partial);
    H::RDom rl(0, lanes);
    std::vector<H::Expr> at = {rl};
    at.insert(at.end(), args.begin(), args.end());
    return isMax ? extremum(true, partial(at)) : H::sum(partial(at));
  }

  // -- ops ------------------------------------------------------------------
  H::Expr unary(const Node &node, H::Expr x);
  void reduce(const Node &node);
  void reduceByResultSizes(const Node &node);
  void softmax(const Node &node, bool log);
  void matmul(const Node &node);
  void conv(const Node &node);
  void globalPool(const Node &node);
  void pool(const Node &node);
  void argReduce(const Node &node);
  void gather(const Node &node);
  void scatterElements(const Node &node);
  void normalize(const Node &node);
  void einsum(const Node &node);
  void resize(const Node &node);
  void cumsum(const Node &node);
  void convTranspose(const Node &node);
  void pad(const Node &node);
  void gemm(const Node &node);
  void layout(const Node &node);
  void constant(const Node &node);

  // -- the matmul ukernel (runtime/native/Ukernels.h) --------------------------
  /// An extern stage calling the ukernel: c of `rank` dims (Halide order:
  /// columns, rows, batch...) from `a` and `b` as `flags` say.
  H::Func ukernelMatmul(const H::ExternFuncArgument &a, const H::ExternFuncArgument &b,
                        int32_t flags, H::Expr depth, size_t rank) {
    std::vector<H::Var> vars;
    for (size_t d = 0; d < rank; ++d)
      vars.emplace_back("ud" + std::to_string(d));
    H::Func f("ukernel_matmul" + std::to_string(funcs_.size()) + "_" +
              std::to_string(externs_.size()));
    f.define_extern("dlc_ukernel_matmul", {H::user_context_value(), a, b, H::Expr(flags), depth},
                    H::Float(32), vars, H::NameMangling::C);
    externs_.push_back(f);
    return f;
  }

  /// kMatmulConstantB if `b` is a weight or constant of the kernel (the
  /// program passes those from memory it holds for its life) that `arg`
  /// passes as it is.
  static int32_t constantFlag(const Value *b, const H::ExternFuncArgument &arg) {
    const Node *def = b->definingNode();
    return arg.arg_type == H::ExternFuncArgument::ImageParamArg && def &&
                   def->def().has(OpTrait::ConstantLike)
               ? native::kMatmulConstantB
               : 0;
  }

  /// `value` (dims `dims`) as a ukernel operand, read directly where the
  /// ukernel can: a kernel input whose batch dims the result's broadcast
  /// (missing or static 1), a Func whose batch dims are the result's
  /// `out`. Otherwise undefined: the caller wraps it into a Func of the
  /// result's batch dims.
  std::optional<H::ExternFuncArgument> direct(const Value *value, const std::vector<Dim> &dims,
                                              const std::vector<Dim> &out) {
    if (dims.size() > out.size() || dims.size() < 2)
      return std::nullopt;
    bool exact = true, broadcastable = true;
    for (size_t d = 0; d + 2 < dims.size(); ++d) {
      const Dim &o = out[d + out.size() - dims.size()];
      exact = exact && dims[d] == o;
      broadcastable = broadcastable && (dims[d] == o || (dims[d].isStatic() && dims[d].size() == 1));
    }
    if (auto p = params_.find(value); p != params_.end() && broadcastable)
      return H::ExternFuncArgument(p->second);
    if (auto f = funcs_.find(value); f != funcs_.end() && exact) {
      externInputs_.push_back(f->second);
      return H::ExternFuncArgument(f->second);
    }
    return std::nullopt;
  }

  /// The sum (or max) of f32 `x` over its `reduced` innermost dims (1 to
  /// 3; row-major order's trailing ones) by the reduce ukernel
  /// (runtime/native/Reduce.h): a Func over x's other dims (Halide order).
  /// Undefined where the ukernel does not apply.
  std::optional<H::Func> ukernelReduce(const Value *x, size_t reduced, bool isMax) {
    std::vector<Dim> xd = dimsOf(x);
    if (x->type().dtype() != DType::F32 || reduced < 1 || reduced > 3 || reduced >= xd.size())
      return std::nullopt;
    std::vector<H::ExternFuncArgument> args = {
        H::user_context_value(), externOperand(x),
        H::Expr(static_cast<int32_t>(isMax ? native::RunReduction::Max : native::RunReduction::Sum)),
        H::Expr(static_cast<int32_t>(reduced))};
    for (size_t d = 0; d < 3; ++d)
      args.push_back(d < reduced ? dim(xd[xd.size() - 1 - d]) : H::Expr(1));
    std::vector<H::Var> vars;
    for (size_t d = reduced; d < xd.size(); ++d)
      vars.emplace_back("rd" + std::to_string(d));
    H::Func f("ukernel_reduce" + std::to_string(funcs_.size()) + "_" +
              std::to_string(externs_.size()));
    f.define_extern("dlc_ukernel_reduce", args, H::Float(32), vars, H::NameMangling::C);
    externs_.push_back(f);
    return f;
  }

  /// `value` as a ukernel operand read whole: the kernel input itself, or
  /// the Func computing it (at root, dense).
  H::ExternFuncArgument externOperand(const Value *value) {
    if (auto p = params_.find(value); p != params_.end())
      return H::ExternFuncArgument(p->second);
    size_t rank = value->type().dims().size();
    if (auto f = funcs_.find(value);
        f != funcs_.end() && f->second.dimensions() == static_cast<int>(rank)) {
      externInputs_.push_back(f->second);
      return H::ExternFuncArgument(f->second);
    }
    return wrapOperand(rank, [&](const Index &i) { return at(value, i); });
  }

  /// A Func over the result's index space (`rank` dims, row-major body).
  H::Func wrapOperand(size_t rank, const std::function<H::Expr(const Index &)> &body) {
    std::vector<H::Var> vars;
    for (size_t d = 0; d < rank; ++d)
      vars.emplace_back("wd" + std::to_string(d));
    H::Func f("operand" + std::to_string(funcs_.size()) + "_" + std::to_string(externInputs_.size()));
    f(std::vector<H::Var>(vars.rbegin(), vars.rend())) = body(Index(vars.begin(), vars.end()));
    externInputs_.push_back(f);
    return f;
  }

  const H::Target &target_;
  std::map<std::string, H::Param<int32_t>> &symbols_;
  std::map<const Value *, H::ImageParam> params_;
  std::map<const Value *, H::Func> funcs_;
  std::map<const Value *, H::Expr> scalars_;
  std::set<const Value *> roots_;    ///< values computed at root
  std::vector<H::Func> matmuls_;     ///< roots with a reduction update
  std::vector<H::Func> statistics_;  ///< softmax max and sum, at root
  /// Intermediate Funcs at root, scheduled as values are: zero-padded
  /// conv inputs, a transposed B packed, the stages of a separable resize.
  std::vector<H::Func> atRoot_;
  std::vector<H::Func> convs_;       ///< roots with a reduction update
  /// Convs whose reduction is their kernel taps alone (one input channel
  /// per group: depthwise) of static extents, by name: their padded input
  /// (scheduled with them).
  std::map<std::string, H::Func> tapsOnly_;
  std::vector<H::Func> packs_;       ///< a matmul's packed B, per matmul
  std::vector<H::Func> externs_;     ///< ukernel stages (at root unless below)
  /// The conv ukernel's stages, by name: their result, and whether every
  /// output channel reads one input channel (depthwise). Either computes
  /// any region of its result (see schedule).
  struct ConvStage {
    const Value *result;
    bool depthwise;
  };
  std::map<std::string, ConvStage> convStages_;
  std::vector<H::Func> externInputs_; ///< Funcs a ukernel reads, at root
  std::vector<H::Func> tapTables_;   ///< resize taps computed per kernel run, at root
  std::vector<H::Func> updates_;     ///< other Funcs with an update, at root
  std::vector<std::pair<H::Func, int>> scans_; ///< scans, their axis (Halide dim)
  std::vector<H::Func> scatters_;    ///< a copy, then a serial scatter update
  /// Pools: the result, the padded input it reads (exterior()), its
  /// window's reduction.
  struct Pool {
    const Value *result;
    H::Func padded, window;
  };
  std::vector<Pool> pools_;
  std::set<std::string> padded_; ///< names of exterior()'s Funcs
};

namespace {

/// tanh of f32 as a vectorizable rational function (Eigen's fast tanh:
/// odd degree 13 over even degree 6 on x clamped to +-7.905, x itself
/// below 4e-4): within 4e-7 relative of tanh, where Halide's tanh calls
/// libm's scalar tanhf per element (a batch-1 recurrent cell spent a fifth
/// of its time there). NaN stays NaN.
H::Expr tanhF32(H::Expr x) {
  auto c = [](double v) { return H::Expr(static_cast<float>(v)); };
  H::Expr clamped = H::clamp(x, c(-7.90531110763549805), c(7.90531110763549805));
  H::Expr x2 = clamped * clamped;
  H::Expr p = c(-2.76076847742355e-16);
  for (double a : {2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-08,
                   1.48572235717979e-05, 6.37261928875436e-04, 4.89352455891786e-03})
    p = p * x2 + c(a);
  p = p * clamped;
  H::Expr q = c(1.19825839466702e-06);
  for (double b : {1.18534705686654e-04, 2.26843463243900e-03, 4.89352518554385e-03})
    q = q * x2 + c(b);
  return H::select(H::is_nan(x) || H::abs(x) < c(0.0004), x, p / q);
}

} // namespace

H::Expr Lowering::unary(const Node &node, H::Expr x) {
  bool isFloat = x.type().is_float();
  auto floatOnly = [&] {
    if (!isFloat)
      reject(std::string(node.opName()) + " of integers");
  };
  H::Type t = x.type();
  switch (node.id()) {
  case OpId::Exp: floatOnly(); return H::exp(x);
  case OpId::Log: floatOnly(); return H::log(x);
  case OpId::Sqrt: floatOnly(); return H::sqrt(x);
  case OpId::Rsqrt: floatOnly(); return H::Internal::make_const(t, 1) / H::sqrt(x);
  case OpId::Reciprocal: floatOnly(); return H::Internal::make_const(t, 1) / x;
  case OpId::Sigmoid: floatOnly(); return H::Internal::make_const(t, 1) / (H::Internal::make_const(t, 1) + H::exp(-x));
  case OpId::Tanh:
    floatOnly();
    return t == H::Float(32) ? tanhF32(x) : H::tanh(x);
  case OpId::Erf: floatOnly(); return H::erf(x);
  case OpId::Sin: floatOnly(); return H::sin(x);
  case OpId::Cos: floatOnly(); return H::cos(x);
  case OpId::Tan: floatOnly(); return H::tan(x);
  case OpId::Asin: floatOnly(); return H::asin(x);
  case OpId::Acos: floatOnly(); return H::acos(x);
  case OpId::Atan: floatOnly(); return H::atan(x);
  case OpId::Sinh: floatOnly(); return H::sinh(x);
  case OpId::Cosh: floatOnly(); return H::cosh(x);
  case OpId::Asinh: floatOnly(); return H::asinh(x);
  case OpId::Acosh: floatOnly(); return H::acosh(x);
  case OpId::Atanh: floatOnly(); return H::atanh(x);
  case OpId::Floor: floatOnly(); return H::floor(x);
  case OpId::Ceil: floatOnly(); return H::ceil(x);
  case OpId::Round: floatOnly(); return H::round(x);
  case OpId::Softplus: floatOnly(); return H::log(H::Internal::make_const(t, 1) + H::exp(x));
  case OpId::LeakyRelu:
    floatOnly();
    return H::select(x < 0, H::Internal::make_const(t, node.floatAttr("alpha")) * x, x);
  case OpId::Elu:
    floatOnly();
    return H::select(x < 0, H::Internal::make_const(t, node.floatAttr("alpha")) * (H::exp(x) - 1), x);
  case OpId::Neg: return -x;
  case OpId::Abs: return H::abs(x);
  case OpId::Relu: // (strict: a NaN stays, never becomes max(x, 0))
    return H::select(isFloat ? H::strict_float(x < H::Internal::make_zero(t)) : x < H::Internal::make_zero(t),
                     H::Internal::make_zero(t), x);
  case OpId::Sign:
    return H::select(x > H::Internal::make_zero(t), H::Internal::make_one(t),
                     H::select(x < H::Internal::make_zero(t), -H::Internal::make_one(t), H::Internal::make_zero(t)));
  case OpId::Not: return !x;
  default: break;
  }
  reject("op " + std::string(node.opName()));
}

void Lowering::node(const Node &node) {
  const OpDef &def = node.def();
  if (def.has(OpTrait::ConstantLike))
    return constant(node);
  if (node.numResults() != 1)
    reject("op " + std::string(node.opName()) + " with several results");
  const Value *result = node.result(0);
  std::vector<Dim> out = dimsOf(result);
  auto operand = [&](size_t i, const Index &idx) { return broadcast(node.operand(i), out, idx); };
  switch (node.id()) {
  case OpId::Add: case OpId::Sub: case OpId::Mul: case OpId::Div: case OpId::Max:
  case OpId::Min: case OpId::Pow: case OpId::Equal: case OpId::Less: case OpId::LessEqual:
  case OpId::Greater: case OpId::GreaterEqual: case OpId::And: case OpId::Or: case OpId::Xor: {
    DType dtype = node.operand(0)->type().dtype();
    bool isFloatType = isFloat(dtype);
    OpId id = node.id();
    return define(result, [&](const Index &idx) -> H::Expr {
      H::Expr a = operand(0, idx), b = operand(1, idx);
      switch (id) {
      case OpId::Add: return a + b;
      case OpId::Sub: return a - b;
      case OpId::Mul: return a * b;
      case OpId::Div:
        // Integers truncate toward zero; a zero divisor fails the kernel
        // (as the reference).
        return isFloatType ? a / b
                       : H::div_round_to_zero(
                             a, require(b != H::Internal::make_zero(b.type()), b,
                                           "is a divisor: integer division by zero"));
      case OpId::Max: return H::max(a, b);
      case OpId::Min: return H::min(a, b);
      case OpId::Pow:
        return isFloatType ? H::pow(a, b) : integerPower(a, b);
      // Comparisons keep IEEE semantics (NaN and infinities) whatever
      // Halide's float optimizations assume.
      case OpId::Equal: return H::strict_float(a == b);
      case OpId::Less: return H::strict_float(a < b);
      case OpId::LessEqual: return H::strict_float(a <= b);
      case OpId::Greater: return H::strict_float(a > b);
      case OpId::GreaterEqual: return H::strict_float(a >= b);
      case OpId::And: return a && b;
      case OpId::Or: return a || b;
      default: return a != b; // xor of bools
      }
    });
  }
  case OpId::Mod: {
    // The remainder of truncating division (C's fmod), with the divisor's
    // sign unless fmod (the reference's rules). Floats call libm's fmod
    // (exact), integers fail the kernel on a zero divisor.
    bool fmod = node.intAttr("fmod") != 0;
    return define(result, [&](const Index &idx) -> H::Expr {
      H::Expr a = operand(0, idx), b = operand(1, idx), zero = H::Internal::make_zero(a.type());
      if (a.type().is_float()) {
        H::Expr r = H::Internal::Call::make(a.type(), a.type().bits() == 64 ? "fmod" : "fmodf",
                                            {a, b}, H::Internal::Call::PureExtern);
        if (fmod)
          return r;
        // (strict: integer-valued tests on the float bits would be rewritten)
        return H::strict_float(H::select(r != zero && ((r < zero) != (b < zero)), r + b, r));
      }
      b = require(b != zero, b, "is a divisor: integer division by zero");
      H::Expr r = a % b; // Halide's: Euclidean, in [0, |b|)
      if (a.type().is_int())
        r = fmod ? H::select(a < zero && r != zero, r - H::abs(b), r)
                 : H::select(b < zero && r != zero, r + b, r);
      return r;
    });
  }
  case OpId::BitShift: {
    bool left = node.attr("direction") && node.attr("direction")->getString() == "LEFT";
    return define(result, [&](const Index &idx) -> H::Expr {
      H::Expr a = operand(0, idx), b = operand(1, idx);
      H::Expr shifted = left ? a << b : a >> b;
      return H::select(b >= H::Internal::make_const(b.type(), a.type().bits()),
                       H::Internal::make_zero(a.type()), shifted);
    });
  }
  case OpId::Where:
    return define(result, [&](const Index &idx) {
      return H::select(operand(0, idx), operand(1, idx), operand(2, idx));
    });
  case OpId::Clip:
    return define(result, [&](const Index &idx) {
      H::Expr x = operand(0, idx);
      if (node.numOperands() > 1)
        x = H::max(x, at(node.operand(1), Index(node.operand(1)->type().rank(), 0)));
      if (node.numOperands() > 2)
        x = H::min(x, at(node.operand(2), Index(node.operand(2)->type().rank(), 0)));
      return x;
    });
  case OpId::Cast: {
    DType from = node.operand(0)->type().dtype(), to = result->type().dtype();
    bool fromFloat = isFloat(from);
    bool toFloat = isFloat(to);
    std::optional<H::Type> type = halideType(to);
    if (!type)
      reject("a cast to " + std::string(dtypeName(to)));
    return define(result, [&](const Index &idx) -> H::Expr {
      H::Expr x = operand(0, idx);
      if (to == DType::Bool)
        return x != H::Internal::make_zero(x.type());
      if (fromFloat && !toFloat) {
        // The reference's rules: to int64 saturating (NaN gives 0), then
        // wrapping to the narrower type; u64 takes [2^63, 2^64) as is.
        H::Expr big = H::Internal::make_const(x.type(), 9.2233720368547758e18);
        H::Expr wide = H::select(H::is_nan(x), H::Internal::make_zero(H::Int(64)),
                                 H::select(x >= big, H::Int(64).max(),
                                           H::select(x <= -big, H::Int(64).min(), H::cast<int64_t>(x))));
        if (to == DType::U64)
          return H::select(x >= big && x < H::Internal::make_const(x.type(), 1.8446744073709552e19),
                           H::cast<uint64_t>(x), H::cast<uint64_t>(wide));
        return H::cast(*type, wide);
      }
      return H::cast(*type, x);
    });
  }
  case OpId::Matmul: return matmul(node);
  case OpId::Conv: return conv(node);
  case OpId::GlobalAvgPool: case OpId::GlobalMaxPool: return globalPool(node);
  case OpId::MaxPool: case OpId::AvgPool: return pool(node);
  case OpId::Argmax: case OpId::Argmin: return argReduce(node);
  case OpId::Gather: case OpId::GatherElements: return gather(node);
  case OpId::ScatterElements: case OpId::ScatterNd: return scatterElements(node);
  case OpId::GatherNd: {
    // out[b..., u..., s...] = x[b..., indices[b..., u..., 0..k), s...]: the
    // index tuples checked in the kernel, as gather's.
    const Value *x = node.operand(0), *indices = node.operand(1);
    std::vector<Dim> in = dimsOf(x), id = dimsOf(indices);
    int64_t batch = node.intAttr("batch_dims");
    if (id.empty() || !id.back().isStatic() || batch < 0 ||
        batch + id.back().size() > static_cast<int64_t>(in.size()) ||
        batch >= static_cast<int64_t>(id.size()))
      reject("gather_nd with a symbolic or oversized index depth");
    int64_t k = id.back().size();
    size_t lead = id.size() - 1;
    return define(result, [&](const Index &idx) -> H::Expr {
      Index tuple(idx.begin(), idx.begin() + static_cast<int64_t>(lead));
      Index where(idx.begin(), idx.begin() + batch);
      for (int64_t j = 0; j < k; ++j) {
        Index at_ = tuple;
        at_.push_back(static_cast<int32_t>(j));
        H::Expr i = H::cast<int64_t>(at(indices, at_)), n = H::cast<int64_t>(dim(in[batch + j]));
        i = require(i >= -n && i < n, i, "is an index out of range for a dim of size", n);
        where.push_back(H::cast<int32_t>(H::clamp(H::select(i < 0, i + n, i), 0, H::max(n - 1, 0))));
      }
      for (size_t d = lead; d < idx.size(); ++d)
        where.push_back(idx[d]);
      return at(x, where);
    });
  }
  case OpId::Shape: {
    // The operand's dims (symbols as the kernel receives them), as i64.
    std::vector<Dim> in = dimsOf(node.operand(0));
    if (in.empty())
      reject("shape of a scalar");
    return define(result, [&](const Index &idx) -> H::Expr {
      H::Expr value = H::cast<int64_t>(dim(in.back()));
      for (size_t d = in.size() - 1; d-- > 0;)
        value = H::select(idx[0] == static_cast<int32_t>(d), H::cast<int64_t>(dim(in[d])), value);
      return value;
    });
  }
  case OpId::LayerNorm: case OpId::InstanceNorm: return normalize(node);
  case OpId::Lrn: {
    // x / (bias + alpha / size * the sum of squares over `size` channels
    // around it)^beta, the channels clamped to the tensor.
    auto params = loweredParams<dlrt::kernels::LrnParams>(node);
    const Value *x = node.operand(0);
    std::vector<Dim> in = dimsOf(x);
    if (in.size() < 3 || !isFloat(x->type().dtype()) || params.size < 1 || params.size > 4096)
      reject("lrn of this operand");
    int32_t below = static_cast<int32_t>((params.size - 1) / 2);
    H::RDom r(0, static_cast<int32_t>(params.size));
    return define(result, [&](const Index &idx) -> H::Expr {
      H::Expr channels = dim(in[1]), c = idx[1] - below + r;
      Index at_ = idx;
      at_[1] = H::clamp(c, 0, channels - 1);
      H::Expr v = at(x, at_);
      H::Expr sum = H::sum(H::select(c >= 0 && c < channels, v * v, H::Internal::make_zero(v.type())));
      H::Type t = sum.type();
      return at(x, idx) / H::pow(H::Internal::make_const(t, params.bias) +
                                     H::Internal::make_const(t, params.alpha / double(params.size)) * sum,
                                 H::Internal::make_const(t, params.beta));
    });
  }
  case OpId::Einsum: return einsum(node);
  case OpId::Resize: return resize(node);
  case OpId::Cumsum: return cumsum(node);
  case OpId::Trilu:
    // Keeps the upper (lower) triangle of the last two dims, from
    // diagonal k (a run-time scalar).
    return define(result, [&](const Index &idx) -> H::Expr {
      size_t rank = idx.size();
      H::Expr k = node.numOperands() > 1 ? H::cast<int64_t>(at(node.operand(1), {})) : H::Expr(int64_t(0));
      H::Expr offset = H::cast<int64_t>(idx[rank - 1]) - H::cast<int64_t>(idx[rank - 2]);
      H::Expr keep = node.intAttr("upper") ? offset >= k : offset <= k;
      H::Expr x = at(node.operand(0), idx);
      return H::select(keep, x, H::Internal::make_zero(x.type()));
    });
  case OpId::ConvTranspose: return convTranspose(node);
  case OpId::BatchNorm:
    // Inference form: per-channel statistics given.
    return define(result, [&](const Index &idx) -> H::Expr {
      auto channel = [&](size_t i) { return at(node.operand(i), {idx[1]}); };
      H::Expr x = at(node.operand(0), idx);
      H::Expr eps = H::Internal::make_const(x.type(), node.floatAttr("epsilon"));
      return (x - channel(3)) / H::sqrt(channel(4) + eps) * channel(1) + channel(2);
    });
  case OpId::Tile:
    // The result's dims say how often: index modulo the input's dims.
    return define(result, [&](const Index &idx) {
      std::vector<Dim> in = dimsOf(node.operand(0));
      Index index;
      for (size_t d = 0; d < in.size(); ++d)
        index.push_back(idx[d] % H::max(dim(in[d]), 1));
      return at(node.operand(0), index);
    });
  case OpId::Pad: return pad(node);
  case OpId::Gemm: return gemm(node);
  case OpId::ReduceSum: case OpId::ReduceMean: case OpId::ReduceMax: case OpId::ReduceMin:
  case OpId::ReduceProd:
    return reduce(node);
  case OpId::Softmax: return softmax(node, false);
  case OpId::LogSoftmax: return softmax(node, true);
  case OpId::Transpose: case OpId::Reshape: case OpId::Flatten: case OpId::Squeeze:
  case OpId::Unsqueeze: case OpId::Identity: case OpId::Slice: case OpId::Concat:
  case OpId::Expand:
    return layout(node);
  default:
    break;
  }
  if (def.has(OpTrait::Elementwise) && node.numOperands() == 1)
    return define(result, [&](const Index &idx) { return unary(node, operand(0, idx)); });
  reject("op " + std::string(node.opName()));
}

void Lowering::constant(const Node &node) {
  const Value *value = node.result(0);
  const Tensor *tensor = constantValue(value);
  if (!tensor)
    reject("a constant without a value");
  std::optional<H::Type> type = halideType(tensor->dtype());
  if (!type)
    reject("dtype " + std::string(dtypeName(tensor->dtype())));
  if (tensor->numElements() == 1) {
    // A scalar: an immediate, broadcast anywhere.
    H::Expr e = type->is_float() ? H::Expr(tensor->getDouble(0)) : H::Expr(tensor->getInt(0));
    scalars_[value] = H::cast(*type, e);
    return;
  }
  input(value); // read from the program's weights
}

/// Combines the terms `e` of a reduction over `count` elements.
H::Expr combineReduction(OpId id, H::Expr e, H::Expr count) {
  switch (id) {
  case OpId::ReduceSum: return H::sum(e);
  case OpId::ReduceMax: return extremum(true, e);
  case OpId::ReduceMin: return extremum(false, e);
  case OpId::ReduceProd: return H::product(e);
  default:
    if (!e.type().is_float())
      reject("reduce_mean of integers");
    return H::sum(e) / H::cast(e.type(), count);
  }
}

void Lowering::reduce(const Node &node) {
  const Value *x = node.operand(0), *result = node.result(0);
  std::vector<Dim> in = dimsOf(x);
  int64_t rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> axes;
  if (const std::vector<int64_t> *given = node.def().attrSpec("axes") && node.attr("axes")
                                              ? &node.attr("axes")->getInts()
                                              : nullptr)
    axes = *given;
  else if (node.numOperands() > 1) {
    const Tensor *t = constantValue(node.operand(1));
    if (!t)
      return reduceByResultSizes(node);
    axes = t->toInts();
  }
  if (axes.empty()) {
    if (node.intAttr("noop_with_empty_axes"))
      reject("noop_with_empty_axes");
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  for (int64_t &axis : axes)
    axis = axis < 0 ? axis + rank : axis;
  std::sort(axes.begin(), axes.end());
  bool keep = node.intAttr("keepdims") != 0;
  OpId kind = node.id();
  if (axes.size() == 1 && axes[0] == rank - 1 && isFloat(x->type().dtype()) &&
      (kind == OpId::ReduceSum || kind == OpId::ReduceMean || kind == OpId::ReduceMax)) {
    // Along the innermost dim alone: in vector lanes first.
    std::vector<Dim> out = dimsOf(result);
    std::vector<H::Var> vars;
    for (size_t d = 0; d < out.size(); ++d)
      vars.emplace_back("rdim" + std::to_string(d));
    std::vector<H::Var> args(vars.rbegin(), vars.rend());
    H::Expr n = dim(in[rank - 1]);
    H::Expr e = inLanes(kind == OpId::ReduceMax, n, args, [&](H::Expr k) {
      Index index(vars.begin(), vars.begin() + (rank - 1));
      index.push_back(k);
      return at(x, index);
    });
    if (kind == OpId::ReduceMean)
      e = e / H::cast(e.type(), n);
    H::Func f("reduce" + std::to_string(funcs_.size()));
    f(args) = e;
    funcs_.emplace(result, f);
    roots_.insert(result);
    return;
  }
  bool trailing = axes.size() >= 2 && axes.front() == rank - static_cast<int64_t>(axes.size()) &&
                  std::adjacent_find(axes.begin(), axes.end(),
                                     [](int64_t a, int64_t b) { return b != a + 1; }) == axes.end();
  if (trailing && (kind == OpId::ReduceSum || kind == OpId::ReduceMean || kind == OpId::ReduceMax)) {
    // Over trailing dims (a global pool written as a reduce): dense runs.
    if (std::optional<H::Func> runs = ukernelReduce(x, axes.size(), kind == OpId::ReduceMax)) {
      H::Expr count = H::Expr(1);
      for (int64_t axis : axes)
        count = count * dim(in[axis]);
      size_t kept = in.size() - axes.size();
      define(result, [&](const Index &idx) -> H::Expr {
        std::vector<H::Expr> at(idx.begin(), idx.begin() + kept);
        std::reverse(at.begin(), at.end());
        H::Expr e = (*runs)(at);
        return kind == OpId::ReduceMean ? e / H::cast(e.type(), count) : e;
      });
      roots_.insert(result);
      return;
    }
  }
  H::Region region;
  for (int64_t axis : axes)
    region.push_back(H::Range(0, dim(in[axis])));
  H::RDom r(region);
  OpId id = node.id();
  define(result, [&](const Index &idx) -> H::Expr {
    Index index;
    size_t next = 0, reduced = 0;
    for (int64_t d = 0; d < rank; ++d) {
      bool isReduced = std::binary_search(axes.begin(), axes.end(), d);
      if (isReduced) {
        index.push_back(r[static_cast<int>(reduced++)]);
        if (keep)
          ++next;
      } else {
        index.push_back(idx[next++]);
      }
    }
    H::Expr count = H::Expr(1);
    for (int64_t axis : axes)
      count = count * dim(in[axis]);
    return combineReduction(id, at(x, index), count);
  });
  roots_.insert(result);
}

void Lowering::reduceByResultSizes(const Node &node) {
  // Axes the program computes (their values arrive with the run): the
  // result keeps the dims (simplify makes it so) and its sizes, bound by
  // the op's sizing rule before the kernel runs, say which dims it
  // reduces: extent 1 where the input's is not, or where both are 1 (a
  // dim of 1 reduced or kept is the same). Duplicate, negative and empty
  // axes (noop_with_empty_axes too) were resolved by that rule.
  if (!node.intAttr("keepdims"))
    reject("axes computed at run time, dims dropped");
  const Value *x = node.operand(0), *result = node.result(0);
  std::vector<Dim> in = dimsOf(x), out = dimsOf(result);
  if (in.empty() || in.size() != out.size())
    reject("axes computed at run time over a scalar");
  H::Region region;
  H::Expr count = H::Expr(1);
  for (size_t d = 0; d < in.size(); ++d) {
    H::Expr extent = H::select(dim(out[d]) == 1, dim(in[d]), 1);
    region.push_back(H::Range(0, extent));
    count = count * extent;
  }
  H::RDom r(region);
  define(result, [&](const Index &idx) -> H::Expr {
    Index index;
    for (size_t d = 0; d < in.size(); ++d)
      index.push_back(idx[d] + r[static_cast<int>(d)]);
    return combineReduction(node.id(), at(x, index), count);
  });
  roots_.insert(result);
}

void Lowering::softmax(const Node &node, bool log) {
  const Value *x = node.operand(0), *result = node.result(0);
  std::vector<Dim> in = dimsOf(x);
  int64_t rank = static_cast<int64_t>(in.size());
  if (rank == 0)
    reject("softmax of a scalar");
  int64_t axis = node.intAttr("axis");
  axis = axis < 0 ? axis + rank : axis;
  H::RDom r(0, dim(in[axis]));
  // Statistics over the axis, on the other dims (axis index fixed at 0).
  std::vector<H::Var> vars;
  for (int64_t d = 0; d < rank; ++d)
    vars.emplace_back("sdim" + std::to_string(d));
  auto with = [&](const Index &idx, H::Expr k) {
    Index index = idx;
    index[axis] = k;
    return index;
  };
  Index vidx(vars.begin(), vars.end());
  std::vector<H::Var> args(vars.rbegin(), vars.rend());
  H::Func mx("softmax_max"), total("softmax_sum");
  if (axis == rank - 1 && isFloat(x->type().dtype())) {
    mx(args) = inLanes(true, dim(in[axis]), args, [&](H::Expr k) { return at(x, with(vidx, k)); });
    total(args) = inLanes(false, dim(in[axis]), args,
                          [&](H::Expr k) { return H::exp(at(x, with(vidx, k)) - mx(args)); });
  } else {
    mx(args) = H::maximum(at(x, with(vidx, r)));
    total(args) = H::sum(H::exp(at(x, with(vidx, r)) - mx(args)));
  }
  statistics_.push_back(mx);
  statistics_.push_back(total);
  auto stat = [&](H::Func f, const Index &idx) {
    Index index = with(idx, 0);
    return f(std::vector<H::Expr>(index.rbegin(), index.rend()));
  };
  define(result, [&](const Index &idx) -> H::Expr {
    H::Expr shifted = at(x, idx) - stat(mx, idx);
    return log ? shifted - H::log(stat(total, idx)) : H::exp(shifted) / stat(total, idx);
  });
}

void Lowering::matmul(const Node &node) {
  const Value *a = node.operand(0), *b = node.operand(1), *result = node.result(0);
  std::vector<Dim> ad = dimsOf(a), bd = dimsOf(b), out = dimsOf(result);
  if (ad.size() < 2 || bd.size() < 2)
    reject("matmul of a vector");
  size_t rank = out.size();
  H::RDom k(0, dim(ad.back()));
  // Batch dims broadcast like an elementwise op's.
  auto batch = [&](const Value *v, const std::vector<Dim> &dims, const Index &idx, H::Expr row,
                   H::Expr col) {
    Index index;
    for (size_t d = 0; d + 2 < dims.size(); ++d) {
      size_t o = d + rank - dims.size();
      if (dims[d].isStatic() && dims[d].size() == 1)
        index.push_back(0);
      else if (dims[d] == out[o])
        index.push_back(idx[o]);
      else
        reject("a matmul batch broadcast the types do not decide");
    }
    index.push_back(row);
    index.push_back(col);
    return at(v, index);
  };
  std::vector<H::Var> vars;
  for (size_t d = 0; d < rank; ++d)
    vars.emplace_back("mdim" + std::to_string(d));
  Index idx(vars.begin(), vars.end());
  std::vector<H::Var> args(vars.rbegin(), vars.rend());
  std::optional<H::Type> type = halideType(result->type().dtype());
  if (!type || !type->is_float())
    reject("matmul of integers");
  if (*type == H::Float(32)) {
    // The ukernel: operands as they are where it can read them, else
    // broadcast into Funcs of the result's batch dims.
    auto operand = [&](const Value *v, const std::vector<Dim> &dims) -> H::ExternFuncArgument {
      if (auto arg = direct(v, dims, out))
        return *arg;
      return wrapOperand(rank, [&](const Index &i) {
        return batch(v, dims, i, i[rank - 2], i[rank - 1]);
      });
    };
    H::ExternFuncArgument aArg = operand(a, ad), bArg = operand(b, bd);
    funcs_.emplace(result, ukernelMatmul(aArg, bArg, constantFlag(b, bArg), dim(ad.back()), rank));
    return;
  }
  // B goes through a packing Func (k rows of the tile's columns, stored
  // contiguously at the tile: see schedule()); consumers read the product
  // through a pure Func so that the product lives in registers per tile.
  H::Func pack("pack" + std::to_string(funcs_.size()));
  pack(args) = batch(b, bd, idx, idx[rank - 2], idx[rank - 1]);
  Index pidx = idx;
  H::Func m("matmul" + std::to_string(funcs_.size()));
  m(args) = H::Internal::make_zero(computeType(*type));
  pidx[rank - 2] = k;
  m(args) += batch(a, ad, idx, idx[rank - 2], k) *
             pack(std::vector<H::Expr>(pidx.rbegin(), pidx.rend()));
  H::Func read("matmul_value" + std::to_string(funcs_.size()));
  read(args) = m(args);
  funcs_.emplace(result, read);
  matmuls_.push_back(m);
  packs_.push_back(pack);
}

// conv(x[N,C,spatial...], w[M,C/group,k...], [bias]): the conv ukernel
// (2-D, f32, groups of 8+ outputs), else an explicit sum over (input
// channel of the group, kernel offsets) of a zero-padded x.
void Lowering::conv(const Node &node) {
  const Value *x = node.operand(0), *w = node.operand(1), *result = node.result(0);
  std::vector<Dim> xd = dimsOf(x), wd = dimsOf(w), out = dimsOf(result);
  size_t spatial = xd.size() - 2;
  if (xd.size() < 3 || wd.size() != xd.size())
    reject("conv of unexpected ranks");
  std::optional<H::Type> type = halideType(result->type().dtype());
  if (!type || !type->is_float())
    reject("conv of integers");
  auto [strides, dilations, pads] = windowOf(node, spatial);
  int64_t group = node.intAttr("group");
  if (!wd[0].isStatic() || wd[0].size() % group != 0)
    reject("conv with a symbolic or uneven channel count");
  int64_t perGroup = wd[0].size() / group;
  bool staticKernel = std::all_of(wd.begin() + 1, wd.end(), [](const Dim &d) { return d.isStatic(); });
  bool depthwise = staticKernel && wd[1].size() == 1 && group > 1;
  if (spatial == 2 && (group == 1 || perGroup >= 8 || depthwise) && staticKernel &&
      node.numOperands() <= 3 && *type == H::Float(32)) {
    // A 2-D convolution is the conv ukernel's (runtime/native/Conv.h):
    // with groups of 8 output channels or more an implicit GEMM (the
    // input's patches gathered panel by panel), a depthwise one its own
    // row kernel; the bias and what follows as epilogue.
    auto i32 = [](int64_t v) { return H::Expr(static_cast<int32_t>(v)); };
    H::Func product("ukernel_conv" + std::to_string(funcs_.size()) + "_" +
                    std::to_string(externs_.size()));
    product.define_extern(
        "dlc_ukernel_conv2d",
        {H::user_context_value(), externOperand(x), externOperand(w), i32(wd[2].size()),
         i32(wd[3].size()), i32(strides[0]), i32(strides[1]), i32(pads[0]), i32(pads[1]),
         i32(dilations[0]), i32(dilations[1]), i32(group), i32(wd[1].size()), i32(wd[0].size()),
         dim(xd[2]), dim(xd[3])},
        H::Float(32), {H::Var("uw"), H::Var("uh"), H::Var("um"), H::Var("un")},
        H::NameMangling::C);
    externs_.push_back(product);
    convStages_.emplace(product.name(), ConvStage{result, depthwise});
    define(result, [&](const Index &idx) {
      H::Expr e = product(idx[3], idx[2], idx[1], idx[0]);
      return node.numOperands() > 2 ? e + H::cast(*type, at(node.operand(2), {idx[1]})) : e;
    });
    return;
  }
  // Otherwise (depthwise, 1-D/3-D, f64) directly, over the padded input.
  // The zero-padded input, indexed in unpadded coordinates.
  H::Func padded = exterior(x, H::Internal::make_zero(computeType(*type)));
  bool tapsOnly = staticKernel && wd[1].size() == 1;
  if (!tapsOnly)
    atRoot_.push_back(padded);
  // The reduction: input channels of the group, then kernel offsets.
  H::Region region = {H::Range(0, dim(wd[1]))};
  for (size_t d = 0; d < spatial; ++d)
    region.push_back(H::Range(0, dim(wd[2 + d])));
  H::RDom r(region);
  std::vector<H::Var> vars;
  for (size_t d = 0; d < out.size(); ++d)
    vars.emplace_back("cdim" + std::to_string(d));
  Index idx(vars.begin(), vars.end());
  std::vector<H::Var> args(vars.rbegin(), vars.rend());
  H::Expr g = idx[1] / static_cast<int32_t>(perGroup);
  Index xi = {idx[0], g * dim(wd[1]) + r[0]};
  Index wi = {idx[1], r[0]};
  for (size_t d = 0; d < spatial; ++d) {
    xi.push_back(idx[2 + d] * static_cast<int32_t>(strides[d]) - static_cast<int32_t>(pads[d]) +
                 r[1 + d] * static_cast<int32_t>(dilations[d]));
    wi.push_back(r[1 + d]);
  }
  H::Func c("conv" + std::to_string(funcs_.size()));
  c(args) = node.numOperands() > 2 ? H::cast(computeType(*type), at(node.operand(2), {idx[1]}))
                                   : H::Internal::make_zero(computeType(*type));
  c(args) += padded(std::vector<H::Expr>(xi.rbegin(), xi.rend())) * at(w, wi);
  funcs_.emplace(result, c);
  convs_.push_back(c);
  if (tapsOnly)
    tapsOnly_.emplace(c.name(), padded);
}

// max_pool / avg_pool over windows (strides, dilations, pads, ceil_mode
// through the result's dims): a reduction over the window of the elements
// inside the input; avg_pool divides by the count of those (or of those
// inside the padded input, count_include_pad), one count per position.
void Lowering::pool(const Node &node) {
  const Value *x = node.operand(0), *result = node.result(0);
  std::vector<Dim> xd = dimsOf(x), out = dimsOf(result);
  size_t spatial = xd.size() - 2;
  const Attribute *kernelAttr = node.attr("kernel_shape");
  std::vector<int64_t> kernel = kernelAttr ? kernelAttr->getInts() : std::vector<int64_t>();
  if (xd.size() < 3 || kernel.size() != spatial)
    reject("a pool of unexpected rank");
  auto [strides, dilations, pads] = windowOf(node, spatial);
  bool isMax = node.is(OpId::MaxPool);
  if (!isMax && !isFloat(x->type().dtype()))
    reject("avg_pool of integers");
  bool includePad = !isMax && node.intAttr("count_include_pad") != 0;
  H::Region region;
  for (int64_t k : kernel)
    region.push_back(H::Range(0, static_cast<int32_t>(k)));
  H::RDom r(region);
  // Window position d of output index o: o * stride - pad + r * dilation.
  auto position = [&](size_t d, H::Expr o) {
    return o * static_cast<int32_t>(strides[d]) - static_cast<int32_t>(pads[d]) +
           r[static_cast<int>(d)] * static_cast<int32_t>(dilations[d]);
  };
  // The divisor per output position (spatial dims only), at root.
  H::Func count;
  if (!isMax) {
    std::vector<H::Var> sv;
    for (size_t d = 0; d < spatial; ++d)
      sv.emplace_back("sd" + std::to_string(d));
    H::Expr counted = H::Internal::const_true();
    for (size_t d = 0; d < spatial; ++d) {
      H::Expr pos = position(d, sv[d]), size = dim(xd[2 + d]);
      counted = counted && (includePad ? pos >= -static_cast<int32_t>(pads[d]) &&
                                             pos < size + static_cast<int32_t>(pads[d + spatial])
                                       : pos >= 0 && pos < size);
    }
    count = H::Func("poolcount" + std::to_string(funcs_.size()));
    count(std::vector<H::Var>(sv.rbegin(), sv.rend())) =
        H::max(H::sum(H::select(counted, 1, 0)), 1);
    statistics_.push_back(count);
  }
  // The window reads the input padded with the reduction's identity, one
  // (image, channel) plane at a time (see schedule): a clamped index in
  // every tap read with gathers (2-3 ms per 3x3 pool in GoogLeNet).
  H::Type type = at(x, Index(xd.size(), H::Expr(0))).type();
  H::Func bounded = exterior(x, isMax ? type.min() : H::Internal::make_zero(type));
  // The window's reduction as a Func of its own (its taps unrolled over a
  // vector of accumulators, see schedule); max keeps a NaN it meets.
  std::vector<H::Var> vars;
  for (size_t d = 0; d < xd.size(); ++d)
    vars.emplace_back("w" + std::to_string(d));
  std::vector<H::Var> args(vars.rbegin(), vars.rend());
  Index index = {vars[0], vars[1]};
  for (size_t d = 0; d < spatial; ++d)
    index.push_back(position(d, vars[2 + d]));
  H::Expr v = bounded(std::vector<H::Expr>(index.rbegin(), index.rend()));
  H::Func window("window" + std::to_string(funcs_.size()));
  window(args) = isMax ? type.min() : H::Internal::make_zero(type);
  window(args) = isMax ? H::select(v > window(args) || isNaN(v), v, window(args)) : window(args) + v;
  define(result, [&](const Index &idx) -> H::Expr {
    std::vector<H::Expr> at_(idx.rbegin(), idx.rend());
    if (isMax)
      return window(at_);
    return window(at_) / H::cast(type, count(std::vector<H::Expr>(at_.begin(), at_.begin() + spatial)));
  });
  roots_.insert(result);
  pools_.push_back({result, bounded, window});
}

// argmax / argmin along an axis: the first (or, select_last_index, the
// last) position of the extreme; a NaN is never better (as the reference).
void Lowering::argReduce(const Node &node) {
  const Value *x = node.operand(0), *result = node.result(0);
  std::vector<Dim> in = dimsOf(x);
  int64_t rank = static_cast<int64_t>(in.size()), axis = node.intAttr("axis");
  axis = axis < 0 ? axis + rank : axis;
  if (axis < 0 || axis >= rank)
    reject("an axis out of range");
  bool keep = node.intAttr("keepdims") != 0, last = node.intAttr("select_last_index") != 0;
  bool isMax = node.is(OpId::Argmax);
  std::vector<H::Var> vars;
  for (int64_t d = 0; d < rank; ++d)
    vars.emplace_back("ad" + std::to_string(d));
  auto element = [&](H::Expr position) {
    Index index(vars.begin(), vars.end());
    index[axis] = position;
    return at(x, index);
  };
  // best(...) over x's index space with the axis's index unused (0).
  std::vector<H::Var> args(vars.rbegin(), vars.rend());
  H::Func best("argbest" + std::to_string(funcs_.size()));
  best(args) = H::Tuple(H::cast<int64_t>(0), element(0));
  H::RDom r(1, H::max(dim(in[axis]) - 1, 0));
  H::Expr v = element(r), current = best(args)[1];
  H::Expr better = isMax ? (last ? v >= current : v > current) : (last ? v <= current : v < current);
  best(args) = H::Tuple(H::select(better, H::cast<int64_t>(r), best(args)[0]),
                        H::select(better, v, current));
  updates_.push_back(best);
  define(result, [&](const Index &idx) -> H::Expr {
    std::vector<H::Expr> where;
    size_t next = 0;
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis) {
        where.push_back(0);
        next += keep ? 1 : 0;
      } else {
        where.push_back(idx[next++]);
      }
    }
    return best(std::vector<H::Expr>(where.rbegin(), where.rend()))[0];
  });
  roots_.insert(result);
}

// layer_norm (over the dims from `axis`, scale and bias broadcast to them)
// and instance_norm (over the spatial dims of each image and channel, scale
// and bias per channel): mean, then variance of the differences, at root,
// reduced in vector lanes along the contiguous normalized elements.
void Lowering::normalize(const Node &node) {
  const Value *x = node.operand(0), *result = node.result(0);
  std::vector<Dim> in = dimsOf(x);
  int64_t rank = static_cast<int64_t>(in.size());
  if (!isFloat(x->type().dtype()))
    reject("a normalization of integers");
  bool layer = node.is(OpId::LayerNorm);
  int64_t axis = layer ? node.intAttr("axis") : 2;
  axis = axis < 0 ? axis + rank : axis;
  if (axis < 1 || axis > rank || (!layer && rank < 3))
    reject("a normalization axis out of range");
  // Statistics over the outer dims [0, axis); the normalized elements are
  // one contiguous run, its flat index unflattened (by constants where the
  // dims are static, so the vectorized reads stay cheap).
  std::vector<H::Var> outer;
  for (int64_t d = 0; d < axis; ++d)
    outer.emplace_back("nd" + std::to_string(d));
  std::vector<H::Var> args(outer.rbegin(), outer.rend());
  H::Expr size = 1;
  for (int64_t d = axis; d < rank; ++d)
    size = size * dim(in[d]);
  auto element = [&](H::Expr flat) {
    Index index(outer.begin(), outer.end());
    std::vector<H::Expr> inner(static_cast<size_t>(rank - axis));
    for (int64_t d = rank - 1; d >= axis; --d) {
      H::Expr n = dim(in[d]);
      inner[static_cast<size_t>(d - axis)] = d == axis ? flat : flat % n;
      flat = flat / n;
    }
    index.insert(index.end(), inner.begin(), inner.end());
    return at(x, index);
  };
  H::Type type = *halideType(x->type().dtype());
  H::Expr count = H::cast(type, size);
  H::Func mean("norm_mean" + std::to_string(funcs_.size()));
  mean(args) = inLanes(false, size, args, element) / count;
  statistics_.push_back(mean);
  H::Func inverse("norm_inv" + std::to_string(funcs_.size()));
  inverse(args) = H::Internal::make_one(type) /
                  H::sqrt(inLanes(false, size, args,
                                  [&](H::Expr flat) {
                                    H::Expr diff = element(flat) - mean(args);
                                    return diff * diff;
                                  }) / count +
                          H::Internal::make_const(type, node.floatAttr("epsilon")));
  statistics_.push_back(inverse);
  std::vector<Dim> group(in.begin() + axis, in.end());
  define(result, [&](const Index &idx) -> H::Expr {
    std::vector<H::Expr> at_(idx.begin(), idx.begin() + axis);
    std::reverse(at_.begin(), at_.end());
    H::Expr normalized = (at(x, idx) - mean(at_)) * inverse(at_);
    Index inner(idx.begin() + axis, idx.end());
    auto param = [&](size_t i) -> H::Expr {
      if (!layer)
        return at(node.operand(i), {idx[1]});
      return broadcast(node.operand(i), group, inner);
    };
    H::Expr y = normalized * param(1);
    if (node.numOperands() > 2)
      y = y + param(2);
    return y;
  });
}

// einsum, any equation: the sum over the labels not in the output of the
// product of the operands (a dim of size 1 broadcasts). The labels come
// from the op's own lowering and the runtime's parser of the equation.
void Lowering::einsum(const Node &node) {
  std::vector<int64_t> ranks;
  for (const Value *operand : node.operands()) {
    if (!operand->type().hasRank())
      reject("einsum of an operand of unknown rank");
    ranks.push_back(operand->type().rank());
  }
  std::string error;
  std::optional<dlrt::kernels::EinsumLabels> parsed = dlrt::kernels::parseEinsum(
      loweredParams<dlrt::kernels::EinsumParams>(node).equation, ranks, error);
  if (!parsed)
    reject("einsum: " + error);
  const dlrt::kernels::EinsumLabels &params = *parsed;
  const Value *result = node.result(0);
  if (!isFloat(result->type().dtype()))
    reject("einsum of integers");
  // Each label's extent: the first operand dim with it that is not 1.
  std::map<char, H::Expr> extent;
  for (size_t i = 0; i < params.inputs.size(); ++i) {
    std::vector<Dim> dims = dimsOf(node.operand(i));
    for (size_t d = 0; d < params.inputs[i].size(); ++d) {
      char label = params.inputs[i][d];
      bool one = dims[d].isStatic() && dims[d].size() == 1;
      if (!extent.count(label) || (!one && H::Internal::is_const_one(extent[label])))
        extent[label] = dim(dims[d]);
    }
  }
  std::string contracted;
  for (const auto &[label, e] : extent)
    if (params.output.find(label) == std::string::npos)
      contracted += label;
  H::Region region;
  for (char label : contracted)
    region.push_back(H::Range(0, extent[label]));
  std::optional<H::RDom> r;
  if (!region.empty())
    r.emplace(region);
  define(result, [&](const Index &idx) -> H::Expr {
    auto labelIndex = [&](char label) -> H::Expr {
      size_t o = params.output.find(label);
      if (o != std::string::npos)
        return idx[o];
      return (*r)[static_cast<int>(contracted.find(label))];
    };
    H::Expr product;
    for (size_t i = 0; i < params.inputs.size(); ++i) {
      std::vector<Dim> dims = dimsOf(node.operand(i));
      Index index;
      for (size_t d = 0; d < params.inputs[i].size(); ++d) {
        bool one = dims[d].isStatic() && dims[d].size() == 1;
        index.push_back(one ? H::Expr(0) : labelIndex(params.inputs[i][d]));
      }
      H::Expr e = at(node.operand(i), index);
      product = product.defined() ? product * e : e;
    }
    return r ? H::sum(product) : product;
  });
  roots_.insert(result);
}

// conv_transpose(x[N,C,in...], w[C,M/group,k...], [bias]): each output
// position gathers the inputs that scatter to it, i = (o + pad - k *
// dilation) / stride where that divides evenly and lands inside.
void Lowering::convTranspose(const Node &node) {
  const Value *x = node.operand(0), *w = node.operand(1), *result = node.result(0);
  std::vector<Dim> xd = dimsOf(x), wd = dimsOf(w), out = dimsOf(result);
  if (xd.size() < 3 || wd.size() != xd.size())
    reject("conv_transpose of unexpected ranks");
  if (!isFloat(result->type().dtype()))
    reject("conv_transpose of integers");
  size_t spatial = xd.size() - 2;
  auto [strides, dilations, pads] = windowOf(node, spatial);
  int64_t group = node.intAttr("group");
  if (!xd[1].isStatic() || xd[1].size() % group != 0 || !wd[1].isStatic())
    reject("conv_transpose with symbolic or uneven channels");
  int32_t inPerGroup = static_cast<int32_t>(xd[1].size() / group),
          outPerGroup = static_cast<int32_t>(wd[1].size());
  H::Region region = {H::Range(0, inPerGroup)};
  for (size_t d = 0; d < spatial; ++d)
    region.push_back(H::Range(0, dim(wd[2 + d])));
  H::RDom r(region);
  define(result, [&](const Index &idx) -> H::Expr {
    H::Expr g = idx[1] / outPerGroup, co = idx[1] % outPerGroup, ci = g * inPerGroup + r[0];
    H::Expr valid = H::Internal::const_true();
    Index xi = {idx[0], ci}, wi = {ci, co};
    for (size_t d = 0; d < spatial; ++d) {
      H::Expr t = idx[2 + d] + static_cast<int32_t>(pads[d]) -
                  r[1 + static_cast<int>(d)] * static_cast<int32_t>(dilations[d]);
      H::Expr i = t / static_cast<int32_t>(strides[d]), size = dim(xd[2 + d]);
      valid = valid && t % static_cast<int32_t>(strides[d]) == 0 && i >= 0 && i < size;
      xi.push_back(H::clamp(i, 0, H::max(size - 1, 0)));
      wi.push_back(r[1 + static_cast<int>(d)]);
    }
    H::Expr term = H::select(valid, at(x, xi) * at(w, wi), H::Internal::make_zero(*halideType(result->type().dtype())));
    H::Expr e = H::sum(term);
    if (node.numOperands() > 2)
      e = e + at(node.operand(2), {idx[1]});
    return e;
  });
  roots_.insert(result);
}

// resize: per resized dim, the taps (input positions and weights) of each
// output coordinate, the result a weighted sum over every combination of
// taps (nearest: one tap, a copy). Where the dim's sizes and the target
// are constants, the taps are tabulated at compile time by the
// reference's own resizeTaps (zero weights dropped); where the sizes are
// symbolic or the target arrives at run time (a detector resizing each
// level to the size of the next), the kernel computes them into the same
// tables when it runs, from its extents and the target as resizeTaps does,
// in double. A dim that maps
// onto itself (scale 1, any size: checked on sample sizes) indexes
// directly.
namespace {

/// The taps of output coordinate `o` of a dim of `inLength` elements
/// resized by `scale` (f64), as resizeTaps computes them: per tap, the
/// input position (clamped) and its weight, undefined where it is 1.
std::vector<std::pair<H::Expr, H::Expr>> resizeTapExprs(const dlrt::kernels::ResizeParams &params,
                                                        H::Expr o, H::Expr inLength,
                                                        H::Expr scale) {
  H::Type f64 = H::Float(64);
  auto F = [](double v) { return H::Expr(v); }; // an f64 constant
  H::Expr length = H::cast(f64, inLength), out = H::cast(f64, o);
  H::Expr outLength = scale * length;
  const std::string &transform = params.transform;
  H::Expr x;
  if (transform == "align_corners")
    x = H::select(outLength == F(1.0), F(0.0), out * (length - F(1.0)) / (outLength - F(1.0)));
  else if (transform == "asymmetric")
    x = out / scale;
  else if (transform == "tf_half_pixel_for_nn")
    x = (out + F(0.5)) / scale;
  else if (transform == "pytorch_half_pixel")
    x = H::select(outLength == F(1.0), F(-0.5), (out + F(0.5)) / scale - F(0.5));
  else
    x = (out + F(0.5)) / scale - F(0.5);
  H::Expr floor = H::floor(x);
  H::Expr integral = x == floor; // ratio 1: ties go to the smaller side
  H::Expr ratio = H::select(integral, F(1.0), x - floor);
  H::Expr base = H::cast(H::Int(32), floor);
  H::Expr last = H::max(inLength - 1, 0);
  std::vector<H::Expr> coeffs;
  H::Expr first;
  if (params.mode == "nearest") {
    const std::string &nearest = params.nearestMode;
    H::Expr second = nearest == "round_prefer_ceil" ? ratio >= F(0.5)
                     : nearest == "floor"           ? H::Internal::const_false()
                     : nearest == "ceil"            ? H::Internal::const_true()
                                                    : ratio > F(0.5);
    H::Expr position = H::select(integral || !second, base, base + 1);
    H::Expr index = H::clamp(position, 0, last);
    if (!params.excludeOutside)
      return {{index, H::Expr()}};
    // The one tap weighs 1 if inside, else nothing does (0).
    return {{index, H::select(position >= 0 && position < inLength, F(1.0),
                              F(0.0))}};
  }
  if (params.mode == "linear") {
    coeffs = {F(1.0) - ratio, ratio};
    first = H::select(integral, base - 1, base);
  } else { // cubic
    double a = params.cubicCoeffA;
    auto far = [&](H::Expr t) { return ((F(a) * t - F(5 * a)) * t + F(8 * a)) * t - F(4 * a); };
    auto near = [&](H::Expr t) { return (F(a + 2) * t - F(a + 3)) * t * t + F(1.0); };
    coeffs = {far(ratio + F(1.0)), near(ratio), near(F(1.0) - ratio), far(F(2.0) - ratio)};
    first = H::select(integral, base - 2, base - 1);
  }
  H::Expr sum = F(0.0);
  std::vector<H::Expr> positions;
  for (size_t i = 0; i < coeffs.size(); ++i) {
    H::Expr position = first + static_cast<int32_t>(i);
    positions.push_back(position);
    if (params.excludeOutside)
      coeffs[i] = H::select(position >= 0 && position < inLength, coeffs[i], F(0.0));
    sum = sum + coeffs[i];
  }
  std::vector<std::pair<H::Expr, H::Expr>> taps;
  for (size_t i = 0; i < coeffs.size(); ++i) {
    H::Expr weight =
        params.excludeOutside ? H::select(sum != F(0.0), coeffs[i] / sum, coeffs[i]) : coeffs[i];
    taps.push_back({H::clamp(positions[i], 0, last), weight});
  }
  return taps;
}

} // namespace

void Lowering::resize(const Node &node) {
  auto params = loweredParams<dlrt::kernels::ResizeParams>(node);
  if (params.transform == "tf_crop_and_resize")
    reject("resize with tf_crop_and_resize");
  const Value *x = node.operand(0), *result = node.result(0);
  std::vector<Dim> in = dimsOf(x), out = dimsOf(result);
  const Value *targetValue = node.operand(1);
  const Tensor *target = constantValue(targetValue);
  if (!targetValue->type().hasRank() || targetValue->type().rank() != 1 ||
      !(targetValue->type().dims()[0] == Dim(static_cast<int64_t>(in.size()))) ||
      (target && target->numElements() != static_cast<int64_t>(in.size())))
    reject("a resize target that is not one value per dim");
  bool bySizes = !isFloat(targetValue->type().dtype());
  size_t rank = in.size();
  // Per dim: indexed directly, tabulated, or computed in the kernel.
  enum class Kind { Identity, Table, Computed };
  struct Taps {
    Kind kind = Kind::Identity;
    int taps = 0;
    H::Buffer<int32_t> index;
    H::Buffer<double> weight;
    H::Func computedIndex, computedWeight; ///< Computed: (tap, output coordinate)
  };
  std::vector<Taps> tables(rank);
  bool exact = true; // every weight 1: copies only
  for (size_t d = 0; d < rank; ++d) {
    std::optional<double> value;
    if (target)
      value = target->getDouble(static_cast<int64_t>(d));
    std::vector<std::vector<std::pair<int64_t, double>>> perOut;
    auto tabulate = [&](int64_t inLength, int64_t outLength, double byValue) {
      double scale = bySizes ? (inLength ? byValue / inLength : 0.0) : byValue;
      perOut.clear();
      for (int64_t o = 0; o < outLength; ++o) {
        dlrt::kernels::Taps t = dlrt::kernels::resizeTaps(params, o, inLength, scale, 0, 1);
        std::vector<std::pair<int64_t, double>> kept;
        for (size_t i = 0; i < t.index.size(); ++i)
          if (t.weight[i] != 0)
            kept.push_back({t.index[i], t.weight[i]});
        perOut.push_back(kept);
      }
    };
    auto isIdentity = [&] {
      for (size_t o = 0; o < perOut.size(); ++o)
        if (perOut[o].size() != 1 || perOut[o][0].first != int64_t(o) || perOut[o][0].second != 1)
          return false;
      return true;
    };
    Taps &table = tables[d];
    if (!in[d].isStatic() || !out[d].isStatic() || !value) {
      // A dim the target keeps (sizes: the same dim; scales: 1) maps onto
      // itself if it does so at every sample size.
      if (in[d] == out[d] && (bySizes || value == 1.0)) {
        bool identity = true;
        for (int64_t length : {1, 2, 3, 5, 8}) {
          tabulate(length, length, bySizes ? double(length) : 1.0);
          identity = identity && isIdentity();
        }
        if (identity)
          continue;
      }
      table.kind = Kind::Computed;
      H::Expr byValue = value ? H::Expr(*value)
                        : bySizes ? H::cast(H::Float(64), dim(out[d]))
                                  : H::cast(H::Float(64), at(targetValue, {H::Expr(int32_t(d))}));
      H::Expr scale = bySizes ? byValue / H::cast(H::Float(64), dim(in[d])) : byValue;
      // Once per output coordinate and kernel run (at root), not per
      // output element: the tables the compile-time path builds.
      H::Var t("t"), o("o");
      std::vector<std::pair<H::Expr, H::Expr>> taps = resizeTapExprs(params, o, dim(in[d]), scale);
      H::Expr index = taps.back().first, weight = taps.back().second;
      if (!weight.defined())
        weight = H::Expr(1.0);
      for (size_t i = taps.size() - 1; i-- > 0;) {
        index = H::select(t == static_cast<int32_t>(i), taps[i].first, index);
        weight = H::select(t == static_cast<int32_t>(i), taps[i].second, weight);
      }
      table.taps = static_cast<int>(taps.size());
      table.computedIndex = H::Func("resize_index" + std::to_string(funcs_.size()) + "_" +
                                    std::to_string(d));
      table.computedWeight = H::Func("resize_weight" + std::to_string(funcs_.size()) + "_" +
                                     std::to_string(d));
      table.computedIndex(t, o) = index;
      // (Narrowed here, once per coordinate, as the product narrows each.)
      std::optional<H::Type> narrow = halideType(result->type().dtype());
      table.computedWeight(t, o) = narrow && narrow->is_float() ? H::cast(*narrow, weight) : weight;
      tapTables_.push_back(table.computedIndex);
      tapTables_.push_back(table.computedWeight);
      exact = exact && params.mode == "nearest" && !params.excludeOutside;
      continue;
    }
    tabulate(in[d].size(), out[d].size(), *value);
    if (in[d].size() == out[d].size() && isIdentity())
      continue;
    if (in[d].size() == 0 || out[d].size() > INT32_MAX)
      reject("resize of an empty or huge dim");
    table.kind = Kind::Table;
    for (const auto &kept : perOut)
      table.taps = std::max<int>(table.taps, static_cast<int>(kept.size()));
    table.taps = std::max(table.taps, 1);
    int32_t outLength = static_cast<int32_t>(out[d].size());
    table.index = H::Buffer<int32_t>(table.taps, outLength);
    table.weight = H::Buffer<double>(table.taps, outLength);
    for (int32_t o = 0; o < outLength; ++o)
      for (int t = 0; t < table.taps; ++t) {
        bool has = t < static_cast<int>(perOut[o].size());
        table.index(t, o) = has ? static_cast<int32_t>(perOut[o][t].first) : 0;
        table.weight(t, o) = has ? perOut[o][t].second : 0.0;
        exact = exact && (table.taps == 1 && table.weight(t, o) == 1);
      }
  }
  std::optional<H::Type> type = halideType(result->type().dtype());
  if (!exact && (!type || !type->is_float()))
    reject("resize of integers that interpolates");
  // The taps of output coordinate `o` along dim `d`: (position, weight or
  // undefined for 1).
  auto tapsAt = [&](size_t d, H::Expr o) {
    std::vector<std::pair<H::Expr, H::Expr>> taps;
    const Taps &table = tables[d];
    if (table.kind == Kind::Computed) {
      for (int t = 0; t < table.taps; ++t)
        taps.push_back({table.computedIndex(t, o), exact ? H::Expr() : table.computedWeight(t, o)});
    } else {
      H::Buffer<int32_t> indices = table.index;
      H::Buffer<double> weights = table.weight;
      for (int t = 0; t < table.taps; ++t)
        taps.push_back({H::clamp(indices(H::Expr(t), o), 0, static_cast<int32_t>(in[d].size() - 1)),
                        exact ? H::Expr() : weights(H::Expr(t), o)});
    }
    return taps;
  };
  // Separable: one stage per resized dim, each a weighted sum of its taps
  // along that dim of the previous stage (the first reads the input),
  // all at root but the last (the result). Innermost dim first: when
  // upsampling (the common case) the gathers along rows run on the smaller
  // image and the last, largest stage reads whole rows, vectorized.
  std::vector<size_t> resized;
  for (size_t d = rank; d-- > 0;)
    if (tables[d].kind != Kind::Identity)
      resized.push_back(d);
  std::function<H::Expr(const Index &)> source = [&](const Index &idx) { return at(x, idx); };
  if (resized.empty())
    return define(result, source);
  for (size_t k = 0; k < resized.size(); ++k) {
    size_t d = resized[k];
    std::function<H::Expr(const Index &)> stage = [&, d, source](const Index &idx) {
      H::Expr sum;
      for (const auto &[position, w] : tapsAt(d, idx[d])) {
        Index index = idx;
        index[d] = position;
        H::Expr value = source(index), term = value;
        if (w.defined()) {
          H::Expr weight = H::cast(*type, w), zero = H::Internal::make_zero(*type);
          // (a tap of weight 0 adds nothing, even where the value is not finite)
          term = H::select(weight != zero, weight * value, zero);
        }
        sum = sum.defined() ? sum + term : term;
      }
      return sum;
    };
    if (k + 1 == resized.size())
      return define(result, stage);
    std::vector<H::Var> vars;
    Index idx;
    for (size_t i = 0; i < rank; ++i) {
      vars.emplace_back("rs" + std::to_string(i));
      idx.push_back(vars.back());
    }
    H::Func f("resize_stage" + std::to_string(funcs_.size()) + "_" + std::to_string(d));
    H::Expr e = stage(idx);
    f(std::vector<H::Var>(vars.rbegin(), vars.rend())) = e; // (16-bit floats stay wide)
    atRoot_.push_back(f);
    source = [f](const Index &at) { return f(std::vector<H::Expr>(at.rbegin(), at.rend())); };
  }
}

// cumsum along a constant axis (exclusive, reverse): a scan, serial along
// the axis, vectorized across the others.
void Lowering::cumsum(const Node &node) {
  const Value *x = node.operand(0), *result = node.result(0);
  std::vector<Dim> in = dimsOf(x);
  int64_t rank = static_cast<int64_t>(in.size());
  const Tensor *axisTensor = constantValue(node.operand(1));
  if (!axisTensor || axisTensor->numElements() != 1)
    reject("a cumsum axis computed at run time");
  int64_t axis = axisTensor->toInts()[0];
  axis = axis < 0 ? axis + rank : axis;
  if (axis < 0 || axis >= rank)
    reject("an axis out of range");
  bool exclusive = node.intAttr("exclusive") != 0, reverse = node.intAttr("reverse") != 0;
  H::Expr n = dim(in[axis]);
  std::vector<H::Var> vars;
  for (int64_t d = 0; d < rank; ++d)
    vars.emplace_back("cs" + std::to_string(d));
  std::vector<H::Var> args(vars.rbegin(), vars.rend());
  // Element i along the axis of the (possibly reversed) input.
  auto element = [&](H::Expr i) {
    Index index(vars.begin(), vars.end());
    index[axis] = reverse ? n - 1 - i : i;
    return at(x, index);
  };
  auto with = [&](H::Expr i) {
    std::vector<H::Expr> a(args.begin(), args.end());
    a[static_cast<size_t>(rank - 1 - axis)] = i;
    return a;
  };
  H::Func scan("cumsum" + std::to_string(funcs_.size()));
  scan(args) = element(vars[axis]);
  H::RDom r(1, H::max(n - 1, 0));
  scan(with(r)) = scan(with(r - 1)) + element(r);
  scans_.push_back({scan, static_cast<int>(rank - 1 - axis)});
  define(result, [&](const Index &idx) -> H::Expr {
    auto at_ = [&](H::Expr i) {
      Index index = idx;
      index[axis] = i;
      return scan(std::vector<H::Expr>(index.rbegin(), index.rend()));
    };
    H::Expr i = reverse ? n - 1 - idx[axis] : idx[axis];
    if (!exclusive)
      return at_(i);
    H::Expr previous = at_(H::max(i - 1, 0));
    return H::select(i == 0, H::Internal::make_zero(previous.type()), previous);
  });
}

// gather / gather_elements along an axis, indices read at run time:
// negative ones wrap once; one out of range fails the kernel (as the
// reference) rather than read outside the tensor.
void Lowering::gather(const Node &node) {
  const Value *x = node.operand(0), *indices = node.operand(1), *result = node.result(0);
  std::vector<Dim> in = dimsOf(x), id = dimsOf(indices);
  int64_t rank = static_cast<int64_t>(in.size()), axis = node.intAttr("axis");
  axis = axis < 0 ? axis + rank : axis;
  if (axis < 0 || axis >= rank)
    reject("an axis out of range");
  bool elements = node.is(OpId::GatherElements);
  define(result, [&](const Index &idx) -> H::Expr {
    // gather: out = [x dims before axis..., indices dims..., x dims after]
    Index where, index;
    size_t indexRank = id.size();
    if (elements) {
      where = idx;
    } else {
      where.assign(idx.begin() + axis, idx.begin() + axis + static_cast<int64_t>(indexRank));
    }
    H::Expr i = H::cast<int64_t>(at(indices, where)), n = H::cast<int64_t>(dim(in[axis]));
    i = require(i >= -n && i < n, i, "is an index out of range for a dim of size", n);
    H::Expr wrapped = H::select(i < 0, i + n, i);
    H::Expr position = H::cast<int32_t>(H::clamp(wrapped, 0, H::max(n - 1, 0)));
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis)
        index.push_back(position);
      else if (elements || d < axis)
        index.push_back(idx[d]);
      else
        index.push_back(idx[d - 1 + static_cast<int64_t>(indexRank)]);
    }
    return at(x, index);
  });
}

// scatter_elements and scatter_nd: the data copied, then each update written (or
// combined: add, mul, max, min as the reference's std::max/min) at its
// indices' position along the axis, in the reference's order (a serial
// update: duplicates resolve the same way). An index out of range fails the
// kernel, as in gather.
void Lowering::scatterElements(const Node &node) {
  const Value *x = node.operand(0), *indices = node.operand(1), *updates = node.operand(2),
              *result = node.result(0);
  std::vector<Dim> in = dimsOf(x), id = dimsOf(indices), ud = dimsOf(updates);
  int64_t rank = static_cast<int64_t>(in.size());
  bool nd = node.is(OpId::ScatterNd);
  int64_t axis = nd ? 0 : node.intAttr("axis");
  axis = axis < 0 ? axis + rank : axis;
  // scatter_nd: indices [..., k] name k leading dims of x; each update is
  // a slice over the rest. scatter_elements: one index per update element.
  int64_t k = 1;
  if (nd) {
    if (id.empty() || !id.back().isStatic() || id.back().size() < 1 || id.back().size() > rank)
      reject("scatter_nd with a symbolic or oversized index depth");
    k = id.back().size();
  } else if (axis < 0 || axis >= rank || static_cast<int64_t>(id.size()) != rank) {
    reject("a scatter axis or rank out of range");
  }
  std::string reduction = node.stringAttr("reduction");
  std::vector<H::Var> vars;
  for (int64_t d = 0; d < rank; ++d)
    vars.emplace_back("sc" + std::to_string(d));
  H::Func f("scatter" + std::to_string(funcs_.size()));
  std::vector<H::Var> args(vars.rbegin(), vars.rend());
  H::Type type = *halideType(result->type().dtype());
  f(args) = H::cast(type, at(x, Index(vars.begin(), vars.end())));
  // The updates in row-major order: the RDom's innermost dim first.
  H::Region region;
  for (size_t d = ud.size(); d-- > 0;)
    region.push_back(H::Range(0, dim(ud[d])));
  H::RDom r(region);
  Index position; // of the update
  for (size_t d = 0; d < ud.size(); ++d)
    position.push_back(r[static_cast<int>(ud.size() - 1 - d)]);
  auto checked = [&](Index where, int64_t dimOfX) {
    H::Expr i = H::cast<int64_t>(at(indices, where)), n = H::cast<int64_t>(dim(in[dimOfX]));
    i = require(i >= -n && i < n, i, "is an index out of range for a dim of size", n);
    return H::cast<int32_t>(H::clamp(H::select(i < 0, i + n, i), 0, H::max(n - 1, 0)));
  };
  Index target;
  if (nd) {
    size_t lead = id.size() - 1; // update dims that pick the index tuple
    Index tuple(position.begin(), position.begin() + static_cast<int64_t>(lead));
    for (int64_t d = 0; d < k; ++d) {
      Index where = tuple;
      where.push_back(static_cast<int32_t>(d));
      target.push_back(checked(where, d));
    }
    for (int64_t d = k; d < rank; ++d)
      target.push_back(position[lead + static_cast<size_t>(d - k)]);
  } else {
    target = position;
    target[axis] = checked(position, axis);
  }
  std::vector<H::Expr> lhs(target.rbegin(), target.rend());
  H::Expr old = f(lhs), v = H::cast(type, at(updates, position));
  H::Expr combined = v;
  if (reduction == "add")
    combined = old + v;
  else if (reduction == "mul")
    combined = old * v;
  else if (reduction == "max")
    combined = H::select(type.is_float() ? H::strict_float(old < v) : old < v, v, old);
  else if (reduction == "min")
    combined = H::select(type.is_float() ? H::strict_float(v < old) : v < old, v, old);
  f(lhs) = combined;
  scatters_.push_back(f);
  funcs_.emplace(result, f);
}

// pad with constant pads (constant, edge or reflect mode; negative pads
// crop), the fill value from the optional third operand.
void Lowering::pad(const Node &node) {
  const Value *x = node.operand(0), *result = node.result(0);
  std::vector<Dim> in = dimsOf(x);
  // The pads before each dim: constants, or read when the kernel runs (the
  // result's extents are its dims).
  const Value *padsValue = node.operand(1);
  const Tensor *padsTensor = constantValue(padsValue);
  size_t rank = in.size();
  const TensorType &padsType = padsValue->type();
  if (!padsType.hasRank() || padsType.rank() != 1 ||
      !(padsType.dims()[0] == Dim(static_cast<int64_t>(2 * rank))))
    reject("pads of unexpected length");
  std::vector<H::Expr> pads;
  for (size_t d = 0; d < rank; ++d) {
    if (padsTensor) {
      int64_t p = padsTensor->toInts()[d];
      if (p > INT32_MAX || p < INT32_MIN)
        reject("a pad beyond int32");
      pads.push_back(H::Expr(static_cast<int32_t>(p)));
    } else {
      H::Expr p = H::cast(H::Int(64), at(padsValue, {H::Expr(static_cast<int32_t>(d))}));
      pads.push_back(H::cast(H::Int(32), H::clamp(p, H::Expr(int64_t(INT32_MIN)),
                                                  H::Expr(int64_t(INT32_MAX)))));
    }
  }
  const Attribute *modeAttr = node.attr("mode");
  std::string mode = modeAttr ? modeAttr->getString() : "constant";
  define(result, [&](const Index &idx) -> H::Expr {
    Index index;
    H::Expr inside = H::Internal::const_true();
    for (size_t d = 0; d < rank; ++d) {
      H::Expr i = idx[d] - pads[d], n = dim(in[d]);
      if (mode == "reflect") {
        H::Expr period = 2 * (n - 1), j = i % period; // (Halide: x % 0 == 0)
        i = H::select(j >= n, period - j, j);
      } else if (mode == "constant") {
        inside = inside && i >= 0 && i < n;
      }
      index.push_back(H::clamp(i, 0, H::max(n - 1, 0)));
    }
    H::Expr value = at(x, index);
    if (mode != "constant")
      return value;
    H::Expr fill = H::Internal::make_zero(value.type());
    if (node.numOperands() > 2) {
      const Value *f = node.operand(2);
      fill = H::cast(value.type(), at(f, Index(f->type().hasRank() ? f->type().rank() : 0, 0)));
    }
    return H::select(inside, value, fill);
  });
}

void Lowering::globalPool(const Node &node) {
  // Along the innermost dim first, in vector lanes (contiguous reads), one
  // value per row (at root); then over the rows. (A reduction over every
  // spatial dim at once vectorizes across the result's width of 1.)
  const Value *x = node.operand(0), *result = node.result(0);
  std::vector<Dim> xd = dimsOf(x);
  size_t rank = xd.size();
  if (rank < 3)
    reject("a global pool of rank < 3");
  bool isMax = node.is(OpId::GlobalMaxPool);
  if (!isMax && !isFloat(x->type().dtype()))
    reject("global_avg_pool of integers");
  H::Expr count = dim(xd[rank - 1]);
  for (size_t d = 2; d + 1 < rank; ++d)
    count = count * dim(xd[d]);
  if (std::optional<H::Func> runs = ukernelReduce(x, rank - 2, isMax)) {
    define(result, [&](const Index &idx) -> H::Expr {
      H::Expr e = (*runs)(idx[1], idx[0]);
      return isMax ? e : e / H::cast(e.type(), count);
    });
    roots_.insert(result);
    return;
  }
  std::vector<H::Var> vars; // dims 0 .. rank-2, row-major
  for (size_t d = 0; d + 1 < rank; ++d)
    vars.emplace_back("gp" + std::to_string(d));
  std::vector<H::Var> args(vars.rbegin(), vars.rend());
  H::Func rows("gprows" + std::to_string(funcs_.size()));
  rows(args) = inLanes(isMax, dim(xd[rank - 1]), args, [&](H::Expr k) {
    Index index(vars.begin(), vars.end());
    index.push_back(k);
    return at(x, index);
  });
  atRoot_.push_back(rows);
  H::Region region;
  for (size_t d = 2; d + 1 < rank; ++d)
    region.push_back(H::Range(0, dim(xd[d])));
  define(result, [&](const Index &idx) -> H::Expr {
    std::vector<H::Expr> at = {idx[1], idx[0]}; // (c, n), innermost first
    H::Expr e;
    if (region.empty()) {
      e = rows(at);
    } else {
      H::RDom r(region);
      for (int d = 0; d < r.dimensions(); ++d)
        at.insert(at.begin(), r[d]);
      e = isMax ? extremum(true, rows(at)) : H::sum(rows(at));
    }
    return isMax ? e : e / H::cast(e.type(), count);
  });
  roots_.insert(result);
}

void Lowering::gemm(const Node &node) {
  const Value *a = node.operand(0), *b = node.operand(1), *result = node.result(0);
  bool ta = node.intAttr("trans_a") != 0, tb = node.intAttr("trans_b") != 0;
  std::vector<Dim> ad = dimsOf(a), out = dimsOf(result);
  std::optional<H::Type> type = halideType(result->type().dtype());
  if (!type || !type->is_float() || ad.size() != 2)
    reject("gemm of integers or vectors");
  H::Expr depth = dim(ta ? ad[0] : ad[1]);
  double alpha = node.floatAttr("alpha"), beta = node.floatAttr("beta");
  auto epilogue = [&](H::Func m) {
    define(result, [&](const Index &idx) -> H::Expr {
      H::Expr e = m(idx[1], idx[0]);
      if (alpha != 1)
        e = H::Internal::make_const(*type, alpha) * e;
      if (node.numOperands() > 2 && beta != 0)
        e = e + H::Internal::make_const(*type, beta) * broadcast(node.operand(2), out, idx);
      return e;
    });
  };
  if (*type == H::Float(32)) {
    // The ukernel reads transposed operands as they are.
    std::vector<Dim> bd = dimsOf(b);
    int32_t flags = 0;
    auto operand = [&](const Value *v, const std::vector<Dim> &dims, bool transposed,
                       int32_t flag) -> H::ExternFuncArgument {
      if (auto arg = direct(v, dims, out)) {
        flags |= transposed ? flag : 0;
        return *arg;
      }
      return wrapOperand(2, [&](const Index &i) {
        return at(v, transposed ? Index{i[1], i[0]} : i);
      });
    };
    H::ExternFuncArgument aArg = operand(a, ad, ta, native::kMatmulTransA);
    H::ExternFuncArgument bArg = operand(b, bd, tb, native::kMatmulTransB);
    return epilogue(ukernelMatmul(aArg, bArg, flags | constantFlag(b, bArg), depth, 2));
  }
  H::RDom k(0, depth);
  H::Var j("gj"), i("gi"), pj("pj"), pk("pk");
  // A transposed B is packed first, so the inner loop reads rows of it.
  H::Func packed("packed" + std::to_string(funcs_.size()));
  packed(pj, pk) = at(b, tb ? Index{pj, pk} : Index{pk, pj});
  if (tb)
    atRoot_.push_back(packed); // at root, vectorized (see schedule)
  H::Func m("gemm" + std::to_string(funcs_.size()));
  m(j, i) = H::Internal::make_zero(computeType(*type));
  m(j, i) += at(a, ta ? Index{k, i} : Index{i, k}) * packed(j, k);
  matmuls_.push_back(m);
  epilogue(m);
}

void Lowering::layout(const Node &node) {
  const Value *x = node.operand(0), *result = node.result(0);
  std::vector<Dim> in = dimsOf(x), out = dimsOf(result);
  switch (node.id()) {
  case OpId::Transpose: {
    std::vector<int64_t> perm;
    if (node.attr("perm"))
      perm = node.attr("perm")->getInts();
    else
      for (int64_t d = static_cast<int64_t>(in.size()) - 1; d >= 0; --d)
        perm.push_back(d);
    return define(result, [&](const Index &idx) {
      Index index(in.size());
      for (size_t d = 0; d < perm.size(); ++d)
        index[perm[d]] = idx[d];
      return at(x, index);
    });
  }
  case OpId::Expand:
    return define(result, [&](const Index &idx) { return broadcast(x, out, idx); });
  case OpId::Slice: {
    // The result's extents are its dims: the ends are not read. Starts and
    // steps are constants or read when the kernel runs; axes must be known.
    size_t rank = in.size();
    const Value *startsValue = node.operand(1);
    const Tensor *axesTensor = node.numOperands() > 3 ? constantValue(node.operand(3)) : nullptr;
    if (node.numOperands() > 3 && !axesTensor)
      reject("slice axes computed at run time");
    const TensorType &startsType = startsValue->type();
    if (!startsType.hasRank() || startsType.rank() != 1 || !startsType.dims()[0].isStatic())
      reject("slice starts of unknown length");
    int64_t count = startsType.dims()[0].size();
    std::vector<int64_t> axes;
    if (axesTensor)
      axes = axesTensor->toInts();
    else
      for (int64_t i = 0; i < count; ++i)
        axes.push_back(i);
    if (static_cast<int64_t>(axes.size()) != count)
      reject("slice axes and starts of different lengths");
    // Element i of a bounds operand: its constant, or read at run time.
    auto element = [&](const Value *value, int64_t i) -> H::Expr {
      if (const Tensor *t = constantValue(value))
        return H::Expr(static_cast<int32_t>(
            std::clamp<int64_t>(t->toInts().at(i), -(int64_t(1) << 30), int64_t(1) << 30)));
      H::Expr e = at(value, {H::Expr(static_cast<int32_t>(i))});
      return H::cast(H::Int(32), H::clamp(H::cast(H::Int(64), e), H::Expr(-(int64_t(1) << 30)),
                                          H::Expr(int64_t(1) << 30)));
    };
    Index first(rank, 0), step(rank, 1);
    for (int64_t i = 0; i < count; ++i) {
      int64_t axis = axes[i] < 0 ? axes[i] + static_cast<int64_t>(rank) : axes[i];
      if (axis < 0 || axis >= static_cast<int64_t>(rank))
        reject("an axis out of range");
      H::Expr size = dim(in[axis]);
      H::Expr s = element(startsValue, i);
      H::Expr by = node.numOperands() > 4 ? element(node.operand(4), i) : H::Expr(1);
      H::Expr start = H::select(s < 0, s + size, s);
      first[axis] = H::select(by > 0, H::clamp(start, 0, size), H::clamp(start, 0, size - 1));
      step[axis] = by;
    }
    return define(result, [&](const Index &idx) {
      Index index;
      for (size_t d = 0; d < rank; ++d)
        index.push_back(first[d] + step[d] * idx[d]);
      return at(x, index);
    });
  }
  case OpId::Concat: {
    int64_t rank = static_cast<int64_t>(out.size());
    int64_t axis = node.intAttr("axis");
    axis = axis < 0 ? axis + rank : axis;
    return define(result, [&](const Index &idx) {
      // Last operand first: select(idx < end_i, operand_i, later operands).
      std::vector<H::Expr> offsets;
      H::Expr offset = 0;
      for (const Value *operand : node.operands()) {
        offsets.push_back(offset);
        offset = offset + dim(dimsOf(operand)[axis]);
      }
      H::Expr e;
      for (size_t i = node.numOperands(); i-- > 0;) {
        // select evaluates both sides: keep every read inside its operand.
        Index index = idx;
        H::Expr size = dim(dimsOf(node.operand(i))[axis]);
        index[axis] = H::clamp(idx[axis] - offsets[i], 0, H::max(size - 1, 0));
        H::Expr here = at(node.operand(i), index);
        e = e.defined() ? H::select(idx[axis] < offsets[i] + size, here, e) : here;
      }
      return e;
    });
  }
  default:
    break;
  }
  // reshape, flatten, squeeze, unsqueeze, identity: the same elements in the
  // same order. If the dims other than 1 agree, skip the ones; else go
  // through the flat index.
  auto nonOne = [](const std::vector<Dim> &dims) {
    std::vector<size_t> kept;
    for (size_t d = 0; d < dims.size(); ++d)
      if (!(dims[d].isStatic() && dims[d].size() == 1))
        kept.push_back(d);
    return kept;
  };
  std::vector<size_t> inKept = nonOne(in), outKept = nonOne(out);
  bool same = inKept.size() == outKept.size();
  for (size_t i = 0; same && i < inKept.size(); ++i)
    same = in[inKept[i]] == out[outKept[i]];
  if (same)
    return define(result, [&](const Index &idx) {
      Index index(in.size(), 0);
      for (size_t i = 0; i < inKept.size(); ++i)
        index[inKept[i]] = idx[outKept[i]];
      return at(x, index);
    });
  // Group the dims into blocks whose sizes multiply to the same product
  // (splitting [.., 32] into [.., 4, 8] is one block): the flat index is
  // formed and taken apart within each block only, so a split costs a
  // multiply-add and a merge a division by a dim (a shift when it is a
  // power of two). Dims whose products never meet use one block.
  std::vector<std::pair<size_t, size_t>> inBlocks, outBlocks; // [begin, end)
  {
    size_t i = 0, o = 0;
    while (i < in.size() || o < out.size()) {
      size_t ib = i, ob = o;
      SymExpr pi(1), po(1);
      if (i < in.size())
        pi = in[i++].expr();
      if (o < out.size())
        po = out[o++].expr();
      while (!(pi == po) && (i < in.size() || o < out.size())) {
        auto [lo, hi] = pi.bounds();
        auto [lo2, hi2] = po.bounds();
        (void)lo;
        (void)lo2;
        bool growIn = i < in.size() && (o >= out.size() || hi < hi2 ||
                                        (hi == hi2 && pi.compare(po) < 0));
        if (growIn)
          pi = pi * in[i++].expr();
        else
          po = po * out[o++].expr();
        if (!pi.valid() || !po.valid())
          break;
      }
      if (!(pi == po)) { // never met: one block over everything left
        inBlocks.push_back({ib, in.size()});
        outBlocks.push_back({ob, out.size()});
        break;
      }
      inBlocks.push_back({ib, i});
      outBlocks.push_back({ob, o});
    }
  }
  define(result, [&](const Index &idx) {
    Index index(in.size());
    for (size_t b = 0; b < inBlocks.size(); ++b) {
      auto [ib, ie] = inBlocks[b];
      auto [ob, oe] = outBlocks[b];
      H::Expr flat = 0;
      for (size_t d = ob; d < oe; ++d)
        flat = d == ob ? idx[d] : flat * dim(out[d]) + idx[d];
      for (size_t d = ie; d-- > ib;) {
        if (d == ib) {
          index[d] = flat;
          break;
        }
        H::Expr size = dim(in[d]);
        index[d] = flat % size;
        flat = flat / size;
      }
    }
    return at(x, index);
  });
}

void Lowering::schedule(const std::vector<const Value *> &outputs) {
  const int lanes = target_.natural_vector_size<float>();
  std::set<std::string> special;
  for (const H::Func &f : matmuls_)
    special.insert(f.name());
  for (const H::Func &f : scatters_)
    special.insert(f.name());
  // Values at root and outputs: vectorized inner dim, parallel outer dim.
  // (Each Func once; over rank 3, the two outermost dims fused in parallel
  // so that one image's channels spread over the pool.)
  std::set<std::string> scheduled;
  for (const H::Func &f : externs_)
    special.insert(f.name());
  auto plain = [&](H::Func f) {
    if (special.count(f.name()) || !scheduled.insert(f.name()).second)
      return;
    std::vector<H::Var> args = f.args();
    f.compute_root();
    if (args.empty())
      return;
    f.vectorize(args[0], lanes, H::TailStrategy::GuardWithIf);
    if (args.size() >= 3) {
      H::Var outer("outer");
      f.fuse(args[args.size() - 2], args.back(), outer).parallel(outer);
    } else if (args.size() == 2) {
      f.parallel(args.back());
    }
    if (padded_.count(f.name())) { // exterior()'s copy
      H::Stage copy = vectorizeCopy(f, lanes);
      if (args.size() >= 2)
        copy.parallel(args.back());
    }
  };
  // A kernel around one conv ukernel stage with one output of the stage's
  // type (the conv with an elementwise epilogue): tasks that each compute
  // a region of the product just before the epilogue reads it, from L2
  // (the product written to memory and read back by the epilogue was two
  // more passes over the result). Depthwise: (image, a block of channels);
  // otherwise, when the product outgrows L2, (image, a tile of rows) of
  // every channel, whose patches the ukernel gathers once. (Products that
  // fit the L2 of a core, 1 MiB, stay at root: the ukernel's own split
  // balances better, and tiles cost resnet18's 56^2 layers 3-9%.)
  std::optional<H::Func> blockedStage;
  int32_t channelBlock = 0, rowTile = 0;
  if (externs_.size() == 1 && convStages_.count(externs_[0].name()) && convs_.empty() &&
      matmuls_.empty() && outputs.size() == 1 &&
      outputs[0]->type() == convStages_.at(externs_[0].name()).result->type()) {
    const std::vector<Dim> &dims = outputs[0]->type().dims();
    bool staticDims = dims.size() == 4 && dims[1].isStatic() && dims[2].isStatic() &&
                      dims[3].isStatic();
    constexpr int64_t kTileFloats = int64_t(1) << 15; // 128 KiB
    if (convStages_.at(externs_[0].name()).depthwise && dims.size() == 4 && dims[1].isStatic()) {
      // Blocks of up to 128 KiB of product, at least 4 per image, dividing
      // the channels (a block past them would ask the ukernel for channels
      // the conv does not have).
      int64_t channels = dims[1].size();
      int64_t plane = staticDims ? dims[2].size() * dims[3].size() : kTileFloats;
      int64_t most = std::max<int64_t>(
          1, std::min(kTileFloats / std::max<int64_t>(plane, 1), channels / 4));
      for (int64_t b = most; b >= 1; --b)
        if (channels % b == 0) {
          channelBlock = static_cast<int32_t>(b);
          break;
        }
      blockedStage = externs_[0];
    } else if (staticDims && dims[1].size() * dims[2].size() * dims[3].size() > 8 * kTileFloats) {
      // Tiles of ~128 KiB of product and at least 256 positions (4 of the
      // ukernel's panels), but 8 or more per image: the tiles are the
      // threads' work (7 tiles of resnet18's 56^2 layers on 2 threads ran
      // 7% slower than the ukernel's own split).
      int64_t rowFloats = std::max<int64_t>(dims[1].size() * dims[3].size(), 1);
      int64_t rows = std::max(kTileFloats / rowFloats, (256 + dims[3].size() - 1) / dims[3].size());
      rowTile = static_cast<int32_t>(std::max<int64_t>(1, std::min(rows, dims[2].size() / 8)));
      blockedStage = externs_[0];
    }
  }
  bool tiled = blockedStage ||
               (matmuls_.size() == 1 && convs_.empty() && outputs.size() == 1 &&
                outputs[0]->type().hasRank() && outputs[0]->type().rank() >= 2) ||
               (convs_.size() == 1 && matmuls_.empty() && outputs.size() == 1 &&
                outputs[0]->type().hasRank() && outputs[0]->type().rank() >= 3);
  for (const H::Func &f : convs_)
    special.insert(f.name());
  for (const auto &[value, f] : funcs_) {
    bool isOutput = std::find(outputs.begin(), outputs.end(), value) != outputs.end();
    if ((roots_.count(value) || isOutput) && !special.count(f.name()) && !(tiled && isOutput))
      plain(f);
  }
  for (H::Func f : statistics_)
    plain(f);
  // A pool pads one plane of its input at a time (in cache), just before
  // its windows read it; per vector of the result, the window's taps
  // unrolled over a vector of accumulators (whole vectors: a row's tail
  // reads the padded plane's slack, never stored).
  for (Pool &p : pools_) {
    H::Func pool = funcs_.at(p.result);
    std::vector<H::Var> wargs = p.window.args();
    if (scheduled.count(pool.name()) && pool.args().size() >= 3) {
      p.padded.compute_at(pool, H::Var("outer"));
      vectorizePadded(p.padded, lanes);
      scheduled.insert(p.padded.name());
      const auto whole = H::TailStrategy::RoundUp;
      p.window.compute_at(pool, pool.args()[0])
          .bound_extent(wargs[0], lanes)
          .vectorize(wargs[0], lanes, whole);
      H::Stage update = p.window.update();
      std::vector<H::VarOrRVar> order = {wargs[0]};
      for (const H::Internal::ReductionVariable &rv : update.get_schedule().rvars())
        order.push_back(H::RVar(rv.var));
      update.reorder(order).vectorize(wargs[0], lanes, whole);
      unrollTaps(update);
    } else {
      plain(p.padded);
      p.window.compute_at(pool, pool.args()[0]);
    }
  }
  for (H::Func f : atRoot_)
    plain(f);
  // The matmul ukernel's stages and what they read, at root; a conv's
  // patches vectorized along output columns, parallel over patch rows.
  for (H::Func f : externs_)
    if (!blockedStage || f.name() != blockedStage->name())
      f.compute_root();
  if (blockedStage) {
    H::Func out = funcs_.at(outputs[0]);
    std::vector<H::Var> args = out.args(); // (w, h, c, n)
    H::Var outer("outer"), inner("inner"), task("task");
    const auto guard = H::TailStrategy::GuardWithIf;
    out.compute_root();
    if (channelBlock > 0)
      out.split(args[2], outer, inner, channelBlock, guard);
    else
      out.split(args[1], outer, inner, rowTile, guard).reorder(args[0], inner, args[2], outer);
    out.vectorize(args[0], lanes, guard).fuse(outer, args[3], task).parallel(task);
    blockedStage->compute_at(out, task);
  }
  for (H::Func f : updates_) {
    std::vector<H::Var> args = f.args();
    f.compute_root();
    if (!args.empty()) {
      f.vectorize(args[0], lanes, H::TailStrategy::GuardWithIf);
      H::Stage update = f.update();
      update.vectorize(args[0], lanes, H::TailStrategy::GuardWithIf);
      if (args.size() >= 2)
        update.parallel(args.back());
    }
  }
  for (H::Func f : scatters_) { // (the update stays serial: writes may collide)
    f.compute_root().vectorize(f.args()[0], lanes, H::TailStrategy::GuardWithIf);
    f.update(0).unscheduled();
  }
  for (auto [f, axis] : scans_) {
    // Along the axis in order; vectorized across another dim if any.
    std::vector<H::Var> args = f.args();
    f.compute_root();
    int other = axis == 0 ? 1 : 0;
    if (other < static_cast<int>(args.size())) {
      f.vectorize(args[other], lanes, H::TailStrategy::GuardWithIf);
      f.update().vectorize(args[other], lanes, H::TailStrategy::GuardWithIf);
    }
  }
  for (H::Func f : externInputs_)
    plain(f);
  for (H::Func f : tapTables_)
    f.compute_root();
  for (const H::Func &f : convs_)
    special.insert(f.name());
  // A kernel around one conv with one output (the conv with its epilogue):
  // each task is (image, 4 output channels); per output row, the conv's
  // block is computed with 4 channels x one vector of the row as
  // accumulators, the reduction (channels, kernel offsets) outside them.
  bool depthwise = false; // (the one conv, scheduled as such)
  if (convs_.size() == 1 && matmuls_.empty() && outputs.size() == 1 &&
      outputs[0]->type().hasRank() && outputs[0]->type().rank() >= 3) {
    H::Func out = funcs_.at(outputs[0]);
    H::Func c = convs_[0];
    std::vector<H::Var> args = out.args(); // (w.., h.., m, n) innermost first
    int rank = static_cast<int>(args.size());
    const auto guard = H::TailStrategy::GuardWithIf;
    H::Var m = args[rank - 2], n = args[rank - 1], mo("mo"), mi("mi"), task("task");
    // (A 1-D convolution has no row: its block is the task's.)
    H::Var row = rank >= 4 ? args[1] : task;
    out.compute_root().split(m, mo, mi, 4, guard);
    std::vector<H::Var> cargs = c.args();
    const Dim &channels = outputs[0]->type().dims()[1];
    depthwise = c.name() != out.name() && tapsOnly_.count(c.name()) &&
                     channels.isStatic() && channels.size() % 4 == 0;
    if (depthwise) {
      // A depthwise convolution: per vector of an output row and 4
      // channels, the whole reduction (its kernel taps, unrolled) into 4
      // vector accumulators held in registers (a block of constant size:
      // on the stack, promoted), then the epilogue.
      H::Var wo("wo"), wi("wi");
      out.split(args[0], wo, wi, lanes, guard);
      if (rank >= 4)
        out.reorder(wi, mi, wo, row, mo, n);
      else
        out.reorder(wi, mi, wo, mo, n);
      out.vectorize(wi).unroll(mi).fuse(mo, n, task).parallel(task);
      // The task's channels of the input, zero-padded, just before they
      // are read (in cache), not the whole input in a pass of its own.
      H::Func padded = tapsOnly_.at(c.name());
      padded.compute_at(out, task);
      vectorizePadded(padded, lanes);
      // (Whole vectors of accumulators, no masks: a row's tail computes
      // lanes past its end from the zero-padded input, never stored.)
      const auto whole = H::TailStrategy::RoundUp;
      c.compute_at(out, wo)
          .bound_extent(cargs[0], lanes)
          .bound_extent(cargs[rank - 2], 4)
          .vectorize(cargs[0], lanes, whole)
          .unroll(cargs[rank - 2]);
      H::Stage update = c.update();
      std::vector<H::VarOrRVar> order = {cargs[0], cargs[rank - 2]};
      for (const H::Internal::ReductionVariable &rv : update.get_schedule().rvars())
        order.push_back(H::RVar(rv.var));
      update.reorder(order).vectorize(cargs[0], lanes, whole).unroll(cargs[rank - 2]);
      unrollTaps(update);
    } else {
      if (rank >= 4)
        out.reorder(args[0], mi, row, mo, n);
      else
        out.reorder(args[0], mi, mo, n);
      out.vectorize(args[0], lanes, guard).unroll(mi).fuse(mo, n, task).parallel(task);
      if (rank >= 4)
        out.reorder(args[0], mi, args[1], task);
    }
    if (depthwise) {
      // (scheduled above)
    } else if (c.name() != out.name()) {
      c.compute_at(out, row).vectorize(cargs[0], lanes, guard).unroll(cargs[rank - 2]);
      H::Stage update = c.update();
      std::vector<H::VarOrRVar> order = {cargs[0], cargs[rank - 2]};
      for (const H::Internal::ReductionVariable &rv : update.get_schedule().rvars())
        order.push_back(H::RVar(rv.var));
      update.reorder(order).vectorize(cargs[0], lanes, guard).unroll(cargs[rank - 2]);
    } else {
      H::Stage update = out.update();
      H::Var umo("umo"), umi("umi");
      std::vector<H::VarOrRVar> order = {args[0], umi};
      for (const H::Internal::ReductionVariable &rv : update.get_schedule().rvars())
        order.push_back(H::RVar(rv.var));
      order.push_back(umo);
      update.split(m, umo, umi, 4, guard).reorder(order).vectorize(args[0], lanes, guard).unroll(umi).parallel(n);
    }
  } else {
    for (H::Func c : convs_) {
      std::vector<H::Var> args = c.args();
      c.compute_root().vectorize(args[0], lanes, H::TailStrategy::GuardWithIf);
      H::Stage update = c.update();
      update.vectorize(args[0], lanes, H::TailStrategy::GuardWithIf);
      update.parallel(args.back());
    }
  }
  for (const auto &[name, padded] : tapsOnly_)
    if (!depthwise)
      plain(padded);
  // A kernel around one matmul with one output of two or more dims (the
  // matmul with its epilogue): register-blocked tiles of the output, each
  // computing its block of the product in registers (3 vectors x 4 rows of
  // accumulators, k outermost), tiles in parallel: Halide's
  // matrix_multiplication schedule, widened to the target's vectors.
  const auto guard = H::TailStrategy::GuardWithIf;
  auto rvarOf = [](H::Stage update) {
    return H::RVar(update.get_schedule().rvars().at(0).var);
  };
  if (matmuls_.size() == 1 && convs_.empty() && outputs.size() == 1 &&
      outputs[0]->type().hasRank() && outputs[0]->type().rank() >= 2) {
    H::Func out = funcs_.at(outputs[0]);
    H::Func prod = matmuls_[0];
    std::vector<H::Var> args = out.args();
    H::Var x = args[0], y = args[1];
    if (prod.name() != out.name()) {
      tileMatmul(out, prod, packs_.empty() ? H::Func() : packs_[0], lanes);
    } else {
      // The output is the matmul itself: tile its update the same way.
      prod.compute_root().vectorize(x, lanes, guard).parallel(args.back());
      H::Stage update = prod.update();
      H::Var uxo("uxo"), uyo("uyo"), uxi("uxi"), uyi("uyi");
      update.tile(x, y, uxo, uyo, uxi, uyi, 3 * lanes, 4, guard)
          .reorder(uxi, uyi, rvarOf(update), uxo, uyo)
          .vectorize(uxi, lanes, guard)
          .unroll(uxi)
          .unroll(uyi)
          .parallel(uyo);
    }
    return;
  }
  // Otherwise each matmul at root: rows in parallel; per row, the
  // reduction outside and the output row as vectors.
  for (H::Func m : matmuls_) {
    std::vector<H::Var> args = m.args();
    m.compute_root();
    m.vectorize(args[0], lanes, guard);
    H::Stage update = m.update();
    update.vectorize(args[0], lanes, guard);
    if (args.size() >= 2)
      update.parallel(args.back());
  }
}

/// FNV-1a, 64 bits.
uint64_t fnv(const void *data, size_t size, uint64_t hash = 1469598103934665603ull) {
  const auto *bytes = static_cast<const uint8_t *>(data);
  for (size_t i = 0; i < size; ++i)
    hash = (hash ^ bytes[i]) * 1099511628211ull;
  return hash;
}

/// The kernel's content as text: inputs' types, each node (op, attributes,
/// operands, result types), the outputs. Equal text, equal kernel: the
/// cache key, and (hashed) the kernel's symbol name.
std::string describeKernel(const std::vector<const Value *> &inputs,
                           const std::vector<const Node *> &nodes,
                           const std::vector<const Value *> &outputs) {
  std::map<const Value *, size_t> ids;
  std::string text;
  auto id = [&](const Value *value) {
    auto [it, inserted] = ids.emplace(value, ids.size());
    return "%" + std::to_string(it->second);
  };
  for (const Value *input : inputs) {
    text += "in " + id(input) + ": " + input->type().str();
    // Lowering may read a constant input's value (slice bounds, axes).
    if (const Tensor *value = constantValue(input))
      text += " = #" + std::to_string(fnv(value->bytes().data(), value->bytes().size()));
    text += "\n";
  }
  for (const Node *node : nodes) {
    std::string line = std::string(node->opName()) + "(";
    for (const Value *operand : node->operands())
      line += id(operand) + ",";
    line += ") {";
    for (const auto &[name, attr] : node->attrs()) {
      line += name + "=";
      switch (attr.kind()) {
      case AttrKind::Int: line += std::to_string(attr.getInt()); break;
      case AttrKind::Float: line += std::to_string(attr.getFloat()); break;
      case AttrKind::String: line += attr.getString(); break;
      case AttrKind::Ints:
        for (int64_t v : attr.getInts())
          line += std::to_string(v) + ",";
        break;
      case AttrKind::Floats:
        for (double v : attr.getFloats())
          line += std::to_string(v) + ",";
        break;
      case AttrKind::Tensor: {
        const Tensor &t = attr.getTensor();
        line += t.type().str() + "#" +
                std::to_string(fnv(t.bytes().data(), t.bytes().size()));
        break;
      }
      case AttrKind::Graph: line += "graph"; break;
      }
      line += ";";
    }
    line += "}";
    // A one-element weight is lowered as an immediate (Lowering::constant):
    // its value, not only its name, makes the kernel.
    if (node->is(OpId::Weight))
      if (const Tensor *value = constantValue(node->result(0)); value && value->numElements() == 1)
        line += " = #" + std::to_string(fnv(value->bytes().data(), value->bytes().size()));
    line += " ->";
    for (size_t i = 0; i < node->numResults(); ++i)
      line += " " + id(node->result(i)) + ": " + node->result(i)->type().str();
    text += line + "\n";
  }
  text += "out";
  for (const Value *output : outputs)
    text += " " + id(output);
  return text + "\n";
}

} // namespace

struct HalideBackend::Impl {
  H::Target target;
  std::string autoscheduler; ///< empty: manual schedules
  int64_t estimate = 128;
  std::map<std::string, H::Param<int32_t>> symbols;
  /// Code generations in flight (declared before `kernels`, whose futures
  /// wait for them when destroyed).
  std::mutex mutex;
  std::condition_variable slotFree;
  int running = 0;
  struct Compiled {
    std::string name;
    /// The compiled object file's bytes (LLVM's code generation may still
    /// be running on another thread).
    std::shared_future<std::string> object;
  };
  std::vector<Compiled> kernels;

  /// The object of `pipeline` as kernel `name`: from the kernel cache when
  /// it holds `key`, else lowered here (Halide's errors thrown now: the
  /// kernel stays on the reference) and turned into machine code on a
  /// thread of its own (and cached), at most one per core at a time.
  std::shared_future<std::string> compile(H::Pipeline pipeline,
                                          const std::vector<H::Argument> &arguments,
                                          const H::Target &target, const std::string &name,
                                          const std::string &key);
  std::map<std::string, Kernel> byContent; ///< identical kernels compile once
  std::map<std::string, std::vector<const Value *>> ordered; ///< their values, numbered
};

HalideBackend::HalideBackend(std::string target, std::string schedule, int64_t estimate)
    : impl_(std::make_unique<Impl>()) {
  impl_->target = H::Target(target.empty() ? hostTarget() : target)
                      .with_feature(H::Target::UserContext)
                      .with_feature(H::Target::NoRuntime);
  if (schedule.rfind("auto:", 0) == 0)
    impl_->autoscheduler = schedule.substr(5);
  impl_->estimate = estimate;
}

std::string HalideBackend::loadAutoscheduler(const std::string &name) {
  static std::set<std::string> loaded;
  static const std::map<std::string, std::string> plugins = {
      {"Adams2019", "libautoschedule_adams2019.so"},
      {"Li2018", "libautoschedule_li2018.so"},
      {"Mullapudi2016", "libautoschedule_mullapudi2016.so"}};
  auto it = plugins.find(name);
  if (it == plugins.end())
    return "unknown autoscheduler '" + name + "' (Adams2019, Li2018, Mullapudi2016)";
  if (loaded.count(name))
    return "";
  try {
    H::load_plugin("/usr/lib/x86_64-linux-gnu/halide14/" + it->second);
  } catch (const H::Error &e) {
    return "cannot load autoscheduler " + name + ": " + e.what();
  }
  loaded.insert(name);
  return "";
}

HalideBackend::~HalideBackend() = default;

size_t HalideBackend::size() const { return impl_->kernels.size(); }

std::string HalideBackend::hostTarget() {
  unsigned eax, ebx, ecx, edx;
  bool avx512 = false, avx2 = false, fma = false, amx = false, fp16 = false;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
    avx2 = ebx & (1u << 5);
    avx512 = (ebx & (1u << 16)) && (ebx & (1u << 17)) && (ebx & (1u << 30)) &&
             (ebx & (1u << 31)) && (ebx & (1u << 28)); // F, DQ, BW, VL, CD
    amx = edx & (1u << 24);
    fp16 = edx & (1u << 23);
  }
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx))
    fma = ecx & (1u << 12);
  std::string target = "x86-64-linux-sse41";
  if (avx2 && fma)
    target += "-avx-avx2-f16c-fma";
  if (avx512 && avx2 && fma) {
    target += "-avx512-avx512_skylake-avx512_cannonlake";
    if (amx && fp16)
      target += "-avx512_sapphirerapids";
  }
  return target;
}

std::optional<HalideBackend::Kernel>
HalideBackend::add(const std::vector<const Value *> &inputs, const std::vector<const Node *> &nodes,
                   const std::vector<const Value *> &outputs, std::string &why) {
  std::string content = describeKernel(inputs, nodes, outputs);
  if (auto it = impl_->byContent.find(content); it != impl_->byContent.end()) {
    // The same kernel again: same name, inputs in the same positions.
    Kernel kernel = it->second;
    std::map<const Value *, const Value *> same;
    // (describeKernel numbered the values in the same order both times)
    std::vector<const Value *> now;
    for (const Value *input : inputs)
      now.push_back(input);
    for (const Node *node : nodes)
      for (size_t i = 0; i < node->numResults(); ++i)
        now.push_back(node->result(i));
    std::vector<const Value *> before = impl_->ordered.at(content);
    for (const Value *&input : kernel.inputs)
      input = now.at(std::find(before.begin(), before.end(), input) - before.begin());
    return kernel;
  }
  try {
    Lowering lowering(impl_->target, impl_->symbols);
    for (const Value *input : inputs)
      lowering.input(input);
    for (const Node *node : nodes)
      lowering.node(*node);
    std::vector<H::Func> funcs;
    for (const Value *output : outputs)
      funcs.push_back(lowering.output(output));
    std::optional<H::Pipeline> scheduled;
    if (impl_->autoscheduler.empty()) {
      lowering.schedule(outputs);
    } else {
      // Estimates: static sizes as they are, every symbol at `estimate`.
      auto extent = [&](const Dim &dim) -> int64_t {
        if (dim.isStatic())
          return std::max<int64_t>(dim.size(), 1);
        std::set<std::string> names;
        dim.expr().collectSymbols(names);
        std::map<std::string, int64_t, std::less<>> values;
        for (const std::string &name : names)
          values[name] = impl_->estimate;
        return std::max<int64_t>(dim.expr().evaluate(values).value_or(impl_->estimate), 1);
      };
      for (size_t i = 0; i < lowering.paramList.size(); ++i) {
        const std::vector<Dim> &dims = lowering.bufferInputs[i]->type().dims();
        for (size_t d = 0; d < dims.size(); ++d)
          lowering.paramList[i].dim(static_cast<int>(dims.size() - 1 - d))
              .set_estimate(0, static_cast<int>(extent(dims[d])));
      }
      for (const std::string &name : lowering.usedSymbols)
        impl_->symbols.at(name).set_estimate(static_cast<int32_t>(impl_->estimate));
      for (size_t o = 0; o < outputs.size(); ++o) {
        const std::vector<Dim> &dims = outputs[o]->type().dims();
        std::vector<H::Var> args = funcs[o].args();
        for (size_t d = 0; d < dims.size(); ++d)
          funcs[o].set_estimate(args[dims.size() - 1 - d], 0, static_cast<int>(extent(dims[d])));
      }
      scheduled.emplace(funcs);
      int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      // (Adams2019 prints its cache statistics to stdout: silenced, stdout
      // is the tool's output.)
      std::fflush(stdout);
      int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
      if (saved >= 0 && null >= 0)
        dup2(null, STDOUT_FILENO);
      auto restore = [&] {
        std::fflush(stdout);
        if (saved >= 0) {
          dup2(saved, STDOUT_FILENO);
          close(saved);
        }
        if (null >= 0)
          close(null);
      };
      try {
        scheduled->auto_schedule(impl_->autoscheduler, impl_->target,
                                 H::MachineParams(threads, 32 << 20, 40));
      } catch (...) {
        restore();
        throw;
      }
      restore();
    }
    Kernel kernel;
    // Halide's assertions check the buffers' types, dims and sizes (the
    // runtime checks each operand against its register's type before the
    // call) and, where the kernel has them, values: only those are kept.
    // They are half of LLVM's work otherwise (densenet121 cold: 36 -> 18 s).
    H::Target target = lowering.checksValues ? impl_->target
                                             : impl_->target.with_feature(H::Target::NoAsserts).with_feature(H::Target::NoBoundsQuery);
    // The key: target, this lowering (its build: a rebuilt backend never
    // reuses an older one's objects), the kernel and its signature.
    std::string key = target.to_string() + "\nhalide14 " __DATE__ " " __TIME__ "\n" + content;
    for (const std::string &name : lowering.usedSymbols)
      key += "symbol " + name + "\n";
    if (!impl_->autoscheduler.empty())
      key += "schedule auto:" + impl_->autoscheduler + " " + std::to_string(impl_->estimate) + "\n";
    char name[32];
    std::snprintf(name, sizeof name, "dlc_%016llx",
                  static_cast<unsigned long long>(fnv(key.data(), key.size())));
    kernel.name = name;
    kernel.inputs = lowering.bufferInputs;
    // Buffers in the order of bufferInputs, then the symbols' params (the
    // outputs' buffers follow them in the compiled signature).
    std::vector<H::Argument> arguments(lowering.paramList.begin(), lowering.paramList.end());
    for (const std::string &name : lowering.usedSymbols) {
      kernel.symbols.push_back(name);
      arguments.push_back(impl_->symbols.at(name));
    }
    // Compiled now: a kernel Halide cannot compile stays on the reference.
    impl_->kernels.push_back({kernel.name, impl_->compile(scheduled ? *scheduled : H::Pipeline(funcs),
                                                          arguments, target, kernel.name, key)});
    impl_->byContent.emplace(content, kernel);
    std::vector<const Value *> ordered(inputs.begin(), inputs.end());
    for (const Node *node : nodes)
      for (size_t i = 0; i < node->numResults(); ++i)
        ordered.push_back(node->result(i));
    impl_->ordered.emplace(content, std::move(ordered));
    return kernel;
  } catch (const NotLowered &reason) {
    why = reason.why;
  } catch (const H::CompileError &error) {
    why = std::string("Halide: ") + error.what();
  } catch (const H::InternalError &error) {
    why = std::string("Halide internal error: ") + error.what();
  } catch (const H::Error &error) {
    why = std::string("Halide: ") + error.what();
  }
  return std::nullopt;
}

namespace {

std::string readText(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::error_code ignored_;

} // namespace

std::shared_future<std::string>
HalideBackend::Impl::compile(H::Pipeline pipeline, const std::vector<H::Argument> &arguments,
                             const H::Target &target, const std::string &name,
                             const std::string &key) {
  std::string cache = native::cacheDirectory();
  std::string cached = cache.empty() ? "" : cache + "/halide/" + name + ".o";
  std::string cachedKey = cached.empty() ? "" : cached + ".key";
  if (!cached.empty() && readText(cachedKey) == key) {
    std::string object = readText(cached);
    if (!object.empty()) {
      std::error_code ec; // used now: the last to be trimmed
      std::filesystem::last_write_time(cached, std::filesystem::file_time_type::clock::now(), ec);
      std::promise<std::string> ready;
      ready.set_value(std::move(object));
      return ready.get_future().share();
    }
  }
  // Lowering (where Halide reports what it cannot compile) here; LLVM's
  // code generation, most of the time, on its own thread.
  H::Module module = pipeline.compile_to_module(arguments, name, target);
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  {
    std::unique_lock<std::mutex> lock(mutex);
    slotFree.wait(lock, [&] { return running < cores; });
    ++running;
  }
  return std::async(std::launch::async, [this, module, name, key, cache, cached, cachedKey] {
           struct Release {
             Impl *impl;
             ~Release() {
               std::lock_guard<std::mutex> lock(impl->mutex);
               --impl->running;
               impl->slotFree.notify_one();
             }
           } release{this};
           char dirTemplate[] = "/tmp/dlc-halide-XXXXXX";
           if (!mkdtemp(dirTemplate))
             throw NotLowered{"cannot create a temporary folder"};
           std::string path = std::string(dirTemplate) + "/" + name + ".o";
           try {
             module.compile({{H::OutputFileType::object, path}});
           } catch (...) {
             std::filesystem::remove_all(dirTemplate, ignored_);
             throw;
           }
           std::string object = readText(path);
           std::filesystem::remove_all(dirTemplate, ignored_);
           if (object.empty())
             throw NotLowered{"Halide wrote no object"};
           if (!cached.empty()) { // write then rename: readers never see half a file
             std::filesystem::create_directories(cache + "/halide", ignored_);
             std::string suffix = ".tmp" + std::to_string(getpid()) + "." + name;
             std::ofstream(cached + suffix, std::ios::binary) << object;
             std::ofstream(cachedKey + suffix) << key;
             std::filesystem::rename(cachedKey + suffix, cachedKey, ignored_);
             std::filesystem::rename(cached + suffix, cached, ignored_);
           }
           return object;
         })
      .share();
}

/// Keeps the kernel cache under DLC_CACHE_MAX_MB (default 1024): the
/// objects least recently used (written or read) go first.
void trimCache(const std::string &cache) {
  int64_t limit = int64_t(1024) << 20;
  if (const char *text = std::getenv("DLC_CACHE_MAX_MB"))
    limit = std::max<int64_t>(0, std::atoll(text)) << 20;
  std::string dir = cache + "/halide";
  struct Entry {
    std::filesystem::file_time_type used;
    std::filesystem::path path;
    int64_t bytes;
  };
  std::vector<Entry> entries;
  int64_t total = 0;
  for (const auto &file : std::filesystem::directory_iterator(dir, ignored_)) {
    if (file.path().extension() != ".o")
      continue;
    std::error_code ec;
    int64_t bytes = static_cast<int64_t>(file.file_size(ec));
    auto used = file.last_write_time(ec);
    if (ec)
      continue;
    entries.push_back({used, file.path(), bytes});
    total += bytes;
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry &a, const Entry &b) { return a.used < b.used; });
  for (const Entry &entry : entries) {
    if (total <= limit)
      break;
    std::filesystem::remove(entry.path.string() + ".key", ignored_);
    std::filesystem::remove(entry.path, ignored_);
    total -= entry.bytes;
  }
}

std::vector<uint8_t> HalideBackend::link(std::string &error) {
  char dirTemplate[] = "/tmp/dlc-halide-XXXXXX";
  if (!mkdtemp(dirTemplate)) {
    error = "cannot create a temporary folder";
    return {};
  }
  std::string dir = dirTemplate;
  std::vector<std::string> objects;
  try {
    for (const Impl::Compiled &kernel : impl_->kernels) {
      std::string object = dir + "/" + kernel.name + ".o";
      std::ofstream(object, std::ios::binary) << kernel.object.get();
      objects.push_back(object);
    }
    // One Halide runtime per target, cached like the kernels.
    std::string cache = native::cacheDirectory();
    if (!cache.empty()) {
      std::filesystem::create_directories(cache + "/halide", ignored_);
      trimCache(cache);
    }
    std::string runtime = dir + "/runtime.o";
    H::Target runtimeTarget = impl_->target.without_feature(H::Target::NoRuntime);
    std::string cachedRuntime =
        cache.empty() ? ""
                      : cache + "/halide/runtime_" +
                            std::to_string(fnv(runtimeTarget.to_string().data(),
                                               runtimeTarget.to_string().size())) +
                            ".o";
    std::error_code ec;
    if (cachedRuntime.empty() || !std::filesystem::copy_file(cachedRuntime, runtime, ec)) {
      H::compile_standalone_runtime(runtime, runtimeTarget);
      if (!cachedRuntime.empty()) {
        std::string temporary = cachedRuntime + ".tmp" + std::to_string(getpid());
        if (std::filesystem::copy_file(runtime, temporary,
                                       std::filesystem::copy_options::overwrite_existing, ec))
          std::filesystem::rename(temporary, cachedRuntime, ec);
      }
    }
    objects.push_back(runtime);
  } catch (const H::Error &e) {
    error = std::string("Halide: ") + e.what();
    std::filesystem::remove_all(dir, ignored_);
    return {};
  } catch (const NotLowered &e) {
    error = "Halide: " + e.why;
    std::filesystem::remove_all(dir, ignored_);
    return {};
  }
  // The kernels' calls into the runtime's ukernels go through a table the
  // runtime hands over at load (runtime/native/Ukernels.h: same order).
  std::string shim = dir + "/ukernels.c";
  std::ofstream(shim) << R"(#include <stdint.h>
struct halide_buffer_t;
typedef int (*dlc_matmul_f32_fn)(void *, struct halide_buffer_t *, struct halide_buffer_t *,
                                 int32_t, int32_t, struct halide_buffer_t *);
typedef int (*dlc_conv2d_f32_fn)(void *, struct halide_buffer_t *, struct halide_buffer_t *,
                                 int32_t, int32_t, int32_t, int32_t, int32_t, int32_t, int32_t,
                                 int32_t, int32_t, int32_t, int32_t, int32_t, int32_t,
                                 struct halide_buffer_t *);
typedef int (*dlc_reduce_f32_fn)(void *, struct halide_buffer_t *, int32_t, int32_t, int32_t,
                                 int32_t, int32_t, struct halide_buffer_t *);
struct dlc_ukernel_table {
  dlc_matmul_f32_fn matmul_f32;
  dlc_conv2d_f32_fn conv2d_f32;
  dlc_reduce_f32_fn reduce_f32;
};
static struct dlc_ukernel_table dlc_ukernels;
void dlc_bind_ukernels(const struct dlc_ukernel_table *table) { dlc_ukernels = *table; }
int dlc_ukernel_matmul(void *user_context, struct halide_buffer_t *a, struct halide_buffer_t *b,
                       int32_t flags, int32_t depth, struct halide_buffer_t *c) {
  return dlc_ukernels.matmul_f32 ? dlc_ukernels.matmul_f32(user_context, a, b, flags, depth, c)
                                 : -1;
}
int dlc_ukernel_conv2d(void *user_context, struct halide_buffer_t *x, struct halide_buffer_t *w,
                       int32_t kh, int32_t kw, int32_t sh, int32_t sw, int32_t pt, int32_t pl,
                       int32_t dh, int32_t dw, int32_t groups, int32_t channels,
                       int32_t out_channels, int32_t height, int32_t width,
                       struct halide_buffer_t *c) {
  return dlc_ukernels.conv2d_f32
             ? dlc_ukernels.conv2d_f32(user_context, x, w, kh, kw, sh, sw, pt, pl, dh, dw, groups,
                                       channels, out_channels, height, width, c)
             : -1;
}
int dlc_ukernel_reduce(void *user_context, struct halide_buffer_t *x, int32_t kind,
                       int32_t reduced, int32_t e0, int32_t e1, int32_t e2,
                       struct halide_buffer_t *c) {
  return dlc_ukernels.reduce_f32
             ? dlc_ukernels.reduce_f32(user_context, x, kind, reduced, e0, e1, e2, c)
             : -1;
}
)";
  objects.push_back(shim);
  std::string library = dir + "/kernels.so";
  std::vector<std::string> argv = {"cc", "-shared", "-fPIC", "-O2", "-o", library};
  argv.insert(argv.end(), objects.begin(), objects.end());
  argv.push_back("-lm"); // (float mod calls fmod)
  std::vector<char *> args;
  for (std::string &arg : argv)
    args.push_back(arg.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  int status = 0;
  if (posix_spawnp(&pid, "cc", nullptr, nullptr, args.data(), environ) != 0 ||
      waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    error = "linking the native kernels with cc failed";
    return {};
  }
  std::ifstream in(library, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const std::string &object : objects)
    std::remove(object.c_str());
  std::remove(library.c_str());
  rmdir(dir.c_str());
  if (bytes.empty())
    error = "the linked native kernels are empty";
  return bytes;
}

} // namespace dlc
