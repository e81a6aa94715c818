// CurlHubClient against small HTTP servers on 127.0.0.1 (curl_test_server.h): URLs, tokens,
// pagination, retries and their pauses (on a fake clock), deadlines, cancellation, body limits,
// redirects, connection reuse. The errors' mapping is in hub_errors_test.cc.
#include "server/hub/curl_hub_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "server/common/cancellation.h"
#include "server/common/errors.h"
#include "tests/hub/curl_test_server.h"

namespace tasks::hub {
namespace {

using ::tasks::hub::testing::CurlHubClientTest;
using ::tasks::hub::testing::ExpectError;
using ::tasks::hub::testing::kModelInfoBody;
using ::tasks::hub::testing::kSha;
using ::tasks::hub::testing::kToken;
using ::tasks::hub::testing::MetadataOf;
using ::tasks::hub::testing::SeenRequest;
using ::tasks::hub::testing::TestServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadTestData(absl::string_view name) {
  std::ifstream file(absl::StrCat(TASKS_HUB_TESTDATA_DIR, "/", name), std::ios::binary);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

TEST_F(CurlHubClientTest, ReadsARealModelInfoAnswer) {
  const std::string body = ReadTestData("bert-base-uncased.model_info.json");
  ASSERT_FALSE(body.empty());
  server_.server().Get("/api/models/google-bert/bert-base-uncased",
                       [&](const httplib::Request&, httplib::Response& res) {
                         res.set_content(body, "application/json");
                       });
  server_.Start();

  absl::StatusOr<ModelInfo> info =
      client().GetModelInfo("google-bert/bert-base-uncased", "", {}, Deadline());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->id, "google-bert/bert-base-uncased");
  EXPECT_EQ(info->sha, "86b5e0934494bd15c9632b12f734a8a67f723594");
  EXPECT_EQ(info->pipeline_tag, "fill-mask");
  EXPECT_EQ(info->library_name, "transformers");
  EXPECT_EQ(info->visibility, Visibility::kPublic);
  EXPECT_EQ(info->siblings.size(), 16u);
  EXPECT_THAT(info->siblings, ::testing::Contains("config.json"));
  EXPECT_EQ(info->config["model_type"], "bert");
  EXPECT_EQ(info->transformers_info["auto_model"], "AutoModelForMaskedLM");
}

TEST_F(CurlHubClientTest, RequestsTheDocumentedUrls) {
  server_.server().Get(".*", [](const httplib::Request& req, httplib::Response& res) {
    if (absl::StrContains(req.path, "/tree/")) {
      res.set_content("[]", "application/json");
    } else if (absl::StartsWith(req.path, "/api/models/")) {
      res.set_content(absl::StrCat(R"({"id": "org/name", "sha": ")", kSha, R"("})"),
                      "application/json");
    } else {
      res.set_content("contents", "text/plain");
    }
  });
  server_.Start();

  ASSERT_TRUE(client().GetModelInfo("org/name", "", {}, Deadline()).ok());
  ASSERT_TRUE(client().GetModelInfo("org/name", "refs/pr/1", {}, Deadline()).ok());
  ASSERT_TRUE(client().ListRepoFiles("org/name", "", {}, Deadline()).ok());
  ASSERT_TRUE(client().ListRepoFiles("name", "refs/convert/onnx", {}, Deadline()).ok());
  absl::StatusOr<std::string> file =
      client().GetFile("org/name", "v 1.0", "sub dir/a+b.json", {}, Deadline());
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(*file, "contents");
  ASSERT_TRUE(client().GetFile("org/name", "", "config.json", {}, Deadline()).ok());

  EXPECT_THAT(server_.targets(),
              ElementsAre("/api/models/org/name", "/api/models/org/name/revision/refs%2Fpr%2F1",
                          "/api/models/org/name/tree/main?recursive=True&expand=False",
                          "/api/models/name/tree/refs%2Fconvert%2Fonnx?recursive=True&expand=False",
                          "/org/name/resolve/v%201.0/sub%20dir/a%2Bb.json",
                          "/org/name/resolve/main/config.json"));
}

TEST_F(CurlHubClientTest, SendsTheTokenOnlyWhenThereIsOne) {
  server_.server().Get(".*", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kModelInfoBody, "application/json");
  });
  server_.Start();

  ASSERT_TRUE(client().GetModelInfo("org/name", "", {}, Deadline()).ok());
  ASSERT_TRUE(client().GetModelInfo("org/name", "", {std::string(kToken)}, Deadline()).ok());

