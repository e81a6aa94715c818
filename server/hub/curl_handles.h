// libcurl easy handles kept for reuse across calls and threads.
//
// A handle keeps its connection cache (and so its open, TLS-established keep-alive connections)
// from one transfer to the next; the pool hands out the most recently returned one first, so a
// steady stream of calls runs on warm connections. All handles share one CURLSH for the DNS cache
// and TLS session tickets, so even a new handle skips lookups and full handshakes. Connections
// stay out of the share: each handle's own cache already reuses them, and one shared cache would
// make every transfer of every thread take the same lock.
#ifndef TASKS_SERVER_HUB_CURL_HANDLES_H_
#define TASKS_SERVER_HUB_CURL_HANDLES_H_

#include <curl/curl.h>

#include <cstddef>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace tasks::hub {

// Calls curl_global_init once per process (never cleaned up: other code may use libcurl too).
void InitCurlOnce();

class CurlHandlePool {
 public:
  // A handle out of the pool, with every option at its default except the share. Returned to
  // the pool (options reset, connections kept) when destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    CURL* get() const { return handle_; }  // nullptr if libcurl could not allocate one

   private:
    friend class CurlHandlePool;
    Lease(CurlHandlePool* pool, CURL* handle) : pool_(pool), handle_(handle) {}
    CurlHandlePool* pool_;
    CURL* handle_;
  };

  // Keeps at most `max_idle` idle handles; more are made on demand and freed when returned.
  explicit CurlHandlePool(size_t max_idle);
  CurlHandlePool(const CurlHandlePool&) = delete;
  CurlHandlePool& operator=(const CurlHandlePool&) = delete;
  // Every Lease must be gone by then.
  ~CurlHandlePool();

  Lease Acquire();

 private:
  void Release(CURL* handle);
  static void LockShare(CURL* handle, curl_lock_data data, curl_lock_access access, void* pool);
  static void UnlockShare(CURL* handle, curl_lock_data data, void* pool);

  const size_t max_idle_;
  CURLSH* const share_;
  // One lock per kind of shared data, as libcurl asks for (it locks them independently).
  absl::Mutex share_locks_[CURL_LOCK_DATA_LAST];
  absl::Mutex mu_;
  std::vector<CURL*> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tasks::hub

#endif  // TASKS_SERVER_HUB_CURL_HANDLES_H_
