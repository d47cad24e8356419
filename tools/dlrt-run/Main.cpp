//===- Main.cpp - dlrt-run: run a compiled model on the runtime alone -----===//
//
//   dlrt-run MODEL.dlc --input NAME=FILE.npy ... [--output-dir DIR] [--threads N]
//
// What a deployment runs: linked against libdlrt.so and nothing of the
// compiler (no LLVM, MLIR, Halide or IR code). Inputs and outputs are named
// as the model names them; each output prints as `NAME: TYPE[DIMS]` and is
// written to DIR/NAME.npy. Errors are one line on stderr and exit status 1.
//
//===----------------------------------------------------------------------===//

#include "dlrt.hpp"
#include "npy/Npy.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace {

constexpr const char *kUsage =
    "usage: dlrt-run MODEL.dlc --input NAME=FILE.npy ... [--output-dir DIR] [--threads N]\n"
    "\n"
    "Runs a model compiled by `dlc compile` on the runtime alone (libdlrt).\n"
    "  -i, --input NAME=FILE.npy  the input NAME (every input needs one)\n"
    "  -o, --output-dir DIR       write each output to DIR/NAME.npy\n"
    "  --threads N                kernel threads (default: every core)\n"
    "  -h, --help                 this text\n";

// Inputs are read up to the runtime's default buffer limit (4 GiB).
constexpr uint64_t kMaxInputBytes = uint64_t(4) << 30;

int fail(const std::string &message) {
  std::fprintf(stderr, "dlrt-run: error: %s\n", message.c_str());
  return 1;
}

struct Input {
  std::string name, path, bytes;
  dlrt::npy::Array array;
};

std::string typeName(dlrt_element_type type) {
  static const char *names[] = {"f32", "f16", "bf16", "f64", "i8",  "i16", "i32",
                                "i64", "u8",  "u16",  "u32", "u64", "bool"};
  return type <= DLRT_BOOL ? names[type] : "?";
}

/// `f32[2,4]`; dims as numbers or as the program declares them.
template <typename Dim>
std::string typeText(dlrt_element_type type, const std::vector<Dim> &dims) {
  std::string text = typeName(type) + "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if constexpr (std::is_same_v<Dim, std::string>)
      text += (i ? "," : "") + dims[i];
    else
      text += (i ? "," : "") + std::to_string(dims[i]);
  }
  return text + "]";
}

/// An output name as a file name: characters other than [A-Za-z0-9_.-]
/// become '_' (as `dlc run` writes them).
std::string fileName(const std::string &name, size_t index) {
  std::string safe = name.empty() ? "output" + std::to_string(index) : name;
  for (char &c : safe)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      c = '_';
  return safe;
}

int run(int argc, char **argv) {
  std::string model, outputDir;
  std::vector<Input> inputs;
  int threads = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string &out) {
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    std::string text;
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "-i" || arg == "--input") {
      if (!value(text))
        return fail(arg + " needs NAME=FILE.npy");
      size_t eq = text.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
        return fail(arg + " needs NAME=FILE.npy, got '" + text + "'");
      inputs.push_back({text.substr(0, eq), text.substr(eq + 1), "", {}});
    } else if (arg == "-o" || arg == "--output-dir") {
      if (!value(outputDir))
        return fail(arg + " needs a folder");
    } else if (arg == "--threads") {
      char *end = nullptr;
      if (!value(text) || (threads = static_cast<int>(std::strtol(text.c_str(), &end, 10)),
                           *end != '\0' || threads < 0 || threads > 1024))
        return fail("--threads needs a count from 0 to 1024");
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("unknown option '" + arg + "'\n" + kUsage);
    } else if (model.empty()) {
      model = arg;
    } else {
      return fail("one model at a time, got '" + model + "' and '" + arg + "'");
    }
  }
  if (model.empty())
    return fail(std::string("no model given\n") + kUsage);

  dlrt::Program program = dlrt::Program::loadFile(model);
  std::vector<dlrt::Port> ports = program.inputs();
  std::vector<bool> given(ports.size(), false);
  for (Input &input : inputs) {
    size_t index = program.findInput(input.name);
    if (given[index])
      return fail("input '" + input.name + "' is given twice");
    given[index] = true;
    std::string error;
    std::optional<dlrt::npy::Array> array;
    if (!dlrt::npy::readFile(input.path, kMaxInputBytes, input.bytes, error) ||
        !(array = dlrt::npy::parse(input.bytes, input.path, kMaxInputBytes, error)))
      return fail(error);
    input.array = *array;
    const dlrt::Port &port = ports[index];
    auto type = static_cast<dlrt_element_type>(array->type);
    if (type != port.type ||
        (port.rank >= 0 && static_cast<size_t>(port.rank) != array->dims.size())) {
      return fail("input '" + input.name + "' (" + input.path + ") is " +
                  typeText(type, array->dims) + ", the model declares " +
                  (port.rank < 0 ? typeName(port.type) + "[*]" : typeText(port.type, port.dims)));
    }
  }
  for (size_t i = 0; i < ports.size(); ++i)
    if (!given[i])
      return fail("the model's input '" + ports[i].name + "' is not given (--input " +
                  ports[i].name + "=FILE.npy)");

  dlrt::Session session(program, threads);
  for (const Input &input : inputs) {
    size_t index = program.findInput(input.name);
    try {
      session.setInput(index, static_cast<dlrt_element_type>(input.array.type),
                       input.array.dims, input.bytes.data() + input.array.offset,
                       input.array.bytes);
    } catch (const dlrt::Error &error) {
      return fail("input '" + input.name + "' (" + input.path + "): " + error.what());
    }
  }
  session.run();
  std::error_code ec;
  if (!outputDir.empty() && (std::filesystem::create_directories(outputDir, ec), ec))
    return fail("cannot create '" + outputDir + "': " + ec.message());
  std::vector<dlrt::Port> outputs = program.outputs();
  for (size_t i = 0; i < outputs.size(); ++i) {
    dlrt::Output output = session.output(i);
    std::string name = fileName(outputs[i].name, i);
    std::printf("%s: %s\n", outputs[i].name.empty() ? name.c_str() : outputs[i].name.c_str(),
                typeText(output.type, output.dims).c_str());
    std::string error;
    if (!outputDir.empty() &&
        !dlrt::npy::write(outputDir + "/" + name + ".npy",
                          static_cast<dlrt::kernels::ElementType>(output.type), output.dims,
                          output.data, output.bytes, error))
      return fail(error);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const dlrt::Error &error) {
    return fail(error.what());
  }
}
