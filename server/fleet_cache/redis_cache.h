// RedisCache: the fleet's SharedCache on Redis (or Valkey, or a managed Redis: plain RESP
// commands only: MGET, SET PX, SET NX PX, EVAL). Values are sealed (value_seal.h): one that does
// not open is a miss, counted as rejected and logged, never served.
//
// Redis trouble never fails a call: each command waits at most `timeout` (hiredis's blocking
// context, with its socket timeouts); a failed command drops its connection and opens a circuit
// breaker that skips Redis for `breaker_open`; the next command after that reconnects. Values
// larger than `max_value_bytes` are not written.
//
// Thread-safe: connections are pooled (one per thread using it at once, kept for reuse).
#ifndef TASKS_SERVER_FLEET_CACHE_REDIS_CACHE_H_
#define TASKS_SERVER_FLEET_CACHE_REDIS_CACHE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/fleet_cache/value_seal.h"
#include "server/hub/shared_cache.h"

struct redisContext;
struct redisReply;

namespace tasks::fleet_cache {

struct RedisCacheOptions {
  std::string address;   // host:port, or unix:/path/to/socket
  std::string password;  // empty: no AUTH
  std::string key_prefix = "tasks:";
  absl::Duration timeout = absl::Milliseconds(50);
  absl::Duration breaker_open = absl::Seconds(1);
  size_t max_value_bytes = size_t{1} << 20;
  std::string value_secret;      // authenticates values: required
  std::string partition_secret;  // names tokens' partitions: empty, none
};

// Whether `address` is one RedisCache connects to: nothing when it is, else what is wrong.
absl::Status CheckRedisAddress(absl::string_view address);

class RedisCache final : public hub::SharedCache {
 public:
  // Checks the options; connects lazily (a Redis down at start-up is a miss like any other).
  static absl::StatusOr<std::unique_ptr<RedisCache>> Create(RedisCacheOptions options);
  ~RedisCache() override;

  std::optional<std::string> TokenPartition(absl::string_view token) const override;
  std::vector<std::optional<std::string>> Get(const std::vector<std::string>& keys) override;
  bool Put(const std::string& key, absl::string_view value, absl::Duration ttl) override;
  Lease TakeLease(const std::string& key, absl::Duration ttl) override;
  void ReleaseLease(const std::string& key) override;
  hub::SharedCacheStats Stats() const override;

 private:
  struct ReplyDeleter {
    void operator()(redisReply* reply) const;
  };
  using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

  RedisCache(RedisCacheOptions options, std::string host, int port);

  // The reply to the command `args`, or null after trouble (counted, logged, breaker opened) or
  // while the breaker is open (counted as skipped).
  Reply Command(const std::vector<std::string>& args) ABSL_LOCKS_EXCLUDED(mutex_);
  struct Connection {
    redisContext* context = nullptr;  // owned by whoever holds the Connection
    bool reused = false;              // from the pool, not just made
  };
  // A pooled connection, or a new one; none while the breaker is open or when connecting fails.
  Connection Checkout() ABSL_LOCKS_EXCLUDED(mutex_);
  // A new connection (its failure counted as trouble), or none.
  Connection Connect() ABSL_LOCKS_EXCLUDED(mutex_);
  // A new connection with AUTH done; null (with what failed in `error`) otherwise.
  redisContext* Dial(std::string& error) const;
  // Counts an error, opens the breaker (logging that it did), drops the idle connections.
  void Trouble(const std::string& what) ABSL_LOCKS_EXCLUDED(mutex_);
  std::string FullKey(absl::string_view key) const { return options_.key_prefix + std::string(key); }

  const RedisCacheOptions options_;
  const std::string host_;  // or the socket path when port_ < 0
  const int port_;
  const ValueSeal seal_;
  const std::string lease_holder_;  // this process, in the leases it takes

  mutable absl::Mutex mutex_;
  std::vector<redisContext*> idle_ ABSL_GUARDED_BY(mutex_);
  absl::Time closed_until_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  absl::Time last_rejected_log_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  hub::SharedCacheStats stats_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace tasks::fleet_cache

#endif  // TASKS_SERVER_FLEET_CACHE_REDIS_CACHE_H_
