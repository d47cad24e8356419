//===- CompilerTest.cpp - The embedding API --------------------------------===//

#include "dlc/Compiler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace dlc {
namespace {

const char *kModel = R"(
graph @main(%x: f32[N,4]) {
  %one = constant() {value = dense<f32[] [1.0]>} : f32[]
  %y = add(%x, %one) : f32[N,4]
  %s = shape(%y) : i64[2]
  return %y
}
)";

TEST(CompilerTest, CompilesOnceRunsMany) {
  std::string error;
  std::unique_ptr<CompiledModel> model = CompiledModel::compileText(kModel, {}, error);
  ASSERT_TRUE(model) << error;
  EXPECT_EQ(model->inputNames(), std::vector<std::string>{"x"});
  EXPECT_EQ(model->outputNames(), std::vector<std::string>{"y"});
  EXPECT_NE(model->ir().find("call("), std::string::npos); // split into a kernel
  for (float v : {1.0f, 2.0f}) {
    std::vector<HostTensor> outputs;
    ASSERT_TRUE(model->run({HostTensor::fromFloats({1, 4}, {v, v, v, v})}, outputs, error))
        << error;
    EXPECT_EQ(outputs.at(0).dims, (std::vector<int64_t>{1, 4}));
    EXPECT_EQ(outputs.at(0).floats(), (std::vector<float>(4, v + 1)));
  }
}

TEST(CompilerTest, BindingsSpecialize) {
  std::string error;
  CompileOptions options;
  options.bindings["N"] = 3;
  std::unique_ptr<CompiledModel> model = CompiledModel::compileText(kModel, options, error);
  ASSERT_TRUE(model) << error;
  EXPECT_NE(model->ir().find("f32[3,4]"), std::string::npos) << model->ir();
  std::vector<HostTensor> outputs;
  EXPECT_FALSE(model->run({HostTensor::fromFloats({2, 4}, std::vector<float>(8))}, outputs,
                          error));
  EXPECT_EQ(error, "input 'x' (declared f32[3,4]): dim 0 is 2, expected 3");
}

TEST(CompilerTest, TheArtifactRunsAndConcurrentRunsAgree) {
  std::string error;
  CompileOptions options;
  options.threads = 1;
  std::unique_ptr<CompiledModel> model = CompiledModel::compileText(kModel, options, error);
  ASSERT_TRUE(model) << error;
  std::vector<uint8_t> artifact = model->artifact();
  EXPECT_EQ(std::string(artifact.begin(), artifact.begin() + 6), "DLCART");
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      std::string message;
      std::vector<HostTensor> outputs;
      float v = static_cast<float>(t);
      if (model->run({HostTensor::fromFloats({1, 4}, {v, v, v, v})}, outputs, message) &&
          outputs.at(0).floats() == std::vector<float>(4, v + 1))
        ++good;
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(good, 4);
}

TEST(CompilerTest, CompilesNativeKernelsInProcess) {
  setenv("DLC_CACHE_DIR", "off", 1);
  std::string error;
  CompileOptions options;
  options.backend = "halide";
  options.threads = 1;
  std::unique_ptr<CompiledModel> model = CompiledModel::compileText(kModel, options, error);
  ASSERT_TRUE(model) << error;
  for (int n : {1, 5}) { // one compiled kernel serves every N
    std::vector<HostTensor> outputs;
    ASSERT_TRUE(model->run({HostTensor::fromFloats({n, 4}, std::vector<float>(4 * n, 2.0f))},
                           outputs, error))
        << error;
    EXPECT_EQ(outputs.at(0).floats(), std::vector<float>(4 * n, 3.0f));
  }
}

TEST(CompilerTest, ErrorsAreMessages) {
  std::string error;
  EXPECT_FALSE(CompiledModel::compileText("graph @main(", {}, error));
  EXPECT_NE(error.find("<text>:1:"), std::string::npos) << error;
  EXPECT_FALSE(CompiledModel::compileFile("/nonexistent.onnx", {}, error));
  EXPECT_FALSE(error.empty());
  CompileOptions bad;
  bad.passes = "frobnicate";
  EXPECT_FALSE(CompiledModel::compileText(kModel, bad, error));
  EXPECT_NE(error.find("unknown pass 'frobnicate'"), std::string::npos);
  std::unique_ptr<CompiledModel> model = CompiledModel::compileText(kModel, {}, error);
  ASSERT_TRUE(model);
  std::vector<HostTensor> outputs;
  HostTensor broken = HostTensor::fromFloats({2, 4}, {1, 2, 3});
  EXPECT_FALSE(model->run({broken}, outputs, error));
  EXPECT_EQ(error, "input 0: dtype, dims and bytes disagree");
}

} // namespace
} // namespace dlc
