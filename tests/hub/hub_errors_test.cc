// The errors of CurlHubClient (hub_errors.h) for the Hub's answers, through the client against
// a small HTTP server on 127.0.0.1: the huggingface_hub exception, the code, the metadata, the
// message, and never the token.
#include "server/hub/hub_errors.h"

#include <optional>
#include <ostream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/errors.h"
#include "tests/hub/curl_test_server.h"

namespace tasks::hub {
namespace {

using ::tasks::hub::testing::CurlHubClientTest;
using ::tasks::hub::testing::ExpectError;
using ::tasks::hub::testing::kToken;
using ::tasks::hub::testing::MetadataOf;
using ::testing::HasSubstr;
using ::testing::Not;

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

}  // namespace
}  // namespace tasks::hub
