#include "server/hub/curl_hub_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "server/common/cancellation.h"
#include "server/common/errors.h"
#include "server/hub/hub_json.h"

namespace tasks::hub {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::string_view kToken = "hf_SecretToken123";

// ---------------------------------------------------------------------------------------------
// Helpers without sockets.

TEST(UrlQuote, QuotesLikePythonUrllib) {
  EXPECT_EQ(UrlQuote("refs/pr/1", ""), "refs%2Fpr%2F1");
  EXPECT_EQ(UrlQuote("sub dir/a+b.json", "/"), "sub%20dir/a%2Bb.json");
  EXPECT_EQ(UrlQuote("AZaz09_.-~", ""), "AZaz09_.-~");
  EXPECT_EQ(UrlQuote("é?#%", ""), "%C3%A9%3F%23%25");
  EXPECT_EQ(UrlQuote("a:b", ":"), "a:b");
}

TEST(HubUrls, SpellTheHubEndpoints) {
  EXPECT_EQ(ModelInfoUrl("https://hf.co", "org/name", ""), "https://hf.co/api/models/org/name");
  EXPECT_EQ(ModelInfoUrl("https://hf.co", "org/name", "refs/pr/1"),
            "https://hf.co/api/models/org/name/revision/refs%2Fpr%2F1");
  EXPECT_EQ(TreeUrl("https://hf.co", "org/name", "v1.0"),
            "https://hf.co/api/models/org/name/tree/v1.0?recursive=True&expand=False");
  EXPECT_EQ(ResolveUrl("https://hf.co", "org/name", "a/b", "onnx/model 1.onnx"),
            "https://hf.co/org/name/resolve/a%2Fb/onnx/model%201.onnx");
}

TEST(HubUrls, FindsTheNextLink) {
  EXPECT_EQ(FindNextLink({"<https://h/p?cursor=2>; rel=\"next\""}), "https://h/p?cursor=2");
  EXPECT_EQ(FindNextLink({"<https://h/last>; rel=\"last\", </p?c=3>; rel=next"}), "/p?c=3");
  EXPECT_EQ(FindNextLink({"<https://h/a>; rel=\"prev\"", "<https://h/b>; rel=\"prefetch next\""}),
            "https://h/b");
  EXPECT_EQ(FindNextLink({"<https://h/a>; rel=\"last\""}), std::nullopt);
  EXPECT_EQ(FindNextLink({}), std::nullopt);
}

TEST(HubUrls, ResolvesAndComparesUrls) {
  EXPECT_EQ(ResolveReference("http://h:8/api/models/a/b/tree/main?x=1", "/api/next?c=2"),
            "http://h:8/api/next?c=2");
  EXPECT_EQ(ResolveReference("http://h/a", "https://o/b"), "https://o/b");
  EXPECT_TRUE(SameOrigin("https://huggingface.co/api/x", "https://HuggingFace.co:443"));
  EXPECT_FALSE(SameOrigin("https://huggingface.co/api/x", "http://huggingface.co"));
  EXPECT_FALSE(SameOrigin("http://127.0.0.1:1/", "http://127.0.0.1:2/"));
  EXPECT_TRUE(IsRepoUrl("https://huggingface.co/api/models/org/name"));
  EXPECT_TRUE(IsRepoUrl("http://127.0.0.1:9/org/name/resolve/main/config.json"));
  EXPECT_FALSE(IsRepoUrl("https://huggingface.co/api/whoami-v2"));
}

TEST(RetryPolicy, BackoffIsJitteredAndCapped) {
  const RetryPolicy policy{4, absl::Milliseconds(100), absl::Milliseconds(300)};
  absl::BitGen gen;
  for (int i = 0; i < 200; ++i) {
    const absl::Duration first = BackoffDelay(policy, 1, gen);
    EXPECT_GE(first, absl::ZeroDuration());
    EXPECT_LT(first, absl::Milliseconds(100));
    EXPECT_LT(BackoffDelay(policy, 2, gen), absl::Milliseconds(200));
    EXPECT_LT(BackoffDelay(policy, 30, gen), absl::Milliseconds(300));
  }
}

TEST(RetryPolicy, ReadsTheRequestedDelay) {
  const absl::Time now = absl::FromUnixSeconds(1700000000);  // Tue, 14 Nov 2023 22:13:20 GMT
  EXPECT_EQ(RequestedDelay("12", "", now), absl::Seconds(12));
  EXPECT_EQ(RequestedDelay("Tue, 14 Nov 2023 22:13:50 GMT", "", now), absl::Seconds(30));
  EXPECT_EQ(RequestedDelay("", "\"api\";r=0;t=45", now), absl::Seconds(45));
  EXPECT_EQ(RequestedDelay("", "\"a\";r=5;t=9, \"b\";r=0;t=60", now), absl::Seconds(60));
  EXPECT_EQ(RequestedDelay("soon", "", now), std::nullopt);
  EXPECT_EQ(RequestedDelay("", "", now), std::nullopt);
}

std::string ReadTestData(absl::string_view name) {
  std::ifstream file(absl::StrCat(TASKS_HUB_TESTDATA_DIR, "/", name), std::ios::binary);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

TEST(HubJson, ReadsGatedPrivateAndOddTypes) {
  absl::StatusOr<ModelInfo> info = ParseModelInfo(
      R"({"id": "o/n", "private": true, "gated": "manual", "siblings": [{"rfilename": "a"}, 3],
          "config": [1], "pipeline_tag": 7, "unknown": {}})");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->is_private);
  EXPECT_TRUE(info->gated);
  EXPECT_THAT(info->siblings, ElementsAre("a"));
  EXPECT_TRUE(info->config.is_null());
  EXPECT_FALSE(info->pipeline_tag.has_value());
  EXPECT_TRUE(ParseModelInfo(R"({"gated": "auto"})")->gated);
  EXPECT_TRUE(ParseModelInfo(R"({"gated": true})")->gated);
  EXPECT_FALSE(ParseModelInfo(R"({"gated": false})")->gated);
  EXPECT_FALSE(ParseModelInfo("[]").ok());
  EXPECT_FALSE(ParseModelInfo("{\"id\": ").ok());
}

// ---------------------------------------------------------------------------------------------
// Against small HTTP servers on 127.0.0.1.

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

void ExpectError(const absl::Status& status, absl::StatusCode code, absl::string_view reason) {
  EXPECT_EQ(status.code(), code) << status;
  const std::optional<google::rpc::ErrorInfo> info = GetErrorInfo(status);
  ASSERT_TRUE(info.has_value()) << status;
  EXPECT_EQ(info->reason(), reason) << status;
}

std::string MetadataOf(const absl::Status& status, const std::string& key) {
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

  TestServer server_;
  std::unique_ptr<CurlHubClient> client_;
};

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
  EXPECT_FALSE(info->is_private);
  EXPECT_FALSE(info->gated);
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
      res.set_content(R"({"id": "org/name"})", "application/json");
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
    res.set_content("{}", "application/json");
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

struct ErrorCase {
  std::string name;
  HubCall call;
  int status;
  std::string error_code;     // X-Error-Code
  std::string error_message;  // X-Error-Message
  absl::StatusCode code;
  std::string reason;
};

void PrintTo(const ErrorCase& error_case, std::ostream* os) { *os << error_case.name; }

class ErrorMappingTest : public CurlHubClientTest,
                         public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(ErrorMappingTest, MapsTheAnswerToTheHubException) {
  const ErrorCase& c = GetParam();
  ServeError(c.status, c.error_code, c.error_message);

  absl::Status status;
  switch (c.call) {
    case HubCall::kModelInfo:
      status = client().GetModelInfo("org/name", "v1", {}, Deadline()).status();
      break;
    case HubCall::kTree:
      status = client().ListRepoFiles("org/name", "v1", {}, Deadline()).status();
      break;
    case HubCall::kResolve:
      status = client().GetFile("org/name", "v1", "config.json", {}, Deadline()).status();
      break;
  }
  ExpectError(status, c.code, c.reason);
  EXPECT_EQ(MetadataOf(status, "repo_id"), "org/name");
  EXPECT_EQ(MetadataOf(status, "revision"), "v1");
  EXPECT_EQ(MetadataOf(status, "http_status"), absl::StrCat(c.status));
  EXPECT_THAT(status.message(), HasSubstr("'org/name'"));
  EXPECT_THAT(status.message(), HasSubstr("The Hub says: "));
  EXPECT_EQ(server_.count(), 1);  // client errors are not retried
}

INSTANTIATE_TEST_SUITE_P(
    Hub, ErrorMappingTest,
    ::testing::Values(ErrorCase{"RepoNotFound", HubCall::kModelInfo, 404, "RepoNotFound", "",
                                absl::StatusCode::kNotFound, "RepositoryNotFoundError"},
                      ErrorCase{"RevisionNotFound", HubCall::kModelInfo, 404, "RevisionNotFound",
                                "", absl::StatusCode::kNotFound, "RevisionNotFoundError"},
                      ErrorCase{"EntryNotFound", HubCall::kResolve, 404, "EntryNotFound", "",
                                absl::StatusCode::kNotFound, "EntryNotFoundError"},
                      ErrorCase{"GatedRepo403", HubCall::kResolve, 403, "GatedRepo", "",
                                absl::StatusCode::kPermissionDenied, "GatedRepoError"},
                      ErrorCase{"GatedRepo401", HubCall::kModelInfo, 401, "GatedRepo", "",
                                absl::StatusCode::kPermissionDenied, "GatedRepoError"},
                      ErrorCase{"Unauthorized401ModelInfo", HubCall::kModelInfo, 401, "", "",
                                absl::StatusCode::kNotFound, "RepositoryNotFoundError"},
                      ErrorCase{"Unauthorized401Tree", HubCall::kTree, 401, "", "",
                                absl::StatusCode::kNotFound, "RepositoryNotFoundError"},
                      ErrorCase{"Unauthorized401Resolve", HubCall::kResolve, 401, "", "",
                                absl::StatusCode::kNotFound, "RepositoryNotFoundError"},
                      ErrorCase{"Disabled", HubCall::kModelInfo, 403, "",
                                "Access to this resource is disabled.",
                                absl::StatusCode::kFailedPrecondition, "DisabledRepoError"},
                      ErrorCase{"Forbidden", HubCall::kModelInfo, 403, "", "",
                                absl::StatusCode::kPermissionDenied, "HfHubHTTPError"},
                      ErrorCase{"NoFileOnResolve", HubCall::kResolve, 404, "", "",
                                absl::StatusCode::kNotFound, "EntryNotFoundError"},
                      ErrorCase{"Unexplained404OnApi", HubCall::kModelInfo, 404, "", "",
                                absl::StatusCode::kInternal, "HfHubHTTPError"},
                      ErrorCase{"BadRequest", HubCall::kTree, 400, "", "",
                                absl::StatusCode::kInternal, "HfHubHTTPError"}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return info.param.name; });

TEST_F(CurlHubClientTest, ReadsDisabledFromTheBody) {
  server_.server().Get(".*", [](const httplib::Request&, httplib::Response& res) {
    res.status = 403;
    res.set_content(R"({"error": "Access to this resource is disabled."})", "application/json");
  });
  server_.Start();
  ExpectError(client().GetModelInfo("org/name", "", {}, Deadline()).status(),
              absl::StatusCode::kFailedPrecondition, "DisabledRepoError");
}

TEST_F(CurlHubClientTest, A401OffTheRepoUrlsIsUnauthenticated) {
  server_.server().Get("/api/models/org/name", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("/api/whoami-v2", 307);
  });
  server_.server().Get("/api/whoami-v2",
                       [](const httplib::Request&, httplib::Response& res) { res.status = 401; });
  server_.Start();
  ExpectError(client().GetModelInfo("org/name", "", {}, Deadline()).status(),
              absl::StatusCode::kUnauthenticated, "HfHubHTTPError");
}

