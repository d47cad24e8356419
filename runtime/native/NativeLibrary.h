//===- NativeLibrary.h - Generated kernels loaded from an artifact -*- C++ -*-===//
//
// Native kernels (today: Halide pipelines compiled ahead of time) travel in
// an artifact's NativeObject section as one shared object with the Halide
// runtime linked in. The runtime loads it only after the artifact's
// checksum holds (from memory: memfd, then dlopen), finds each kernel's
// `NAME_argv` entry, and routes the kernels' parallel loops to the
// session's thread pool (halide_set_custom_do_par_for; the pool travels in
// the kernels' user_context).
//
// The kernel ABI is Halide's: buffers as halide_buffer_t (mirrored here, so
// the runtime needs no Halide header), int32 scalars for the symbols the
// kernel's sizes use, an int error code.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_NATIVE_NATIVELIBRARY_H
#define DLRT_NATIVE_NATIVELIBRARY_H

#include "kernels/ElementType.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dlrt {
class ThreadPool;
}

namespace dlrt::native {

/// halide_type_t, halide_dimension_t and halide_buffer_t, as Halide 14's
/// HalideRuntime.h lays them out.
struct HalideType {
  uint8_t code; ///< 0 int, 1 uint, 2 float, 4 bfloat
  uint8_t bits;
  uint16_t lanes;
};
struct HalideDimension {
  int32_t min, extent, stride;
  uint32_t flags;
};
struct HalideBuffer {
  uint64_t device;
  const void *deviceInterface;
  uint8_t *host;
  uint64_t flags;
  HalideType type;
  int32_t dimensions;
  HalideDimension *dim;
  void *padding;
};

/// Describes `view` as a Halide buffer (dim 0 innermost) into `buffer` and
/// `dims` (which must outlive the call); an error if an extent or stride
/// does not fit Halide's int32.
kernels::Status describe(const kernels::BufferView &view, HalideBuffer &buffer,
                         std::vector<HalideDimension> &dims);

/// Records `message` as the error of the native kernel running on this
/// thread (what NativeLibrary::call reports when the kernel fails).
void reportError(const std::string &message);

using KernelEntry = int (*)(void **args);

class NativeLibrary {
public:
  /// Loads the shared object in `bytes` and resolves `kernels` (names).
  static kernels::Status load(const std::vector<uint8_t> &bytes,
                              const std::vector<std::string> &kernels,
                              std::shared_ptr<const NativeLibrary> &out);
  ~NativeLibrary();

  KernelEntry kernel(size_t index) const { return entries_[index]; }
  /// Runs kernel `index` with `args` (user_context first); the pool (may be
  /// null) runs its parallel loops. Nonzero on failure, with Halide's
  /// message in `error`.
  int call(size_t index, ThreadPool *pool, void **args, std::string &error) const;

private:
  NativeLibrary() = default;
  void *handle_ = nullptr;
  std::vector<KernelEntry> entries_;
};

} // namespace dlrt::native

#endif // DLRT_NATIVE_NATIVELIBRARY_H
