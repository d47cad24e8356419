//===- Generator.cpp - Random valid dynamic graphs -------------------------===//

#include "tests/diff/Generator.h"

#include "ir/Builder.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace dlc::difftest {
namespace {

/// Draws from the raw 64-bit engine: the same numbers on every platform.
class Random {
public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  int64_t below(int64_t n) { return static_cast<int64_t>(engine_() % static_cast<uint64_t>(n)); }
  bool chance(int percent) { return below(100) < percent; }
  template <typename T> T pick(std::initializer_list<T> choices) {
    return *(choices.begin() + below(static_cast<int64_t>(choices.size())));
  }

private:
  std::mt19937_64 engine_;
};

/// A value and what is known of its elements.
struct Val {
  Value *value = nullptr;
  bool exact = false; ///< each element is a multiple of 2^-bits, exactly
  double bound = 1;   ///< |element| <= bound
  int bits = 0;

  /// Exact with this bound and these fraction bits while both fit f32's
  /// 24-bit mantissa (with margin); inexact stays inexact.
  static Val of(Value *value, bool exact, double bound, int bits) {
    bool fits = std::log2(std::max(bound, 1.0)) + bits <= 21;
    return {value, exact && fits, bound, bits};
  }
  int64_t cols() const { return value->type().dim(1).size(); }
};

/// Where a block builds: the graph's builder, the activation (f32[N,C])
/// and an exact f32[N,*] value of the same graph that decisions read.
struct Scope {
  Builder &b;
  Val x;
  Val exact;
  int depth;
};

class Generator {
public:
  Generator(Module &module, uint64_t seed) : module_(module), random_(seed) {}

  void run() {
    Graph *graph = module_.addGraph("main");
    Builder b(*graph);
    int64_t c = random_.pick<int64_t>({4, 8, 16});
    Value *x = b.input(TensorType(DType::F32, {Dim::symbol("N"), Dim(c)}), "x");
    Val input = {x, true, 2, 3};
    Scope scope{b, input, input, 0};
    int blocks = 2 + static_cast<int>(random_.below(5));
    for (int i = 0; i < blocks; ++i)
      scope.x = block(scope);
    std::vector<Value *> outputs = {scope.x.value};
    outputs.insert(outputs.end(), extras_.begin(), extras_.end());
    b.output(outputs);
  }

private:
  // --- Constants and weights (dyadic, so products stay exact) -----------

  /// A [rows, cols] matrix of multiples of 1/4 in [-1/2, 1/2]: a module
  /// weight in @main, a constant inside regions (which keep constants
  /// inline).
  Val matrix(Builder &b, int64_t rows, int64_t cols) {
    Tensor t(TensorType(DType::F32, {Dim(rows), Dim(cols)}));
    for (int64_t i = 0; i < rows * cols; ++i)
      t.setDouble(i, 0.25 * static_cast<double>(random_.below(5) - 2));
    Value *value;
    if (&b.graph() == module_.graph("main")) {
      std::string name = "w" + std::to_string(weights_++);
      module_.addWeight(Weight{name, std::make_shared<Tensor>(std::move(t)), {}});
      value = b.create("weight", {}).attr("name", name).result();
    } else {
      value = b.constant(std::move(t));
    }
    return {value, true, 0.5, 2};
  }
  /// A [size] vector of multiples of 1/4 in [-1, 1].
  Val vector(Builder &b, int64_t size) {
    Tensor t(TensorType(DType::F32, {Dim(size)}));
    for (int64_t i = 0; i < size; ++i)
      t.setDouble(i, 0.25 * static_cast<double>(random_.below(9) - 4));
    return {b.constant(std::move(t)), true, 1, 2};
  }
  Val scalar(Builder &b, double value, int bits = 3) {
    Tensor t(TensorType(DType::F32, {}));
    t.setDouble(0, value);
    return {b.constant(std::move(t)), true, std::fabs(value), bits};
  }
  Value *i64s(Builder &b, std::vector<int64_t> values) { return b.ints(values); }
  Value *i64(Builder &b, int64_t value) {
    Tensor t(TensorType(DType::I64, {}));
    t.setInt(0, value);
    return b.constant(std::move(t));
  }

  // --- Arithmetic with exactness tracking --------------------------------

