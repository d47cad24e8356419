//===- Driver.cpp - Shared pieces of the dlc subcommands -----------------===//

#include "tools/dlc/Driver.h"

#include "frontends/onnx/OnnxImporter.h"
#include "ir/Parser.h"
#include "ir/Verifier.h"
#include "passes/Passes.h"

#include <algorithm>
#include <cctype>
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
           "WHAT"},
          {"input-shape", 0, true,
           "fix input NAME's shape before compiling, as ONNX Runtime's dimension overrides: "
           "dims static, symbolic or '?', e.g. 1x3x224x224 or 1x3xHxW (repeatable)",
           "NAME=DIMS"}};
}

namespace {

/// Applies --input-shape NAME=DIMS to main's inputs; false (diagnosed) on
/// a malformed binding, an unknown input or dims the model contradicts.
bool applyInputShapes(Module &module, const ParsedArgs &args, Diagnostics &diag) {
  Graph *main = module.graph("main");
  // Symbols the model declares that a size replaces: every value declared
  // over them (value_info) is specialized too, as `--bind` does.
  PassContext context(diag);
  for (const std::string &binding : args.getAll("input-shape")) {
    size_t equals = binding.find('=');
    std::string name = binding.substr(0, equals);
    auto fail = [&](const std::string &why) {
      (void)diag.error({}, "--input-shape " + binding + ": " + why);
      return false;
    };
    if (equals == std::string::npos || name.empty())
      return fail("expected NAME=DIMS (e.g. x=1x3x224x224)");
    if (!main)
      return fail("the model has no graph @main");
    Value *input = nullptr;
    for (const auto &candidate : main->inputs())
      if (candidate->name() == name)
        input = candidate.get();
    if (!input) {
      std::string names;
      for (const auto &candidate : main->inputs())
        names += (names.empty() ? "" : ", ") + candidate->name();
      return fail("the model has no input '" + name + "' (inputs: " + names + ")");
    }
    std::vector<Dim> dims;
    std::string text = binding.substr(equals + 1);
    for (size_t begin = 0; !text.empty() && begin <= text.size();) {
      size_t end = std::min(text.find('x', begin), text.size());
      std::string part = text.substr(begin, end - begin);
      bool digits = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
      bool symbol = !part.empty() && !std::isdigit(static_cast<unsigned char>(part[0])) &&
                    part.find_first_not_of("abcdefghijklmnopqrstuvwyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789_") == std::string::npos;
      if (digits && part.size() <= 13 && std::stoll(part) <= kMaxDimSize)
        dims.push_back(Dim(std::stoll(part)));
      else if (part == "?")
        dims.push_back(Dim::unknown());
      else if (symbol)
        dims.push_back(Dim::symbol(part));
      else
        return fail("'" + part + "' is not a dim (a size, a symbol without 'x', or '?')");
      begin = end + 1;
    }
    const TensorType &declared = input->type();
    if (declared.hasRank()) {
      if (declared.rank() != static_cast<int64_t>(dims.size()))
        return fail("the model declares " + declared.str() + " (rank " +
                    std::to_string(declared.rank()) + ")");
      for (size_t d = 0; d < dims.size(); ++d) {
        const Dim &was = declared.dims()[d];
        if (was.isStatic() && !(dims[d] == was))
          return fail("the model declares " + declared.str() + " (dim " + std::to_string(d) +
                      " is " + was.str() + ")");
        if (!was.isSymbol() || was.isDataSymbol() || !dims[d].isStatic())
          continue; // (a size, an unknown dim or an expression: nothing to bind)
        std::string symbol(*was.expr().symbolName());
        auto [it, inserted] = context.bindings.emplace(symbol, dims[d].size());
        if (!inserted && it->second != dims[d].size())
          return fail("the model's " + symbol + " is given as " + std::to_string(it->second) +
                      " and as " + std::to_string(dims[d].size()));
      }
    }
    input->setType(TensorType(declared.dtype(), std::move(dims)));
  }
  return context.bindings.empty() || succeeded(specialize(module, context));
}

} // namespace

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
  if (!module || !applyInputShapes(*module, args, diag) || failed(verifyModule(*module, diag)))
    return nullptr;
  return module;
}

} // namespace dlc::tool