TEST_F(CurlHubClientTest, ErrorMessagesQuoteTheHubAndItsRequestId) {
  server_.server().Get(".*", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_header("X-Error-Code", "RepoNotFound");
    res.set_header("X-Request-Id", "Root=1-abc");
    res.set_content(R"({"error": "Repository not found"})", "application/json");
  });
  server_.Start();
  const absl::Status status = client().GetModelInfo("org/name", "", {}, Deadline()).status();
  EXPECT_THAT(status.message(), HasSubstr("check the repo id"));
  EXPECT_THAT(status.message(), HasSubstr("request id Root=1-abc"));
  EXPECT_THAT(status.message(), HasSubstr("The Hub says: Repository not found"));
  EXPECT_EQ(MetadataOf(status, "revision"), "<absent>");
}

TEST_F(CurlHubClientTest, NeverPutsTheTokenInAnError) {
  // A server that echoes the Authorization header back, as a misbehaving proxy might.
  server_.server().Get(R"(/api/models/org/status-(\d+))",
                       [](const httplib::Request& req, httplib::Response& res) {
                         int status = 0;
                         ASSERT_TRUE(absl::SimpleAtoi(req.matches[1].str(), &status));
                         const std::string authorization = req.get_header_value("Authorization");
                         res.status = status;
                         res.set_header("Retry-After", "600");
                         res.set_header("X-Error-Message", authorization);
                         res.set_content(authorization, "text/plain");
                       });
  server_.Start();

  for (const int status : {401, 403, 404, 429, 500}) {
    SCOPED_TRACE(status);
    const absl::Status error = client()
                                   .GetModelInfo(absl::StrCat("org/status-", status), "",
                                                 {std::string(kToken)}, Deadline())
                                   .status();
    EXPECT_FALSE(error.ok());
    EXPECT_THAT(error.message(), HasSubstr("Bearer <token>"));
    EXPECT_THAT(error.message(), Not(HasSubstr(kToken)));
    const std::optional<google::rpc::ErrorInfo> info = GetErrorInfo(error);
    ASSERT_TRUE(info.has_value());
    for (const auto& [key, value] : info->metadata()) {
      EXPECT_THAT(value, Not(HasSubstr(kToken))) << key;
    }
  }
}

