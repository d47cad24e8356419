//===- api_wrapper_test.cpp - The C++ wrapper over dlrt.h -----------------===//
//
// argv[1]: two_inputs.dlir compiled (relu(a + b), a, b: f32[N,4]).
//
//===----------------------------------------------------------------------===//

#include "dlrt.hpp"

#include <cstdio>

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  int failures = 0;
  auto expect = [&](bool condition, const char *what) {
    if (!condition)
      std::fprintf(stderr, "FAIL: %s\n", what);
    failures += !condition;
  };
  dlrt::Program program = dlrt::Program::loadFile(argv[1]);
  expect(program.inputs().size() == 2 && program.inputs()[0].dims[0] == "N", "inputs");
  expect(program.findInput("b") == 1, "find b");
  dlrt::Session session(program, 1);
  float a[4] = {1, -5, 2, 0}, b[4] = {1, 1, 1, 1};
  session.setInput(0, DLRT_F32, {1, 4}, a, sizeof a);
  session.setInput(1, DLRT_F32, {1, 4}, b, sizeof b);
  session.run();
  dlrt::Output y = session.output(0);
  const float *values = static_cast<const float *>(y.data);
  expect(y.dims == std::vector<int64_t>{1, 4} && values[0] == 2 && values[1] == 0 &&
             values[2] == 3 && values[3] == 1,
         "relu(a + b)");
  try {
    session.setInput(1, DLRT_F32, {2, 2}, b, sizeof b);
    session.run();
    expect(false, "a wrong dim throws");
  } catch (const dlrt::Error &error) {
    expect(std::string(error.what()).find("dim 0 is 2, expected 1") != std::string::npos,
           error.what());
  }
  try {
    dlrt::Program::loadFile("/nonexistent.dlc");
    expect(false, "a missing file throws");
  } catch (const dlrt::Error &) {
  }
  std::printf("%s\n", failures ? "FAILED" : "PASSED");
  return failures != 0;
}