  Val matmul(Builder &b, const Val &x, const Val &w) {
    double k = static_cast<double>(w.value->type().dim(0).size());
    return Val::of(b.op("matmul", {x.value, w.value}), x.exact && w.exact,
                   k * x.bound * w.bound, x.bits + w.bits);
  }
  Val add(Builder &b, const Val &x, const Val &y, std::string_view op = "add") {
    return Val::of(b.op(op, {x.value, y.value}), x.exact && y.exact, x.bound + y.bound,
                   std::max(x.bits, y.bits));
  }
  Val mul(Builder &b, const Val &x, const Val &y) {
    return Val::of(b.op("mul", {x.value, y.value}), x.exact && y.exact, x.bound * y.bound,
                   x.bits + y.bits);
  }
  /// Same elements, other order or sign (relu, neg, max with another...).
  Val like(const Val &x, Value *value) { return {value, x.exact, x.bound, x.bits}; }
  Val inexact(Value *value, double bound) { return {value, false, bound, 0}; }
  /// Keeps magnitudes near 1 so that tolerances stay meaningful: an exact
  /// value is scaled by a power of two (still exact), an inexact one
  /// squashed by tanh.
  Val tame(Builder &b, const Val &x) {
    if (x.bound <= 8)
      return x;
    if (x.exact)
      return mul(b, x, scalar(b, 0.125, 3));
    return inexact(b.op("tanh", {x.value}), 1);
  }

  /// A decision input: [N, 1] exact scores.
  Val score(Scope &s) {
    Val w = matrix(s.b, s.exact.cols(), 1);
    return matmul(s.b, s.exact, w);
  }
  /// A threshold for exact scores: a small multiple of 1/8 (exact too).
  Val threshold(Builder &b) { return scalar(b, 0.125 * static_cast<double>(random_.below(5) - 2)); }

  // --- Blocks: f32[N,C] in, f32[N,C'] out ---------------------------------

  Val block(Scope &s) {
    // Nested scopes take the blocks that keep to their graph (no side
    // outputs of @main): a loop inside an if, a select inside a branch.
    int choice = s.depth ? random_.pick<int>({0, 1, 2, 3, 4, 5, 7})
                         : static_cast<int>(random_.below(13));
    Val y;
    switch (choice) {
    case 0: y = elementwise(s); break;
    case 1: y = dense(s); break;
    case 2: y = normalize(s); break;
    case 3: y = dtypes(s); break;
    case 4: y = concatSlice(s); break;
    case 5: y = perSampleWhere(s); break;
    case 6: y = gatedIf(s); break;
    case 7: y = refineLoop(s); break;
    case 8: y = perRowLoop(s); break;
    case 9: y = experts(s); break;
    case 10: y = routeRows(s); break;
    case 11: y = recurrent(s); break;
    default: y = s.x.cols() == 16 ? conv(s) : uniqueIds(s); break;
    }
    return tame(s.b, y);
  }

  Val elementwise(Scope &s) {
    Builder &b = s.b;
    switch (random_.below(5)) {
    case 0: return like(s.x, b.op(random_.pick<const char *>({"relu", "neg", "abs"}), {s.x.value}));
    case 1: return inexact(b.op(random_.pick<const char *>({"tanh", "sigmoid"}), {s.x.value}), 1);
    case 2: return inexact(b.op("exp", {b.op("tanh", {s.x.value})}), 3);
    case 3: return add(b, s.x, vector(b, s.x.cols()), random_.pick<const char *>({"add", "sub"}));
    default: {
      Val v = vector(b, s.x.cols());
      if (random_.chance(50))
        return mul(b, s.x, v);
      // max/min against a broadcast row: elements of either side.
      Value *m = b.op(random_.pick<const char *>({"max", "min"}), {s.x.value, v.value});
      return Val::of(m, s.x.exact, std::max(s.x.bound, v.bound), std::max(s.x.bits, v.bits));
    }
    }
  }

  Val dense(Scope &s) {
    Builder &b = s.b;
    int64_t out = random_.pick<int64_t>({4, 8, 16});
    Val h = matmul(b, s.x, matrix(b, s.x.cols(), out));
    if (random_.chance(60))
      h = add(b, h, vector(b, out));
    if (random_.chance(60))
      h = like(h, b.op("relu", {h.value}));
    if (random_.chance(20))
      h = mixRows(b, h);
    return h;
  }

