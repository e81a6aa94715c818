// DiffSupportMatrix between the embedded 1.23 registry and the 2.1 data (data/registry-2.1/).
// Expected rows come from the reference tables (tests/reference/, tests/reference-2.1/), never
// from the data files under test.
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/registry/support_matrix.h"
#include "tests/test_support.h"

namespace tasks::registry {
namespace {

using ::tasks::testing::GenerationReference;
using ::tasks::testing::Reason;
using ::tasks::testing::Reference;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Kind = SupportMatrixChange::Kind;

const RegistrySnapshot& V123() { return tasks::testing::EmbeddedTasksManager().snapshot(); }

const RegistrySnapshot& V21() { return tasks::testing::EmbeddedGeneration("2.1").snapshot(); }

const nlohmann::ordered_json& Reference21(const std::string& relative_path) {
  return GenerationReference("2.1", relative_path);
}

std::vector<SupportMatrixChange> Diff(const RegistrySnapshot& from, const RegistrySnapshot& to,
                                      const SupportMatrixFilter& filter) {
  absl::StatusOr<std::vector<SupportMatrixChange>> changes = DiffSupportMatrix(from, to, filter);
  EXPECT_TRUE(changes.ok()) << changes.status();
  return changes.ok() ? *std::move(changes) : std::vector<SupportMatrixChange>{};
}

// A row as (model type, registry key, config class), the shape of the reference tables.
using Entry = std::tuple<std::string, std::string, std::string>;
Entry AsEntry(const SupportMatrixRow& row) {
  return {std::string(row.model_type), std::string(row.task) + (row.use_past ? "-with-past" : ""),
          std::string(row.config_class)};
}

// The reference's onnx registration of one transformers model type, as entries.
std::set<Entry> ReferenceEntries(const nlohmann::ordered_json& tasks,
                                 const std::string& model_type) {
  std::set<Entry> entries;
  for (const auto& [key, config_class] : tasks.items()) {
    entries.insert({model_type, key, config_class.get<std::string>()});
  }
  return entries;
}

// qwen3 is new in optimum-onnx 0.1.0: every one of its 2.1 registry keys is added.
TEST(SupportMatrixDiffTest, Qwen3OnnxIsAddedIn21) {
  const std::vector<SupportMatrixChange> changes =
      Diff(V123(), V21(), {.exporter = "onnx", .model_type = "qwen3"});
  std::set<Entry> added;
  for (const SupportMatrixChange& change : changes) {
    EXPECT_EQ(change.kind, Kind::kAdded);
    EXPECT_FALSE(change.before.has_value());
    ASSERT_TRUE(change.after.has_value());
    EXPECT_EQ(change.after->library, "transformers");
    added.insert(AsEntry(*change.after));
  }
  EXPECT_EQ(
      added,
      ReferenceEntries(
          Reference21("backends/onnx.json")["registered_by_decorators"]["transformers"]["qwen3"],
          "qwen3"));
}

// Optimum 1.x keys gpt-neo with '-', 2.x as transformers spells it: one model type, each row
// matched across the spellings and reported as changed (the key), or added / removed where only
// one generation registers the task.
TEST(SupportMatrixDiffTest, GptNeoIsChangedInSpelling) {
  const std::set<Entry> before = ReferenceEntries(
      Reference("supported_model_types.json")["libraries"]["transformers"]["model_types"]["gpt-neo"]
                                             ["exporters"]["onnx"],
      "gpt-neo");
  const std::set<Entry> after = ReferenceEntries(
      Reference21("backends/onnx.json")["registered_by_decorators"]["transformers"]["gpt_neo"],
      "gpt_neo");
  ASSERT_FALSE(before.empty());
  ASSERT_FALSE(after.empty());

  // Either spelling selects the model type in both generations.
  for (absl::string_view spelled : {"gpt_neo", "gpt-neo", "GPT-Neo"}) {
    std::set<Entry> removed, added, changed_before, changed_after;
    for (const SupportMatrixChange& change :
         Diff(V123(), V21(), {.exporter = "onnx", .model_type = spelled})) {
      if (change.before) (change.after ? changed_before : removed).insert(AsEntry(*change.before));
      if (change.after) (change.before ? changed_after : added).insert(AsEntry(*change.after));
      if (change.kind == Kind::kChanged) {
        EXPECT_EQ(change.before->model_type, "gpt-neo");
        EXPECT_EQ(change.after->model_type, "gpt_neo");
      }
    }
    EXPECT_FALSE(changed_after.empty()) << spelled;
    std::set<Entry> expected_before = removed, expected_after = added;
    expected_before.insert(changed_before.begin(), changed_before.end());
    expected_after.insert(changed_after.begin(), changed_after.end());
    EXPECT_EQ(expected_before, before) << spelled;
    EXPECT_EQ(expected_after, after) << spelled;
  }
}

// Optimum 2.x has no TFLite exporter: asked about it, the diff removes every 1.23 tflite row.
TEST(SupportMatrixDiffTest, TfliteRowsAreRemovedIn21) {
  size_t pairs = 0;
  for (const auto& [library, counts] : Reference("supported_model_types.json")["counts"].items()) {
    if (counts["model_type_task_pairs_per_exporter"].contains("tflite")) {
      pairs += counts["model_type_task_pairs_per_exporter"]["tflite"].get<size_t>();
    }
  }
  ASSERT_GT(pairs, 0u);
  const std::vector<SupportMatrixChange> changes = Diff(V123(), V21(), {.exporter = "tflite"});
  EXPECT_EQ(changes.size(), pairs);
  for (const SupportMatrixChange& change : changes) {
    EXPECT_EQ(change.kind, Kind::kRemoved);
    ASSERT_TRUE(change.before.has_value());
    EXPECT_EQ(change.before->exporter, "tflite");
    EXPECT_FALSE(change.after.has_value());
  }
  // The other way round, tflite is added.
  const std::vector<SupportMatrixChange> back = Diff(V21(), V123(), {.exporter = "tflite"});
  EXPECT_EQ(back.size(), pairs);
  for (const SupportMatrixChange& change : back) EXPECT_EQ(change.kind, Kind::kAdded);
}

// A value neither generation knows is the error GetSupportMatrix gives for `to`.
TEST(SupportMatrixDiffTest, AValueNeitherGenerationKnowsIsTheErrorOfTo) {
  const absl::StatusOr<std::vector<SupportMatrixChange>> typo =
      DiffSupportMatrix(V123(), V21(), {.exporter = "tflit"});
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(typo.status()), "ValueError");
  // The same error (its ErrorInfo's map has no fixed wire order: not compared byte for byte).
  const absl::Status of_to = BuildSupportMatrix(V21(), {.exporter = "tflit"}).status();
  EXPECT_EQ(typo.status().message(), of_to.message());
  EXPECT_THAT(typo.status().message(), HasSubstr("onnx, openvino"));

