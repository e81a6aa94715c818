// ValueSeal: what makes a value in the fleet's Redis trustworthy, and a token's partition name
// unguessable. Redis is a trust boundary: whoever can write to it must not be able to inject an
// answer, nor move one from a private partition to another. So each value is sealed with an
// HMAC-SHA256 over the key it is stored under and its bytes, under a key derived from the fleet's
// secret; a value whose MAC does not match (tampered, truncated, moved, or sealed under another
// secret) does not open. Partition names are HMACs of the caller's token under another key
// derived from the (possibly other) secret, so that Redis holds no token.
//
// Immutable after construction; thread-safe.
#ifndef TASKS_SERVER_FLEET_CACHE_VALUE_SEAL_H_
#define TASKS_SERVER_FLEET_CACHE_VALUE_SEAL_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace tasks::fleet_cache {

class ValueSeal {
 public:
  // `value_secret` authenticates values (not empty); `partition_secret` names the partitions of
  // tokens' answers (empty: there are none, such answers stay in memory).
  ValueSeal(absl::string_view value_secret, absl::string_view partition_secret);

  // `value` followed by its MAC for `key`.
  std::string Seal(absl::string_view key, absl::string_view value) const;
  // The value `sealed` holds if its MAC for `key` matches; nullopt otherwise.
  std::optional<absl::string_view> Open(absl::string_view key, absl::string_view sealed) const;

  // The partition of `token`'s answers (hex), or nullopt without a partition secret.
  std::optional<std::string> TokenPartition(absl::string_view token) const;

  static constexpr size_t kMacBytes = 32;

 private:
  std::string value_key_;
  std::string partition_key_;  // empty: no token partitions
};

}  // namespace tasks::fleet_cache

#endif  // TASKS_SERVER_FLEET_CACHE_VALUE_SEAL_H_
