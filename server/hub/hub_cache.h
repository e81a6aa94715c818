// HubCache: the in-memory cache in front of a HubClient, so a fleet asking about one model costs
// the Hub one request.
//
// - Model info is keyed by (repo, revision): fresh for `model_info_ttl`, then refetched; when the
//   Hub fails (unreachable, 5xx, rate-limited, timed out) an expired entry younger than
//   `max_stale` is served instead, marked stale. Files are keyed by (repo, commit sha, path) and
//   never expire (a commit's files cannot change). Not-found answers are kept `negative_ttl`.
// - Singleflight: concurrent misses for one key make one upstream request; the others wait for
//   it (each until its own deadline) and count as coalesced. The request is bounded by its
//   owner's deadline; if that cuts it short, a waiter with time left makes it again. When every
//   waiter has gone (its call cancelled, see cancellation.h, or past its deadline), the request
//   is abandoned.
// - Bounded by bytes: least recently used entries are evicted past `max_bytes`, and the memory
//   they freed is handed back to the OS (at most 4 times a second), so that RSS follows the bound.
// - Partitioned by credentials: an answer is shared by every caller only when the repo's model
//   info says it is neither private nor gated; anything else (and every error) is kept under a
//   keyed hash of the caller's token, and served only to callers presenting the same token.
//   Tokens themselves are never stored.
// - Derived answers: what a caller computed from a model info (a whole inference answer) can be
//   kept beside it, under the same bound and LRU, so that a warm call need not compute it again.
//   It is found only with the very model info object it was derived from: a caller reaches that
//   object only through its own credentials' partition, and a refetched model info is a new
//   object, so a derived answer shares the model info's visibility and freshness.
//
// Thread-safe. Calls block until an answer or the deadline: run them on threads made for
// waiting (see worker_pool.h), never on gRPC callback threads.
#ifndef TASKS_SERVER_HUB_HUB_CACHE_H_
#define TASKS_SERVER_HUB_HUB_CACHE_H_

#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "server/common/cancellation.h"
#include "server/hub/hub_client.h"

namespace tasks::hub {

// Hands the pages of freed memory back to the OS (glibc's malloc_trim). glibc keeps what an
// evicted entry freed in its arenas, so a churning cache's RSS would creep past its bound.
void ReleaseFreedMemory();

struct HubCacheOptions {
  size_t max_bytes = 64 << 20;
  absl::Duration model_info_ttl = absl::Minutes(5);
  absl::Duration negative_ttl = absl::Seconds(30);
  absl::Duration max_stale = absl::Hours(24);
  std::function<absl::Time()> now = absl::Now;  // injected in tests
  // Called, outside the cache's lock, after a request whose answer evicted entries; at most once
  // per `release_interval`, since it walks the allocator's free lists. Injected in tests.
  std::function<void()> release_freed_memory = ReleaseFreedMemory;
  absl::Duration release_interval = absl::Milliseconds(250);
};

// Where an answer came from.
enum class AnswerSource { kHub, kCache, kStaleCache };

template <typename T>
struct CachedAnswer {
  std::shared_ptr<const T> value;
  AnswerSource source;
};

struct HubCacheStats {
  int64_t hits = 0;
  int64_t misses = 0;
  int64_t coalesced = 0;  // misses that waited for another caller's request
  int64_t stale_served = 0;
  int64_t derived_hits = 0;  // derived answers found (not counted in hits)
  int64_t evictions = 0;
  int64_t entries = 0;
  int64_t bytes = 0;
  // Upstream requests by "<endpoint> <status code name>", e.g. "model_info OK".
  std::map<std::string, int64_t> upstream;
};

class HubCache {
 public:
  HubCache(HubClient* client, HubCacheOptions options);
  ~HubCache();

  absl::StatusOr<CachedAnswer<ModelInfo>> GetModelInfo(absl::string_view repo_id,
                                                       absl::string_view revision,
                                                       const Credentials& credentials,
                                                       absl::Time deadline);

  // A JSON file of commit `sha` (from the model info), parsed by `parse` and kept parsed, so a
  // warm answer costs no parsing. `shared` says whether the repo is public, so that the file may
  // be served to anyone. A `parse` failure is returned as is, and not kept.
  using JsonParser = std::function<absl::StatusOr<nlohmann::json>(const std::string& text)>;
  absl::StatusOr<CachedAnswer<nlohmann::json>> GetJsonFile(
      absl::string_view repo_id, absl::string_view sha, absl::string_view path, bool shared,
      const Credentials& credentials, absl::Time deadline, const JsonParser& parse);

