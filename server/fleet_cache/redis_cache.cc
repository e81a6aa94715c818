#include "server/fleet_cache/redis_cache.h"

#include <hiredis/hiredis.h>
#include <openssl/rand.h>
#include <sys/time.h>

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/service/host_port.h"
#include "spdlog/spdlog.h"

namespace tasks::fleet_cache {
namespace {

constexpr absl::string_view kUnixPrefix = "unix:";

// Deletes a lease only if this process still holds it: one that expired and was taken by
// another process stays.
constexpr char kReleaseScript[] =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end "
    "return 0";

std::string RandomId() {
  unsigned char bytes[16];
  RAND_bytes(bytes, sizeof(bytes));
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), 16));
}

std::string Milliseconds(absl::Duration duration) {
  return absl::StrCat(std::max<int64_t>(1, absl::ToInt64Milliseconds(duration)));
}

}  // namespace

absl::Status CheckRedisAddress(absl::string_view address) {
  if (absl::StartsWith(address, kUnixPrefix)) {
    if (address.size() == kUnixPrefix.size()) {
      return absl::InvalidArgumentError(absl::StrCat("'", address, "' names no socket path"));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<service::HostPort> parsed = service::ParseHostPort(address);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected host:port or unix:/path, got '", address, "'"));
  }
  if (parsed->port == 0) {
    return absl::InvalidArgumentError(absl::StrCat("'", address, "' names no port to connect to"));
  }
  return absl::OkStatus();
}

void RedisCache::ReplyDeleter::operator()(redisReply* reply) const { freeReplyObject(reply); }

absl::StatusOr<std::unique_ptr<RedisCache>> RedisCache::Create(RedisCacheOptions options) {
  if (absl::Status address = CheckRedisAddress(options.address); !address.ok()) return address;
  if (options.value_secret.empty()) {
    return absl::InvalidArgumentError(
        "the fleet cache needs a secret to authenticate its values (--cache_key_file or "
        "--redis_value_key_file)");
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the Redis timeout must be above 0");
  }
  std::string host;
  int port = -1;
  if (absl::StartsWith(options.address, kUnixPrefix)) {
    host = options.address.substr(kUnixPrefix.size());
  } else {
    absl::StatusOr<service::HostPort> parsed = service::ParseHostPort(options.address);
    host = parsed->host;
    port = parsed->port;
  }
  return std::unique_ptr<RedisCache>(new RedisCache(std::move(options), std::move(host), port));
}

RedisCache::RedisCache(RedisCacheOptions options, std::string host, int port)
    : options_(std::move(options)),
      host_(std::move(host)),
      port_(port),
      seal_(options_.value_secret, options_.partition_secret),
      lease_holder_(RandomId()) {}

RedisCache::~RedisCache() {
  absl::MutexLock lock(&mutex_);
  for (redisContext* context : idle_) redisFree(context);
}

std::optional<std::string> RedisCache::TokenPartition(absl::string_view token) const {
  return seal_.TokenPartition(token);
}

redisContext* RedisCache::Dial(std::string& error) const {
  const timeval timeout = absl::ToTimeval(options_.timeout);
  redisContext* context = port_ < 0 ? redisConnectUnixWithTimeout(host_.c_str(), timeout)
                                    : redisConnectWithTimeout(host_.c_str(), port_, timeout);
  if (context == nullptr) {
    error = "cannot allocate a connection";
    return nullptr;
  }
  if (context->err != 0 || redisSetTimeout(context, timeout) != REDIS_OK) {
    error = absl::StrCat("cannot connect: ", context->errstr);
    redisFree(context);
    return nullptr;
  }
  if (!options_.password.empty()) {
    const char* argv[] = {"AUTH", options_.password.c_str()};
    const size_t lengths[] = {4, options_.password.size()};
    Reply reply(static_cast<redisReply*>(redisCommandArgv(context, 2, argv, lengths)));
    if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
      // Redis's error names no password; still, only its first words are worth a log line.
      error = reply == nullptr ? absl::StrCat("AUTH failed: ", context->errstr)
                               : "AUTH refused (check --redis_password_file)";
      redisFree(context);
      return nullptr;
    }
  }
  return context;
}

RedisCache::Connection RedisCache::Checkout() {
  {
    absl::MutexLock lock(&mutex_);
    if (absl::Now() < closed_until_) {
      ++stats_.skipped;
      return {};
    }
    if (!idle_.empty()) {
      redisContext* context = idle_.back();
      idle_.pop_back();
      return {context, /*reused=*/true};
    }
  }
  return Connect();
}