  const std::vector<SeenRequest> seen = server_.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].authorization, "");
  EXPECT_EQ(seen[1].authorization, absl::StrCat("Bearer ", kToken));
  EXPECT_EQ(seen[0].user_agent, "curl-hub-client-test/1");
}

TEST_F(CurlHubClientTest, FollowsTreePagesThroughLinkHeaders) {
  server_.server().Get("/api/models/org/name/tree/main", [this](const httplib::Request& req,
                                                                httplib::Response& res) {
    const std::string cursor = req.get_param_value("cursor");
    if (cursor.empty()) {
      res.set_header("Link", absl::StrCat("<", server_.endpoint(),
                                          "/api/models/org/name/tree/main?"
                                          "recursive=True&cursor=p2>; "
                                          "rel=\"next\""));
      res.set_content(
          R"([{"type": "file", "path": "config.json"},
                                   {"type": "directory", "path": "onnx"}])",
          "application/json");
    } else if (cursor == "p2") {
      // Relative, and after another relation.
      res.set_header("Link",
                     "</x>; rel=\"last\", "
                     "</api/models/org/name/tree/main?cursor=p3>; rel=next");
      res.set_content(R"([{"type": "file", "path": "onnx/model.onnx"}])", "application/json");
    } else {
      res.set_content(R"([{"type": "file", "path": "README.md"}])", "application/json");
    }
  });
  server_.Start();

  absl::StatusOr<std::vector<std::string>> files =
      client().ListRepoFiles("org/name", "main", {std::string(kToken)}, Deadline());
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_THAT(*files, ElementsAre("config.json", "onnx/model.onnx", "README.md"));
  const std::vector<SeenRequest> seen = server_.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].target, "/api/models/org/name/tree/main?cursor=p3");
  for (const SeenRequest& request : seen) {
    EXPECT_EQ(request.authorization, absl::StrCat("Bearer ", kToken));
  }
}

TEST_F(CurlHubClientTest, RefusesANextPageOnAnotherHost) {
  server_.server().Get(".*", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Link", "<http://elsewhere.invalid/steal?cursor=2>; rel=\"next\"");
    res.set_content("[]", "application/json");
  });
  server_.Start();

  absl::StatusOr<std::vector<std::string>> files =
      client().ListRepoFiles("org/name", "", {std::string(kToken)}, Deadline());
  ExpectError(files.status(), absl::StatusCode::kInternal, "HfHubHTTPError");
  EXPECT_EQ(server_.count(), 1);
}

TEST_F(CurlHubClientTest, RetriesServerErrorsThenSucceeds) {
  std::atomic<int> calls = 0;
  server_.server().Get(".*", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls <= 2) {
      res.status = 500;
      return;
    }
    res.set_content(absl::StrCat(R"({"id": "org/name", "sha": ")", kSha, R"("})"),
                    "application/json");
  });
  server_.Start();

  CurlHubClient client(FakeClockOptions());
  absl::StatusOr<ModelInfo> info = client.GetModelInfo("org/name", "", {}, FakeDeadline());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(server_.count(), 3);
  // A jittered backoff before each retry, within its cap (1 ms, then 2 ms).
  const std::vector<absl::Duration> sleeps = clock_.sleeps();
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_LT(sleeps[0], absl::Milliseconds(1));
  EXPECT_LT(sleeps[1], absl::Milliseconds(2));
}

TEST_F(CurlHubClientTest, GivesUpOnServerErrorsAfterMaxAttempts) {
  ServeError(503);
  CurlHubClient client(FakeClockOptions());
  const absl::Status status = client.GetFile("org/name", "", "a.json", {}, FakeDeadline()).status();
  ExpectError(status, absl::StatusCode::kUnavailable, "HfHubHTTPError");
  EXPECT_THAT(status.message(), HasSubstr("after 4 attempts"));
  EXPECT_EQ(server_.count(), 4);
  EXPECT_EQ(clock_.sleeps().size(), 3u);  // between attempts, none after the last
}

TEST_F(CurlHubClientTest, WaitsAsLongAsRetryAfterAsks) {
  std::atomic<int> calls = 0;
  server_.server().Get(".*", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls == 1) {
      res.status = 429;
      res.set_header("Retry-After", "1");
      return;
    }
    res.set_content(kModelInfoBody, "application/json");
  });
  server_.Start();

  CurlHubClient client(FakeClockOptions());
  ASSERT_TRUE(client.GetModelInfo("org/name", "", {}, FakeDeadline()).ok());
  EXPECT_EQ(clock_.slept(), absl::Seconds(1));  // not the 1 to 5 ms backoff
  EXPECT_EQ(server_.count(), 2);
}

