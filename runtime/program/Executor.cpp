//===- Executor.cpp - Loading and running compiled programs --------------===//

#include "program/Executor.h"

#include "native/Matmul.h"
#include "native/Ukernels.h"
#include "ops/Params.h"
#include "threading/ThreadPool.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace dlrt::program {

//===----------------------------------------------------------------------===//
// Buffers
//===----------------------------------------------------------------------===//

std::optional<size_t> byteSize(ElementType type, const std::vector<int64_t> &dims) {
  size_t bytes = kernels::elementSize(type);
  for (int64_t dim : dims) {
    if (dim < 0)
      return std::nullopt;
    if (dim != 0 && bytes > SIZE_MAX / static_cast<size_t>(dim))
      return std::nullopt;
    bytes *= static_cast<size_t>(dim);
  }
  return bytes;
}

namespace {

/// The size class of `bytes`: multiples of 64 up to 512, then eight
/// classes per power of two (at most 12.5% more than asked).
size_t sizeClass(size_t bytes) {
  bytes = std::max<size_t>(bytes, 1);
  if (bytes <= 512)
    return (bytes + 63) / 64 * 64;
  size_t power = size_t(1) << (63 - __builtin_clzll(bytes - 1)); // < bytes <= 2 * power
  size_t step = power / 8;
  return (bytes + step - 1) / step * step;
}

} // namespace

MemoryPool::~MemoryPool() {
  for (auto &[capacity, blocks] : free_)
    for (void *block : blocks)
      std::free(block);
}

void *MemoryPool::take(size_t bytes, size_t &capacity, bool exact) {
  capacity = exact ? (std::max<size_t>(bytes, 1) + 63) / 64 * 64 : sizeClass(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  void *block = nullptr;
  auto it = free_.find(capacity);
  if (it != free_.end() && !it->second.empty()) {
    block = it->second.back();
    it->second.pop_back();
    cached_ -= capacity;
  } else {
    block = std::aligned_alloc(64, capacity);
    if (!block)
      return nullptr;
    ++system_;
  }
  live_ += capacity;
  peak_ = std::max(peak_, live_);
  return block;
}

void MemoryPool::give(void *data, size_t capacity) {
  std::lock_guard<std::mutex> lock(mutex_);
  live_ -= capacity;
  // Cached up to twice the peak: a caller that holds one run's outputs
  // while the next run allocates its own still finds blocks here.
  if (cached_ + capacity > 2 * peak_) {
    std::free(data);
    return;
  }
  free_[capacity].push_back(data);
  cached_ += capacity;
}

size_t MemoryPool::liveBytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return live_;
}

size_t MemoryPool::peakBytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return peak_;
}

size_t MemoryPool::systemAllocations() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return system_;
}

Status Buffer::allocate(ElementType type, std::vector<int64_t> dims, size_t maxBytes,
                        std::shared_ptr<Buffer> &out, std::shared_ptr<MemoryPool> pool,
                        bool exact, bool zeroed) {
  std::optional<size_t> bytes = byteSize(type, dims);
  if (!bytes || *bytes > maxBytes) {
    std::string shape;
    for (int64_t dim : dims)
      shape += (shape.empty() ? "" : "x") + std::to_string(dim);
    return Status::error("a buffer of dims [" + shape + "] exceeds the limit of " +
                         std::to_string(maxBytes) + " bytes");
  }
  size_t capacity = sizeClass(*bytes);
  void *data = pool ? pool->take(*bytes, capacity, exact) : std::aligned_alloc(64, capacity);
  if (!data)
    return Status::error("out of memory allocating " + std::to_string(*bytes) + " bytes");
  if (zeroed)
    std::memset(data, 0, *bytes);
  out.reset(new Buffer());
  out->type_ = type;
  out->dims_ = std::move(dims);
  out->data_ = data;
  out->bytes_ = *bytes;
  out->capacity_ = capacity;
  out->owned_ = true;
  out->pool_ = std::move(pool);
  return Status::ok();
}

std::shared_ptr<Buffer> Buffer::view(ElementType type, std::vector<int64_t> dims, void *data,
                                     std::shared_ptr<const void> keepAlive) {
  std::shared_ptr<Buffer> buffer(new Buffer());
  buffer->type_ = type;
  buffer->bytes_ = byteSize(type, dims).value_or(0);
  buffer->dims_ = std::move(dims);
  buffer->data_ = data;
  buffer->keepAlive_ = std::move(keepAlive);
  return buffer;
}

Buffer::~Buffer() {
  if (owned_ && pool_)
    pool_->give(data_, capacity_);
  else if (owned_)
    std::free(data_);
}

int64_t Buffer::numElements() const {
  int64_t n = 1;
  for (int64_t dim : dims_)
    n *= dim;
  return n;
}

//===----------------------------------------------------------------------===//
// Validation
//===----------------------------------------------------------------------===//

namespace {

constexpr size_t kMaxExprStack = 64;

Status invalid(const std::string &what) {
  return Status::error("invalid program: " + what);
}

bool isElementType(ElementType type) {
  return static_cast<uint8_t>(type) <= static_cast<uint8_t>(ElementType::Bool);
}

/// The element types of registers `list` of `fn` (indices checked).
std::vector<ElementType> registerTypes(const Function &fn, const std::vector<int64_t> &list) {
  std::vector<ElementType> types;
  for (int64_t r : list)
    types.push_back(fn.registers[r].type);
  return types;
}

} // namespace

Executable::~Executable() {
  for (const Weight &weight : weights_.weights)
    native::forgetConstants(weight.data.data(), weight.data.data() + weight.data.size());
}

