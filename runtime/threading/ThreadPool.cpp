//===- ThreadPool.cpp - Parallel loops for the kernels --------------------===//

#include "threading/ThreadPool.h"

#include <algorithm>

namespace dlrt {

namespace {
thread_local bool insideParallelFor = false;
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
  uint64_t seen = 0;
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || (task_ && generation_ != seen && next_ < count_); });
    if (stopping_)
      return;
    seen = generation_;
    while (runChunk()) {
    }
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
  // About four chunks per thread balance uneven chunks without much overhead.
  int64_t chunks = std::min<int64_t>(count / grain, int64_t(threads()) * 4);
  chunk_ = (count + chunks - 1) / chunks;
  count_ = count;
  next_ = 0;
  pending_ = (count + chunk_ - 1) / chunk_;
  task_ = &fn;
  ++generation_;
  wake_.notify_all();
  while (runChunk()) {
  }
  done_.wait(lock, [&] { return pending_ == 0; });
  task_ = nullptr;
}

} // namespace dlrt
