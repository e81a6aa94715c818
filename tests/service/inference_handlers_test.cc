// InferenceHandlers without a server, over an in-memory Hub: which calls are answered at once on
// the calling thread and which carry their work to a thread that may wait, and where each answer
// comes from.
#include "server/service/inference_handlers.h"

#include <memory>

#include "gtest/gtest.h"
#include "tests/hub/in_memory_hub_client.h"
#include "tests/test_support.h"

namespace tasks::service {
namespace {

namespace v1 = optimum::tasks::v1;
using ::tasks::testing::InMemoryHubClient;
using ::tasks::testing::Reason;
using ::tasks::testing::SharedEmbeddedTasksManager;

constexpr size_t kCacheBytes = 1 << 20;

class InferenceHandlersTest : public ::testing::Test {
 protected:
  InferenceHandlersTest() {
    hub::ModelInfo info;
    info.id = "org/bert";
    info.sha = "0123456789abcdef0123456789abcdef01234567";
    info.pipeline_tag = "fill-mask";
    info.library_name = "transformers";
    info.siblings = {"config.json", "model.safetensors"};
    info.config = {{"model_type", "bert"}};
    hub_.AddRepo({info, {{"config.json", R"({"model_type": "bert"})"}}, ""});
  }

  static v1::DetermineFrameworkRequest Request() {
    v1::DetermineFrameworkRequest request;
    request.set_model_name_or_path("org/bert");
    return request;
  }
  static WaitLimits Limits() { return absl::Now() + absl::Seconds(10); }

  int64_t DerivedHits() const {
    v1::GetCacheStatsResponse stats;
    EXPECT_TRUE(handlers_.GetCacheStats(v1::GetCacheStatsRequest(), stats).ok());
    return stats.derived_hits();
  }

  InMemoryHubClient hub_;
  hub::HubCache cache_{&hub_, {.max_bytes = kCacheBytes}};
  inference::ModelLocator locator_{{}, &cache_};
  AnswerMemo memo_{kCacheBytes};
  InferenceHandlers handlers_{&locator_, &cache_, &memo_, kCacheBytes};
};

TEST_F(InferenceHandlersTest, AColdCallFinishesFromTheHub) {
  const v1::DetermineFrameworkRequest request = Request();
  v1::DetermineFrameworkResponse response;
  InferenceStep step = handlers_.DetermineFramework(SharedEmbeddedTasksManager(), request, response, {});
  EXPECT_FALSE(step.answered());
  EXPECT_EQ(hub_.calls(), 0);  // nothing asked of the Hub on the calling thread
  ASSERT_TRUE(std::move(step).Finish(Limits()).ok());
  EXPECT_EQ(response.framework(), "pt");
  EXPECT_EQ(response.source().source(), "hub");
  EXPECT_EQ(response.source().commit_sha(), "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(hub_.calls(), 1);
  EXPECT_EQ(DerivedHits(), 0);
}

TEST_F(InferenceHandlersTest, AWarmCallComputesOnceThenIsAnsweredAtOnce) {
  const v1::DetermineFrameworkRequest request = Request();
  {
    v1::DetermineFrameworkResponse cold;
    ASSERT_TRUE(handlers_.DetermineFramework(SharedEmbeddedTasksManager(), request, cold, {}).Finish(Limits()).ok());
  }
  // The model info is cached, but no answer was kept for it yet (a one-off question's answer is
  // not): computed, on a thread that may wait, from the cache.
  v1::DetermineFrameworkResponse computed;
  InferenceStep second = handlers_.DetermineFramework(SharedEmbeddedTasksManager(), request, computed, {});
  EXPECT_FALSE(second.answered());
  ASSERT_TRUE(std::move(second).Finish(Limits()).ok());
  EXPECT_EQ(computed.framework(), "pt");
  EXPECT_EQ(computed.source().source(), "cache");
  EXPECT_EQ(DerivedHits(), 0);

  // The same request again: answered right here from the kept answer.
  v1::DetermineFrameworkResponse kept;
  InferenceStep third = handlers_.DetermineFramework(SharedEmbeddedTasksManager(), request, kept, {});
  ASSERT_TRUE(third.answered());
  EXPECT_TRUE(third.status().ok()) << third.status();
  EXPECT_EQ(kept.framework(), "pt");
  EXPECT_EQ(kept.source().source(), "cache");
  EXPECT_EQ(DerivedHits(), 1);
  EXPECT_EQ(hub_.calls(), 1);
}

TEST_F(InferenceHandlersTest, AnotherRequestAboutTheSameModelIsComputedForItself) {
  const v1::DetermineFrameworkRequest request = Request();
  for (int i = 0; i < 2; ++i) {
    v1::DetermineFrameworkResponse response;
    ASSERT_TRUE(handlers_.DetermineFramework(SharedEmbeddedTasksManager(), request, response, {}).Finish(Limits()).ok());
  }
  v1::InferLibraryFromModelRequest library;
  library.set_model("org/bert");
  v1::InferLibraryFromModelResponse response;
  InferenceStep step = handlers_.InferLibraryFromModel(SharedEmbeddedTasksManager(), library, response, {});
  EXPECT_FALSE(step.answered());  // the kept framework answer is not this request's
  ASSERT_TRUE(std::move(step).Finish(Limits()).ok());
  EXPECT_EQ(response.library_name(), "transformers");
  EXPECT_EQ(DerivedHits(), 0);
}

TEST_F(InferenceHandlersTest, AMissingArgumentIsAnsweredAtOnce) {
  v1::DetermineFrameworkRequest request;
  v1::DetermineFrameworkResponse response;
  InferenceStep step = handlers_.DetermineFramework(SharedEmbeddedTasksManager(), request, response, {});
  ASSERT_TRUE(step.answered());
  EXPECT_EQ(step.status().code(), absl::StatusCode::kInvalidArgument) << step.status();
  EXPECT_EQ(Reason(step.status()), "TypeError");

  v1::ResolveExportRequest resolve;
  resolve.set_model("org/bert");  // and no exporter
  v1::ResolveExportResponse plan;
  InferenceStep no_exporter = handlers_.ResolveExport(SharedEmbeddedTasksManager(), resolve, plan, {});
  ASSERT_TRUE(no_exporter.answered());
  EXPECT_EQ(no_exporter.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(no_exporter.status()), "TypeError");
  EXPECT_EQ(hub_.calls(), 0);
}

TEST_F(InferenceHandlersTest, AKeptNotFoundIsAnsweredAtOnce) {
  const v1::DetermineFrameworkRequest missing = [] {
    v1::DetermineFrameworkRequest request;
    request.set_model_name_or_path("org/missing");
    return request;
  }();
  v1::DetermineFrameworkResponse response;
  EXPECT_EQ(handlers_.DetermineFramework(SharedEmbeddedTasksManager(), missing, response, {}).Finish(Limits()).code(),
            absl::StatusCode::kNotFound);
  InferenceStep again = handlers_.DetermineFramework(SharedEmbeddedTasksManager(), missing, response, {});
  ASSERT_TRUE(again.answered());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(hub_.calls(), 1);
}

}  // namespace
}  // namespace tasks::service
