// Generations: which generation a caller's `optimum-version` selects, what is refused and how,
// and the holder a reload swaps while calls read it (under ThreadSanitizer, the CI tsan stage
// runs this binary, the swap must show no race).
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/errors.h"
#include "server/registry/generations.h"
#include "tests/test_support.h"

namespace tasks::registry {
namespace {

using ::tasks::testing::Reason;
using ::tasks::testing::SharedEmbeddedGenerations;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Selected(const Generations& generations, absl::string_view version) {
  absl::StatusOr<std::shared_ptr<const TasksManager>> selected = generations.Select(version);
  return selected.ok() ? (*selected)->snapshot().generation : selected.status().ToString();
}

TEST(Generations, NamesFullVersionsAndLatestSelectTheirGeneration) {
  const Generations& generations = *SharedEmbeddedGenerations();
  EXPECT_EQ(Selected(generations, "1.23"), "1.23");
  EXPECT_EQ(Selected(generations, "1.27"), "1.27");
  EXPECT_EQ(Selected(generations, "2.1"), "2.1");
  EXPECT_EQ(Selected(generations, "1.23.3"), "1.23");
  EXPECT_EQ(Selected(generations, "1.27.0"), "1.27");
  EXPECT_EQ(Selected(generations, "1.23.0"), "1.23");
  EXPECT_EQ(Selected(generations, "2.1.0"), "2.1");
  EXPECT_EQ(Selected(generations, "2.1.0.dev0"), "2.1");
  EXPECT_EQ(Selected(generations, "2.1.1rc1"), "2.1");
  EXPECT_EQ(Selected(generations, "latest"), "2.1");
  EXPECT_EQ(Selected(generations, ""), "1.23");  // this set's default
  EXPECT_EQ(generations.latest().snapshot().generation, "2.1");
}

TEST(Generations, AVersionNoGenerationCoversIsAValueErrorNamingTheShippedOnes) {
  const Generations& generations = *SharedEmbeddedGenerations();
  for (absl::string_view version :
       {"2.2.0", "1.26", "1.24.0", "2", "1.2", "v2.1", "2.1x", "latest2", "3.0"}) {
    SCOPED_TRACE(version);
    absl::StatusOr<std::shared_ptr<const TasksManager>> selected = generations.Select(version);
    ASSERT_FALSE(selected.ok());
    EXPECT_EQ(selected.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(Reason(selected.status()), "ValueError");
    EXPECT_THAT(selected.status().message(), HasSubstr("1.23, 1.27, 2.1, latest"));
    const std::optional<google::rpc::ErrorInfo> info = GetErrorInfo(selected.status());
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->metadata().at("argument"), "optimum-version");
    EXPECT_EQ(info->metadata().at("valid_choices"), "1.23, 1.27, 2.1, latest");
  }
  const absl::Status typo = generations.Select("2.0").status();
  EXPECT_EQ(GetErrorInfo(typo)->metadata().at("did_you_mean"), "2.1");
}

TEST(Generations, KeepsOldestFirstAndRefusesAnUnknownDefaultOrTwins) {
  const std::vector<std::shared_ptr<const TasksManager>>& all = SharedEmbeddedGenerations()->all();
  ASSERT_EQ(all.size(), 3u);
  // Given newest first, kept oldest first; the default "latest" is the newest.
  absl::StatusOr<std::shared_ptr<const Generations>> created =
      Generations::Create({all[2], all[0], all[1]}, "latest");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ((*created)->all()[0]->snapshot().generation, "1.23");
  EXPECT_EQ((*created)->all()[1]->snapshot().generation, "1.27");
  EXPECT_EQ((*created)->default_generation().snapshot().generation, "2.1");

  // A set without 1.27 does not answer for it.
  const absl::Status unknown = Generations::Create({all[0], all[2]}, "1.27").status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.message(), HasSubstr("--default_optimum_version"));
  EXPECT_THAT(unknown.message(), HasSubstr("1.23, 2.1, latest"));
  EXPECT_FALSE(Generations::Create({all[0], all[0]}, "latest").ok());
  EXPECT_FALSE(Generations::Create({}, "latest").ok());
}

TEST(LoadGenerations, LoadsEveryEmbeddedGenerationWithTheExtraDirsInEach) {
  absl::StatusOr<LoadedGenerations> loaded =
      LoadGenerations({std::string(TASKS_REGISTRY_OPTIONAL_DIR)}, "2.1.0");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->generations->default_generation().snapshot().generation, "2.1");
  std::vector<std::string> names;
  for (const auto& generation : loaded->generations->all()) {
    names.push_back(generation->snapshot().generation);
    // data/registry-optional/ registers neuron decoders: every generation gets them.
    EXPECT_TRUE(generation
                    ->GetExporterConfigConstructor("neuron", "text-generation", "llama",
                                                   std::nullopt, "transformers")
                    .ok())
        << generation->snapshot().generation;
  }
  EXPECT_THAT(names, ElementsAre("1.23", "1.27", "2.1"));
  EXPECT_THAT(DescribeGenerations(*loaded), HasSubstr("; default 2.1"));
}

TEST(GenerationsHolder, ReadersSeeAWholeSetWhileItIsSwapped) {
  const std::shared_ptr<const Generations> first = SharedEmbeddedGenerations();
  absl::StatusOr<std::shared_ptr<const Generations>> second =
      Generations::Create(first->all(), "latest");
  ASSERT_TRUE(second.ok());
  GenerationsHolder holder(first);
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!done) {
        const std::shared_ptr<const Generations> current = holder.Get();
        EXPECT_TRUE(current == first || current == *second);
        EXPECT_FALSE(current->default_generation().snapshot().all_tasks.empty());
        ++reads;
      }
    });
  }
  for (int swap = 0; swap < 2000; ++swap) holder.Set(swap % 2 == 0 ? *second : first);
  while (reads < 1000) std::this_thread::yield();
  done = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(holder.Get(), first);  // the last of an even number of swaps
}

}  // namespace
}  // namespace tasks::registry