Status Executable::create(Program program, Weights weights,
                          std::shared_ptr<const Executable> &out,
                          const std::vector<uint8_t> &nativeObject) {
  auto executable = std::shared_ptr<Executable>(new Executable());
  executable->program_ = std::move(program);
  executable->weights_ = std::move(weights);
  Status status = executable->validate();
  if (!status.isOk())
    return status;
  const std::vector<std::string> &natives = executable->program_.nativeKernels;
  if (!natives.empty() && nativeObject.empty())
    return invalid("native kernels without their object");
  if (!natives.empty()) {
    status = native::NativeLibrary::load(nativeObject, natives, executable->natives_);
    if (!status.isOk())
      return status;
  }
  out = std::move(executable);
  return Status::ok();
}

Status Executable::load(const artifact::Artifact &artifact,
                        std::shared_ptr<const Executable> &out) {
  const artifact::Section *code = artifact.section(artifact::SectionKind::HostProgram);
  const artifact::Section *data = artifact.section(artifact::SectionKind::Weights);
  if (!code)
    return Status::error("the artifact has no host program");
  int64_t version = 0;
  if (code->size >= sizeof version)
    std::memcpy(&version, code->data, sizeof version);
  if (version != kProgramVersion)
    return Status::error("the host program has format " + std::to_string(version) +
                         "; this runtime reads format " + std::to_string(kProgramVersion) +
                         " (recompile the model with this dlc)");
  Program program;
  if (!ops::decodeParams(program, code->data, code->size, "host program").isOk())
    return Status::error("the host program is malformed");
  Weights weights;
  if (data && !ops::decodeParams(weights, data->data, data->size, "weights").isOk())
    return Status::error("the weights section is malformed");
  const artifact::Section *object = artifact.section(artifact::SectionKind::NativeObject);
  std::vector<uint8_t> nativeObject;
  if (object)
    nativeObject.assign(object->data, object->data + object->size);
  return create(std::move(program), std::move(weights), out, nativeObject);
}