  /// h + the column max over the batch: rows stop being independent,
  /// which the batch rewrites must notice.
  Val mixRows(Builder &b, const Val &h) {
    Value *m = b.create("reduce_max", {h.value}).attr("axes", {0}).attr("keepdims", int64_t(1)).result();
    return add(b, h, like(h, m));
  }

  /// Row statistics broadcast back: x - max, x * sigmoid(sum), softmax, or
  /// x - mean.
  Val normalize(Scope &s) {
    Builder &b = s.b;
    switch (random_.below(4)) {
    case 0: {
      Value *m = b.create("reduce_max", {s.x.value}).attr("axes", {1}).attr("keepdims", int64_t(1)).result();
      return add(b, s.x, like(s.x, m), "sub");
    }
    case 1: {
      Value *sum = b.create("reduce_sum", {s.x.value}).attr("axes", {1}).attr("keepdims", int64_t(1)).result();
      return inexact(b.op("mul", {s.x.value, b.op("sigmoid", {sum})}), s.x.bound);
    }
    case 2:
      return inexact(b.create("softmax", {s.x.value}).attr("axis", int64_t(1)).result(), 1);
    default: {
      Value *mean = b.create("reduce_mean", {s.x.value}).attr("axes", {1}).attr("keepdims", int64_t(1)).result();
      return inexact(b.op("sub", {s.x.value, mean}), 2 * s.x.bound);
    }
    }
  }

  /// Through another dtype and back: f16 (exact while the values fit its
  /// 11-bit mantissa), f64 arithmetic, or an i64 side output (argmax per
  /// row, plus one).
  Val dtypes(Scope &s) {
    Builder &b = s.b;
    if (random_.chance(30)) {
      Value *half = b.create("cast", {s.x.value}).attr("to", std::string("f16")).result();
      Value *back = b.create("cast", {half}).attr("to", std::string("f32")).result();
      bool fits = std::log2(std::max(s.x.bound, 1.0)) + s.x.bits <= 10;
      return {back, s.x.exact && fits, s.x.bound, s.x.bits};
    }
    if (random_.chance(50)) {
      Value *wide = b.create("cast", {s.x.value}).attr("to", std::string("f64")).result();
      Tensor two(TensorType(DType::F64, {}));
      two.setDouble(0, 2.0);
      Value *doubled = b.op("mul", {wide, b.constant(std::move(two))});
      Value *back = b.create("cast", {doubled}).attr("to", std::string("f32")).result();
      return Val::of(back, s.x.exact, 2 * s.x.bound, s.x.bits);
    }
    if (s.depth > 0) // side outputs leave @main only
      return s.x;
    Value *best = b.create("argmax", {s.exact.value}).attr("axis", int64_t(1)).attr("keepdims", int64_t(0)).result();
    Tensor one(TensorType(DType::I64, {}));
    one.setInt(0, 1);
    extras_.push_back(b.op("add", {best, b.constant(std::move(one))}));
    return s.x;
  }

  /// concat(x, -x) along features, then the middle C columns.
  Val concatSlice(Scope &s) {
    Builder &b = s.b;
    int64_t c = s.x.cols();
    Value *both = b.create("concat", {s.x.value, b.op("neg", {s.x.value})}).attr("axis", int64_t(1)).result();
    Value *mid = b.op("slice", {both, i64s(b, {c / 2}), i64s(b, {c / 2 + c}), i64s(b, {1})});
    return like(s.x, mid);
  }

  /// Per-sample branch: where(score > t, heavy(x), light(x)).
  Val perSampleWhere(Scope &s) {
    Builder &b = s.b;
    Value *take = b.op("greater", {score(s).value, threshold(b).value});
    Val heavy = dense(s);
    Val light = heavy.cols() == s.x.cols() && random_.chance(50) ? like(s.x, b.op("neg", {s.x.value}))
                                                                 : matmul(b, s.x, matrix(b, s.x.cols(), heavy.cols()));
    return Val::of(b.op("where", {take, heavy.value, light.value}), heavy.exact && light.exact,
                   std::max(heavy.bound, light.bound), std::max(heavy.bits, light.bits));
  }

