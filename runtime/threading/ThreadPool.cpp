//===- ThreadPool.cpp - Parallel loops for the kernels --------------------===//

#include "threading/ThreadPool.h"

#include <algorithm>
#include <chrono>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DLRT_PAUSE() _mm_pause()
#else
#define DLRT_PAUSE() ((void)0)
#endif

namespace dlrt {

namespace {
thread_local bool insideParallelFor = false;

/// Spins until `done()` or about `micros` microseconds have passed; true
/// if done.
template <typename Done> bool spinUntil(Done done, int micros) {
  auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(micros);
  for (int spins = 1;; ++spins) {
    if (done())
      return true;
    DLRT_PAUSE();
    if ((spins & 255) == 0 && std::chrono::steady_clock::now() > until)
      return false;
  }
}
} // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0)
    threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < threads; ++i)
    workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread &worker : workers_)
    worker.join();
}

/// Takes the next chunk of the current loop and runs it; false if none is
/// left. Called with the mutex held; runs the chunk without it.
bool ThreadPool::runChunk() {
  if (!task_ || next_ >= count_)
    return false;
  int64_t begin = next_, end = std::min(count_, begin + chunk_);
  next_ = end;
  const std::function<void(int64_t, int64_t)> &fn = *task_;
  mutex_.unlock();
  insideParallelFor = true;
  fn(begin, end);
  insideParallelFor = false;
  mutex_.lock();
  if (--pending_ == 0)
    done_.notify_all();
  return true;
}

void ThreadPool::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    while (runChunk()) {
    }
    if (stopping_)
      return;
    // Spin a while for the next loop (its chunks may all be taken by the
    // time we look: then spin on), sleep only after a quiet 50 us.
    uint64_t current = generation_;
    lock.unlock();
    bool next = spinUntil([&] { return published_.load(std::memory_order_acquire) != current; }, 50);
    lock.lock();
    if (next)
      continue;
    ++sleepers_;
    wake_.wait(lock, [&] { return stopping_ || generation_ != current; });
    --sleepers_;
  }
}

void ThreadPool::parallelFor(int64_t count, int64_t grain,
                             const std::function<void(int64_t, int64_t)> &fn) {
  if (count <= 0)
    return;
  grain = std::max<int64_t>(grain, 1);
  if (workers_.empty() || insideParallelFor || count <= grain) {
    fn(0, count);
    return;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  // About four chunks per thread balance uneven chunks without much
  // overhead. (Chunks of at least `grain`, the last one shorter: 49 tasks
  // at a grain of 25 are 2 chunks, not one.)
  int64_t chunks = std::min<int64_t>((count + grain - 1) / grain, int64_t(threads()) * 4);
  chunk_ = (count + chunks - 1) / chunks;
  count_ = count;
  next_ = 0;
  pending_ = (count + chunk_ - 1) / chunk_;
  task_ = &fn;
  ++generation_;
  published_.store(generation_, std::memory_order_release);
  if (sleepers_ > 0) // (spinning workers see published_)
    wake_.notify_all();
  while (runChunk()) {
  }
  // The workers' last chunks: spin first (they are often short), then sleep.
  if (pending_ > 0) {
    lock.unlock();
    spinUntil([&] { return pending_.load(std::memory_order_acquire) == 0; }, 50);
    lock.lock();
  }
  done_.wait(lock, [&] { return pending_ == 0; });
  task_ = nullptr;
}

} // namespace dlrt
