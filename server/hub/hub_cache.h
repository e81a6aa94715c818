// HubCache: the in-memory cache in front of a HubClient, so a fleet asking about one model costs
// the Hub one request. This class is the policy; the parts it uses are an LruStore (the byte
// bound) and a Singleflight (one request per key).
//
// - Model info is keyed by (repo, revision): fresh for `model_info_ttl`, then refetched; when the
//   Hub fails (unreachable, 5xx, rate-limited, timed out) an expired entry younger than
//   `max_stale` is served instead, marked stale; a caller that has one waits for the Hub only
//   until `stale_answer_margin` before its deadline, so that it gets the stale answer in time
//   (whoever's request it waits for). A commit's files and listing are keyed by
//   (repo, commit sha[, path]) and never expire. Not-found answers are kept `negative_ttl`.
// - Concurrent misses for one key make one upstream request (Singleflight). If its owner's
//   deadline or cancellation cuts it short, a waiter with time left makes it again.
// - Bounded by bytes (what the allocator hands out for each answer); past `max_bytes`, least
//   recently used entries go, and the memory they freed is handed back to the OS (at most once
//   per `release_interval`), so that RSS follows the bound.
// - Partitioned by credentials: an answer is shared by every caller only when the repo is public
//   (IsPublic of its model info: proven so by the Hub's answer; a commit's files follow their
//   model info); anything else, and every error, is kept under a keyed hash of the caller's
//   token, and served only to callers presenting the same token. Tokens themselves are never
//   stored.
// - With a SharedCache (the fleet's Redis), a miss in memory looks there before asking the Hub,
//   under the same partitions: public answers under one key for everybody, anonymous callers'
//   under another, a token's under a name the SharedCache derives from it with the fleet's
//   secret (without that secret, they stay in memory). An answer fetched from the Hub is written
//   there with its lifetime. Fleet-wide singleflight: the process that finds nothing takes a
//   lease on the question, asks the Hub, writes the answer and lets the lease go; the others
//   poll, with backoff, for its answer until their deadline, and ask the Hub themselves only when
//   they get the lease (it expired unanswered, or was let go after a Hub error) or the
//   SharedCache is not answering.
//
// Thread-safe. Peek* never wait; Get* and ListRepoFiles block until an answer or the end of
// their WaitLimits: run them on threads made for waiting (see worker_pool.h).
#ifndef TASKS_SERVER_HUB_HUB_CACHE_H_
#define TASKS_SERVER_HUB_HUB_CACHE_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "server/common/cancellation.h"
#include "server/hub/answer_codec.h"
#include "server/hub/hub_client.h"
#include "server/hub/lru_store.h"
#include "server/hub/shared_cache.h"
#include "server/hub/singleflight.h"

namespace tasks::hub {

// Hands the pages of freed memory back to the OS (glibc's malloc_trim). glibc keeps what an
// evicted entry freed in its arenas, so a churning cache's RSS would creep past its bound.
void ReleaseFreedMemory();

struct HubCacheOptions {
  size_t max_bytes = 64 << 20;
  absl::Duration model_info_ttl = absl::Minutes(5);
  absl::Duration negative_ttl = absl::Seconds(30);
  absl::Duration max_stale = absl::Hours(24);
  // With a stale answer to fall back on, a caller stops waiting for the Hub this long before its
  // deadline, to have time to answer with it.
  absl::Duration stale_answer_margin = absl::Milliseconds(250);
  std::function<absl::Time()> now = absl::Now;  // injected in tests
  // Called, outside the cache's lock, after a request whose answer evicted entries; at most once
  // per `release_interval`, since it walks the allocator's free lists. Injected in tests.
  std::function<void()> release_freed_memory = ReleaseFreedMemory;
  absl::Duration release_interval = absl::Milliseconds(250);

