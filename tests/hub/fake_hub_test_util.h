// Helpers shared by the fake Hub's tests: a started FakeHub per test and HTTP calls to it.
#ifndef TASKS_TESTS_HUB_FAKE_HUB_TEST_UTIL_H_
#define TASKS_TESTS_HUB_FAKE_HUB_TEST_UTIL_H_

#include <fstream>
#include <iterator>
#include <string>

#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/hub/fake_hub.h"

namespace tasks::testing {

inline constexpr char kFixturesDir[] = TASKS_FAKE_HUB_FIXTURES_DIR;
inline constexpr char kLlamaToken[] = "hf_fakeHubLlama2GatedAccess0000000000";
inline constexpr char kGemmaToken[] = "hf_fakeHubGemmaGatedAccess00000000000";
inline constexpr char kAcmeToken[] = "hf_fakeHubAcmePrivateRead000000000000";

inline httplib::Headers Bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

// A file of a fixture repo at main, as stored on disk.
inline std::string FixtureFile(const std::string& repo_id, const std::string& path) {
  std::ifstream in(std::string(kFixturesDir) + "/" + repo_id + "/files/" + path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class FakeHubTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(hub_.Start()); }

  httplib::Result Get(const std::string& path, const httplib::Headers& headers = {}) {
    httplib::Client client(hub_.endpoint());
    return client.Get(path, headers);
  }

  httplib::Result Head(const std::string& path, const httplib::Headers& headers = {}) {
    httplib::Client client(hub_.endpoint());
    return client.Head(path, headers);
  }

  // The JSON body of a 200 answer (null, with a failure, otherwise).
  nlohmann::json GetJson(const std::string& path, const httplib::Headers& headers = {}) {
    httplib::Result result = Get(path, headers);
    EXPECT_TRUE(result) << path << ": " << result.error();
    if (!result) return nullptr;
    EXPECT_EQ(result->status, 200) << path << ": " << result->body;
    return nlohmann::json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  }

  FakeHub hub_{kFixturesDir};
};

// Checks a Hub error answer: status, X-Error-Code ("" = none) and the message, which the Hub
// sends both as X-Error-Message and as the body's "error".
inline void ExpectHubError(const httplib::Result& result, int status, const std::string& code,
                           const std::string& message) {
  ASSERT_TRUE(result) << result.error();
  EXPECT_EQ(result->status, status);
  EXPECT_EQ(result->get_header_value("X-Error-Code"), code);
  EXPECT_EQ(result->get_header_value("X-Error-Message"), message);
  EXPECT_EQ(nlohmann::json::parse(result->body, nullptr, false),
            (nlohmann::json{{"error", message}}));
}

}  // namespace tasks::testing

#endif  // TASKS_TESTS_HUB_FAKE_HUB_TEST_UTIL_H_
