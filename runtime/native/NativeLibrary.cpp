//===- NativeLibrary.cpp - Generated kernels loaded from an artifact ------===//

#include "native/NativeLibrary.h"

#include "native/Ukernels.h"
#include "threading/ThreadPool.h"

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <map>
#include <mutex>
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

namespace dlrt::native {

using kernels::Status;

Status describe(const kernels::BufferView &view, HalideBuffer &buffer,
                std::vector<HalideDimension> &dims) {
  dims.assign(static_cast<size_t>(view.rank), HalideDimension{0, 0, 0, 0});
  int64_t stride = 1;
  for (int32_t d = view.rank - 1; d >= 0; --d) {
    int64_t extent = view.dims[d];
    if (extent > INT32_MAX || stride > INT32_MAX)
      return Status::error("a buffer too large for a native kernel (int32 extents)");
    dims[view.rank - 1 - d] = {0, static_cast<int32_t>(extent), static_cast<int32_t>(stride), 0};
    stride *= std::max<int64_t>(extent, 1);
  }
  HalideType type{};
  switch (view.type) {
  case kernels::ElementType::F32: type = {2, 32, 1}; break;
  case kernels::ElementType::F64: type = {2, 64, 1}; break;
  case kernels::ElementType::F16: type = {2, 16, 1}; break;
  case kernels::ElementType::BF16: type = {4, 16, 1}; break;
  case kernels::ElementType::I8: type = {0, 8, 1}; break;
  case kernels::ElementType::I16: type = {0, 16, 1}; break;
  case kernels::ElementType::I32: type = {0, 32, 1}; break;
  case kernels::ElementType::I64: type = {0, 64, 1}; break;
  case kernels::ElementType::U8: type = {1, 8, 1}; break;
  case kernels::ElementType::U16: type = {1, 16, 1}; break;
  case kernels::ElementType::U32: type = {1, 32, 1}; break;
  case kernels::ElementType::U64: type = {1, 64, 1}; break;
  case kernels::ElementType::Bool: type = {1, 1, 1}; break;
  }
  buffer = HalideBuffer{0, nullptr, static_cast<uint8_t *>(view.data), 0, type, view.rank,
                        dims.data(), nullptr};
  return Status::ok();
}

namespace {

using Task = int (*)(void *userContext, int index, uint8_t *closure);
using ErrorHandler = void (*)(void *userContext, const char *message);
using SetErrorHandler = ErrorHandler (*)(ErrorHandler);

/// The first error of the kernel running on this thread (Halide's default
/// handler aborts). The first is the cause: a failing ukernel reports its
/// own, then Halide reports that an extern stage failed.
thread_local std::string lastError;

void recordError(void *, const char *message) {
  if (!lastError.empty())
    return;
  lastError = message ? message : "unknown error";
  while (!lastError.empty() && (lastError.back() == '\n' || lastError.back() == ' '))
    lastError.pop_back();
  // A check in the kernel (Halide's require): "Requirement Failed: (COND)
  // VALUE MESSAGE" reads "VALUE MESSAGE".
  const std::string required = "Requirement Failed: (";
  if (lastError.compare(0, required.size(), required) == 0)
    if (size_t end = lastError.find(") "); end != std::string::npos)
      lastError.erase(0, end + 2);
}
using DoParFor = int (*)(void *, Task, int, int, uint8_t *);
using SetDoParFor = DoParFor (*)(DoParFor);

/// Halide's parallel loops on the session's pool (the user_context). The
/// first task runs here and is timed: when the rest would take under
/// 20 us, they run here too (waking the pool costs more than small loops
/// save; the kernels of small dynamic models are such loops).
int doParFor(void *userContext, Task task, int min, int size, uint8_t *closure) {
  auto *pool = static_cast<ThreadPool *>(userContext);
  if (size <= 0)
    return 0;
  auto start = std::chrono::steady_clock::now();
  if (int error = task(userContext, min, closure))
    return error;
  auto first = std::chrono::steady_clock::now() - start;
  if (!pool || size == 1 || first * (size - 1) < std::chrono::microseconds(20)) {
    for (int i = 1; i < size; ++i)
      if (int error = task(userContext, min + i, closure))
        return error;
    return 0;
  }
  std::atomic<int> error{0};
  pool->parallelFor(size - 1, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end && error.load(std::memory_order_relaxed) == 0; ++i)
      if (int code = task(userContext, min + 1 + static_cast<int>(i), closure))
        error.store(code);
  });
  return error.load();
}

