// AnswerMemo: answers the service computed from a Hub model info, kept so that the same request
// about the same model info, over the same registry snapshot, is answered with a copy instead of
// being computed again.
//
// An answer is keyed by all it depends on: the request (its type and bytes), the identity of the
// model info object (the Hub cache's; its address, confirmed by a weak reference, since an
// address is reused once its object is gone) and the registry snapshot (weak too). Identity gives
// the right visibility and freshness for free: a caller reaches a model info only through its own
// credentials' partition of the Hub cache, a refetched model info is a new object, and a reload is
// a new snapshot. Kept answers are bounded by the bytes the allocator gives them (LruStore).
//
// Thread-safe; never waits.
#ifndef TASKS_SERVER_SERVICE_ANSWER_MEMO_H_
#define TASKS_SERVER_SERVICE_ANSWER_MEMO_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/message.h"
#include "server/hub/hub_cache.h"
#include "server/hub/hub_client.h"
#include "server/hub/lru_store.h"
#include "server/registry/tasks_manager.h"

namespace tasks::service {

struct AnswerMemoStats {
  int64_t hits = 0;
  int64_t evictions = 0;
  int64_t entries = 0;
  int64_t bytes = 0;
};

// The Hub cache and the kept answers share one memory bound, and are reported as one cache: adds
// the memo's evictions, entries and bytes to the Hub cache's.
inline void AddTo(const AnswerMemoStats& memo, hub::HubCacheStats& totals) {
  totals.evictions += memo.evictions;
  totals.entries += memo.entries;
  totals.bytes += memo.bytes;
}

class AnswerMemo {
 public:
  explicit AnswerMemo(size_t max_bytes);

  // Copies the answer kept for `request` about `info` over `registry` into `response` (of the
  // type it was kept as); false when there is none.
  bool Find(const std::shared_ptr<const hub::ModelInfo>& info,
            const std::shared_ptr<const registry::TasksManager>& registry,
            const google::protobuf::Message& request, google::protobuf::Message& response)
      ABSL_LOCKS_EXCLUDED(mutex_);

  // Keeps a copy of `response`, the answer to `request` about `info` over `registry`.
  void Keep(const std::shared_ptr<const hub::ModelInfo>& info,
            const std::shared_ptr<const registry::TasksManager>& registry,
            const google::protobuf::Message& request, const google::protobuf::Message& response)
      ABSL_LOCKS_EXCLUDED(mutex_);

  AnswerMemoStats Stats() const ABSL_LOCKS_EXCLUDED(mutex_);

 private:
  struct Kept {
    std::weak_ptr<const hub::ModelInfo> info;
    std::weak_ptr<const registry::TasksManager> registry;
    std::shared_ptr<const google::protobuf::Message> response;
  };

  mutable absl::Mutex mutex_;
  hub::LruStore<Kept> store_ ABSL_GUARDED_BY(mutex_);
  int64_t hits_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_ANSWER_MEMO_H_