  // Every file of commit `sha`, sorted, for model info without `siblings` (some mirrors omit
  // them).
  absl::StatusOr<CachedAnswer<std::vector<std::string>>> ListRepoFiles(
      absl::string_view repo_id, absl::string_view sha, bool shared, const Credentials& credentials,
      absl::Time deadline);

  // The answer derived from `info` and stored under `what` (which names its type T), or null.
  // Memory only: never blocks.
  template <typename T>
  std::shared_ptr<const T> FindDerived(const std::shared_ptr<const ModelInfo>& info,
                                       absl::string_view what) {
    return std::static_pointer_cast<const T>(FindDerivedValue(info, what));
  }
  // Keeps `answer`, derived from `info`, under `what`. `heap_bytes`: what it holds on the heap
  // beyond itself (StringHeapBytes helps), so that the byte bound counts it.
  template <typename T>
  void StoreDerived(const std::shared_ptr<const ModelInfo>& info, absl::string_view what,
                    std::shared_ptr<const T> answer, size_t heap_bytes) {
    StoreDerivedValue(info, what, std::move(answer), sizeof(T) + heap_bytes);
  }

  HubCacheStats Stats() const;

 private:
  struct Entry;
  struct Flight;
  using Value = std::shared_ptr<const void>;

  // How to fetch one kind of answer and what to know about it.
  struct Fetcher {
    const char* endpoint;  // for the upstream statistics
    bool expires;          // model info expires; a commit's files do not
    std::function<absl::StatusOr<Value>()> fetch;
    std::function<bool(const void*)> is_shared;  // may anyone be served this answer
    std::function<size_t(const void*)> size_of;
  };

  template <typename T, typename Fetch, typename IsShared, typename SizeOf>
  absl::StatusOr<CachedAnswer<T>> Get(const std::string& what, const Credentials& credentials,
                                      absl::Time deadline, const char* endpoint, bool expires,
                                      Fetch fetch, IsShared is_shared, SizeOf size_of);

  std::shared_ptr<const void> FindDerivedValue(const std::shared_ptr<const ModelInfo>& info,
                                               absl::string_view what);
  void StoreDerivedValue(const std::shared_ptr<const ModelInfo>& info, absl::string_view what,
                         std::shared_ptr<const void> answer, size_t bytes);

  // The key of `what` in the shared partition, and in the caller's own.
  std::pair<std::string, std::string> Keys(absl::string_view what,
                                           const Credentials& credentials) const;
  absl::StatusOr<CachedAnswer<void>> Lookup(const std::pair<std::string, std::string>& keys,
                                            absl::Time deadline, const Fetcher& fetcher);
  // The owner's part: the request, then the answer stored and handed to the waiters.
  absl::StatusOr<CachedAnswer<void>> MakeRequest(const std::pair<std::string, std::string>& keys,
                                                 Flight& flight, const Fetcher& fetcher)
      ABSL_LOCKS_EXCLUDED(mutex_);
  // The waiters' part: until the owner's answer, the deadline or the caller's cancellation.
  absl::StatusOr<CachedAnswer<void>> AwaitRequest(Flight& flight, const Cancellation* caller,
                                                  absl::Time deadline) ABSL_LOCKS_EXCLUDED(mutex_);
  // Stores `answer` under `key` and evicts past the byte bound.
  void Store(const std::string& key, absl::StatusOr<Value> answer, size_t bytes, bool expires,
             std::weak_ptr<const void> derived_from = {}) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  bool IsFresh(const Entry& entry, absl::Time now) const;
  // Whether to hand freed memory back now (outside the lock): after evictions, once an interval.
  bool TakeReleaseTurn() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  HubClient* const client_;
  const HubCacheOptions options_;
  const std::string partition_key_;  // random per process: hashes mean nothing elsewhere

  mutable absl::Mutex mutex_;
  std::list<std::string> lru_ ABSL_GUARDED_BY(mutex_);  // front: most recently used
  absl::flat_hash_map<std::string, std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_map<std::string, std::shared_ptr<Flight>> flights_ ABSL_GUARDED_BY(mutex_);
  HubCacheStats stats_ ABSL_GUARDED_BY(mutex_);
  bool evicted_since_release_ ABSL_GUARDED_BY(mutex_) = false;
  absl::Time last_release_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
};

const char* AnswerSourceName(AnswerSource source);

// The heap bytes behind a std::string, malloc's own header included (none for a short string,
// kept inside the object).
size_t StringHeapBytes(const std::string& text);

}  // namespace tasks::hub

#endif  // TASKS_SERVER_HUB_HUB_CACHE_H_
