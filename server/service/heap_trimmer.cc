#include "server/service/heap_trimmer.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace tasks::service {

HeapTrimmer::HeapTrimmer(absl::Duration interval, size_t max_free_bytes)
    : thread_([this, interval, max_free_bytes] {
        while (!stop_.WaitForNotificationWithTimeout(interval)) TrimIfIdle(max_free_bytes);
      }) {}

HeapTrimmer::~HeapTrimmer() {
  stop_.Notify();
  thread_.join();
}

bool HeapTrimmer::TrimIfIdle(size_t max_free_bytes) {
#ifdef __GLIBC__
  // fordblks: bytes in free chunks of every arena (not the memory mmapped for large blocks,
  // which free returns at once).
  if (mallinfo2().fordblks <= max_free_bytes) return false;
  malloc_trim(0);
  return true;
#else
  return false;
#endif
}

}  // namespace tasks::service
