// RedisTestServer: a real redis-server (Debian's redis-server package) for the fleet cache's
// tests, on a unix socket in a temporary folder of its own, with no persistence. It can be
// killed (SIGKILL, as a crashed Redis) and started again on the same socket. Killed, and its
// folder removed, when the object goes. Not thread-safe.
#ifndef TASKS_TESTS_FLEET_CACHE_REDIS_TEST_SERVER_H_
#define TASKS_TESTS_FLEET_CACHE_REDIS_TEST_SERVER_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tasks::testing {

class RedisTestServer {
 public:
  RedisTestServer();
  ~RedisTestServer();
  RedisTestServer(const RedisTestServer&) = delete;
  RedisTestServer& operator=(const RedisTestServer&) = delete;

  // Starts redis-server and waits (a few seconds at most) until it answers PING.
  absl::Status Start();
  // SIGKILL, then waits for it to go.
  void Kill();

  std::string socket_path() const { return folder_ + "/redis.sock"; }
  std::string address() const { return "unix:" + socket_path(); }

  // Runs one command on a connection of its own (for tests that look at or tamper with what
  // Redis holds): the reply as a string (a bulk or status reply, or an integer in decimal), or
  // nullopt for nil; an error status for an error reply or no connection.
  absl::StatusOr<std::optional<std::string>> Command(const std::vector<std::string>& args) const;

 private:
  std::string folder_;
  pid_t pid_ = -1;
};

}  // namespace tasks::testing

#endif  // TASKS_TESTS_FLEET_CACHE_REDIS_TEST_SERVER_H_