TEST_F(CurlHubClientTest, RateLimitPastTheDeadlineIsResourceExhausted) {
  server_.server().Get(".*", [](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "30");
  });
  server_.Start();

  CurlHubClient client(FakeClockOptions());
  const absl::Status status =
      client.GetModelInfo("org/name", "", {}, FakeDeadline(absl::Seconds(2))).status();
  ExpectError(status, absl::StatusCode::kResourceExhausted, "HfHubHTTPError");
  EXPECT_EQ(MetadataOf(status, "retry_after_seconds"), "30");
  EXPECT_THAT(status.message(), HasSubstr("retry after 30 s"));
  EXPECT_TRUE(clock_.sleeps().empty());  // a wait past the deadline is not begun
  EXPECT_EQ(server_.count(), 1);
}

TEST_F(CurlHubClientTest, ReadsTheRateLimitHeaderReset) {
  server_.server().Get(".*", [](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_header("RateLimit", "\"api\";r=0;t=45");
  });
  server_.Start();
  const absl::Status status =
      client().GetModelInfo("org/name", "", {}, Deadline(absl::Seconds(2))).status();
  EXPECT_EQ(MetadataOf(status, "retry_after_seconds"), "45");
}

// A port nothing listens on: bound, then closed.
int UnusedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  bind(fd, reinterpret_cast<sockaddr*>(&address), size);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

TEST_F(CurlHubClientTest, ConnectionRefusedIsUnavailableAndFast) {
  CurlHubClientOptions options = FakeClockOptions();
  options.endpoint = absl::StrCat("http://127.0.0.1:", UnusedPort());
  CurlHubClient client(options);

  const absl::Status status = client.GetModelInfo("org/name", "", {}, FakeDeadline()).status();
  ExpectError(status, absl::StatusCode::kUnavailable, "ConnectionError");
  EXPECT_THAT(status.message(), HasSubstr("after 4 attempts"));
  // Retried after the backoff (capped at 1, 2, then 4 ms), not after a connect timeout.
  const std::vector<absl::Duration> sleeps = clock_.sleeps();
  ASSERT_EQ(sleeps.size(), 3u);
  EXPECT_LT(sleeps[0], absl::Milliseconds(1));
  EXPECT_LT(sleeps[1], absl::Milliseconds(2));
  EXPECT_LT(sleeps[2], absl::Milliseconds(4));
}

TEST_F(CurlHubClientTest, ASlowServerMeetsTheDeadline) {
  // Shared with the handler, which may still run after the client has given up.
  auto release = std::make_shared<absl::Notification>();
  server_.server().Get(".*", [release](const httplib::Request&, httplib::Response& res) {
    release->WaitForNotificationWithTimeout(absl::Seconds(5));
    res.set_content(kModelInfoBody, "application/json");
  });
  server_.Start();

  const absl::Time start = absl::Now();
  const absl::Status status =
      client().GetModelInfo("org/name", "", {}, Deadline(absl::Milliseconds(300))).status();
  const absl::Duration elapsed = absl::Now() - start;
  release->Notify();
  ExpectError(status, absl::StatusCode::kDeadlineExceeded, "Timeout");
  EXPECT_GE(elapsed, absl::Milliseconds(290));
  EXPECT_LT(elapsed, absl::Milliseconds(800));
}

TEST_F(CurlHubClientTest, AbandonsAnAnswerNobodyWaitsFor) {
  // Shared with the handler, which may still run after the client has given up.
  auto arrived = std::make_shared<absl::Notification>();
  auto release = std::make_shared<absl::Notification>();
  server_.server().Get(".*", [arrived, release](const httplib::Request&, httplib::Response& res) {
    arrived->Notify();
    release->WaitForNotificationWithTimeout(absl::Seconds(20));
    res.set_content(kModelInfoBody, "application/json");
  });
  server_.Start();

  // The caller goes away once the request is at the server; libcurl's progress callback (real
  // time: libcurl's own) notices it.
  CancellationFlag nobody_waits;
  absl::Time cancelled;
  std::thread cancel([&] {
    arrived->WaitForNotificationWithTimeout(absl::Seconds(20));
    cancelled = absl::Now();
    nobody_waits.Cancel();
  });
  const absl::Status status =
      client()
          .GetModelInfo("org/name", "", {}, WaitLimits(Deadline(absl::Seconds(20)), &nobody_waits))
          .status();
  const absl::Time returned = absl::Now();
  cancel.join();
  release->Notify();
  ExpectError(status, absl::StatusCode::kCancelled, "Cancelled");
  EXPECT_THAT(status.message(), HasSubstr("abandoned"));
  EXPECT_LT(returned - cancelled, absl::Seconds(3));  // libcurl asks at least once a second
  EXPECT_EQ(server_.count(), 1);
}