  /// A batch-level gate: if(sum(exact) > t) { blocks } else { x or -x }.
  Val gatedIf(Scope &s) {
    Builder &b = s.b;
    Value *total = b.create("reduce_sum", {score(s).value}).attr("keepdims", int64_t(0)).result();
    Value *gate = b.op("greater", {total, threshold(b).value});
    TensorType xt = s.x.value->type(), et = s.exact.value->type();
    Val thenResult, elseResult;
    auto thenBody = [&](Builder &inner, const std::vector<Value *> &in) {
      Scope scope{inner, like(s.x, in[0]), like(s.exact, in[1]), s.depth + 1};
      Val y = dense(scope);
      scope.x = y;
      if (s.depth < 1 && random_.chance(50))
        y = block(scope);
      thenResult = y;
      return std::vector<Value *>{y.value};
    };
    auto elseBody = [&](Builder &inner, const std::vector<Value *> &in) {
      // The same columns as the then branch's result.
      Val y = matmul(inner, like(s.x, in[0]), matrix(inner, s.x.cols(), thenResult.cols()));
      elseResult = y;
      return std::vector<Value *>{y.value};
    };
    Value *result = b.create("if", {gate})
                        .captures({s.x.value, s.exact.value})
                        .region("then_branch", {xt, et}, thenBody)
                        .region("else_branch", {xt, et}, elseBody)
                        .result();
    return Val::of(result, thenResult.exact && elseResult.exact,
                   std::max(thenResult.bound, elseResult.bound),
                   std::max(thenResult.bits, elseResult.bits));
  }

  /// A data-dependent refinement loop: v = relu(v @ W) * 1/2 while the
  /// exact score stays above t, at most `trips` times; the scores stack
  /// as a scan output.
  Val refineLoop(Scope &s) {
    Builder &b = s.b;
    int64_t c = s.x.cols(), trips = random_.below(5);
    Val w = matrix(b, c, c);
    // Exact across every iteration? Each one multiplies the bound by
    // c/2 * 1/2 and adds 3 fraction bits.
    double bound = s.x.bound;
    int bits = s.x.bits;
    for (int64_t i = 0; i < trips; ++i)
      bound *= c * 0.25, bits += 3;
    bool exact = Val::of(s.x.value, s.x.exact, bound, bits).exact;
    Value *go = b.constant([] {
      Tensor t(TensorType(DType::Bool, {}));
      t.setInt(0, 1);
      return t;
    }());
    Val t = threshold(b);
    TensorType xt = s.x.value->type();
    std::vector<Value *> results =
        b.create("loop", {i64(b, trips), go, s.x.value})
            .captures({w.value, t.value})
            .region("body",
                    {TensorType(DType::I64, {}), TensorType(DType::Bool, {}), xt,
                     w.value->type(), TensorType(DType::F32, {})},
                    [&](Builder &inner, const std::vector<Value *> &in) {
                      Value *h = inner.op("relu", {inner.op("matmul", {in[2], in[3]})});
                      Value *next = inner.op("mul", {h, scalar(inner, 0.5).value});
                      Value *sum = inner.create("reduce_sum", {next}).attr("keepdims", int64_t(0)).result();
                      // Inexact values must not decide: then the loop
                      // runs on its counter alone.
                      Value *more = exact ? inner.op("greater", {sum, in[4]})
                                         : inner.op("less", {in[0], i64(inner, trips)});
                      return std::vector<Value *>{more, next, sum};
                    })
            .results();
    if (s.depth == 0)
      extras_.push_back(results[1]); // the scan of scores, f32[?]
    return Val::of(results[0], exact, std::max(bound, s.x.bound), bits);
  }