TEST_F(CurlHubClientTest, RetriesServerErrorsThenSucceeds) {
  std::atomic<int> calls = 0;
  server_.server().Get(".*", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls <= 2) {
      res.status = 500;
      return;
    }
    res.set_content(R"({"id": "org/name"})", "application/json");
  });
  server_.Start();

  absl::StatusOr<ModelInfo> info = client().GetModelInfo("org/name", "", {}, Deadline());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(server_.count(), 3);
}

TEST_F(CurlHubClientTest, GivesUpOnServerErrorsAfterMaxAttempts) {
  ServeError(503);
  const absl::Status status = client().GetFile("org/name", "", "a.json", {}, Deadline()).status();
  ExpectError(status, absl::StatusCode::kUnavailable, "HfHubHTTPError");
  EXPECT_THAT(status.message(), HasSubstr("after 4 attempts"));
  EXPECT_EQ(server_.count(), 4);
}

TEST_F(CurlHubClientTest, WaitsAsLongAsRetryAfterAsks) {
  std::atomic<int> calls = 0;
  server_.server().Get(".*", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls == 1) {
      res.status = 429;
      res.set_header("Retry-After", "1");
      return;
    }
    res.set_content("{}", "application/json");
  });
  server_.Start();

  const absl::Time start = absl::Now();
  ASSERT_TRUE(client().GetModelInfo("org/name", "", {}, Deadline()).ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(990));
  EXPECT_EQ(server_.count(), 2);
}