TEST_F(CurlHubClientTest, AbandonsTheWaitBeforeARetry) {
  server_.server().Get(".*", [](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "10");
  });
  server_.Start();
  CurlHubClient client(FakeClockOptions());
  // The caller goes away during the first slice of the 10 s pause.
  CancellationFlag nobody_waits;
  clock_.OnSleep([&nobody_waits] { nobody_waits.Cancel(); });

  const absl::Status status =
      client
          .GetModelInfo("org/name", "", {},
                        WaitLimits(FakeDeadline(absl::Seconds(20)), &nobody_waits))
          .status();
  ExpectError(status, absl::StatusCode::kCancelled, "Cancelled");
  EXPECT_EQ(clock_.sleeps().size(), 1u);  // the rest of the pause is not taken
  EXPECT_LE(clock_.slept(), absl::Milliseconds(100));
  EXPECT_EQ(server_.count(), 1);
}

TEST_F(CurlHubClientTest, ACancelledCallSendsNothing) {
  ServeError(500);
  CancellationFlag nobody_waits;
  nobody_waits.Cancel();
  ExpectError(
      client().GetModelInfo("org/name", "", {}, WaitLimits(Deadline(), &nobody_waits)).status(),
      absl::StatusCode::kCancelled, "Cancelled");
  EXPECT_EQ(server_.count(), 0);
}

TEST_F(CurlHubClientTest, TheDeadlineBoundsRetries) {
  server_.server().Get(".*", [](const httplib::Request&, httplib::Response& res) {
    absl::SleepFor(absl::Milliseconds(150));
    res.status = 503;
  });
  server_.Start();
  CurlHubClientOptions options = Options();
  options.max_attempts = 10;
  CurlHubClient client(options);

  const absl::Time start = absl::Now();
  const absl::Status status =
      client.GetModelInfo("org/name", "", {}, Deadline(absl::Milliseconds(400))).status();
  ExpectError(status, absl::StatusCode::kDeadlineExceeded, "Timeout");
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(800));
  EXPECT_LE(server_.count(), 3);
}

TEST_F(CurlHubClientTest, APassedDeadlineSendsNothing) {
  ServeError(500);
  ExpectError(client().GetModelInfo("org/name", "", {}, absl::Now() - absl::Seconds(1)).status(),
              absl::StatusCode::kDeadlineExceeded, "Timeout");
  EXPECT_EQ(server_.count(), 0);
}

TEST_F(CurlHubClientTest, StopsReadingAnOversizedBody) {
  constexpr size_t kChunk = 64 << 10;
  constexpr size_t kTotal = 256 << 20;
  // Shared with the server's provider, which outlives the client's call.
  struct Stream {
    std::atomic<size_t> sent = 0;
    absl::Notification done;
  };
  auto stream = std::make_shared<Stream>();
  server_.server().Get(".*", [stream](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider(
        "application/octet-stream",
        [stream](size_t, httplib::DataSink& sink) {
          static const std::string chunk(kChunk, 'x');
          if (stream->sent >= kTotal) {
            sink.done();
            return true;
          }
          if (!sink.write(chunk.data(), chunk.size())) return false;
          stream->sent += kChunk;
          return true;
        },
        [stream](bool) { stream->done.Notify(); });
  });
  server_.Start();
  CurlHubClientOptions options = Options();
  options.max_response_bytes = 1 << 20;
  CurlHubClient client(options);

  const absl::Status status = client.GetFile("org/name", "", "model.bin", {}, Deadline()).status();
  ExpectError(status, absl::StatusCode::kResourceExhausted, "ResponseTooLarge");
  EXPECT_EQ(MetadataOf(status, "max_response_bytes"), "1048576");
  EXPECT_EQ(MetadataOf(status, "path"), "model.bin");
  EXPECT_EQ(server_.count(), 1);  // not retried
  ASSERT_TRUE(stream->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_LT(stream->sent, kTotal);
}

TEST_F(CurlHubClientTest, KeepsOnlyTheStartOfALargeErrorBody) {
  server_.server().Get(".*", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content(std::string(4 << 20, 'e'), "text/plain");
  });
  server_.Start();
  const absl::Status status =
      client().GetFile("org/name", "", "missing.json", {}, Deadline()).status();
  ExpectError(status, absl::StatusCode::kNotFound, "EntryNotFoundError");
  EXPECT_LT(status.message().size(), 1000u);
}