/// Halide's allocations inside kernels (what a pipeline computes at root:
/// a convolution's patches, the matmul ukernel's operands) come from blocks
/// freed by earlier runs where they are large: glibc maps a block over its
/// mmap threshold (32 MiB at most) afresh on every malloc, and faulting its
/// pages in again on every run cost more than the convolution (64 channels,
/// 3x3, 128x128: 110 ms a run instead of 10.9 in a VM). Blocks of at least kMinCached
/// are kept for reuse up to kMaxCached bytes in all; smaller ones go to
/// malloc, whose free lists serve them warm.
constexpr size_t kScratchHeader = 128; ///< before the block: its size; keeps 128-byte alignment
constexpr size_t kScratchSlack = 64;   ///< after it: Halide may read past the end
constexpr size_t kMinCached = size_t(1) << 20, kMaxCached = size_t(256) << 20;

struct ScratchCache {
  std::mutex mutex;
  std::multimap<size_t, void *> blocks; ///< by size
  size_t bytes = 0;
};

ScratchCache &scratchCache() {
  static ScratchCache *cache = new ScratchCache; // outlives every kernel
  return *cache;
}

void *scratchMalloc(void *, size_t bytes) {
  if (bytes > (size_t(1) << 46))
    return nullptr;
  size_t size = (kScratchHeader + bytes + kScratchSlack + 4095) / 4096 * 4096;
  void *block = nullptr;
  if (size >= kMinCached) {
    ScratchCache &cache = scratchCache();
    std::lock_guard<std::mutex> lock(cache.mutex);
    // The smallest block that fits and wastes at most an eighth.
    auto it = cache.blocks.lower_bound(size);
    if (it != cache.blocks.end() && it->first <= size + size / 8) {
      size = it->first;
      block = it->second;
      cache.bytes -= size;
      cache.blocks.erase(it);
    }
  }
  if (!block && !(block = std::aligned_alloc(kScratchHeader, size)))
    return nullptr;
  *static_cast<size_t *>(block) = size;
  return static_cast<uint8_t *>(block) + kScratchHeader;
}

void scratchFree(void *, void *pointer) {
  if (!pointer)
    return;
  void *block = static_cast<uint8_t *>(pointer) - kScratchHeader;
  size_t size = *static_cast<size_t *>(block);
  if (size >= kMinCached) {
    ScratchCache &cache = scratchCache();
    std::lock_guard<std::mutex> lock(cache.mutex);
    if (cache.bytes + size <= kMaxCached) {
      cache.blocks.emplace(size, block);
      cache.bytes += size;
      return;
    }
  }
  std::free(block);
}

using Malloc = void *(*)(void *, size_t);
using Free = void (*)(void *, void *);

} // namespace

void reportError(const std::string &message) {
  if (lastError.empty())
    lastError = message;
}

Status NativeLibrary::load(const std::vector<uint8_t> &bytes,
                           const std::vector<std::string> &kernels,
                           std::shared_ptr<const NativeLibrary> &out) {
  int fd = memfd_create("dlc-kernels", MFD_CLOEXEC);
  if (fd < 0)
    return Status::error("cannot create a memory file for the native kernels");
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n <= 0) {
      close(fd);
      return Status::error("cannot write the native kernels to memory");
    }
    written += static_cast<size_t>(n);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  close(fd);
  if (!handle) {
    const char *why = dlerror();
    return Status::error(std::string("cannot load the native kernels: ") + (why ? why : "?"));
  }
  std::shared_ptr<NativeLibrary> library(new NativeLibrary());
  library->handle_ = handle;
  for (const std::string &name : kernels) {
    auto entry = reinterpret_cast<KernelEntry>(dlsym(handle, (name + "_argv").c_str()));
    if (!entry)
      return Status::error("the native kernels lack '" + name + "'");
    library->entries_.push_back(entry);
  }
  if (auto set = reinterpret_cast<SetDoParFor>(dlsym(handle, "halide_set_custom_do_par_for")))
    set(doParFor);
  if (auto set = reinterpret_cast<SetErrorHandler>(dlsym(handle, "halide_set_error_handler")))
    set(recordError);
  if (auto set = reinterpret_cast<Malloc (*)(Malloc)>(dlsym(handle, "halide_set_custom_malloc")))
    set(scratchMalloc);
  if (auto set = reinterpret_cast<Free (*)(Free)>(dlsym(handle, "halide_set_custom_free")))
    set(scratchFree);
  using BindUkernels = void (*)(const UkernelTable *);
  if (auto bind = reinterpret_cast<BindUkernels>(dlsym(handle, "dlc_bind_ukernels")))
    bind(&ukernels());
  out = std::move(library);
  return Status::ok();
}

NativeLibrary::~NativeLibrary() {
  if (handle_)
    dlclose(handle_);
}

int NativeLibrary::call(size_t index, ThreadPool *pool, void **args, std::string &error) const {
  void *userContext = pool;
  args[0] = &userContext;
  lastError.clear();
  int code = entries_[index](args);
  if (code != 0)
    error = lastError.empty() ? "Halide error " + std::to_string(code) : lastError;
  return code;
}

} // namespace dlrt::native
