//===- ProgramTest.cpp - Compiled programs on the runtime -----------------===//
//
// The compiled path against the interpreter on a model with a branch and a
// data-dependent loop, the session's input checks, thread-count
// independence, and that no mutation of a program's bytes crashes loading.
//
//===----------------------------------------------------------------------===//

#include "codegen/Compile.h"
#include "ir/Interpreter.h"
#include "ir/Parser.h"
#include "ops/Params.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

namespace dlc {
namespace {

using dlrt::program::Executable;
using dlrt::program::Session;
using dlrt::program::SessionOptions;

std::unique_ptr<Module> exampleModule(Diagnostics &diag) {
  std::ifstream in(std::string(DLC_SOURCE_DIR) + "/examples/gated_loop.dlir");
  std::stringstream text;
  text << in.rdbuf();
  return parseModule(text.str(), "gated_loop.dlir", diag);
}

/// Every op on the reference kernels: the buffers the tests below count are
/// the reference path's, one per op.
CompileRequest referenceKernels() {
  CompileRequest request;
  request.emit.backend = "reference";
  return request;
}

std::shared_ptr<const Executable> compileExample(EmittedProgram *copy = nullptr) {
  Diagnostics diag;
  std::unique_ptr<Module> module = exampleModule(diag);
  EXPECT_TRUE(module) << diag.str();
  std::optional<EmittedProgram> emitted = compileModule(*module, {}, diag);
  EXPECT_TRUE(emitted) << diag.str();
  if (copy)
    *copy = *emitted;
  std::string error;
  std::shared_ptr<const Executable> executable = makeExecutable(std::move(*emitted), error);
  EXPECT_TRUE(executable) << error;
  return executable;
}

TensorRef input(std::vector<float> values) {
  auto tensor = std::make_shared<Tensor>(
      TensorType(DType::F32, {Dim(static_cast<int64_t>(values.size() / 4)), Dim(4)}));
  std::memcpy(tensor->bytes().data(), values.data(), values.size() * sizeof(float));
  return tensor;
}

TEST(ProgramTest, MatchesTheInterpreterOnEveryPath) {
  std::shared_ptr<const Executable> executable = compileExample();
  ASSERT_TRUE(executable);
  Diagnostics diag;
  std::unique_ptr<Module> reference = exampleModule(diag);
  // Positive mean takes the expert branch, negative skips it; large values
  // loop several times, zeros stop after one trip.
  for (std::vector<float> x : {std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8},
                               std::vector<float>{-1, -2, -3, -4},
                               std::vector<float>(12, 0.0f)}) {
    Interpreter interpreter(diag);
    std::optional<std::vector<TensorRef>> want =
        interpreter.run(*reference->graph("main"), {input(x)});
    ASSERT_TRUE(want) << diag.str();
    for (int threads : {1, 2}) {
      SessionOptions options;
      options.threads = threads;
      Session session(executable, options);
      std::string error;
      std::optional<std::vector<TensorRef>> got = runSession(session, {input(x)}, error);
      ASSERT_TRUE(got) << error;
      ASSERT_EQ(got->size(), want->size());
      for (size_t i = 0; i < got->size(); ++i) {
        EXPECT_EQ((*got)[i]->type(), (*want)[i]->type());
        EXPECT_EQ((*got)[i]->bytes(), (*want)[i]->bytes());
      }
      EXPECT_GT(session.peakBytes(), 0u);
    }
  }
}

TEST(ProgramTest, SessionChecksItsInputs) {
  std::shared_ptr<const Executable> executable = compileExample();
  ASSERT_TRUE(executable);
  Session session(executable);
  std::string error;
  EXPECT_FALSE(runSession(session, {}, error));
  EXPECT_EQ(error, "the model takes 1 inputs, got 0");
  auto wrong = std::make_shared<Tensor>(TensorType(DType::F32, {Dim(2), Dim(5)}));
  EXPECT_FALSE(runSession(session, {wrong}, error));
  EXPECT_NE(error.find("input 'x' (declared f32[N,4]): dim 1 is 5, expected 4"),
            std::string::npos)
      << error;
  // The session stays usable after an error.
  EXPECT_TRUE(runSession(session, {input({1, 2, 3, 4})}, error)) << error;
}

TEST(ProgramTest, RunsReuseMemory) {
  Diagnostics diag;
  std::unique_ptr<Module> module = parseModule(R"(
graph @main(%x: f32[N,256]) {
  %a = relu(%x) : f32[N,256]
  %b = exp(%a) : f32[N,256]
  %c = neg(%b) : f32[N,256]
  %shape = constant() {value = dense<i64[3] [0, 16, 16]>} : i64[3]
  %r = reshape(%c, %shape) : f32[N,16,16]
  %d = abs(%r) : f32[N,16,16]
  return %d
}
)", "reuse", diag);
  ASSERT_TRUE(module) << diag.str();
  std::optional<EmittedProgram> emitted = compileModule(*module, referenceKernels(), diag);
  ASSERT_TRUE(emitted) << diag.str();
  std::string error;
  Session session(makeExecutable(std::move(*emitted), error), SessionOptions{1});
  auto x = std::make_shared<Tensor>(TensorType(DType::F32, {Dim(4), Dim(256)}));
  ASSERT_TRUE(runSession(session, {x}, error)) << error;
  // exp and neg overwrite their operand and reshape views it, so relu's
  // 4 KiB serve four results; abs (whose operand is a view) gets its own:
  // 8 KiB where six separate buffers would take 20 KiB.
  EXPECT_EQ(session.peakBytes(), 8192u);
  size_t allocations = session.systemAllocations();
  ASSERT_TRUE(runSession(session, {x}, error)) << error;
  EXPECT_EQ(session.systemAllocations(), allocations); // from the cache
}

TEST(ProgramTest, StaticIntermediatesLiveInThePlannedArena) {
  Diagnostics diag;
  std::unique_ptr<Module> module = parseModule(R"(
graph @main(%x: f32[4,256], %w: f32[256,256]) {
  %a = relu(%x) : f32[4,256]
  %b = exp(%a) : f32[4,256]
  %c = matmul(%b, %w) : f32[4,256]
  %d = neg(%c) : f32[4,256]
  return %d
}
)", "arena", diag);
  ASSERT_TRUE(module) << diag.str();
  std::optional<EmittedProgram> emitted = compileModule(*module, referenceKernels(), diag);
  ASSERT_TRUE(emitted) << diag.str();
  // a (with b over it) dies inside the kernel: 4 KiB of arena; c and d
  // (returned) get their own buffer.
  const dlrt::program::Function &kernel = emitted->program.functions.at(1);
  EXPECT_EQ(kernel.arenaBytes, 4096);
  std::string error;
  Session session(makeExecutable(std::move(*emitted), error), SessionOptions{1});
  auto x = std::make_shared<Tensor>(TensorType(DType::F32, {Dim(4), Dim(256)}));
  auto w = std::make_shared<Tensor>(TensorType(DType::F32, {Dim(256), Dim(256)}));
  ASSERT_TRUE(runSession(session, {x, w}, error)) << error;
  EXPECT_EQ(session.peakBytes(), 8192u);
}

// A native scatter writes into its data's buffer when that buffer dies
// there (the routed MoE's scatter-adds), and into a fresh one when the
// data is read later; either way the results are the interpreter's.
TEST(ProgramTest, ScattersUpdateTheirDataInPlaceOnlyAtItsLastUse) {
  const char *text = R"(graph @main(%x: f32[6,4], %i: i64[3,1], %u: f32[3,4]) {
  %a = relu(%x) : f32[6,4]
  %s = scatter_nd(%a, %i, %u) {reduction = "add"} : f32[6,4]
  %b = exp(%x) : f32[6,4]
  %t = scatter_nd(%b, %i, %u) {reduction = "add"} : f32[6,4]
  %y = add(%t, %b) : f32[6,4]
  return %s, %y
})";
  Diagnostics diag;
  std::unique_ptr<Module> module = parseModule(text, "scatter.dlir", diag);
  ASSERT_TRUE(module) << diag.str();
  std::unique_ptr<Module> reference = parseModule(text, "scatter.dlir", diag);
  CompileRequest request;
  request.passes = "infer-shapes,split"; // one kernel per op: scatters on their own
  std::optional<EmittedProgram> emitted = compileModule(*module, request, diag);
  ASSERT_TRUE(emitted) << diag.str();
  int inPlace = 0;
  for (const dlrt::program::Function &fn : emitted->program.functions)
    for (const dlrt::program::Instr &instr : fn.body)
      inPlace += instr.kind == dlrt::program::InstrKind::Native && instr.inPlace >= 0;
  EXPECT_EQ(inPlace, 2); // both may; the runtime decides at the last use
  std::string error;
  std::shared_ptr<const Executable> executable = makeExecutable(std::move(*emitted), error);
  ASSERT_TRUE(executable) << error;
  Session session(executable, SessionOptions{});
  auto x = std::make_shared<Tensor>(TensorType(DType::F32, {Dim(6), Dim(4)}));
  auto i = std::make_shared<Tensor>(TensorType(DType::I64, {Dim(3), Dim(1)}));
  auto u = std::make_shared<Tensor>(TensorType(DType::F32, {Dim(3), Dim(4)}));
  for (int64_t e = 0; e < 24; ++e)
    x->setDouble(e, double(e % 7) - 3.0);
  for (int64_t e = 0; e < 12; ++e)
    u->setDouble(e, 0.5 * double(e));
  for (int64_t r : {0, 1, 2})
    i->setInt(r, (4 - 2 * r + 6) % 6); // rows 4, 2, 0
  std::optional<std::vector<TensorRef>> got = runSession(session, {x, i, u}, error);
  ASSERT_TRUE(got) << error;
  Interpreter interpreter(diag);
  std::optional<std::vector<TensorRef>> want =
      interpreter.run(*reference->graph("main"), {x, i, u});
  ASSERT_TRUE(want) << diag.str();
  for (size_t o = 0; o < 2; ++o)
    for (int64_t e = 0; e < 24; ++e)
      EXPECT_NEAR((*got)[o]->getDouble(e), (*want)[o]->getDouble(e), 1e-5) << o << " " << e;
}

TEST(ProgramTest, DamagedProgramsFailToLoadCleanly) {
  EmittedProgram emitted;
  ASSERT_TRUE(compileExample(&emitted));
  std::vector<uint8_t> bytes = dlrt::ops::encodeParams(emitted.program);
  std::mt19937 rng(1);
  int accepted = 0;
  for (int trial = 0; trial < 4000; ++trial) {
    std::vector<uint8_t> mutated = bytes;
    switch (trial % 3) {
    case 0: mutated[rng() % mutated.size()] ^= uint8_t(1u << (rng() % 8)); break;
    case 1: mutated[rng() % mutated.size()] = uint8_t(rng()); break;
    default: mutated.resize(rng() % mutated.size()); break;
    }
    dlrt::program::Program program;
    if (!dlrt::ops::decodeParams(program, mutated.data(), mutated.size(), "program").isOk())
      continue;
    std::shared_ptr<const Executable> executable;
    if (Executable::create(std::move(program), emitted.weights, executable).isOk())
      ++accepted;
  }
  // Some flips hit names or values that keep the program valid; most don't.
  EXPECT_LT(accepted, 4000);
}

} // namespace
} // namespace dlc