  /// A loop over the batch, one sample at a time: each row takes one of
  /// two layers by its own exact score, written back with scatter_nd. The
  /// layers see the row as f32[C] (what batch-loops lifts) or, sometimes,
  /// as f32[1,C] (what it leaves).
  Val perRowLoop(Scope &s) {
    Builder &b = s.b;
    int64_t c = s.x.cols();
    bool asMatrix = random_.chance(30);
    Val w1 = matrix(b, c, c), w2 = matrix(b, c, c), sv = vector(b, s.exact.cols());
    Val t = threshold(b);
    Value *shape = b.op("shape", {s.x.value});
    Value *n = b.op("gather", {shape, i64(b, 0)});
    Value *go = b.constant([] {
      Tensor t(TensorType(DType::Bool, {}));
      t.setInt(0, 1);
      return t;
    }());
    TensorType xt = s.x.value->type(), et = s.exact.value->type();
    // One branch: the layer on the row, written to row `at` of `acc`.
    auto branch = [&](bool relu) {
      return [&, relu](Builder &br, const std::vector<Value *> &v) {
        Value *h = br.op("matmul", {v[0], v[relu ? 1 : 2]});
        if (relu)
          h = br.op("relu", {h});
        if (!asMatrix)
          h = br.create("unsqueeze", {h}).attr("axes", {0}).result();
        return std::vector<Value *>{br.op("scatter_nd", {v[3], v[4], h})};
      };
    };
    auto body = [&](Builder &inner, const std::vector<Value *> &in) {
      Value *i = in[0];
      Value *row = inner.op("gather", {in[3], i}); // f32[C]
      if (asMatrix)
        row = inner.create("unsqueeze", {row}).attr("axes", {0}).result();
      Value *erow = inner.op("gather", {in[4], i});
      Value *sc = inner.create("reduce_sum", {inner.op("mul", {erow, in[7]})})
                      .attr("keepdims", int64_t(0))
                      .result();
      Value *take = inner.op("greater", {sc, in[8]});
      Value *at = inner.create("unsqueeze", {inner.create("unsqueeze", {i}).attr("axes", {0}).result()})
                      .attr("axes", {1})
                      .result(); // i64[1,1]
      std::vector<TensorType> types = {row->type(), in[5]->type(), in[6]->type(), in[2]->type(),
                                       at->type()};
      Value *next = inner.create("if", {take})
                        .captures({row, in[5], in[6], in[2], at})
                        .region("then_branch", types, branch(true))
                        .region("else_branch", types, branch(false))
                        .result();
      return std::vector<Value *>{in[1], next};
    };
    Value *y = b.create("loop", {n, go, s.x.value})
                   .captures({s.x.value, s.exact.value, w1.value, w2.value, sv.value, t.value})
                   .region("body",
                           {TensorType(DType::I64, {}), TensorType(DType::Bool, {}), xt, xt, et,
                            w1.value->type(), w2.value->type(), sv.value->type(),
                            TensorType(DType::F32, {})},
                           body)
                   .result();
    return Val::of(y, s.x.exact, std::max(s.x.bound, c * 0.5 * s.x.bound), s.x.bits + 2);
  }

  /// A dense mixture of experts as exporters write it: top-k of the exact
  /// gate logits, softmax weights scattered into a dense [N, E] matrix,
  /// every expert on every row, weighted and summed.
  Val experts(Scope &s) {
    Builder &b = s.b;
    int64_t c = s.x.cols(), e = random_.pick<int64_t>({2, 3, 4}), k = 1 + random_.below(e - 1);
    Val logits = matmul(b, s.exact, matrix(b, s.exact.cols(), e));
    std::vector<Value *> top =
        b.create("topk", {logits.value, i64s(b, {k})}).attr("axis", int64_t(1)).results();
    Value *p = b.create("softmax", {top[0]}).attr("axis", int64_t(1)).result();
    Value *zero = scalar(b, 0).value;
    Value *dense = b.op("expand", {zero, b.op("shape", {logits.value})});
    Value *gates = b.create("scatter_elements", {dense, top[1], p}).attr("axis", int64_t(1)).result();
    Val sum;
    for (int64_t i = 0; i < e; ++i) {
      Value *g = b.op("slice", {gates, i64s(b, {i}), i64s(b, {i + 1}), i64s(b, {1})});
      Val hidden = matmul(b, s.x, matrix(b, c, 2 * c));
      Val h = like(hidden, b.op("relu", {hidden.value}));
      if (random_.chance(20))
        h = mixRows(b, h);
      Val y = matmul(b, h, matrix(b, 2 * c, c));
      Val weighted = inexact(b.op("mul", {g, y.value}), y.bound);
      sum = i ? inexact(b.op("add", {sum.value, weighted.value}), sum.bound + y.bound) : weighted;
    }
    return sum;
  }

