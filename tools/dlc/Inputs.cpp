//===- Inputs.cpp - Model inputs from .npy files or random values ---------===//

#include "ir/Interpreter.h"
#include "tools/dlc/Driver.h"
#include "frontends/npy/Npy.h"

#include <map>
#include <random>
#include <sstream>

namespace dlc::tool {
namespace {

/// Splits "NAME=VALUE"; false if there is no '='.
bool splitBinding(const std::string &text, std::string &name,
                  std::string &value) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    return false;
  name = text.substr(0, eq);
  value = text.substr(eq + 1);
  return true;
}

/// Parses "1x3x224x224" (or "" for a scalar); nullopt if malformed.
std::optional<std::vector<int64_t>> parseShape(const std::string &text) {
  std::vector<int64_t> dims;
  if (text.empty())
    return dims;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, 'x')) {
    if (part.empty() || part.size() > 13 ||
        part.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    int64_t dim = std::stoll(part);
    if (dim > kMaxDimSize)
      return std::nullopt;
    dims.push_back(dim);
  }
  return dims;
}

Tensor randomTensor(const TensorType &type, std::mt19937_64 &rng) {
  Tensor tensor(type);
  std::uniform_real_distribution<double> real(-1.0, 1.0);
  std::uniform_int_distribution<int64_t> integer(0, 9);
  for (int64_t i = 0; i < tensor.numElements(); ++i) {
    if (isFloat(type.dtype()))
      tensor.setDouble(i, real(rng));
    else if (type.dtype() == DType::Bool)
      tensor.setInt(i, rng() & 1);
    else
      tensor.setInt(i, integer(rng));
  }
  return tensor;
}

} // namespace

std::vector<FlagSpec> inputFlags() {
  return {
      {"input", 'i', true, "bind input NAME to a .npy file (repeatable)", "NAME=FILE.npy"},
      {"random-inputs", 0, false, "fill inputs not given with random values"},
      {"seed", 0, true, "seed for --random-inputs (default 0)", "S"},
      {"threads", 0, true, "threads for the kernels (default 0: all cores)", "N"},
      {"shape", 0, true,
       "shape of random input NAME, or size of symbolic dim NAME (repeatable)",
       "NAME=1x3x224x224"},
  };
}

std::optional<int> threadsOf(const ParsedArgs &args) {
  std::optional<std::string> text = args.get("threads");
  if (!text)
    return 0;
  char *end = nullptr;
  long value = std::strtol(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || value < 0 || value > 1024) {
    userError("--threads expects a count from 0 (all cores) to 1024, got '" + *text + "'");
    return std::nullopt;
  }
  return static_cast<int>(value);
}

std::optional<int64_t> seedOf(const ParsedArgs &args) {
  int64_t seed = 0;
  if (std::optional<std::string> text = args.get("seed")) {
    char *end = nullptr;
    seed = std::strtoll(text->c_str(), &end, 10);
    if (text->empty() || *end != '\0') {
      userError("--seed expects an integer, got '" + *text + "'");
      return std::nullopt;
    }
  }
  return seed;
}

std::vector<InputSpec> inputSpecs(const Graph &graph) {
  std::vector<InputSpec> specs;
  for (const auto &input : graph.inputs())
    specs.push_back({input->name(), input->type()});
  return specs;
}

std::optional<std::vector<TensorRef>> prepareInputs(const ParsedArgs &args,
                                                    const std::vector<InputSpec> &specs,
                                                    int64_t seed, bool random) {
  auto fail = [](const std::string &message) -> std::optional<std::vector<TensorRef>> {
    userError(message);
    return std::nullopt;
  };
  std::map<std::string, std::string> files;
  for (const std::string &binding : args.getAll("input")) {
    std::string name, file;
    if (!splitBinding(binding, name, file))
      return fail("--input expects NAME=FILE.npy, got '" + binding + "'");
    files[name] = file;
  }
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const std::string &binding : args.getAll("shape")) {
    std::string name, text;
    std::optional<std::vector<int64_t>> dims;
    if (!splitBinding(binding, name, text) || !(dims = parseShape(text)))
      return fail("--shape expects NAME=1x3x224x224, got '" + binding + "'");
    shapes[name] = *dims;
  }
  std::mt19937_64 rng(static_cast<uint64_t>(seed));

  std::vector<TensorRef> inputs;
  for (const InputSpec &input : specs) {
    const std::string &name = input.name;
    auto file = files.find(name);
    if (file != files.end()) {
      std::string error;
      std::optional<Tensor> tensor = readNpy(file->second, error);
      if (!tensor)
        return fail("input '" + name + "': " + error);
      inputs.push_back(std::make_shared<Tensor>(std::move(*tensor)));
      files.erase(file);
      continue;
    }
    if (!random)
      return fail("input '" + name + "' (" + input.type.str() +
                       ") is not given; use --input " + name +
                       "=FILE.npy or --random-inputs");
    const TensorType &declared = input.type;
    std::vector<Dim> dims;
    if (auto given = shapes.find(name); given != shapes.end()) {
      for (int64_t d : given->second)
        dims.push_back(Dim(d));
    } else if (!declared.hasRank()) {
      return fail("input '" + name + "' has unknown rank; give --shape " +
                       name + "=...");
    } else {
      for (const Dim &dim : declared.dims()) {
        if (dim.isStatic()) {
          dims.push_back(dim);
          continue;
        }
        // A symbol takes its --shape size; an expression is evaluated.
        std::map<std::string, int64_t, std::less<>> sizes;
        for (const auto &[symbol, value] : shapes)
          if (value.size() == 1)
            sizes[symbol] = value[0];
        std::optional<int64_t> size =
            dim.isSymbolic() ? dim.expr().evaluate(sizes) : std::nullopt;
        if (!size || *size < 0 || *size > kMaxDimSize)
          return fail("input '" + name + "' has dim " + dim.str() +
                           "; bind it with --shape " +
                           (dim.isSymbol() ? dim.name() : name) + "=...");
        dims.push_back(Dim(*size));
      }
    }
    TensorType type(declared.dtype(), dims);
    if (!Tensor::payloadBytes(type))
      return fail("input '" + name + "' of type " + type.str() +
                       " exceeds the 4 GiB tensor limit");
    inputs.push_back(std::make_shared<Tensor>(randomTensor(type, rng)));
  }
  if (!files.empty())
    return fail("--input names '" + files.begin()->first +
                     "', which is not an input of the model");

  return inputs;
}

} // namespace dlc::tool
