//===- AbuseTest.cpp - The runtime's C API under abuse ---------------------===//
//
// What an embedder can get wrong, or hand the runtime on purpose: wrong
// inputs of every kind, dims that break a symbol or overflow, NaN and Inf,
// empty tensors, damaged and mismatched artifacts, sessions shared between
// threads and many sessions at once, and memory over many runs. Every case
// is a clear status or a correct result; none crashes, races or leaks.
// Models are compiled in process for both backends (the Halide one's
// kernels take buffers the reference kernels never see).
//
//===----------------------------------------------------------------------===//

#include "artifact/Format.h"
#include "dlc/Compiler.h"
#include "dlrt.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>

namespace {

// Two inputs that share N; the loop's trip count depends on the data.
const char *kModel = R"(
graph @main(%a: f32[N,4], %b: f32[N,4]) {
  %s = add(%a, %b) : f32[N,4]
  %r = relu(%s) : f32[N,4]
  %trips = constant() {value = dense<i64[] [4]>} : i64[]
  %go = constant() {value = dense<bool[] [true]>} : bool[]
  %half = constant() {value = dense<f32[] [0.5]>} : f32[]
  %one = constant() {value = dense<f32[] [1.0]>} : f32[]
  %y = loop(%trips, %go, %r) captures(%half, %one) {
    body = graph(%i: i64[], %c: bool[], %v: f32[N,4], %h: f32[], %t: f32[]) {
      %next = mul(%v, %h) : f32[N,4]
      %m = reduce_max(%next) {keepdims = 0} : f32[]
      %more = greater(%m, %t) : bool[]
      return %more, %next
    }
  } : f32[N,4]
  return %r, %y
}
)";

std::vector<uint8_t> compile(const std::string &backend) {
  setenv("DLC_CACHE_DIR", DLC_TEST_KERNEL_CACHE, 1);
  dlc::CompileOptions options;
  options.backend = backend;
  options.threads = 1;
  std::string error;
  std::unique_ptr<dlc::CompiledModel> model = dlc::CompiledModel::compileText(kModel, options, error);
  EXPECT_TRUE(model) << error;
  if (!model)
    return {};
  std::vector<uint8_t> bytes = model->artifact();
  // The Halide artifact carries native kernels (section kind 5).
  dlrt_artifact *opened = nullptr;
  EXPECT_EQ(dlrt_artifact_open_memory(bytes.data(), bytes.size(), &opened), nullptr);
  bool native = false;
  for (size_t i = 0; opened && i < dlrt_artifact_section_count(opened); ++i) {
    uint32_t kind = 0;
    uint64_t size = 0;
    EXPECT_EQ(dlrt_artifact_section_info(opened, i, &kind, &size), nullptr);
    native |= kind == 5 && size > 0;
  }
  dlrt_artifact_release(opened);
  EXPECT_EQ(native, backend == "halide");
  return bytes;
}

/// The artifact of each backend, compiled once.
const std::vector<uint8_t> &artifact(const std::string &backend) {
  static std::map<std::string, std::vector<uint8_t>> artifacts;
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  auto [it, added] = artifacts.try_emplace(backend);
  if (added)
    it->second = compile(backend);
  return it->second;
}

dlrt::Program load(const std::string &backend) {
  const std::vector<uint8_t> &bytes = artifact(backend);
  return dlrt::Program::loadMemory(bytes.data(), bytes.size());
}

/// The message of what `body` throws, or "" when it does not.
template <typename F> std::string errorOf(F body) {
  try {
    body();
  } catch (const dlrt::Error &error) {
    return error.what();
  }
  return "";
}

std::vector<float> floats(const dlrt::Output &output) {
  std::vector<float> values(output.bytes / sizeof(float));
  std::memcpy(values.data(), output.data, output.bytes);
  return values;
}

/// relu(a + b) and then halved while its max exceeds 1 (at most 4 times).
std::vector<float> expected(const std::vector<float> &a, const std::vector<float> &b) {
  std::vector<float> r(a.size());
  float max = -INFINITY;
  for (size_t i = 0; i < a.size(); ++i)
    r[i] = std::max(a[i] + b[i], 0.0f);
  for (int trip = 0; trip < 4; ++trip) {
    max = -INFINITY;
    for (float &v : r)
      max = std::max(max, v *= 0.5f);
    if (!(max > 1.0f))
      break;
  }
  return r;
}

class AbuseTest : public ::testing::TestWithParam<std::string> {};

