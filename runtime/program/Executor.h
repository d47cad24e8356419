//===- Executor.h - Loading and running compiled programs ------*- C++ -*-===//
//
// Executable: a validated Program with its weights and resolved entry
// points, immutable once built (share it between threads and sessions).
// Session: runs an executable on inputs; owns the thread pool and the
// per-run state. One run at a time per session.
//
// Nothing in a program is trusted before Executable::create has checked
// it: every register, function, weight, expression and entry point index,
// operand counts against the functions called, expression stacks, and that
// functions only call functions after themselves (no recursion).
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_PROGRAM_EXECUTOR_H
#define DLRT_PROGRAM_EXECUTOR_H

#include "artifact/Artifact.h"
#include "native/NativeLibrary.h"
#include "ops/Ops.h"
#include "program/Program.h"

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

namespace dlrt {
class ThreadPool;
}

namespace dlrt::program {

using kernels::BufferView;
using kernels::ElementType;
using kernels::Status;

/// A tensor: owned memory (64-byte aligned), or a view of memory someone
/// else keeps alive (a weight, a caller's input).
/// A session's memory: a caching allocator by size class (eight classes per
/// power of two, 64-byte aligned). A freed block waits for the next buffer
/// of its class, so steady-state runs, loop iterations and the two sides of
/// a branch reuse the same memory without calling malloc; the cache never
/// holds more than the peak of live bytes. Thread-safe (buffers may be
/// released on any thread).
class MemoryPool {
public:
  ~MemoryPool();
  /// A block of at least `bytes`, its class size in `capacity` (`exact`:
  /// rounded only to 64 bytes, for arenas); null if the system is out of
  /// memory.
  void *take(size_t bytes, size_t &capacity, bool exact = false);
  void give(void *data, size_t capacity);
  /// Bytes of buffers now held, and the most ever held at once.
  size_t liveBytes() const;
  size_t peakBytes() const;
  /// Blocks obtained from the system (the rest came from the cache).
  size_t systemAllocations() const;

private:
  mutable std::mutex mutex_;
  std::map<size_t, std::vector<void *>> free_;
  size_t live_ = 0, peak_ = 0, cached_ = 0, system_ = 0;
};

class Buffer {
public:
  /// Allocates `dims` of `type` from `pool` (or the system), zero-filled
  /// unless `zeroed` is false (for a writer that writes every element);
  /// error past `maxBytes`.
  static Status allocate(ElementType type, std::vector<int64_t> dims, size_t maxBytes,
                         std::shared_ptr<Buffer> &out,
                         std::shared_ptr<MemoryPool> pool = nullptr, bool exact = false,
                         bool zeroed = true);
  /// A view of `data` (not owned; `keepAlive` holds whatever owns it).
  static std::shared_ptr<Buffer> view(ElementType type, std::vector<int64_t> dims, void *data,
                                      std::shared_ptr<const void> keepAlive = nullptr);
  /// True if the buffer owns its memory (not a view).
  bool owned() const { return owned_; }
  ~Buffer();
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;

  ElementType type() const { return type_; }
  const std::vector<int64_t> &dims() const { return dims_; }
  void *data() const { return data_; }
  size_t bytes() const { return bytes_; }
  int64_t numElements() const;
  BufferView view() const {
    return {data_, type_, dims_.data(), static_cast<int32_t>(dims_.size())};
  }

private:
  Buffer() = default;
  ElementType type_ = ElementType::F32;
  std::vector<int64_t> dims_;
  void *data_ = nullptr;
  size_t bytes_ = 0;
  bool owned_ = false;
  size_t capacity_ = 0;
  std::shared_ptr<const void> keepAlive_;
  std::shared_ptr<MemoryPool> pool_;
};
using BufferRef = std::shared_ptr<Buffer>;

/// Bytes of `dims` of `type`, or nullopt on overflow or a negative dim.
std::optional<size_t> byteSize(ElementType type, const std::vector<int64_t> &dims);

class Executable {
public:
  /// Validates and takes `program` and `weights`; `nativeObject` (may be
  /// empty) is the shared object with the program's native kernels.
  static Status create(Program program, Weights weights, std::shared_ptr<const Executable> &out,
                       const std::vector<uint8_t> &nativeObject = {});
  /// Decodes and validates the HostProgram and Weights sections.
  static Status load(const artifact::Artifact &artifact, std::shared_ptr<const Executable> &out);
  /// Drops what the native ukernels derived from the weights (packings).
  ~Executable();

  const Program &program() const { return program_; }
  const Weights &weights() const { return weights_; }
  const ops::OpKernel *entryPoint(int64_t index) const { return entryPoints_[index]; }
  const BufferRef &weight(int64_t index) const { return weightBuffers_[index]; }
  const native::NativeLibrary *natives() const { return natives_.get(); }

private:
  Status validate();
  Program program_;
  Weights weights_;
  std::vector<const ops::OpKernel *> entryPoints_;
  std::vector<BufferRef> weightBuffers_;
  std::shared_ptr<const native::NativeLibrary> natives_;
};

struct SessionOptions {
  /// Kernel threads: 0 = every hardware thread, 1 = the calling thread.
  int threads = 0;
  /// Each buffer's limit; a larger one is an error before it is allocated.
  size_t maxBufferBytes = size_t(4) << 30;
  /// A loop running more iterations than this stops with an error.
  int64_t maxLoopIterations = int64_t(1) << 24;
};

/// One executed instruction, for profiles and traces. Instructions of a
/// called function, branch or loop body are one level deeper than the
/// call, if or loop, and are reported before it.
struct Event {
  const Instr *instr;
  const Function *function;
  int depth;
  std::chrono::steady_clock::time_point begin, end;
  int64_t trips; ///< loops: iterations run
};

class Session {
public:
  Session(std::shared_ptr<const Executable> executable, SessionOptions options = {});
  ~Session();

  /// Checks `inputs` against the program's inputs (count, dtype, rank,
  /// static sizes, one size per symbol, expressions of symbols), runs the
  /// program, returns its outputs. Runs of one session from several
  /// threads take turns (each holds the session for its whole run); runs in
  /// parallel need a session each.
  Status run(const std::vector<BufferRef> &inputs, std::vector<BufferRef> &outputs);

  /// Called after every instruction while set (profiling, tracing).
  void setObserver(std::function<void(const Event &)> observer) {
    observer_ = std::move(observer);
  }
  /// The most bytes of buffers this session's runs held at once.
  size_t peakBytes() const { return memory_->peakBytes(); }
  /// Buffers this session obtained from the system (not from its cache).
  size_t systemAllocations() const { return memory_->systemAllocations(); }
  const Executable &executable() const { return *executable_; }

private:
  Status runFunction(int64_t function, std::vector<BufferRef> args,
                     std::vector<BufferRef> &results);

  std::mutex running_; ///< held by run(): its state is the session's
  std::shared_ptr<const Executable> executable_;
  SessionOptions options_;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<int64_t> symbols_;
  std::vector<uint8_t> bound_;
  std::function<void(const Event &)> observer_;
  std::shared_ptr<MemoryPool> memory_ = std::make_shared<MemoryPool>();
  std::vector<BufferRef> arenas_; ///< per function with an arena, once used
};

} // namespace dlrt::program

#endif // DLRT_PROGRAM_EXECUTOR_H