TEST_F(CurlHubClientTest, RateLimitPastTheDeadlineIsResourceExhausted) {
  server_.server().Get(".*", [](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "30");
  });
  server_.Start();

  const absl::Time start = absl::Now();
  const absl::Status status =
      client().GetModelInfo("org/name", "", {}, Deadline(absl::Seconds(2))).status();
  ExpectError(status, absl::StatusCode::kResourceExhausted, "HfHubHTTPError");
  EXPECT_EQ(MetadataOf(status, "retry_after_seconds"), "30");
  EXPECT_THAT(status.message(), HasSubstr("retry after 30 s"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
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
  CurlHubClientOptions options = Options();
  options.endpoint = absl::StrCat("http://127.0.0.1:", UnusedPort());
  CurlHubClient client(options);

  const absl::Time start = absl::Now();
  const absl::Status status = client.GetModelInfo("org/name", "", {}, Deadline()).status();
  ExpectError(status, absl::StatusCode::kUnavailable, "ConnectionError");
  EXPECT_THAT(status.message(), HasSubstr("after 4 attempts"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
}

TEST_F(CurlHubClientTest, ASlowServerMeetsTheDeadline) {
  // Shared with the handler, which may still run after the client has given up.
  auto release = std::make_shared<absl::Notification>();
  server_.server().Get(".*", [release](const httplib::Request&, httplib::Response& res) {
    release->WaitForNotificationWithTimeout(absl::Seconds(5));
    res.set_content("{}", "application/json");
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

// GetModelInfo (deadline 20 s away) whose caller goes away after 200 ms; how long it took.
std::pair<absl::Status, absl::Duration> GetModelInfoAbandoned(CurlHubClient& client) {
  CancellationFlag nobody_waits;
  const absl::Time start = absl::Now();
  std::thread cancel([&nobody_waits] {
    absl::SleepFor(absl::Milliseconds(200));
    nobody_waits.Cancel();
  });
  const absl::Status status =
      client
          .GetModelInfo("org/name", "", {},
                        WaitLimits(absl::Now() + absl::Seconds(20), &nobody_waits))
          .status();
  cancel.join();
  return {status, absl::Now() - start};
}

TEST_F(CurlHubClientTest, AbandonsAnAnswerNobodyWaitsFor) {
  auto release = std::make_shared<absl::Notification>();
  server_.server().Get(".*", [release](const httplib::Request&, httplib::Response& res) {
    release->WaitForNotificationWithTimeout(absl::Seconds(20));
    res.set_content("{}", "application/json");
  });
  server_.Start();

  const auto [status, elapsed] = GetModelInfoAbandoned(client());
  release->Notify();
  ExpectError(status, absl::StatusCode::kCancelled, "Cancelled");
  EXPECT_THAT(status.message(), HasSubstr("abandoned"));
  EXPECT_LT(elapsed, absl::Seconds(3));  // libcurl asks at least once a second
  EXPECT_EQ(server_.count(), 1);
}

TEST_F(CurlHubClientTest, AbandonsTheWaitBeforeARetry) {
  server_.server().Get(".*", [](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "10");
  });
  server_.Start();

  const auto [status, elapsed] = GetModelInfoAbandoned(client());
  ExpectError(status, absl::StatusCode::kCancelled, "Cancelled");
  EXPECT_LT(elapsed, absl::Seconds(2));
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
        res.set_content(R"({"id": "new-org/new-name", "sha": "abc"})", "application/json");
      });
  server_.Start();

  absl::StatusOr<ModelInfo> info = client().GetModelInfo("old-org/old-name", "", {}, Deadline());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->id, "new-org/new-name");
  EXPECT_EQ(info->sha, "abc");
}

TEST_F(CurlHubClientTest, StopsARedirectLoop) {
  server_.server().Get(".*", [](const httplib::Request& req, httplib::Response& res) {
    res.set_redirect(req.path, 307);
  });
  server_.Start();
  ExpectError(client().GetModelInfo("org/name", "", {}, Deadline()).status(),
              absl::StatusCode::kInternal, "TooManyRedirects");
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
    res.set_content("{}", "application/json");
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
    res.set_content(absl::StrCat(R"({"id": ")", req.path.substr(12), R"("})"), "application/json");
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

TEST_F(CurlHubClientTest, RejectsBadArgumentsWithoutARequest) {
  ServeError(500);
  for (const std::string repo_id : {"", "a/b/c", "-org/name", "org/name-", "org/na--me",
                                    "org/name.git", "../name", "org/na me", "org/name?x=1"}) {
    SCOPED_TRACE(repo_id);
    ExpectError(client().GetModelInfo(repo_id, "", {}, Deadline()).status(),
                absl::StatusCode::kInvalidArgument, "HFValidationError");
  }
  ExpectError(client().GetModelInfo("org/name", "..", {}, Deadline()).status(),
              absl::StatusCode::kInvalidArgument, "HFValidationError");
  for (const std::string path : {"", "../../api/whoami", "a/./b"}) {
    SCOPED_TRACE(path);
    ExpectError(client().GetFile("org/name", "", path, {}, Deadline()).status(),
                absl::StatusCode::kInvalidArgument, "HFValidationError");
  }
  const absl::Status bad_token =
      client().GetModelInfo("org/name", "", {"hf_x\r\nX-Injected: 1"}, Deadline()).status();
  ExpectError(bad_token, absl::StatusCode::kInvalidArgument, "InvalidHeader");
  EXPECT_THAT(bad_token.message(), Not(HasSubstr("hf_x")));
  EXPECT_EQ(server_.count(), 0);
}

TEST_F(CurlHubClientTest, IgnoresATrailingSlashOnTheEndpoint) {
  server_.server().Get(".*", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{}", "application/json");
  });
  server_.Start();
  CurlHubClientOptions options = Options();
  options.endpoint += "/";
  ASSERT_TRUE(CurlHubClient(options).GetModelInfo("org/name", "", {}, Deadline()).ok());
  EXPECT_THAT(server_.targets(), ElementsAre("/api/models/org/name"));
}

}  // namespace
}  // namespace tasks::hub