TEST_F(CurlHubClientTest, MalformedJsonIsADecodeError) {
  server_.server().Get(".*", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(absl::StrContains(req.path, "/tree/") ? R"({"not": "a list"})" : "<html>",
                    "application/json");
  });
  server_.Start();
  ExpectError(client().GetModelInfo("org/name", "", {}, Deadline()).status(),
              absl::StatusCode::kUnavailable, "JSONDecodeError");
  ExpectError(client().ListRepoFiles("org/name", "", {}, Deadline()).status(),
              absl::StatusCode::kUnavailable, "JSONDecodeError");
  EXPECT_EQ(server_.count(), 2);
}

TEST_F(CurlHubClientTest, FollowsARenameRedirect) {
  server_.server().Get("/api/models/old-org/old-name",
                       [](const httplib::Request&, httplib::Response& res) {
                         res.set_redirect("/api/models/new-org/new-name", 307);
                       });
  server_.server().Get(
      "/api/models/new-org/new-name", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(absl::StrCat(R"({"id": "new-org/new-name", "sha": ")", kSha, R"("})"),
                        "application/json");
      });
  server_.Start();

  absl::StatusOr<ModelInfo> info = client().GetModelInfo("old-org/old-name", "", {}, Deadline());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->id, "new-org/new-name");
  EXPECT_EQ(info->sha, kSha);
}

TEST_F(CurlHubClientTest, StopsARedirectLoop) {
  server_.server().Get(".*", [](const httplib::Request& req, httplib::Response& res) {
    res.set_redirect(req.path, 307);
  });
  server_.Start();
  ExpectError(client().GetModelInfo("org/name", "", {}, Deadline()).status(),
              absl::StatusCode::kUnavailable, "TooManyRedirects");
  EXPECT_EQ(server_.count(), 6);  // the first request and 5 redirects
}

TEST_F(CurlHubClientTest, RedirectsToAnotherHostGetNoToken) {
  TestServer cdn;
  cdn.server().Get(".*", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("weights", "application/octet-stream");
  });
  cdn.Start();
  server_.server().Get(".*", [&](const httplib::Request&, httplib::Response& res) {
    // "localhost" is another host name than the 127.0.0.1 of the endpoint.
    res.set_redirect(absl::StrCat("http://localhost:", cdn.port(), "/blob?sig=1"), 302);
  });
  server_.Start();
  // Gone before `cdn`, whose shutdown would otherwise wait out the client's keep-alive.
  CurlHubClient client(Options());

  absl::StatusOr<std::string> file =
      client.GetFile("org/name", "", "model.bin", {std::string(kToken)}, Deadline());
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(*file, "weights");
  ASSERT_EQ(cdn.count(), 1);
  EXPECT_EQ(cdn.seen()[0].authorization, "");
  EXPECT_EQ(server_.seen()[0].authorization, absl::StrCat("Bearer ", kToken));
}

TEST_F(CurlHubClientTest, ReusesTheConnection) {
  server_.server().Get(".*", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kModelInfoBody, "application/json");
  });
  server_.Start();

  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client().GetModelInfo("o/n", "", {}, Deadline()).ok());
  const std::vector<SeenRequest> seen = server_.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].remote_port, seen[0].remote_port);
  EXPECT_EQ(seen[2].remote_port, seen[0].remote_port);
}

TEST_F(CurlHubClientTest, ServesManyThreadsAtOnce) {
  server_.server().Get(".*", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(
        absl::StrCat(R"({"id": ")", req.path.substr(12), R"(", "sha": ")", kSha, R"("})"),
        "application/json");
  });
  server_.Start();

  constexpr int kThreads = 6;  // within the test server's 8 worker threads
  constexpr int kCalls = 10;
  CurlHubClient& hub = client();  // made here: client() is not thread-safe
  std::atomic<int> ok = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const std::string repo = absl::StrCat("org/repo-", t, "-", i);
        absl::StatusOr<ModelInfo> info = hub.GetModelInfo(repo, "", {}, Deadline());
        if (info.ok() && info->id == repo) ++ok;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok, kThreads * kCalls);
}

TEST_F(CurlHubClientTest, IgnoresATrailingSlashOnTheEndpoint) {
  server_.server().Get(".*", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kModelInfoBody, "application/json");
  });
  server_.Start();
  CurlHubClientOptions options = Options();
  options.endpoint += "/";
  ASSERT_TRUE(CurlHubClient(options).GetModelInfo("org/name", "", {}, Deadline()).ok());
  EXPECT_THAT(server_.targets(), ElementsAre("/api/models/org/name"));
}

}  // namespace
}  // namespace tasks::hub
