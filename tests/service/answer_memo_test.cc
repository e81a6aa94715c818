// AnswerMemo: a kept answer is found only for the same request, the very model info object and
// registry snapshot it was computed from, and kept answers stay under their byte bound.
#include "server/service/answer_memo.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "optimum/tasks/v1/tasks_manager.pb.h"
#include "server/registry/registry_loader.h"
#include "tests/test_support.h"

namespace tasks::service {
namespace {

namespace v1 = optimum::tasks::v1;

std::shared_ptr<const hub::ModelInfo> Info(const std::string& id) {
  auto info = std::make_shared<hub::ModelInfo>();
  info->id = id;
  info->sha = "0123456789abcdef0123456789abcdef01234567";
  return info;
}

v1::DetermineFrameworkRequest Request(const std::string& model) {
  v1::DetermineFrameworkRequest request;
  request.set_model_name_or_path(model);
  return request;
}

v1::DetermineFrameworkResponse Answer(const std::string& framework) {
  v1::DetermineFrameworkResponse response;
  response.set_framework(framework);
  return response;
}

class AnswerMemoTest : public ::testing::Test {
 protected:
  std::shared_ptr<const registry::TasksManager> registry_ = testing::SharedEmbeddedTasksManager();
};

TEST_F(AnswerMemoTest, AnAnswerIsFoundOnlyWithTheModelInfoItCameFrom) {
  AnswerMemo memo(1 << 20);
  const auto info = Info("org/public");
  memo.Keep(info, registry_, Request("org/public"), Answer("pt"));
  v1::DetermineFrameworkResponse found;
  ASSERT_TRUE(memo.Find(info, registry_, Request("org/public"), found));
  EXPECT_EQ(found.framework(), "pt");
  v1::DetermineFrameworkResponse other;
  EXPECT_FALSE(memo.Find(info, registry_, Request("org/other"), other));  // another request
  EXPECT_EQ(memo.Stats().hits, 1);
  // A refetched model info is a new object, even with the same contents: what was computed from
  // the old one may no longer hold.
  EXPECT_FALSE(memo.Find(std::make_shared<const hub::ModelInfo>(*info), registry_,
                         Request("org/public"), other));
  EXPECT_EQ(memo.Stats().hits, 1);
}

TEST_F(AnswerMemoTest, ANewModelInfoAtAReusedAddressFindsNothing) {
  AnswerMemo memo(1 << 20);
  // Allocated apart from its control block, so that its memory is freed while the memo still
  // holds a weak reference, and may be handed to the next model info.
  std::shared_ptr<const hub::ModelInfo> old_info(new hub::ModelInfo(*Info("org/public")));
  const hub::ModelInfo* const address = old_info.get();
  memo.Keep(old_info, registry_, Request("org/public"), Answer("pt"));
  old_info.reset();
  std::shared_ptr<const hub::ModelInfo> new_info(new hub::ModelInfo(*Info("org/public")));
  if (new_info.get() != address) GTEST_SKIP() << "the allocator did not reuse the address";
  v1::DetermineFrameworkResponse found;
  EXPECT_FALSE(memo.Find(new_info, registry_, Request("org/public"), found));
}

TEST_F(AnswerMemoTest, AnotherRegistrySnapshotFindsNothing) {
  AnswerMemo memo(1 << 20);
  const auto info = Info("org/public");
  memo.Keep(info, registry_, Request("org/public"), Answer("pt"));
  absl::StatusOr<registry::RegistrySources> sources = registry::CollectRegistrySources({});
  ASSERT_TRUE(sources.ok()) << sources.status();
  absl::StatusOr<registry::LoadedRegistry> loaded = registry::LoadRegistry(*sources);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const auto reloaded = std::make_shared<const registry::TasksManager>(loaded->snapshot);
  v1::DetermineFrameworkResponse found;
  EXPECT_FALSE(memo.Find(info, reloaded, Request("org/public"), found));
}

TEST_F(AnswerMemoTest, KeptAnswersCountInTheByteBound) {
  const size_t bound = 64 << 10;
  AnswerMemo memo(bound);
  const auto info = Info("org/public");
  const std::string big(4 << 10, 'x');
  memo.Keep(info, registry_, Request("model 0"), Answer(big));
  EXPECT_GE(memo.Stats().bytes, 4 << 10);
  for (int i = 1; i < 40; ++i) {
    memo.Keep(info, registry_, Request("model " + std::to_string(i)), Answer(big));
    EXPECT_LE(memo.Stats().bytes, static_cast<int64_t>(bound));
  }
  EXPECT_GT(memo.Stats().evictions, 20);
  v1::DetermineFrameworkResponse found;
  EXPECT_FALSE(memo.Find(info, registry_, Request("model 0"), found));  // evicted first
  EXPECT_TRUE(memo.Find(info, registry_, Request("model 39"), found));
}

}  // namespace
}  // namespace tasks::service