  // The fleet's second level (none: this process's memory only), and how it is used.
  std::shared_ptr<SharedCache> shared;
  // How long a process asking the Hub for the fleet may take before others ask in its place.
  absl::Duration lease_ttl = absl::Seconds(5);
  // How long a commit's files stay in the SharedCache (in memory they never expire; there, its
  // memory policy evicts them sooner under pressure).
  absl::Duration shared_immutable_ttl = absl::Hours(24);
  // The first and the longest pause between two looks for another process's answer.
  absl::Duration lease_poll_min = absl::Milliseconds(5);
  absl::Duration lease_poll_max = absl::Milliseconds(100);
};

// Where an answer came from.
enum class AnswerSource { kHub, kCache, kStaleCache };

template <typename T>
struct CachedAnswer {
  std::shared_ptr<const T> value;
  AnswerSource source;
};

// An answer, or nothing when getting one would mean waiting.
template <typename T>
using Peeked = std::optional<absl::StatusOr<CachedAnswer<T>>>;

struct HubCacheStats {
  int64_t hits = 0;
  int64_t misses = 0;
  int64_t coalesced = 0;  // misses that waited for another caller's request
  int64_t stale_served = 0;
  int64_t evictions = 0;
  int64_t entries = 0;
  int64_t bytes = 0;
  // The SharedCache: answers found there and misses (before asking the Hub), waits for another
  // process's answer and leases taken over after such a wait, and the SharedCache's own counts.
  int64_t shared_hits = 0;
  int64_t shared_misses = 0;
  int64_t lease_waits = 0;
  int64_t lease_takeovers = 0;
  SharedCacheStats shared;
  // Upstream requests by endpoint and outcome.
  std::map<std::pair<HubCall, absl::StatusCode>, int64_t> upstream;
};

class HubCache {
 public:
  HubCache(HubClient* client, HubCacheOptions options);

  Peeked<ModelInfo> PeekModelInfo(absl::string_view repo_id, absl::string_view revision,
                                  const Credentials& credentials);
  absl::StatusOr<CachedAnswer<ModelInfo>> GetModelInfo(absl::string_view repo_id,
                                                       absl::string_view revision,
                                                       const Credentials& credentials,
                                                       const WaitLimits& limits);

  // A JSON file of the commit `info` (this cache's answer for `repo_id`) resolved to, parsed by
  // `parse` and kept parsed, so a warm answer costs no parsing. A `parse` failure is returned as
  // is, and not kept.
  using JsonParser = std::function<absl::StatusOr<nlohmann::json>(const std::string& text)>;
  absl::StatusOr<CachedAnswer<nlohmann::json>> GetJsonFile(
      absl::string_view repo_id, const ModelInfo& info, absl::string_view path,
      const Credentials& credentials, const WaitLimits& limits, const JsonParser& parse);

  // Every file of the commit `info` resolved to, sorted, for model info without `siblings`
  // (some mirrors omit them).
  Peeked<std::vector<std::string>> PeekRepoFiles(absl::string_view repo_id, const ModelInfo& info,
                                                 const Credentials& credentials);
  absl::StatusOr<CachedAnswer<std::vector<std::string>>> ListRepoFiles(
      absl::string_view repo_id, const ModelInfo& info, const Credentials& credentials,
      const WaitLimits& limits);

  HubCacheStats Stats() const;
  // Whether a SharedCache (the fleet's) is behind this one.
  bool has_shared_cache() const { return options_.shared != nullptr; }

 private:
  using Value = HubAnswer;
  struct Stored {
    absl::StatusOr<Value> answer;
    bool expires;  // model info expires; a commit's files do not
  };
  struct Found {
    Value value;
    AnswerSource source;
  };
  // The key of a question in the shared partition and in the caller's own.
  struct Keys {
    std::string shared;
    std::string own;
    std::string what;           // the question
    absl::string_view token;    // the caller's, for the SharedCache's partition (not stored)
  };
  // The keys of a question in the SharedCache, and its lease there.
  struct SharedKeys {
    std::string shared;
    std::optional<std::string> own;  // none: the caller's answers stay in memory
    bool lease = false;              // this process holds the lease
  };
  // One kind of question: how to ask the Hub, and what to know about the answer.
  struct Question {
    HubCall call;  // model info expires; a commit's files do not
    // Whether anyone may be served the answer: known before asking for a commit's files (from
    // their model info), read from the answer for model info (nullopt).
    std::optional<bool> shared;
    std::function<absl::StatusOr<Value>(const WaitLimits& upstream)> fetch;
  };

