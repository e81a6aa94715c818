// CLI11 validators for tasks-server's flags. Each refuses a value with one line that CLI11
// prefixes with the flag's name: what the flag accepts, then the value given. Validators see the
// text before CLI11 converts it, so "-5" for a size or "1e400" for seconds never reaches a
// conversion (which would wrap, or fail with a message naming neither).
#ifndef TASKS_SERVER_FLAG_CHECKS_H_
#define TASKS_SERVER_FLAG_CHECKS_H_

#include <cstddef>
#include <cstdint>

#include "CLI/CLI.hpp"

namespace tasks::flags {

// The longest duration any flag takes, a week: long enough for any TTL or grace period, short
// enough that every duration fits gRPC's int milliseconds and the clock's arithmetic.
inline constexpr double kMaxSeconds = 7 * 24 * 3600;

// Seconds, a finite decimal number from 0 (or, without `zero_allowed`, above 0) to kMaxSeconds.
CLI::Validator Seconds(bool zero_allowed);

// A decimal integer from `min` to `max`.
CLI::Validator Integer(int64_t min, int64_t max);

// An octal file mode, 0 to 0777 (--unix_socket_mode).
CLI::Validator FileMode();

// host:port, port 0 to 65535 (--metrics_address).
CLI::Validator HostPort();

// host:port or unix:/path (--listen_address).
CLI::Validator ListenAddress();

// A path that may be missing, but if present is a folder (--hf_cache_dir) / a regular file
// (--token_file): both are optional sources, but a wrong kind of file is a mistake.
CLI::Validator FolderIfPresent();
CLI::Validator RegularFileIfPresent();

// host:port (port 1 to 65535) or unix:/path to connect to (--redis_address).
CLI::Validator RedisAddress();

// A regular file holding a secret of at least kMinSecretBytes once surrounding whitespace is
// trimmed (--cache_key_file, --redis_value_key_file): a short secret makes forgeable MACs.
inline constexpr size_t kMinSecretBytes = 16;
CLI::Validator SecretFile();

// A Redis key prefix: 1 to 64 printable characters, no spaces (--redis_key_prefix).
CLI::Validator KeyPrefix();

}  // namespace tasks::flags

#endif  // TASKS_SERVER_FLAG_CHECKS_H_
