// HeapTrimmer: hands memory the process freed back to the OS when much of it lies unused.
//
// glibc keeps freed heap memory for reuse and returns it only from the top of the heap: after a
// burst of calls (an HTTP/2 rapid reset made gRPC 1.51 hold thousands of calls at once) the
// pages stayed resident, counted against the container's memory limit, with nothing in them.
// A thread looks every `interval` at the bytes free inside the heap (mallinfo2) and, past
// `max_free_bytes`, calls malloc_trim. Owns its thread; stops it when destroyed.
#ifndef TASKS_SERVER_SERVICE_HEAP_TRIMMER_H_
#define TASKS_SERVER_SERVICE_HEAP_TRIMMER_H_

#include <cstddef>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace tasks::service {

class HeapTrimmer {
 public:
  HeapTrimmer(absl::Duration interval, size_t max_free_bytes);
  ~HeapTrimmer();
  HeapTrimmer(const HeapTrimmer&) = delete;
  HeapTrimmer& operator=(const HeapTrimmer&) = delete;

  // Trims when more than `max_free_bytes` lie free in the heap; returns whether it did.
  static bool TrimIfIdle(size_t max_free_bytes);

 private:
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_HEAP_TRIMMER_H_