TEST_P(AbuseTest, WrongInputsAreStatuses) {
  dlrt::Program program = load(GetParam());
  dlrt::Session session(program, 1);
  float a[8] = {}, b[8] = {};
  int32_t ints[8] = {};
  EXPECT_EQ(errorOf([&] { session.run(); }), "input 'a' is not set");
  EXPECT_NE(errorOf([&] { program.findInput("c"); }).find("no input 'c'"), std::string::npos);
  EXPECT_NE(errorOf([&] { session.setInput(2, DLRT_F32, {2, 4}, a, sizeof a); })
                .find("the program has 2 inputs, not 3"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { session.setInput(0, DLRT_F32, {2, 4}, a, 16); })
                .find("the dims need 32 bytes, got 16"),
            std::string::npos);
  EXPECT_NE(errorOf([&] {
              session.setInput(0, static_cast<dlrt_element_type>(99), {2, 4}, a, sizeof a);
            }).find("unknown element type"),
            std::string::npos);
  session.setInput(1, DLRT_F32, {2, 4}, b, sizeof b);
  session.setInput(0, DLRT_I32, {2, 4}, ints, sizeof ints);
  EXPECT_NE(errorOf([&] { session.run(); }).find("input 'a' (declared f32[N,4]) has the wrong element type"),
            std::string::npos);
  session.setInput(0, DLRT_F32, {2, 2, 2}, a, sizeof a);
  EXPECT_NE(errorOf([&] { session.run(); }).find("has rank 3, expected 2"), std::string::npos);
  session.setInput(0, DLRT_F32, {4, 2}, a, sizeof a);
  EXPECT_NE(errorOf([&] { session.run(); }).find("dim 1 is 2, expected 4"), std::string::npos);
  // A and b disagree on N.
  session.setInput(0, DLRT_F32, {1, 4}, a, 16);
  EXPECT_EQ(errorOf([&] { session.run(); }),
            "input 'b' (declared f32[N,4]): dim 0 is 2, expected 1 (of N)");
  EXPECT_NE(errorOf([&] { session.output(0); }).find("run first"), std::string::npos);
  // The session is still good.
  session.setInput(0, DLRT_F32, {2, 4}, a, sizeof a);
  session.run();
  EXPECT_EQ(session.output(1).dims, (std::vector<int64_t>{2, 4}));
}

TEST_P(AbuseTest, HugeAndNegativeDims) {
  dlrt::Program program = load(GetParam());
  dlrt::Session session(program, 1);
  float x[4] = {};
  const int64_t huge = int64_t(1) << 40;
  for (std::vector<int64_t> dims : {std::vector<int64_t>{huge, 4}, {int64_t(1) << 62, 4},
                                    {-1, 4}, {huge, huge}}) {
    std::string error = errorOf([&] { session.setInput(0, DLRT_F32, dims, x, sizeof x); });
    EXPECT_NE(error.find("input 0: the dims need"), std::string::npos) << error;
  }
  // 2^40 rows of nothing: no bytes, a valid (empty) tensor.
  session.setInput(0, DLRT_F32, {huge, 0}, x, 0);
  session.setInput(1, DLRT_F32, {huge, 0}, x, 0);
  std::string error = errorOf([&] { session.run(); });
  EXPECT_NE(error.find("dim 1 is 0, expected 4"), std::string::npos) << error;
}

TEST_P(AbuseTest, EmptyTensorsRun) {
  dlrt::Program program = load(GetParam());
  dlrt::Session session(program, 1);
  float x[1] = {};
  session.setInput(0, DLRT_F32, {0, 4}, x, 0);
  session.setInput(1, DLRT_F32, {0, 4}, x, 0);
  session.run();
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(session.output(i).dims, (std::vector<int64_t>{0, 4}));
    EXPECT_EQ(session.output(i).bytes, 0u);
  }
}

TEST_P(AbuseTest, NanAndInfFlowThrough) {
  dlrt::Program program = load(GetParam());
  dlrt::Session session(program, 1);
  std::vector<float> a = {NAN, INFINITY, -INFINITY, 1, INFINITY, 3, -2, 0.25f};
  std::vector<float> b = {1, 1, 1, -2, -INFINITY, 1, 1, 0};
  session.setInput(0, DLRT_F32, {2, 4}, a.data(), 32);
  session.setInput(1, DLRT_F32, {2, 4}, b.data(), 32);
  session.run();
  std::vector<float> r = floats(session.output(0));
  // NaN + 1 and Inf - Inf are NaN, relu keeps NaN (as ONNX and numpy).
  EXPECT_TRUE(std::isnan(r[0]) && std::isnan(r[4])) << r[0] << " " << r[4];
  EXPECT_EQ(r[1], INFINITY);
  EXPECT_EQ(r[2], 0.0f);
  EXPECT_EQ(r[5], 4.0f);
  // However many trips the loop takes, halving keeps NaN and Inf.
  std::vector<float> y = floats(session.output(1));
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], INFINITY);
}

