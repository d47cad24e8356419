//===- main.cpp - A host program embedding dlc ----------------------------===//
//
// Built against an installed dlc (find_package(dlc)): compiles a model in
// process, runs it several times, and opens an artifact through the
// runtime's C API.
//
// usage: embed MODEL.dlir
//
//===----------------------------------------------------------------------===//

#include <dlc/Compiler.h>
#include <dlrt.h>

#include <cstdio>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: embed MODEL.dlir\n");
    return 2;
  }
  dlc::CompileOptions options;
  options.bindings["N"] = 2;
  std::string error;
  std::unique_ptr<dlc::CompiledModel> model =
      dlc::CompiledModel::compileFile(argv[1], options, error);
  if (!model) {
    std::fprintf(stderr, "%s", error.c_str());
    return 1;
  }
  for (int call = 1; call <= 3; ++call) { // compiled once, run many times
    std::vector<dlc::HostTensor> outputs;
    dlc::HostTensor x = dlc::HostTensor::fromFloats({2, 4}, {1, -2, 3, -4, float(call), 0, 0, 0});
    if (!model->run({x}, outputs, error)) {
      std::fprintf(stderr, "%s", error.c_str());
      return 1;
    }
    std::vector<float> y = outputs.at(0).floats();
    std::printf("call %d: %s = [%g, %g, %g, %g, %g, ...]\n", call,
                model->outputNames().at(0).c_str(), y[0], y[1], y[2], y[3], y[4]);
  }
  dlrt_artifact *artifact = nullptr;
  dlrt_status status = dlrt_artifact_open_memory("nope", 4, &artifact);
  std::printf("runtime: %s\n", dlrt_status_message(status));
  dlrt_status_free(status);
  return 0;
}
