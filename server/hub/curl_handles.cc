#include "server/hub/curl_handles.h"

#include <utility>

namespace tasks::hub {

void InitCurlOnce() {
  static const CURLcode initialized = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)initialized;  // a failure shows as a null handle, reported by the call that needs one
}

CurlHandlePool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), handle_(std::exchange(other.handle_, nullptr)) {}

CurlHandlePool::Lease::~Lease() {
  if (handle_ != nullptr) pool_->Release(handle_);
}

CurlHandlePool::CurlHandlePool(size_t max_idle)
    : max_idle_(max_idle), share_((InitCurlOnce(), curl_share_init())) {
  if (share_ == nullptr) return;  // handles then work unshared
  curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &CurlHandlePool::LockShare);
  curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &CurlHandlePool::UnlockShare);
  curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

CurlHandlePool::~CurlHandlePool() {
  {
    absl::MutexLock lock(&mu_);
    for (CURL* handle : idle_) curl_easy_cleanup(handle);
    idle_.clear();
  }
  // After the handles: libcurl refuses to free a share still in use.
  if (share_ != nullptr) curl_share_cleanup(share_);
}

CurlHandlePool::Lease CurlHandlePool::Acquire() {
  CURL* handle = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      handle = idle_.back();
      idle_.pop_back();
    }
  }
  if (handle == nullptr) {
    handle = curl_easy_init();
    // curl_easy_reset keeps the share: set once per handle.
    if (handle != nullptr && share_ != nullptr) curl_easy_setopt(handle, CURLOPT_SHARE, share_);
  }
  return Lease(this, handle);
}

void CurlHandlePool::Release(CURL* handle) {
  // Drops the options (and the pointers to the caller's buffers and header list they hold);
  // keeps the live connections and the share.
  curl_easy_reset(handle);
  {
    absl::MutexLock lock(&mu_);
    if (idle_.size() < max_idle_) {
      idle_.push_back(handle);
      return;
    }
  }
  curl_easy_cleanup(handle);
}

void CurlHandlePool::LockShare(CURL*, curl_lock_data data, curl_lock_access,
                               void* pool) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static_cast<CurlHandlePool*>(pool)->share_locks_[data].Lock();
}

void CurlHandlePool::UnlockShare(CURL*, curl_lock_data data,
                                 void* pool) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static_cast<CurlHandlePool*>(pool)->share_locks_[data].Unlock();
}

}  // namespace tasks::hub
