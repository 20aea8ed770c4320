#include "threads.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace kit {
namespace {

// One job at a time: a mutex guards the claim counter. Tasks are coarse (tens of microseconds
// or more), so a lock per claim costs nothing measurable and keeps the protocol obvious.
struct Pool {
  std::mutex m;
  std::condition_variable work_cv, done_cv;
  const TaskFn* fn = nullptr;
  int ntasks = 0, next = 0, done = 0;
  bool stop = false;
  std::vector<std::thread> workers;
  // Serialises callers: the addon may be used from several JS threads (worker_threads).
  std::mutex caller;

  void worker_loop() {
    std::unique_lock<std::mutex> lk(m);
    for (;;) {
      work_cv.wait(lk, [&] { return stop || next < ntasks; });
      if (stop) return;
      int t = next++;
      const TaskFn* f = fn;
      lk.unlock();
      (*f)(t);
      lk.lock();
      if (++done == ntasks) done_cv.notify_one();
    }
  }

  void resize(int nthreads) {
    {
      std::lock_guard<std::mutex> lk(m);
      stop = true;
    }
    work_cv.notify_all();
    for (auto& w : workers) w.join();
    workers.clear();
    stop = false;
    for (int i = 1; i < nthreads; i++) workers.emplace_back([this] { worker_loop(); });
  }

  ~Pool() { resize(1); }
};

Pool& pool() {
  static Pool p;
  return p;
}

int g_threads = 1;

}  // namespace

void set_num_threads(int n) {
  if (n < 1) n = 1;
  Pool& p = pool();
  std::lock_guard<std::mutex> c(p.caller);
  p.resize(n);
  g_threads = n;
}

int num_threads() { return g_threads; }

void parallel_for(int ntasks, const TaskFn& fn) {
  if (ntasks <= 0) return;
  Pool& p = pool();
  std::unique_lock<std::mutex> busy(p.caller, std::try_to_lock);
  // Inline when there is nothing to share, or when another JS thread holds the pool.
  if (!busy.owns_lock() || ntasks == 1 || p.workers.empty()) {
    for (int t = 0; t < ntasks; t++) fn(t);
    return;
  }
  std::unique_lock<std::mutex> lk(p.m);
  p.fn = &fn;
  p.ntasks = ntasks;
  p.next = 0;
  p.done = 0;
  p.work_cv.notify_all();
  while (p.next < p.ntasks) {
    int t = p.next++;
    lk.unlock();
    fn(t);
    lk.lock();
    ++p.done;
  }
  p.done_cv.wait(lk, [&] { return p.done == p.ntasks; });
  p.ntasks = 0;
  p.next = 0;
  p.fn = nullptr;
}

}  // namespace kit
