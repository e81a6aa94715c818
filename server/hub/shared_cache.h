// SharedCache: a second cache level shared by a fleet of servers (Redis: server/fleet_cache/),
// behind HubCache's in-memory one, so that N replicas or sidecars asking about one model cost
// the Hub what one asks. HubCache hands it encoded answers (answer_codec.h) under keys it builds
// from the question and the caller's partition; the implementation decides how they are kept and
// authenticated, so that a value it hands back is one a server of the fleet wrote under that key.
//
// Nothing here fails: a shared cache in trouble gives a miss, skips a write, grants no lease,
// each bounded in time by the implementation and counted in its Stats. Thread-safe; calls block
// for at most the implementation's timeout.
#ifndef TASKS_SERVER_HUB_SHARED_CACHE_H_
#define TASKS_SERVER_HUB_SHARED_CACHE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tasks::hub {

struct SharedCacheStats {
  int64_t errors = 0;    // commands that failed or timed out (and connections that did)
  int64_t skipped = 0;   // commands not sent while the circuit breaker was open
  int64_t rejected = 0;  // values that failed authentication or were malformed: never served
};

class SharedCache {
 public:
  enum class Lease {
    kOurs,         // taken: this process asks the Hub, then writes the answer
    kHeld,         // another process holds it: its answer will come
    kUnavailable,  // the shared cache is not answering: nobody coordinates
  };

  virtual ~SharedCache() = default;

  // The partition name of answers only the holder of `token` may be shown, derived from it with
  // the fleet's secret; nullopt when there is no such secret: those answers stay in memory.
  virtual std::optional<std::string> TokenPartition(absl::string_view token) const = 0;

  // The value under each key, in order: nullopt where none, or none that is authentic.
  virtual std::vector<std::optional<std::string>> Get(const std::vector<std::string>& keys) = 0;
  // Keeps `value` under `key` for `ttl`; false when it was not written (too large, trouble).
  virtual bool Put(const std::string& key, absl::string_view value, absl::Duration ttl) = 0;

  // Takes the lease `key` for `ttl` unless another process holds it.
  virtual Lease TakeLease(const std::string& key, absl::Duration ttl) = 0;
  // Gives up a lease this process took, once its answer is written (or could not be), so that
  // waiters look again at once.
  virtual void ReleaseLease(const std::string& key) = 0;

  virtual SharedCacheStats Stats() const = 0;
};

}  // namespace tasks::hub

#endif  // TASKS_SERVER_HUB_SHARED_CACHE_H_