  /// The rows whose exact max passes t, through a layer, scattered back.
  Val routeRows(Scope &s) {
    Builder &b = s.b;
    int64_t c = s.x.cols();
    Value *m = b.create("reduce_max", {s.exact.value}).attr("axes", {1}).attr("keepdims", int64_t(0)).result();
    Value *mask = b.op("greater", {m, threshold(b).value});
    Value *nz = b.op("nonzero", {mask});
    Value *rows = b.create("squeeze", {nz}).attr("axes", {0}).result();
    Value *picked = b.op("gather", {s.x.value, rows});
    Val h = like(s.x, b.op("relu", {b.op("matmul", {picked, matrix(b, c, c).value})}));
    Value *at = b.create("unsqueeze", {rows}).attr("axes", {1}).result();
    Value *y = b.op("scatter_nd", {s.x.value, at, h.value});
    if (random_.chance(50))
      extras_.push_back(rows);
    return Val::of(y, s.x.exact, std::max(s.x.bound, c * 0.5 * s.x.bound), s.x.bits + 2);
  }

  /// Distinct per-row argmax ids and their counts as side outputs.
  Val uniqueIds(Scope &s) {
    Builder &b = s.b;
    Value *best = b.create("argmax", {s.exact.value}).attr("axis", int64_t(1)).attr("keepdims", int64_t(0)).result();
    std::vector<Value *> u = b.create("unique", {best}).results();
    extras_.push_back(u[0]);
    extras_.push_back(u[3]);
    return s.x;
  }

  /// A constant of `dims` with multiples of 1/4 in [-1/2, 1/2].
  Value *weights(Builder &b, std::vector<Dim> dims) {
    Tensor t(TensorType(DType::F32, std::move(dims)));
    for (int64_t i = 0; i < t.numElements(); ++i)
      t.setDouble(i, 0.25 * static_cast<double>(random_.below(5) - 2));
    return b.constant(std::move(t));
  }

  /// The batch as one sequence through an rnn, gru or lstm (forward,
  /// reverse or both ways): rows stop being independent, and every step
  /// depends on the last.
  Val recurrent(Scope &s) {
    Builder &b = s.b;
    const char *cell = random_.pick<const char *>({"rnn", "gru", "lstm"});
    std::string direction = random_.pick<const char *>({"forward", "reverse", "bidirectional"});
    int64_t c = s.x.cols(), dirs = direction == "bidirectional" ? 2 : 1;
    int64_t gates = cell[0] == 'r' ? 1 : cell[0] == 'g' ? 3 : 4;
    int64_t hidden = random_.pick<int64_t>({4, 8});
    Value *seq = b.op("reshape", {s.x.value, i64s(b, {-1, 1, c})}); // [N, 1, C]
    Value *n = b.op("gather", {b.op("shape", {s.x.value}), i64(b, 0)});
    Value *lengths = b.op("reshape", {n, i64s(b, {1})});
    std::vector<Value *> operands = {seq,
                                     weights(b, {Dim(dirs), Dim(gates * hidden), Dim(c)}),
                                     weights(b, {Dim(dirs), Dim(gates * hidden), Dim(hidden)}),
                                     weights(b, {Dim(dirs), Dim(2 * gates * hidden)}),
                                     lengths,
                                     weights(b, {Dim(dirs), Dim(1), Dim(hidden)})};
    if (gates == 4) {
      operands.push_back(weights(b, {Dim(dirs), Dim(1), Dim(hidden)}));
      operands.push_back(weights(b, {Dim(dirs), Dim(3 * hidden)}));
    }
    Value *y = b.create(cell, operands)
                   .attr("direction", direction)
                   .attr("hidden_size", hidden)
                   .results()[0]; // [N, dirs, 1, hidden]
    return inexact(b.op("reshape", {y, i64s(b, {-1, dirs * hidden})}), 1);
  }

  /// A [out, in, k, k] kernel of multiples of 1/4 in [-1/2, 1/2].
  Value *kernel(Builder &b, int64_t out, int64_t in, int64_t k) {
    Tensor w(TensorType(DType::F32, {Dim(out), Dim(in), Dim(k), Dim(k)}));
    for (int64_t i = 0; i < w.numElements(); ++i)
      w.setDouble(i, 0.25 * static_cast<double>(random_.below(5) - 2));
    return b.constant(std::move(w));
  }

