//===- OnnxFuzzTest.cpp - Corrupted ONNX files never crash the importer --===//
//
// Flips, deletes and inserts bytes in real models from ONNX's test data and
// imports the result: each attempt must end in a module that verifies or in
// diagnostics, never a crash. Skips when the test data is not installed.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxImporter.h"
#include "ir/Verifier.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace dlc {
namespace {

const char *kData = "/usr/share/libonnx-testdata/data";

std::string readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

TEST(OnnxFuzzTest, MutatedModelsFailCleanly) {
  if (!std::filesystem::exists(kData))
    GTEST_SKIP() << "[SKIP] ONNX test data not installed at " << kData;
  std::string scratch = (std::filesystem::temp_directory_path() /
                         ("dlc-onnx-fuzz-" + std::to_string(::getpid()) + ".onnx"))
                            .string();
  std::mt19937 rng(99);
  int imported = 0, rejected = 0;
  for (const char *test : {"node/test_if", "node/test_loop11", "node/test_lstm_defaults",
                           "pytorch-converted/test_Conv2d", "node/test_resize_upsample_scales_cubic",
                           "node/test_einsum_batch_matmul", "simple/test_sequence_model3"}) {
    std::string model = readBytes(std::string(kData) + "/" + test + "/model.onnx");
    ASSERT_FALSE(model.empty()) << test;
    for (int round = 0; round < 1000; ++round) {
      std::string mutated = model;
      for (int edits = 1 + rng() % 3; edits > 0; --edits) {
        size_t at = rng() % mutated.size();
        switch (rng() % 3) {
        case 0: mutated[at] = static_cast<char>(rng()); break;
        case 1: mutated.erase(at, 1 + rng() % 4); break;
        default: mutated.insert(at, 1, static_cast<char>(rng()));
        }
        if (mutated.empty())
          mutated = "x";
      }
      std::ofstream(scratch, std::ios::binary) << mutated;
      Diagnostics diag;
      std::unique_ptr<Module> module = importOnnxFile(scratch, diag);
      if (module && succeeded(verifyModule(*module, diag))) {
        ++imported;
      } else {
        ++rejected;
        EXPECT_TRUE(diag.hasErrors());
      }
    }
  }
  std::filesystem::remove(scratch);
  EXPECT_GT(rejected, 0);
  EXPECT_GT(imported, 0); // some edits (e.g. in names or doc strings) are benign
}

} // namespace
} // namespace dlc
