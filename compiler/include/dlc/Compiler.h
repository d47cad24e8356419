//===- dlc/Compiler.h - Compile and run models in process ------*- C++ -*-===//
//
// The embedding API: a host program compiles a model file (or .dlir text)
// in process, with the options `dlc` takes, and runs it many times with
// tensors in and out. No file is written. The compiled model is the
// program the compile pipeline produces (kernels plus host program); until
// the runtime executes programs, the reference interpreter runs it.
//
// Thread safety: compiling is independent per call; a CompiledModel is
// immutable after compilation and run() may be called from several threads
// at once.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_COMPILER_H
#define DLC_COMPILER_H

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dlc {

/// A dense row-major tensor passed into and out of compiled models.
struct HostTensor {
  std::string dtype = "f32"; ///< the IR's names: f32 f16 bf16 f64 i8 ... bool
  std::vector<int64_t> dims;
  std::vector<uint8_t> bytes;

  static HostTensor fromFloats(std::vector<int64_t> dims, const std::vector<float> &values);
  /// The elements of an f32 tensor (empty for other dtypes).
  std::vector<float> floats() const;
};

struct CompileOptions {
  /// The pass pipeline; empty means the default compile pipeline
  /// (infer-shapes,canonicalize,split).
  std::string passes;
  /// Symbol sizes to specialize for (`--bind N=8`).
  std::map<std::string, int64_t> bindings;
  /// Kernel threads of each run: 0 uses every core, 1 the calling thread.
  int threads = 0;
  /// "halide" (fused kernels compiled in process for this CPU, the rest on
  /// the reference; needs a C compiler, `cc`, to link them) or "reference"
  /// (the runtime's kernel library only).
  std::string backend = "halide";
};

class CompiledModel {
public:
  /// Compiles a .onnx or .dlir file. On failure returns null and sets
  /// `error` to the diagnostics, one per line.
  static std::unique_ptr<CompiledModel> compileFile(const std::string &path,
                                                    const CompileOptions &options,
                                                    std::string &error);
  /// Compiles .dlir text.
  static std::unique_ptr<CompiledModel> compileText(const std::string &text,
                                                    const CompileOptions &options,
                                                    std::string &error);
  ~CompiledModel();

  std::vector<std::string> inputNames() const;
  std::vector<std::string> outputNames() const;
  /// The compiled IR as text (what `dlc opt` would print).
  std::string ir() const;

  /// The compiled program as an artifact (what `dlc compile` writes): save
  /// it, or run it with the runtime's C API (dlrt.h).
  std::vector<uint8_t> artifact() const;

  /// Runs the compiled program on the runtime on `inputs` (in input order).
  /// On failure returns false and sets `error` (wrong dtype, rank or size of
  /// an input, ...). Thread-safe: concurrent runs use separate sessions.
  bool run(const std::vector<HostTensor> &inputs, std::vector<HostTensor> &outputs,
           std::string &error) const;

  struct Impl; ///< opaque

private:
  explicit CompiledModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace dlc

#endif // DLC_COMPILER_H
