// What the CurlHubClient tests share: a small HTTP server on 127.0.0.1 that records what it is
// sent, a clock that records the pauses a client asks for instead of taking them, error
// matchers, and the fixture (curl_hub_client_test.cc, hub_errors_test.cc).
#ifndef TASKS_TESTS_HUB_CURL_TEST_SERVER_H_
#define TASKS_TESTS_HUB_CURL_TEST_SERVER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "server/common/errors.h"
#include "server/hub/curl_hub_client.h"

namespace tasks::hub::testing {

inline constexpr absl::string_view kToken = "hf_SecretToken123";
// A commit id, and the smallest model info body the client accepts (hub_json.h).
inline constexpr char kSha[] = "0123456789abcdef0123456789abcdef01234567";
inline constexpr char kModelInfoBody[] = R"({"sha": "0123456789abcdef0123456789abcdef01234567"})";

// A clock that moves only when slept on, recording each pause; it starts at the real time, so
// that deadlines made from it are as far away for libcurl's real timers. Thread-safe.
class FakeClock {
 public:
  absl::Time Now() const {
    absl::MutexLock lock(&mutex_);
    return now_;
  }
  void Sleep(absl::Duration duration) {
    std::function<void()> hook;
    {
      absl::MutexLock lock(&mutex_);
      sleeps_.push_back(duration);
      now_ += duration;
      hook = on_sleep_;
    }
    if (hook) hook();
  }
  // Every pause asked for, in order.
  std::vector<absl::Duration> sleeps() const {
    absl::MutexLock lock(&mutex_);
    return sleeps_;
  }
  absl::Duration slept() const {
    absl::Duration total;
    for (absl::Duration sleep : sleeps()) total += sleep;
    return total;
  }
  // Runs `hook` after each pause (e.g. to cancel the call that paused).
  void OnSleep(std::function<void()> hook) {
    absl::MutexLock lock(&mutex_);
    on_sleep_ = std::move(hook);
  }
  // Makes `options` read and sleep on this clock, which must outlive the client.
  void Use(CurlHubClientOptions& options) {
    options.now = [this] { return Now(); };
    options.sleep = [this](absl::Duration duration) { Sleep(duration); };
  }

 private:
  mutable absl::Mutex mutex_;
  absl::Time now_ ABSL_GUARDED_BY(mutex_) = absl::Now();
  std::vector<absl::Duration> sleeps_ ABSL_GUARDED_BY(mutex_);
  std::function<void()> on_sleep_ ABSL_GUARDED_BY(mutex_);
};

// What a test server saw of one request.
struct SeenRequest {
  std::string target;  // path and query, as sent (not percent-decoded)
  std::string authorization;
  std::string user_agent;
  int remote_port;
};

// A cpp-httplib server on 127.0.0.1:<free port>, on a background thread. Register handlers on
// server() before Start(); every request is recorded before it is routed.
class TestServer {
 public:
  TestServer() {
    server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
      absl::MutexLock lock(&mu_);
      seen_.push_back({req.target, req.get_header_value("Authorization"),
                       req.get_header_value("User-Agent"), req.remote_port});
      return httplib::Server::HandlerResponse::Unhandled;
    });
  }
  ~TestServer() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }

  httplib::Server& server() { return server_; }

  void Start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) absl::SleepFor(absl::Milliseconds(1));
  }

  int port() const { return port_; }
  std::string endpoint() const { return absl::StrCat("http://127.0.0.1:", port_); }

  std::vector<SeenRequest> seen() const {
    absl::MutexLock lock(&mu_);
    return seen_;
  }
  std::vector<std::string> targets() const {
    std::vector<std::string> targets;
    for (const SeenRequest& request : seen()) targets.push_back(request.target);
    return targets;
  }
  int count() const { return static_cast<int>(seen().size()); }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable absl::Mutex mu_;
  std::vector<SeenRequest> seen_ ABSL_GUARDED_BY(mu_);
};

inline void ExpectError(const absl::Status& status, absl::StatusCode code,
                        absl::string_view reason) {
  EXPECT_EQ(status.code(), code) << status;
  const std::optional<google::rpc::ErrorInfo> info = GetErrorInfo(status);
  ASSERT_TRUE(info.has_value()) << status;
  EXPECT_EQ(info->reason(), reason) << status;
}

inline std::string MetadataOf(const absl::Status& status, const std::string& key) {
  const std::optional<google::rpc::ErrorInfo> info = GetErrorInfo(status);
  if (!info || !info->metadata().contains(key)) return "<absent>";
  return info->metadata().at(key);
}

class CurlHubClientTest : public ::testing::Test {
 protected:
  // Fast retries, so that tests of retries take milliseconds.
  CurlHubClientOptions Options() const {
    CurlHubClientOptions options;
    options.endpoint = server_.endpoint();
    options.initial_backoff = absl::Milliseconds(1);
    options.max_backoff = absl::Milliseconds(5);
    options.user_agent = "curl-hub-client-test/1";
    return options;
  }
  // Options() on a clock that moves only when the client sleeps: its pauses are recorded in
  // clock_ instead of taken. Deadlines for such a client come from FakeDeadline().
  CurlHubClientOptions FakeClockOptions() {
    CurlHubClientOptions options = Options();
    clock_.Use(options);
    return options;
  }
  absl::Time FakeDeadline(absl::Duration timeout = absl::Seconds(10)) const {
    return clock_.Now() + timeout;
  }
  CurlHubClient& client() {
    if (client_ == nullptr) client_ = std::make_unique<CurlHubClient>(Options());
    return *client_;
  }
  static absl::Time Deadline(absl::Duration timeout = absl::Seconds(10)) {
    return absl::Now() + timeout;
  }
  // Answers every GET with `status`, the X-Error-Code `code` (if any) and a JSON error body.
  void ServeError(int status, std::string code = "", std::string message = "") {
    server_.server().Get(".*", [=](const httplib::Request&, httplib::Response& res) {
      res.status = status;
      if (!code.empty()) res.set_header("X-Error-Code", code);
      if (!message.empty()) res.set_header("X-Error-Message", message);
      res.set_content(R"({"error": "as the Hub says it"})", "application/json");
    });
    server_.Start();
  }

  FakeClock clock_;
  TestServer server_;
  std::unique_ptr<CurlHubClient> client_;
};

}  // namespace tasks::hub::testing

#endif  // TASKS_TESTS_HUB_CURL_TEST_SERVER_H_
