//===- ThreadPool.h - Parallel loops for the kernels -----------*- C++ -*-===//
//
// A fixed set of worker threads that run parallel loops: the loop's range is
// cut into chunks that the workers and the calling thread take in turn.
// Kernels split only across independent output elements, each computed by
// one thread in its usual order, so results do not depend on the number of
// threads.
//
// Thread safety: one parallelFor at a time per pool; a parallelFor called
// from inside another (a kernel inside a parallel kernel) runs inline.
//
// A worker that finishes a loop spins briefly (50 us) before it sleeps, so
// the next loop of the same run (a model's kernels come back to back)
// starts without a wake-up, which costs more than a small kernel.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_THREADING_THREADPOOL_H
#define DLRT_THREADING_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dlrt {

class ThreadPool {
public:
  /// `threads` in total, the caller included; 0 means one per hardware
  /// thread, 1 means no workers (loops run inline).
  explicit ThreadPool(int threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  /// Calls fn(begin, end) on disjoint chunks covering [0, count), each at
  /// least `grain` long (except the last), and returns when all are done.
  void parallelFor(int64_t count, int64_t grain,
                   const std::function<void(int64_t, int64_t)> &fn);

private:
  void work();
  bool runChunk();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t)> *task_ = nullptr;
  int64_t count_ = 0, chunk_ = 1, next_ = 0;
  std::atomic<int64_t> pending_{0}; ///< chunks not finished (written under the mutex)
  uint64_t generation_ = 0;
  /// generation_, for workers spinning without the lock.
  std::atomic<uint64_t> published_{0};
  int sleepers_ = 0; ///< workers waiting on wake_
  bool stopping_ = false;
};

} // namespace dlrt

#endif // DLRT_THREADING_THREADPOOL_H
