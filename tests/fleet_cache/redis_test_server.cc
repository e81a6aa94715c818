#include "tests/fleet_cache/redis_test_server.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tasks::testing {
namespace {

struct ContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};

}  // namespace

RedisTestServer::RedisTestServer() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "tasks-redis-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) != nullptr) folder_ = pattern;
}

RedisTestServer::~RedisTestServer() {
  Kill();
  std::error_code ignored;
  if (!folder_.empty()) std::filesystem::remove_all(folder_, ignored);
}

absl::Status RedisTestServer::Start() {
  if (folder_.empty()) return absl::InternalError("no temporary folder");
  const std::vector<std::string> args = {
      "redis-server", "--port", "0", "--unixsocket", socket_path(), "--unixsocketperm", "700",
      "--save", "", "--appendonly", "no", "--dir", folder_, "--loglevel", "warning",
      "--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"};
  pid_ = fork();
  if (pid_ < 0) return absl::InternalError("fork failed");
  if (pid_ == 0) {
    std::vector<char*> argv;
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    // Its start-up banner and warnings would bury the tests' output.
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    execvp("redis-server", argv.data());
    _exit(127);
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    absl::StatusOr<std::optional<std::string>> pong = Command({"PING"});
    if (pong.ok() && *pong == "PONG") return absl::OkStatus();
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::FailedPreconditionError("redis-server exited at start (is it installed?)");
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError("redis-server did not answer PING within 10 s");
}

void RedisTestServer::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  std::error_code ignored;
  std::filesystem::remove(socket_path(), ignored);
}

absl::StatusOr<std::optional<std::string>> RedisTestServer::Command(
    const std::vector<std::string>& args) const {
  std::unique_ptr<redisContext, ContextDeleter> context(
      redisConnectUnixWithTimeout(socket_path().c_str(), absl::ToTimeval(absl::Seconds(1))));
  if (context == nullptr || context->err != 0) return absl::UnavailableError("cannot connect");
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  std::unique_ptr<redisReply, ReplyDeleter> reply(static_cast<redisReply*>(redisCommandArgv(
      context.get(), static_cast<int>(argv.size()), argv.data(), lengths.data())));
  if (reply == nullptr) return absl::UnavailableError(context->errstr);
  switch (reply->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      return std::optional<std::string>(std::string(reply->str, reply->len));
    case REDIS_REPLY_INTEGER:
      return std::optional<std::string>(absl::StrCat(reply->integer));
    case REDIS_REPLY_NIL:
      return std::optional<std::string>();
    case REDIS_REPLY_ERROR:
      return absl::InternalError(std::string(reply->str, reply->len));
    default:
      return absl::InternalError("unexpected reply type");
  }
}

}  // namespace tasks::testing