TEST_P(AbuseTest, DamagedArtifactsAreRefused) {
  std::vector<uint8_t> good = artifact(GetParam());
  ASSERT_GT(good.size(), 64u);
  auto open = [](const std::vector<uint8_t> &bytes) {
    return errorOf([&] { dlrt::Program::loadMemory(bytes.data(), bytes.size()); });
  };
  EXPECT_EQ(open(good), "");
  for (size_t size : {size_t(0), size_t(7), size_t(31), good.size() / 2, good.size() - 1}) {
    std::vector<uint8_t> truncated(good.begin(), good.begin() + size);
    EXPECT_NE(open(truncated), "") << size;
  }
  // One flipped bit anywhere (every 97th byte: the checksum covers them
  // all and ArtifactTest flips every bit of a small file).
  for (size_t i = 0; i < good.size(); i += 97) {
    std::vector<uint8_t> flipped = good;
    flipped[i] ^= 0x10;
    EXPECT_NE(open(flipped), "") << "byte " << i;
  }
  std::vector<uint8_t> newer = good;
  newer[8] += 1; // the format version
  EXPECT_NE(open(newer).find("artifact format version 2 is not supported"), std::string::npos)
      << open(newer);
  // A host program of another layout, in a file whose checksum holds.
  std::vector<uint8_t> other = good;
  uint32_t sections = 0;
  std::memcpy(&sections, other.data() + 12, 4);
  for (uint32_t i = 0; i < sections; ++i) {
    const uint8_t *entry = other.data() + dlrt::artifact::kHeaderSize + 24 * i;
    uint32_t kind = 0;
    uint64_t offset = 0;
    std::memcpy(&kind, entry, 4);
    std::memcpy(&offset, entry + 8, 8);
    if (kind == static_cast<uint32_t>(dlrt::artifact::SectionKind::HostProgram))
      other[offset] += 1; // the program version, first
  }
  uint32_t checksum = dlrt::artifact::fileChecksum(other.data(), other.size());
  std::memcpy(other.data() + 24, &checksum, 4);
  EXPECT_NE(open(other).find("recompile the model with this dlc"), std::string::npos)
      << open(other);
}

/// One session shared by threads: its calls are serialized (dlrt.h), so
/// concurrent runs never race; threads that also set inputs and read
/// outputs take turns over the whole sequence.
TEST_P(AbuseTest, OneSessionManyThreads) {
  dlrt::Program program = load(GetParam());
  dlrt::Session session(program, 2);
  std::vector<float> a = {1, 2, 3, 4, 5, 6, 7, 8}, b(8, 1.0f);
  session.setInput(0, DLRT_F32, {2, 4}, a.data(), 32);
  session.setInput(1, DLRT_F32, {2, 4}, b.data(), 32);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i)
        session.run();
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(floats(session.output(1)), expected(a, b));

  std::mutex turn;
  std::atomic<int> good{0};
  threads.clear();
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      std::vector<float> mine(8, static_cast<float>(4 * t));
      for (int i = 0; i < 25; ++i) {
        std::lock_guard<std::mutex> lock(turn);
        session.setInput(0, DLRT_F32, {2, 4}, mine.data(), 32);
        session.setInput(1, DLRT_F32, {2, 4}, b.data(), 32);
        session.run();
        good += floats(session.output(1)) == expected(mine, b);
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(good, 100);
}

TEST_P(AbuseTest, ManySessionsInParallel) {
  dlrt::Program program = load(GetParam());
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      dlrt::Session session(program, 1);
      std::vector<float> a(4 * (t + 1)), b(4 * (t + 1), -1.0f);
      for (size_t i = 0; i < a.size(); ++i)
        a[i] = static_cast<float>(i * (t + 1));
      for (int i = 0; i < 25; ++i) {
        session.setInput(0, DLRT_F32, {t + 1, 4}, a.data(), a.size() * 4);
        session.setInput(1, DLRT_F32, {t + 1, 4}, b.data(), b.size() * 4);
        session.run();
        good += floats(session.output(1)) == expected(a, b);
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(good, 200);
}

/// Resident memory in KiB (Linux).
long residentKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6));
  return -1;
}

TEST_P(AbuseTest, TenThousandRunsHoldMemorySteady) {
#if defined(__SANITIZE_ADDRESS__)
  // ASan keeps freed blocks in quarantine, so RSS grows by design; its
  // leak checker (at exit) is what catches leaks in that build.
  GTEST_SKIP() << "RSS is not meaningful under ASan";
#endif
  dlrt::Program program = load(GetParam());
  dlrt::Session session(program, 1);
  std::vector<float> a(64 * 4, 3.0f), b(64 * 4, 1.0f);
  auto runs = [&](int count, int64_t rows) {
    for (int i = 0; i < count; ++i) {
      session.setInput(0, DLRT_F32, {rows, 4}, a.data(), rows * 16);
      session.setInput(1, DLRT_F32, {rows, 4}, b.data(), rows * 16);
      session.run();
    }
  };
  for (int64_t rows : {1, 7, 64}) // every size class the loop below uses
    runs(100, rows);
  long before = residentKiB();
  for (int round = 0; round < 100; ++round)
    runs(100, round % 3 == 0 ? 1 : round % 3 == 1 ? 7 : 64);
  long after = residentKiB();
  RecordProperty("rss_before_kib", std::to_string(before));
  RecordProperty("rss_after_kib", std::to_string(after));
  std::printf("RSS over 10000 runs: %ld KiB -> %ld KiB\n", before, after);
  EXPECT_LT(after - before, 1024) << "RSS grew from " << before << " to " << after << " KiB";
}

INSTANTIATE_TEST_SUITE_P(Backends, AbuseTest, ::testing::Values("reference", "halide"));

} // namespace