  // Each value is checked on its own: one only 1.23 knows and one neither knows still fail.
  const absl::StatusOr<std::vector<SupportMatrixChange>> task =
      DiffSupportMatrix(V123(), V21(), {.exporter = "tflite", .task = "no-such-task"});
  ASSERT_FALSE(task.ok());
  EXPECT_THAT(task.status().message(), HasSubstr("no-such-task"));
}

// Applying the diff to 1.23's matrix gives 2.1's, row for row; a generation against itself has
// no changes.
TEST(SupportMatrixDiffTest, TheDiffTurnsOneMatrixIntoTheOther) {
  using Row = std::tuple<std::string, std::string, std::string, std::string, std::string, bool>;
  auto as_row = [](const SupportMatrixRow& row) {
    return Row{std::string(row.exporter),     std::string(row.library),
               std::string(row.model_type),   std::string(row.task),
               std::string(row.config_class), row.use_past};
  };
  auto all_rows = [&](const RegistrySnapshot& snapshot) {
    std::set<Row> rows;
    absl::StatusOr<SupportMatrix> matrix = BuildSupportMatrix(snapshot, {});
    EXPECT_TRUE(matrix.ok()) << matrix.status();
    for (const SupportMatrixRow& row : matrix->rows) rows.insert(as_row(row));
    return rows;
  };
  std::set<Row> rows = all_rows(V123());
  const std::vector<SupportMatrixChange> changes = Diff(V123(), V21(), {});
  std::set<Kind> kinds;
  for (const SupportMatrixChange& change : changes) {
    kinds.insert(change.kind);
    if (change.before) {
      EXPECT_EQ(rows.erase(as_row(*change.before)), 1u);
    }
  }
  for (const SupportMatrixChange& change : changes) {
    if (change.after) {
      EXPECT_TRUE(rows.insert(as_row(*change.after)).second);
    }
  }
  EXPECT_EQ(rows, all_rows(V21()));
  EXPECT_THAT(kinds, ElementsAre(Kind::kAdded, Kind::kRemoved, Kind::kChanged));

  EXPECT_THAT(Diff(V21(), V21(), {}), IsEmpty());
  EXPECT_THAT(Diff(V123(), V123(), {}), IsEmpty());
}

// By exporter and library as the generations load them (2.1's first), then model type in
// transformers spelling, task and with-past.
TEST(SupportMatrixDiffTest, ChangesAreOrderedByExporterLibraryModelTypeAndTask) {
  const std::vector<SupportMatrixChange> changes = Diff(V123(), V21(), {});
  std::vector<std::string> exporters;
  for (const SupportMatrixChange& change : changes) {
    const SupportMatrixRow& row = change.after ? *change.after : *change.before;
    if (exporters.empty() || exporters.back() != row.exporter) {
      exporters.push_back(std::string(row.exporter));
    }
  }
  EXPECT_THAT(exporters, ElementsAre("onnx", "openvino", "tflite", "neuron"));

  auto spelled = [](absl::string_view model_type) {
    std::string s(model_type);
    for (char& c : s) c = c == '-' ? '_' : absl::ascii_tolower(c);
    return s;
  };
  for (size_t i = 1; i < changes.size(); ++i) {
    const SupportMatrixRow& a =
        changes[i - 1].after ? *changes[i - 1].after : *changes[i - 1].before;
    const SupportMatrixRow& b = changes[i].after ? *changes[i].after : *changes[i].before;
    if (a.exporter != b.exporter || a.library != b.library) continue;
    EXPECT_LT(std::make_tuple(spelled(a.model_type), a.task, a.use_past),
              std::make_tuple(spelled(b.model_type), b.task, b.use_past))
        << a.model_type << " " << a.task << " / " << b.model_type << " " << b.task;
  }
}

}  // namespace
}  // namespace tasks::registry