  /// Features as 1x4x4 images (16 columns only) through a convolution:
  /// 3x3 with padding, strided, or dilated; sometimes max-pooled after;
  /// or CondConv as exporters write it (conditional kernels).
  Val conv(Scope &s) {
    Builder &b = s.b;
    Value *images = b.op("reshape", {s.x.value, i64s(b, {-1, 1, 4, 4})});
    if (random_.chance(25))
      return condConv(s, images);
    Value *y;
    double taps = 9;
    switch (random_.below(3)) {
    case 0: // [N, 2, 4, 4]
      y = b.create("conv", {images, kernel(b, 2, 1, 3)}).attr("pads", {1, 1, 1, 1}).result();
      break;
    case 1: // [N, 8, 2, 2]
      y = b.create("conv", {images, kernel(b, 8, 1, 3)})
              .attr("pads", {1, 1, 1, 1})
              .attr("strides", {2, 2})
              .result();
      break;
    default: // [N, 2, 4, 4]: 2x2 taps two apart
      y = b.create("conv", {images, kernel(b, 2, 1, 2)})
              .attr("pads", {1, 1, 1, 1})
              .attr("dilations", {2, 2})
              .result();
      taps = 4;
      break;
    }
    y = b.op("relu", {y});
    if (random_.chance(30)) // [N, C, 2, 2] or [N, C, 1, 1]
      y = b.create("max_pool", {y})
              .attr("kernel_shape", {2, 2})
              .attr("strides", {2, 2})
              .result();
    int64_t features = 1;
    for (int64_t d = 1; d < 4; ++d)
      features *= y->type().dim(d).size();
    Value *flat = b.op("reshape", {y, i64s(b, {-1, features})});
    return Val::of(flat, s.x.exact, taps * 0.5 * s.x.bound, s.x.bits + 2);
  }

  /// CondConv as its reference code computes it: every expert kernel on
  /// every example, weighted per example by softmax routing of the exact
  /// features and summed (what the condconv pass turns into one
  /// convolution of mixed kernels).
  Val condConv(Scope &s, Value *images) {
    Builder &b = s.b;
    int64_t experts = random_.pick<int64_t>({2, 3});
    Value *logits = matmul(b, s.exact, matrix(b, s.exact.cols(), experts)).value;
    Value *r = b.create("softmax", {logits}).attr("axis", int64_t(1)).result();
    Value *sum = nullptr;
    for (int64_t k = 0; k < experts; ++k) {
      Value *g = b.op("slice", {r, i64s(b, {k}), i64s(b, {k + 1}), i64s(b, {1})});
      Value *gate = b.op("reshape", {g, i64s(b, {-1, 1, 1, 1})});
      Value *y = b.create("conv", {images, kernel(b, 2, 1, 3), vector(b, 2).value})
                     .attr("pads", {1, 1, 1, 1})
                     .result();
      Value *term = b.op("mul", {gate, y});
      sum = sum ? b.op("add", {sum, term}) : term;
    }
    Value *flat = b.op("reshape", {b.op("relu", {sum}), i64s(b, {-1, 32})});
    return inexact(flat, 9 * 0.5 * s.x.bound + 1);
  }

  Module &module_;
  Random random_;
  std::vector<Value *> extras_;
  int weights_ = 0;
};

} // namespace

std::unique_ptr<Module> generateModule(uint64_t seed) {
  auto module = std::make_unique<Module>();
  Generator(*module, seed).run();
  return module;
}

std::vector<TensorRef> generateInputs(const Graph &graph, int64_t size, uint64_t seed) {
  Random random(seed);
  std::vector<TensorRef> inputs;
  for (const auto &input : graph.inputs()) {
    std::vector<Dim> dims;
    for (const Dim &dim : input->type().dims())
      dims.push_back(dim.isStatic() ? dim : Dim(size));
    auto tensor = std::make_shared<Tensor>(TensorType(input->type().dtype(), dims));
    for (int64_t i = 0; i < tensor->numElements(); ++i) {
      if (isFloat(tensor->dtype()))
        tensor->setDouble(i, 0.125 * static_cast<double>(random.below(33) - 16));
      else
        tensor->setInt(i, random.below(tensor->dtype() == DType::Bool ? 2 : 8));
    }
    inputs.push_back(std::move(tensor));
  }
  return inputs;
}

} // namespace dlc::difftest