RedisCache::Connection RedisCache::Connect() {
  std::string error;
  redisContext* context = Dial(error);
  if (context == nullptr) Trouble(absl::StrCat("Redis at ", options_.address, ": ", error));
  return {context, /*reused=*/false};
}

void RedisCache::Trouble(const std::string& what) {
  std::vector<redisContext*> idle;
  {
    absl::MutexLock lock(&mutex_);
    ++stats_.errors;
    const bool was_closed = absl::Now() < closed_until_;
    closed_until_ = absl::Now() + options_.breaker_open;
    // Connections made before the trouble likely share it (a restarted Redis closed them all).
    idle.swap(idle_);
    // One line per breaker opening, not one per command.
    if (!was_closed) {
      spdlog::warn("fleet cache: {}; skipping Redis for {}", what,
                   absl::FormatDuration(options_.breaker_open));
    }
  }
  for (redisContext* context : idle) redisFree(context);
}

RedisCache::Reply RedisCache::Command(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  Connection connection = Checkout();
  for (;;) {
    if (connection.context == nullptr) return nullptr;
    Reply reply(static_cast<redisReply*>(redisCommandArgv(
        connection.context, static_cast<int>(argv.size()), argv.data(), lengths.data())));
    if (reply == nullptr) {
      // The connection is unusable after an I/O error or a timeout (a late reply would answer
      // the next command): dropped. A kept one that Redis had closed (it restarted, or dropped
      // idle clients) is no news about Redis now: one more try on a new connection.
      const absl::string_view error_text = connection.context->errstr;
      const bool closed = connection.context->err == REDIS_ERR_EOF ||
                          (connection.context->err == REDIS_ERR_IO &&
                           (absl::StrContains(error_text, "Broken pipe") ||
                            absl::StrContains(error_text, "Connection reset")));
      const std::string error(error_text);
      redisFree(connection.context);
      if (connection.reused && closed) {
        connection = Connect();
        continue;
      }
      Trouble(absl::StrCat("Redis at ", options_.address, ": ", args[0], " failed: ", error));
      return nullptr;
    }
    {
      absl::MutexLock lock(&mutex_);
      idle_.push_back(connection.context);
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      Trouble(absl::StrCat("Redis at ", options_.address, ": ", args[0], " answered ",
                           absl::string_view(reply->str, reply->len)));
      return nullptr;
    }
    return reply;
  }
}

std::vector<std::optional<std::string>> RedisCache::Get(const std::vector<std::string>& keys) {
  std::vector<std::optional<std::string>> values(keys.size());
  std::vector<std::string> args = {"MGET"};
  for (const std::string& key : keys) args.push_back(FullKey(key));
  Reply reply = Command(args);
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != keys.size()) {
    return values;
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    const redisReply* element = reply->element[i];
    if (element->type != REDIS_REPLY_STRING) continue;
    std::optional<absl::string_view> value =
        seal_.Open(args[i + 1], absl::string_view(element->str, element->len));
    if (value) {
      values[i] = std::string(*value);
      continue;
    }
    absl::MutexLock lock(&mutex_);
    ++stats_.rejected;
    // Someone wrote to Redis what no server of this fleet sealed: worth knowing, not per value.
    if (absl::Now() - last_rejected_log_ >= absl::Seconds(10)) {
      last_rejected_log_ = absl::Now();
      spdlog::warn("fleet cache: rejected the value under {} (its MAC does not match: tampered "
                   "with, or written under another secret); {} rejected so far",
                   args[i + 1], stats_.rejected);
    }
  }
  return values;
}

bool RedisCache::Put(const std::string& key, absl::string_view value, absl::Duration ttl) {
  const std::string full_key = FullKey(key);
  std::string sealed = seal_.Seal(full_key, value);
  if (sealed.size() > options_.max_value_bytes) return false;
  Reply reply = Command({"SET", full_key, std::move(sealed), "PX", Milliseconds(ttl)});
  return reply != nullptr;
}

hub::SharedCache::Lease RedisCache::TakeLease(const std::string& key, absl::Duration ttl) {
  Reply reply = Command({"SET", FullKey(key), lease_holder_, "NX", "PX", Milliseconds(ttl)});
  if (reply == nullptr) return Lease::kUnavailable;
  // OK when set; a nil reply when the key exists.
  return reply->type == REDIS_REPLY_STATUS ? Lease::kOurs : Lease::kHeld;
}

void RedisCache::ReleaseLease(const std::string& key) {
  Command({"EVAL", kReleaseScript, "1", FullKey(key), lease_holder_});
}

hub::SharedCacheStats RedisCache::Stats() const {
  absl::MutexLock lock(&mutex_);
  return stats_;
}

}  // namespace tasks::fleet_cache
