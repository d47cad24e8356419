//===- dlrt.hpp - A small C++ wrapper over dlrt.h ---------------*- C++ -*-===//
//
// RAII handles over the runtime's C API; errors become dlrt::Error
// exceptions carrying the status message. Same thread-safety rules as
// dlrt.h: Program is shareable; calls on one Session take turns.
//
//   dlrt::Program program = dlrt::Program::loadFile("model.dlc");
//   dlrt::Session session(program);
//   session.setInput(0, DLRT_F32, {2, 4}, x.data(), x.size() * sizeof(float));
//   session.run();
//   dlrt::Output y = session.output(0);
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_HPP
#define DLRT_HPP

#include "dlrt.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace dlrt {

class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Throws the status's message (and frees it) if it is an error.
inline void check(dlrt_status status) {
  if (!status)
    return;
  std::string message = dlrt_status_message(status);
  dlrt_status_free(status);
  throw Error(message);
}

struct Port {
  std::string name;
  dlrt_element_type type;
  int64_t rank; ///< -1: known at run time
  std::vector<std::string> dims;
};

class Program {
public:
  static Program loadFile(const std::string &path) {
    dlrt_artifact *artifact = nullptr;
    check(dlrt_artifact_open_file(path.c_str(), &artifact));
    return load(artifact);
  }
  static Program loadMemory(const void *data, size_t size) {
    dlrt_artifact *artifact = nullptr;
    check(dlrt_artifact_open_memory(data, size, &artifact));
    return load(artifact);
  }

  std::vector<Port> inputs() const { return ports(true); }
  std::vector<Port> outputs() const { return ports(false); }
  size_t findInput(const std::string &name) const {
    size_t index = 0;
    check(dlrt_program_find_input(get(), name.c_str(), &index));
    return index;
  }
  size_t findOutput(const std::string &name) const {
    size_t index = 0;
    check(dlrt_program_find_output(get(), name.c_str(), &index));
    return index;
  }
  const dlrt_program *get() const { return program_.get(); }

private:
  static Program load(dlrt_artifact *artifact) {
    dlrt_program *program = nullptr;
    dlrt_status status = dlrt_program_load(artifact, &program);
    dlrt_artifact_release(artifact);
    check(status);
    Program result;
    result.program_.reset(program, dlrt_program_release);
    return result;
  }
  std::vector<Port> ports(bool inputs) const {
    std::vector<Port> list;
    size_t count = inputs ? dlrt_program_input_count(get()) : dlrt_program_output_count(get());
    for (size_t i = 0; i < count; ++i) {
      const char *name = nullptr;
      const char *const *dims = nullptr;
      Port port{};
      check(inputs ? dlrt_program_input_info(get(), i, &name, &port.type, &port.rank, &dims)
                   : dlrt_program_output_info(get(), i, &name, &port.type, &port.rank, &dims));
      port.name = name;
      for (int64_t d = 0; d < port.rank; ++d)
        port.dims.emplace_back(dims[d]);
      list.push_back(std::move(port));
    }
    return list;
  }
  std::shared_ptr<dlrt_program> program_;
};

/// An output of the last run: valid until the next run or the session's end.
struct Output {
  dlrt_element_type type;
  std::vector<int64_t> dims;
  const void *data;
  size_t bytes;
};

class Session {
public:
  explicit Session(const Program &program, int threads = 0) {
    dlrt_session_options options{};
    options.threads = threads;
    dlrt_session *session = nullptr;
    check(dlrt_session_create(program.get(), &options, &session));
    session_.reset(session);
  }
  /// Zero-copy: `data` must stay valid until run() returns.
  void setInput(size_t index, dlrt_element_type type, const std::vector<int64_t> &dims,
                const void *data, size_t bytes) {
    check(dlrt_session_set_input(session_.get(), index, type, dims.data(), dims.size(), data,
                                 bytes));
  }
  void run() { check(dlrt_session_run(session_.get())); }
  Output output(size_t index) const {
    Output out{};
    const int64_t *dims = nullptr;
    size_t rank = 0;
    check(dlrt_session_output(session_.get(), index, &out.type, &dims, &rank, &out.data,
                              &out.bytes));
    out.dims.assign(dims, dims + rank);
    return out;
  }
  uint64_t peakBytes() const { return dlrt_session_peak_bytes(session_.get()); }

private:
  struct Release {
    void operator()(dlrt_session *session) const { dlrt_session_release(session); }
  };
  std::unique_ptr<dlrt_session, Release> session_;
};

} // namespace dlrt

#endif // DLRT_HPP