Status Executable::validate() {
  const Program &p = program_;
  if (p.version != kProgramVersion)
    return invalid("format " + std::to_string(p.version) + ", expected " +
                   std::to_string(kProgramVersion));
  for (const Symbol &symbol : p.symbols)
    if (symbol.name.empty())
      return invalid("a symbol without a name");
  for (size_t e = 0; e < p.exprs.size(); ++e) {
    const Expr &expr = p.exprs[e];
    size_t depth = 0, operand = 0;
    for (uint8_t op : expr.ops) {
      switch (static_cast<ExprOp>(op)) {
      case ExprOp::Const:
      case ExprOp::Symbol:
        if (operand >= expr.operands.size())
          return invalid("expression " + std::to_string(e) + " lacks operands");
        if (static_cast<ExprOp>(op) == ExprOp::Symbol &&
            (expr.operands[operand] < 0 ||
             static_cast<size_t>(expr.operands[operand]) >= p.symbols.size()))
          return invalid("expression " + std::to_string(e) + " names no symbol");
        ++operand;
        if (++depth > kMaxExprStack)
          return invalid("expression " + std::to_string(e) + " is too deep");
        break;
      case ExprOp::Add: case ExprOp::Sub: case ExprOp::Mul: case ExprOp::FloorDiv:
      case ExprOp::Min: case ExprOp::Max:
        if (depth < 2)
          return invalid("expression " + std::to_string(e) + " is malformed");
        --depth;
        break;
      default:
        return invalid("expression " + std::to_string(e) + " has an unknown step");
      }
    }
    if (depth != 1 || operand != expr.operands.size())
      return invalid("expression " + std::to_string(e) + " is malformed");
  }
  for (const std::string &name : p.entryPoints) {
    const ops::OpKernel *kernel = ops::findOpKernel(name);
    if (!kernel)
      return invalid("unknown op entry point '" + name + "'");
    entryPoints_.push_back(kernel);
  }
  for (Weight &weight : weights_.weights) {
    std::optional<size_t> bytes = isElementType(weight.type) ? byteSize(weight.type, weight.dims)
                                                             : std::nullopt;
    if (!bytes || *bytes != weight.data.size())
      return invalid("weight '" + weight.name + "' has the wrong size");
    weightBuffers_.push_back(
        Buffer::view(weight.type, weight.dims, weight.data.data()));
  }
  if (p.functions.empty())
    return invalid("no main function");
  auto checkTypes = [&](const std::vector<RegisterType> &registers) -> Status {
    for (const RegisterType &type : registers) {
      if (!isElementType(type.type))
        return invalid("a register of unknown element type");
      if (!type.ranked && !type.dims.empty())
        return invalid("a register of unknown rank with dims");
      for (int64_t dim : type.dims)
        if (dim != kAnyDim && (dim < 0 || static_cast<size_t>(dim) >= p.exprs.size()))
          return invalid("a register dim names no expression");
    }
    return Status::ok();
  };
  for (size_t f = 0; f < p.functions.size(); ++f) {
    const Function &fn = p.functions[f];
    std::string where = "function '" + fn.name + "'";
    if (fn.arenaBytes < 0 || fn.arenaBytes > (int64_t(1) << 40))
      return invalid(where + ": a bad arena size");
    Status status = checkTypes(fn.registers);
    if (!status.isOk())
      return status;
    auto reg = [&](int64_t r) { return r >= 0 && static_cast<size_t>(r) < fn.registers.size(); };
    auto regs = [&](const std::vector<int64_t> &list) {
      return std::all_of(list.begin(), list.end(), reg);
    };
    if (!regs(fn.inputs) || !regs(fn.outputs))
      return invalid(where + ": an input or output names no register");
    // Callees come after their callers: no recursion.
    auto callee = [&](int64_t g) {
      return g > static_cast<int64_t>(f) && static_cast<size_t>(g) < p.functions.size();
    };
    // Every register read holds a buffer: set before, not released since.
    std::vector<uint8_t> live(fn.registers.size(), 0);
    for (int64_t r : fn.inputs)
      live[r] = 1;
    for (const Instr &instr : fn.body) {
      std::string at = where + ", instruction '" + instr.name + "'";
      if (!regs(instr.operands) || !regs(instr.results) || !regs(instr.releases))
        return invalid(at + ": a register index out of range");
      for (int64_t r : instr.operands)
        if (!live[r])
          return invalid(at + ": reads a register that holds nothing");
      for (int64_t r : instr.results)
        live[r] = 1;
      for (int64_t r : instr.releases)
        live[r] = 0;
      auto signature = [&](int64_t g, size_t inputs, size_t outputs) {
        return p.functions[g].inputs.size() == inputs &&
               p.functions[g].outputs.size() == outputs;
      };
      if (!instr.arenaOffsets.empty()) {
        if ((instr.kind != InstrKind::Op && instr.kind != InstrKind::Native) || instr.arenaOffsets.size() != instr.results.size())
          return invalid(at + ": arena offsets do not match the results");
        for (int64_t offset : instr.arenaOffsets)
          if (offset < -1 || offset > fn.arenaBytes)
            return invalid(at + ": an arena offset outside the arena");
      }
      switch (instr.kind) {
      case InstrKind::Op:
        if (instr.index < 0 || static_cast<size_t>(instr.index) >= entryPoints_.size())
          return invalid(at + ": no such entry point");
        if (!entryPoints_[instr.index]->arity.admits(instr.operands.size(), instr.results.size()))
          return invalid(at + ": '" + std::string(entryPoints_[instr.index]->name) +
                         "' does not take " + std::to_string(instr.operands.size()) +
                         " operands and " + std::to_string(instr.results.size()) + " results");
        if (Status status =
                ops::checkTypes(*entryPoints_[instr.index], registerTypes(fn, instr.operands),
                                registerTypes(fn, instr.results));
            !status.isOk())
          return invalid(at + ": " + status.message());
        break;
      case InstrKind::Const:
        if (instr.index < 0 || static_cast<size_t>(instr.index) >= weightBuffers_.size() ||
            instr.results.size() != 1 || !instr.operands.empty())
          return invalid(at + ": bad constant");
        break;
      case InstrKind::Alias:
        if (instr.operands.size() != 1 || instr.results.size() != 1)
          return invalid(at + ": bad alias");
        break;
      case InstrKind::Call:
        if (!callee(instr.index) ||
            !signature(instr.index, instr.operands.size(), instr.results.size()))
          return invalid(at + ": bad call");
        break;
      case InstrKind::If:
        if (instr.operands.empty() || !callee(instr.index) || !callee(instr.index2) ||
            !signature(instr.index, instr.operands.size() - 1, instr.results.size()) ||
            !signature(instr.index2, instr.operands.size() - 1, instr.results.size()))
          return invalid(at + ": bad if");
        break;
      case InstrKind::Native:
        if (instr.index < 0 || static_cast<size_t>(instr.index) >= p.nativeKernels.size())
          return invalid(at + ": no such native kernel");
        for (int64_t symbol : instr.symbols)
          if (symbol < 0 || static_cast<size_t>(symbol) >= p.symbols.size())
            return invalid(at + ": no such symbol");
        if (instr.inPlace < -1 || instr.inPlace >= static_cast<int64_t>(instr.operands.size()) ||
            (instr.inPlace >= 0 && instr.results.empty()))
          return invalid(at + ": bad in-place operand");
        if (instr.index2 != 0) { // sized by an entry point's rule
          if (instr.index2 < 1 || static_cast<size_t>(instr.index2 - 1) >= entryPoints_.size() ||
              !entryPoints_[instr.index2 - 1]->resultDims)
            return invalid(at + ": no such entry point to size the results");
          const ops::OpKernel &sizing = *entryPoints_[instr.index2 - 1];
          if (!sizing.arity.admits(instr.operands.size(), instr.results.size()))
            return invalid(at + ": '" + std::string(sizing.name) + "' does not take " +
                           std::to_string(instr.operands.size()) + " operands and " +
                           std::to_string(instr.results.size()) + " results");
          if (Status status = ops::checkTypes(sizing, registerTypes(fn, instr.operands),
                                              registerTypes(fn, instr.results));
              !status.isOk())
            return invalid(at + ": " + status.message());
        }
        break;
      case InstrKind::Loop: {
        // operands: max_trip, cond, carried (index2 of them), captures.
        int64_t carried = instr.index2;
        if (instr.operands.size() < 2 || carried < 0 ||
            static_cast<size_t>(carried) > instr.operands.size() - 2 ||
            static_cast<size_t>(carried) > instr.results.size() || !callee(instr.index) ||
            !signature(instr.index, instr.operands.size(),
                       1 + instr.results.size()))
          return invalid(at + ": bad loop");
        break;
      }
      default:
        return invalid(at + ": unknown instruction kind");
      }
    }
    for (int64_t r : fn.outputs)
      if (!live[r])
        return invalid(where + " returns a register that holds nothing");
  }
  const Function &main = p.functions[0];
  if (main.inputs.size() != p.inputs.size() || main.outputs.size() != p.outputs.size())
    return invalid("the signature does not match the main function");
  for (size_t i = 0; i < p.inputs.size(); ++i)
    if (p.inputs[i].type != main.registers[main.inputs[i]].type ||
        p.inputs[i].ranked != main.registers[main.inputs[i]].ranked ||
        p.inputs[i].dims.size() != main.registers[main.inputs[i]].dims.size())
      return invalid("input '" + p.inputs[i].name + "' does not match its register");
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Execution
//===----------------------------------------------------------------------===//

Session::Session(std::shared_ptr<const Executable> executable, SessionOptions options)
    : executable_(std::move(executable)), options_(options) {
  int threads = options_.threads > 0
                    ? options_.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (threads > 1)
    pool_ = std::make_unique<ThreadPool>(threads);
  symbols_.assign(executable_->program().symbols.size(), 0);
  arenas_.resize(executable_->program().functions.size());
  bound_.assign(symbols_.size(), 0);
}

Session::~Session() = default;

namespace {

/// Evaluates expression `expr`; false if a symbol is unbound, on overflow
/// or on division by a non-positive number.
bool evaluate(const Expr &expr, const std::vector<int64_t> &symbols,
              const std::vector<uint8_t> &bound, int64_t &value) {
  int64_t stack[kMaxExprStack];
  size_t depth = 0, operand = 0;
  for (uint8_t step : expr.ops) {
    ExprOp op = static_cast<ExprOp>(step);
    if (op == ExprOp::Const) {
      stack[depth++] = expr.operands[operand++];
      continue;
    }
    if (op == ExprOp::Symbol) {
      int64_t s = expr.operands[operand++];
      if (!bound[s])
        return false;
      stack[depth++] = symbols[s];
      continue;
    }
    int64_t b = stack[--depth], &a = stack[depth - 1];
    switch (op) {
    case ExprOp::Add:
      if (__builtin_add_overflow(a, b, &a))
        return false;
      break;
    case ExprOp::Sub:
      if (__builtin_sub_overflow(a, b, &a))
        return false;
      break;
    case ExprOp::Mul:
      if (__builtin_mul_overflow(a, b, &a))
        return false;
      break;
    case ExprOp::FloorDiv:
      if (b <= 0)
        return false;
      a = a / b - ((a % b != 0) && (a < 0));
      break;
    case ExprOp::Min: a = std::min(a, b); break;
    case ExprOp::Max: a = std::max(a, b); break;
    default: return false;
    }
  }
  value = stack[0];
  return true;
}

std::string dimsText(const std::vector<int64_t> &dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    text += (i ? "," : "") + std::to_string(dims[i]);
  return text + "]";
}

} // namespace

/// Per-run state of one function: its registers and scratch views.
struct Frame {
  std::vector<BufferRef> registers;
  std::vector<BufferView> operands, results;
};

namespace {

class Runner {
public:
  Runner(const Executable &executable, const SessionOptions &options,
         ThreadPool *pool, std::vector<int64_t> &symbols, std::vector<uint8_t> &bound,
         const std::function<void(const Event &)> &observer,
         const std::shared_ptr<MemoryPool> &memory, std::vector<BufferRef> &arenas)
      : exe_(executable), program_(executable.program()),
        options_(options), pool_(pool), symbols_(symbols), bound_(bound),
        observer_(observer), memory_(memory), arenas_(arenas) {}

  /// Binds the symbols `buffer`'s dims define and checks the rest of
  /// `type` against it. Data-dependent symbols are rebound every time.
  template <typename What>
  Status bind(const RegisterType &type, const Buffer &buffer, const What &describe) {
    if (buffer.type() != type.type)
      return Status::error(describe() + " has the wrong element type");
    return bindDims(type, buffer.dims(), describe);
  }

  /// bind's part for dims (a result's, before it is computed).
  template <typename What>
  Status bindDims(const RegisterType &type, const std::vector<int64_t> &dims,
                  const What &describe) {
    if (!type.ranked)
      return Status::ok();
    if (dims.size() != type.dims.size())
      return Status::error(describe() + " has rank " + std::to_string(dims.size()) + ", expected " +
                           std::to_string(type.dims.size()));
    for (int pass = 0; pass < 2; ++pass)
      for (size_t d = 0; d < dims.size(); ++d) {
        if (type.dims[d] == kAnyDim)
          continue;
        const Expr &expr = program_.exprs[type.dims[d]];
        bool isSymbol = expr.ops.size() == 1 &&
                        static_cast<ExprOp>(expr.ops[0]) == ExprOp::Symbol;
        if (pass == 0 && isSymbol) {
          int64_t s = expr.operands[0];
          if (!bound_[s] || program_.symbols[s].dataDependent) {
            symbols_[s] = dims[d];
            bound_[s] = 1;
            continue;
          }
        }
        if (pass == 0 && !isSymbol)
          continue;
        int64_t expected = 0;
        if (evaluate(expr, symbols_, bound_, expected) && expected != dims[d])
          return Status::error(describe() + ": dim " + std::to_string(d) + " is " +
                               std::to_string(dims[d]) + ", expected " +
                               std::to_string(expected) + parenthesized(dimText(type.dims[d])));
      }
    return Status::ok();
  }

  static std::string parenthesized(const std::string &text) {
    return text.empty() ? "" : " (" + text + ")";
  }

  std::string dimText(int64_t expr) const {
    // The signature holds printed dims; inside, name the symbols used.
    if (expr == kAnyDim)
      return "not known at compile time";
    std::string text;
    const Expr &e = program_.exprs[expr];
    size_t operand = 0;
    for (uint8_t step : e.ops) {
      ExprOp op = static_cast<ExprOp>(step);
      if (op == ExprOp::Symbol)
        text += (text.empty() ? "" : ",") + program_.symbols[e.operands[operand]].name;
      if (op == ExprOp::Symbol || op == ExprOp::Const)
        ++operand;
    }
    return text.empty() ? "" : "of " + text;
  }

  /// The dims of a result of `type`; `at()` names the instruction in an
  /// error (built only then: this runs for every result).
  template <typename At>
  Status dimsOf(const RegisterType &type, std::vector<int64_t> &dims, const At &at) {
    dims.resize(type.dims.size());
    if (!type.ranked)
      return Status::error(at() + ": a result of unknown rank");
    for (size_t d = 0; d < dims.size(); ++d)
      if (type.dims[d] == kAnyDim ||
          !evaluate(program_.exprs[type.dims[d]], symbols_, bound_, dims[d]) || dims[d] < 0)
        return Status::error(at() + ": cannot compute dim " + std::to_string(d) +
                             " of a result" + parenthesized(dimText(type.dims[d])));
    return Status::ok();
  }

  Status run(int64_t index, std::vector<BufferRef> args, std::vector<BufferRef> &results) {
    const Function &fn = program_.functions[index];
    struct Depth {
      int &depth;
      explicit Depth(int &d) : depth(d) { ++depth; }
      ~Depth() { --depth; }
    } nested(depth_);
    Frame frame;
    frame.registers.resize(fn.registers.size());
    for (size_t i = 0; i < fn.inputs.size(); ++i) {
      int64_t r = fn.inputs[i];
      Status status = bind(fn.registers[r], *args[i], [&] {
        return "input " + std::to_string(i) + " of function '" + fn.name + "'";
      });
      if (!status.isOk())
        return status;
      frame.registers[r] = std::move(args[i]);
    }
    for (const Instr &instr : fn.body) {
      auto begin = observer_ ? std::chrono::steady_clock::now()
                             : std::chrono::steady_clock::time_point();
      trips_ = 0;
      Status status = step(fn, instr, frame);
      if (!status.isOk())
        return status;
      for (int64_t r : instr.releases)
        frame.registers[r].reset();
      if (observer_)
        observer_({&instr, &fn, depth_ - 1, begin, std::chrono::steady_clock::now(), trips_});
    }
    results.clear();
    for (int64_t r : fn.outputs)
      results.push_back(frame.registers[r]);
    return Status::ok();
  }

private:
  std::string where(const Function &fn, const Instr &instr) const {
    return "'" + instr.name + "' in function '" + fn.name + "'";
  }

  Status setResults(const Function &fn, const Instr &instr, Frame &frame,
                    std::vector<BufferRef> &values, const char *what) {
    for (size_t i = 0; i < instr.results.size(); ++i) {
      int64_t r = instr.results[i];
      Status status = bind(fn.registers[r], *values[i], [&] {
        return std::string(what) + " result " + std::to_string(i) + " of " + where(fn, instr);
      });
      if (!status.isOk())
        return status;
      frame.registers[r] = std::move(values[i]);
    }
    return Status::ok();
  }

  Status step(const Function &fn, const Instr &instr, Frame &frame) {
    switch (instr.kind) {
    case InstrKind::Const:
      frame.registers[instr.results[0]] = exe_.weight(instr.index);
      return Status::ok();
    case InstrKind::Alias:
      frame.registers[instr.results[0]] = frame.registers[instr.operands[0]];
      return Status::ok();
    case InstrKind::Op:
      return op(fn, instr, frame);
    case InstrKind::Call: {
      std::vector<BufferRef> args, outs;
      for (int64_t r : instr.operands)
        args.push_back(frame.registers[r]);
      Status status = run(instr.index, std::move(args), outs);
      if (!status.isOk())
        return status;
      return setResults(fn, instr, frame, outs, "call");
    }
    case InstrKind::If: {
      const Buffer &cond = *frame.registers[instr.operands[0]];
      if (cond.numElements() != 1)
        return Status::error(where(fn, instr) + ": the condition has " +
                             std::to_string(cond.numElements()) + " elements, expected 1");
      bool taken = cond.type() == ElementType::Bool
                       ? *static_cast<const uint8_t *>(cond.data()) != 0
                       : false;
      std::vector<BufferRef> args, outs;
      for (size_t i = 1; i < instr.operands.size(); ++i)
        args.push_back(frame.registers[instr.operands[i]]);
      Status status = run(taken ? instr.index : instr.index2, std::move(args), outs);
      if (!status.isOk())
        return status;
      return setResults(fn, instr, frame, outs, "if");
    }
    case InstrKind::Loop:
      return loop(fn, instr, frame);
    case InstrKind::Native:
      return native(fn, instr, frame);
    }
    return Status::error("unknown instruction");
  }

  template <typename At>
  Status allocate(ElementType type, std::vector<int64_t> dims, BufferRef &out, const At &at,
                  bool zeroed = true) {
    Status status = Buffer::allocate(type, std::move(dims), options_.maxBufferBytes, out, memory_,
                                     /*exact=*/false, zeroed);
    if (!status.isOk())
      return Status::error(at() + ": " + status.message());
    return status;
  }

  /// An entry point's arguments for `instr`: its params and its operands'
  /// views (kept in the frame); no results yet.
  ops::OpArgs opArgs(const Instr &instr, Frame &frame) {
    frame.operands.clear();
    for (int64_t r : instr.operands)
      frame.operands.push_back(frame.registers[r]->view());
    ops::OpArgs args;
    args.params = instr.params.data();
    args.paramBytes = instr.params.size();
    args.operands = frame.operands.data();
    args.numOperands = frame.operands.size();
    args.pool = pool_;
    return args;
  }

  Status op(const Function &fn, const Instr &instr, Frame &frame) {
    const ops::OpKernel &kernel = *exe_.entryPoint(instr.index);
    ops::OpArgs args = opArgs(instr, frame);
    std::vector<std::vector<int64_t>> dims(instr.results.size());
    if (kernel.resultDims) {
      Status status = kernel.resultDims(args, dims);
      if (!status.isOk())
        return Status::error(where(fn, instr) + ": " + status.message());
      if (dims.size() != instr.results.size())
        return Status::error(where(fn, instr) + ": the op counted the wrong number of results");
    } else {
      for (size_t i = 0; i < instr.results.size(); ++i) {
        Status status = dimsOf(fn.registers[instr.results[i]], dims[i], [&] { return where(fn, instr); });
        if (!status.isOk())
          return status;
      }
    }
    frame.results.clear();
    std::vector<BufferRef> outs(instr.results.size());
    if (kernel.memory == ops::OpMemory::View) {
      // The operand's bytes with the result's dims: no copy.
      const BufferRef &source = frame.registers[instr.operands[0]];
      const RegisterType &type = fn.registers[instr.results[0]];
      std::optional<size_t> bytes = byteSize(type.type, dims[0]);
      if (type.type != source->type() || !bytes || *bytes != source->bytes())
        return Status::error(where(fn, instr) + ": the result does not have the operand's size");
      outs[0] = Buffer::view(type.type, std::move(dims[0]), source->data(), source);
      return finishOp(fn, instr, frame, kernel, outs);
    }
    for (size_t i = 0; i < instr.results.size(); ++i) {
      const RegisterType &type = fn.registers[instr.results[i]];
      if (!instr.arenaOffsets.empty() && instr.arenaOffsets[i] >= 0) {
        Status status = inArena(fn, instr, &kernel, i, type.type, std::move(dims[i]), outs[i]);
        if (!status.isOk())
          return status;
      } else if (kernel.memory == ops::OpMemory::InPlace) {
        outs[i] = reusable(instr, frame, type.type, dims[i]);
      }
      if (!outs[i]) {
        Status status = allocate(type.type, std::move(dims[i]), outs[i], [&] { return where(fn, instr); });
        if (!status.isOk())
          return status;
      }
      frame.results.push_back(outs[i]->view());
    }
    args.results = frame.results.data();
    args.numResults = frame.results.size();
    Status status = kernel.run(args);
    if (!status.isOk())
      return Status::error(where(fn, instr) + ": " + status.message());
    return finishOp(fn, instr, frame, kernel, outs);
  }

  Status finishOp(const Function &fn, const Instr &instr, Frame &frame,
                  const ops::OpKernel &kernel, std::vector<BufferRef> &outs) {
    if (kernel.resultDims)
      return setResults(fn, instr, frame, outs, "op");
    for (size_t i = 0; i < instr.results.size(); ++i)
      frame.registers[instr.results[i]] = std::move(outs[i]);
    return Status::ok();
  }

  /// Result `i` of `instr` at its planned offset in the function's arena
  /// (allocated on the session's first use of the function). Elementwise
  /// results may overwrite the operand planned there, and a native kernel
  /// (`kernel` null) writes every element, so only others are zero-filled.
  Status inArena(const Function &fn, const Instr &instr, const ops::OpKernel *kernel, size_t i,
                 ElementType type, std::vector<int64_t> dims, BufferRef &out) {
    size_t index = static_cast<size_t>(&fn - program_.functions.data());
    BufferRef &arena = arenas_[index];
    if (!arena) {
      Status status = Buffer::allocate(ElementType::U8, {fn.arenaBytes}, options_.maxBufferBytes,
                                       arena, memory_, /*exact=*/true);
      if (!status.isOk())
        return Status::error(where(fn, instr) + ": " + status.message());
    }
    std::optional<size_t> bytes = byteSize(type, dims);
    int64_t offset = instr.arenaOffsets[i];
    if (!bytes || *bytes > static_cast<size_t>(fn.arenaBytes - offset))
      return Status::error(where(fn, instr) + ": a result does not fit its arena slot");
    auto *data = static_cast<uint8_t *>(arena->data()) + offset;
    if (kernel && kernel->memory != ops::OpMemory::InPlace) // (native kernels write it all)
      std::memset(data, 0, *bytes);
    out = Buffer::view(type, std::move(dims), data, arena);
    return Status::ok();
  }

  /// An operand buffer the result may overwrite: this is its last use,
  /// nothing else holds it, it owns its memory and has the result's type
  /// and dims.
  BufferRef reusable(const Instr &instr, Frame &frame, ElementType type,
                     const std::vector<int64_t> &dims) {
    for (int64_t r : instr.operands) {
      const BufferRef &buffer = frame.registers[r];
      if (buffer.use_count() == 1 && buffer->owned() && buffer->type() == type &&
          buffer->dims() == dims &&
          std::find(instr.releases.begin(), instr.releases.end(), r) != instr.releases.end())
        return buffer;
    }
    return nullptr;
  }

  /// A generated kernel: results sized from their expressions (arena or
  /// pool), buffers described in Halide's layout, symbol values as int32.
  Status native(const Function &fn, const Instr &instr, Frame &frame) {
    if (instr.index2 > 0) { // sized by the op's rule first
      const ops::OpKernel &sizing = *exe_.entryPoint(instr.index2 - 1);
      std::vector<std::vector<int64_t>> dims(instr.results.size());
      Status status = sizing.resultDims(opArgs(instr, frame), dims);
      if (status.isOk() && dims.size() != instr.results.size())
        status = Status::error("the op counted the wrong number of results");
      for (size_t i = 0; status.isOk() && i < dims.size(); ++i)
        status = bindDims(fn.registers[instr.results[i]], dims[i],
                          [&] { return "result " + std::to_string(i); });
      if (!status.isOk())
        return Status::error(where(fn, instr) + ": " + status.message());
    }
    std::vector<BufferRef> outs(instr.results.size());
    for (size_t i = 0; i < instr.results.size(); ++i) {
      const RegisterType &type = fn.registers[instr.results[i]];
      std::vector<int64_t> dims;
      Status status = dimsOf(type, dims, [&] { return where(fn, instr); });
      if (!status.isOk())
        return status;
      if (i == 0 && instr.inPlace >= 0 &&
          static_cast<size_t>(instr.inPlace) < instr.operands.size()) {
        // The operand's buffer, if nothing else holds it.
        int64_t r = instr.operands[instr.inPlace];
        const BufferRef &buffer = frame.registers[r];
        if (buffer.use_count() == 1 && buffer->owned() && buffer->type() == type.type &&
            buffer->dims() == dims &&
            std::find(instr.releases.begin(), instr.releases.end(), r) != instr.releases.end()) {
          outs[0] = buffer;
          continue;
        }
      }
      if (!instr.arenaOffsets.empty() && instr.arenaOffsets[i] >= 0)
        status = inArena(fn, instr, nullptr, i, type.type, std::move(dims), outs[i]);
      else
        status = allocate(type.type, std::move(dims), outs[i], [&] { return where(fn, instr); },
                          /*zeroed=*/false); // (a native kernel writes every element)
      if (!status.isOk())
        return status;
    }
    // Nothing to write (an expert or a branch no row took): nothing to run.
    // Kernels have no other effect, and Halide's bounds checks would still
    // see empty inputs touched at the pipeline's edges.
    if (std::all_of(outs.begin(), outs.end(),
                    [](const BufferRef &out) { return out->numElements() == 0; })) {
      for (size_t i = 0; i < instr.results.size(); ++i)
        frame.registers[instr.results[i]] = std::move(outs[i]);
      return Status::ok();
    }
    // The kernel was compiled for its operands' types and reads them
    // unchecked (its own buffer assertions are compiled out): each operand
    // holds its register's type.
    for (size_t i = 0; i < instr.operands.size(); ++i) {
      const RegisterType &type = fn.registers[instr.operands[i]];
      const Buffer &buffer = *frame.registers[instr.operands[i]];
      if (!type.ranked)
        continue;
      auto wrong = [&](const std::string &what) {
        return Status::error(where(fn, instr) + ": operand " + std::to_string(i) + " " + what +
                             " (its kernel's type)");
      };
      if (buffer.type() != type.type || buffer.dims().size() != type.dims.size())
        return wrong("has rank " + std::to_string(buffer.dims().size()) + " or its element type, "
                     "not rank " + std::to_string(type.dims.size()));
      for (size_t d = 0; d < type.dims.size(); ++d) {
        int64_t expected = 0;
        if (type.dims[d] != kAnyDim &&
            evaluate(program_.exprs[type.dims[d]], symbols_, bound_, expected) &&
            expected != buffer.dims()[d])
          return wrong("has dim " + std::to_string(d) + " = " + std::to_string(buffer.dims()[d]) +
                       ", not " + std::to_string(expected));
      }
    }
    // Halide's order: user_context, input buffers, symbols, output buffers.
    size_t inputs = instr.operands.size(), count = inputs + outs.size();
    std::vector<native::HalideBuffer> buffers(count);
    std::vector<std::vector<native::HalideDimension>> dims(count);
    std::vector<int32_t> symbols(instr.symbols.size());
    std::vector<void *> args(1 + count + symbols.size());
    for (size_t i = 0; i < count; ++i) {
      const Buffer &buffer = i < inputs ? *frame.registers[instr.operands[i]] : *outs[i - inputs];
      Status status = native::describe(buffer.view(), buffers[i], dims[i]);
      if (!status.isOk())
        return Status::error(where(fn, instr) + ": " + status.message());
      args[i < inputs ? 1 + i : 1 + symbols.size() + i] = &buffers[i];
    }
    for (size_t s = 0; s < symbols.size(); ++s) {
      int64_t symbol = instr.symbols[s];
      if (!bound_[symbol] || symbols_[symbol] > INT32_MAX)
        return Status::error(where(fn, instr) + ": symbol " + program_.symbols[symbol].name +
                             " is not bound or too large");
      symbols[s] = static_cast<int32_t>(symbols_[symbol]);
      args[1 + inputs + s] = &symbols[s];
    }
    std::string error;
    if (exe_.natives()->call(static_cast<size_t>(instr.index), pool_, args.data(), error))
      return Status::error(where(fn, instr) + ": the native kernel '" +
                           program_.nativeKernels[instr.index] + "' failed: " + error);
    for (size_t i = 0; i < instr.results.size(); ++i)
      frame.registers[instr.results[i]] = std::move(outs[i]);
    return Status::ok();
  }

  Status loop(const Function &fn, const Instr &instr, Frame &frame) {
    size_t carried = static_cast<size_t>(instr.index2);
    size_t scans = instr.results.size() - carried;
    const Buffer &tripBuffer = *frame.registers[instr.operands[0]];
    const Buffer &condBuffer = *frame.registers[instr.operands[1]];
    if (tripBuffer.type() != ElementType::I64 || tripBuffer.numElements() != 1 ||
        condBuffer.type() != ElementType::Bool || condBuffer.numElements() != 1)
      return Status::error(where(fn, instr) + ": the trip count must be one i64 and the "
                                              "condition one bool");
    int64_t maxTrip = *static_cast<const int64_t *>(tripBuffer.data());
    bool cond = *static_cast<const uint8_t *>(condBuffer.data()) != 0;
    std::vector<BufferRef> state;
    for (size_t i = 0; i < carried; ++i)
      state.push_back(frame.registers[instr.operands[2 + i]]);
    std::vector<std::vector<BufferRef>> scanned(scans);
    int64_t trips = 0;
    for (int64_t iteration = 0; iteration < maxTrip && cond; ++iteration) {
      if (iteration >= options_.maxLoopIterations)
        return Status::error(where(fn, instr) + ": ran more than " +
                             std::to_string(options_.maxLoopIterations) + " iterations");
      std::vector<BufferRef> args, outs;
      BufferRef counter, condition;
      Status status = allocate(ElementType::I64, {}, counter, [&] { return where(fn, instr); });
      if (status.isOk())
        status = allocate(ElementType::Bool, {}, condition, [&] { return where(fn, instr); });
      if (!status.isOk())
        return status;
      *static_cast<int64_t *>(counter->data()) = iteration;
      *static_cast<uint8_t *>(condition->data()) = cond;
      args.push_back(std::move(counter));
      args.push_back(std::move(condition));
      args.insert(args.end(), state.begin(), state.end());
      for (size_t i = 2 + carried; i < instr.operands.size(); ++i)
        args.push_back(frame.registers[instr.operands[i]]);
      status = run(instr.index, std::move(args), outs);
      if (!status.isOk())
        return status;
      const Buffer &next = *outs[0];
      cond = next.numElements() > 0 && next.type() == ElementType::Bool &&
             *static_cast<const uint8_t *>(next.data()) != 0;
      for (size_t i = 0; i < carried; ++i)
        state[i] = std::move(outs[1 + i]);
      for (size_t i = 0; i < scans; ++i)
        scanned[i].push_back(std::move(outs[1 + carried + i]));
      ++trips;
    }
    trips_ = trips;
    std::vector<BufferRef> values = std::move(state);
    for (size_t i = 0; i < scans; ++i) {
      const RegisterType &type = fn.registers[instr.results[carried + i]];
      std::vector<int64_t> dims;
      if (!scanned[i].empty()) {
        dims = scanned[i][0]->dims();
      } else {
        // No iterations: an empty stack with the static dims that are known.
        for (size_t d = 1; d < type.dims.size(); ++d) {
          bool isConst = false;
          if (type.dims[d] != kAnyDim) {
            const Expr &expr = program_.exprs[type.dims[d]];
            isConst = expr.ops.size() == 1 && static_cast<ExprOp>(expr.ops[0]) == ExprOp::Const;
            if (isConst)
              dims.push_back(expr.operands[0]);
          }
          if (!isConst)
            dims.push_back(0);
        }
      }
      for (const BufferRef &part : scanned[i])
        if (part->dims() != dims)
          return Status::error(where(fn, instr) + ": scan output " + std::to_string(i) +
                               " changes shape between iterations: " + dimsText(dims) +
                               " then " + dimsText(part->dims()));
      dims.insert(dims.begin(), static_cast<int64_t>(scanned[i].size()));
      BufferRef stacked;
      Status status = allocate(type.type, dims, stacked, [&] { return where(fn, instr); });
      if (!status.isOk())
        return status;
      size_t offset = 0;
      for (const BufferRef &part : scanned[i]) {
        if (part->bytes())
          std::memcpy(static_cast<uint8_t *>(stacked->data()) + offset, part->data(),
                      part->bytes());
        offset += part->bytes();
      }
      values.push_back(std::move(stacked));
    }
    return setResults(fn, instr, frame, values, "loop");
  }

  const Executable &exe_;
  const Program &program_;
  const SessionOptions &options_;
  ThreadPool *pool_;
  std::vector<int64_t> &symbols_;
  std::vector<uint8_t> &bound_;
  const std::function<void(const Event &)> &observer_;
  const std::shared_ptr<MemoryPool> &memory_;
  std::vector<BufferRef> &arenas_; ///< the session's, per function
  int depth_ = 0;
  int64_t trips_ = 0; ///< of the loop that just finished (for events)
};

} // namespace

Status Session::run(const std::vector<BufferRef> &inputs, std::vector<BufferRef> &outputs) {
  std::lock_guard<std::mutex> lock(running_);
  const Program &program = executable_->program();
  const Function &main = program.functions[0];
  if (inputs.size() != program.inputs.size())
    return Status::error("the model takes " + std::to_string(program.inputs.size()) +
                         " inputs, got " + std::to_string(inputs.size()));
  std::fill(bound_.begin(), bound_.end(), 0);
  Runner runner(*executable_, options_, pool_.get(), symbols_, bound_, observer_, memory_,
                arenas_);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Port &port = program.inputs[i];
    if (!inputs[i])
      return Status::error("input '" + port.name + "' is not set");
    std::string dims;
    for (const std::string &dim : port.dims)
      dims += (dims.empty() ? "" : ",") + dim;
    Status status = runner.bind(main.registers[main.inputs[i]], *inputs[i], [&] {
      return "input '" + port.name + "' (declared " +
             std::string(kernels::elementTypeName(port.type)) + "[" + dims + "])";
    });
    if (!status.isOk())
      return status;
  }
  return runner.run(0, inputs, outputs);
}

} // namespace dlrt::program
