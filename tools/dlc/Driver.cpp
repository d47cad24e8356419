//===- Driver.cpp - Shared pieces of the dlc subcommands -----------------===//

#include "tools/dlc/Driver.h"

#include "frontends/onnx/OnnxImporter.h"
#include "ir/Parser.h"
#include "ir/Verifier.h"

#include <cstdio>
#include <fstream>

namespace dlc::tool {

int userError(const std::string &message) {
  std::fprintf(stderr, "dlc: error: %s\n", message.c_str());
  return kExitUser;
}

int reportDiagnostics(const Diagnostics &diag) {
  std::fputs(diag.str().c_str(), stderr);
  return kExitUser;
}

int writeOutput(const std::string &text, const std::string &path) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : userError("cannot write output");
  }
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out)
    return userError("cannot write '" + path + "'");
  return kExitOk;
}

std::vector<FlagSpec> modelFlags() {
  return {{"strip-shapes", 0, true,
           "import an ONNX model as if its exporter wrote no shapes: 'intermediates' (every "
           "value but the inputs of unknown rank) or 'all' (the inputs too)",
           "WHAT"}};
}

std::unique_ptr<Module> loadModel(const std::string &path, const ParsedArgs &args,
                                  Diagnostics &diag) {
  bool isOnnx = path.size() > 5 && path.substr(path.size() - 5) == ".onnx";
  OnnxImportOptions options;
  if (std::optional<std::string> strip = args.get("strip-shapes")) {
    std::optional<OnnxShapes> shapes = parseOnnxShapes(*strip);
    if (!shapes || !isOnnx)
      return (void)diag.error({}, !shapes ? "--strip-shapes takes intermediates, all or keep, "
                                            "got '" + *strip + "'"
                                          : "--strip-shapes applies to ONNX models"),
             nullptr;
    options.shapes = *shapes;
  }
  std::unique_ptr<Module> module =
      isOnnx ? importOnnxFile(path, diag, options) : parseModuleFile(path, diag);
  if (!module || failed(verifyModule(*module, diag)))
    return nullptr;
  return module;
}

} // namespace dlc::tool