  Keys KeysFor(absl::string_view what, const Credentials& credentials) const;
  // A fresh stored answer for `keys`, if any.
  std::optional<absl::StatusOr<Value>> FindFresh(const Keys& keys)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  std::optional<absl::StatusOr<Found>> Peek(const Keys& keys) ABSL_LOCKS_EXCLUDED(mutex_);
  absl::StatusOr<Found> Get(const Keys& keys, const WaitLimits& limits, const Question& question)
      ABSL_LOCKS_EXCLUDED(mutex_);
  // The owner's part of a miss: the request, then its answer stored.
  absl::StatusOr<Found> Fetch(const Keys& keys, const WaitLimits& upstream,
                              const Question& question) ABSL_LOCKS_EXCLUDED(mutex_);
  // The SharedCache's keys for `keys`.
  SharedKeys SharedKeysFor(const Keys& keys) const;
  // The SharedCache's answer for `keys`, waiting for another process's while it holds the lease;
  // nullopt when this process is to ask the Hub (with the lease, if `shared.lease`).
  std::optional<absl::StatusOr<Found>> FindShared(const Keys& keys, SharedKeys& shared,
                                                   const Question& question,
                                                   const WaitLimits& limits)
      ABSL_LOCKS_EXCLUDED(mutex_);
  // The answer under one of `shared`'s keys, if any (then kept in memory too).
  std::optional<absl::StatusOr<Found>> LookShared(const Keys& keys, const SharedKeys& shared,
                                                   const Question& question)
      ABSL_LOCKS_EXCLUDED(mutex_);
  // Writes `fetched` to the SharedCache (as the partitions allow), then gives the lease up.
  void PutShared(const SharedKeys& shared, const absl::StatusOr<Value>& fetched, bool is_public,
                 HubCall call, absl::Time when);
  // The lease of a question whose caller has a partition in the SharedCache (`shared.own`).
  static std::string LeaseKey(const SharedKeys& shared);
  // When a caller due at `deadline` stops waiting for the Hub to fall back on a stale answer:
  // `stale_answer_margin` before it, or halfway there when less time is left.
  absl::Time AnswerBy(absl::Time deadline) const;
  // An expired answer (younger than max_stale) the caller of `keys` may be shown.
  std::optional<Value> FindStale(const Keys& keys) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  bool HasStale(const Keys& keys) const ABSL_LOCKS_EXCLUDED(mutex_);
  // FindStale's answer, counted as served.
  std::optional<Found> ServeStale(const Keys& keys) ABSL_LOCKS_EXCLUDED(mutex_);
  // Keeps `answer`, fetched from the Hub at `fetched`.
  void Store(const std::string& key, absl::StatusOr<Value> answer, bool expires, absl::Time fetched)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  bool IsFresh(const LruStore<Stored>::Entry& entry, absl::Time now) const;
  // Whether to hand freed memory back now (outside the lock): after evictions, once an interval.
  bool TakeReleaseTurn() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  template <typename T>
  static absl::StatusOr<CachedAnswer<T>> Typed(absl::StatusOr<Found> answer);
  template <typename T>
  static Peeked<T> Typed(std::optional<absl::StatusOr<Found>> answer);

  HubClient* const client_;
  const HubCacheOptions options_;
  const std::string partition_key_;  // random per process: hashes mean nothing elsewhere
  Singleflight<Found> flights_;

  mutable absl::Mutex mutex_;
  LruStore<Stored> store_ ABSL_GUARDED_BY(mutex_);
  HubCacheStats stats_ ABSL_GUARDED_BY(mutex_);
  bool evicted_since_release_ ABSL_GUARDED_BY(mutex_) = false;
  absl::Time last_release_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
};

}  // namespace tasks::hub

#endif  // TASKS_SERVER_HUB_HUB_CACHE_H_
