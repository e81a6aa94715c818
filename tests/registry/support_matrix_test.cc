#include "server/registry/support_matrix.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"

namespace tasks::registry {
namespace {

using ::tasks::testing::EmbeddedTasksManager;
using ::tasks::testing::Reason;
using ::tasks::testing::Reference;
using ::testing::HasSubstr;

const RegistrySnapshot& Snapshot() { return EmbeddedTasksManager().snapshot(); }

SupportMatrix Build(const SupportMatrixFilter& filter) {
  absl::StatusOr<SupportMatrix> matrix = BuildSupportMatrix(Snapshot(), filter);
  EXPECT_TRUE(matrix.ok()) << matrix.status();
  return matrix.ok() ? *std::move(matrix) : SupportMatrix{};
}

// The counts of the reference (tests/reference/supported_model_types.json), an independent
// record of Optimum's core registries: rows per (library, exporter), and "-with-past" rows.
TEST(SupportMatrixTest, CoreExportersHaveTheReferenceCounts) {
  for (const auto& [library, counts] : Reference("supported_model_types.json")["counts"].items()) {
    for (const auto& [exporter, pairs] : counts["model_type_task_pairs_per_exporter"].items()) {
      const std::string library_name = library, exporter_name = exporter;
      const SupportMatrix matrix = Build({.exporter = exporter_name, .library = library_name});
      EXPECT_EQ(matrix.rows.size(), pairs.get<size_t>()) << library << " " << exporter;
      size_t with_past = 0;
      std::set<absl::string_view> model_types;
      for (const SupportMatrixRow& row : matrix.rows) {
        with_past += row.use_past;
        model_types.insert(row.model_type);
      }
      EXPECT_EQ(with_past, counts["with_past_pairs_per_exporter"][exporter].get<size_t>())
          << library << " " << exporter;
      EXPECT_EQ(model_types.size(), counts["model_types_per_exporter"][exporter].get<size_t>())
          << library << " " << exporter;
    }
  }
}

// Each row is what get_supported_tasks_for_model_type answers for its model type.
TEST(SupportMatrixTest, EveryRowIsARegistryAnswer) {
  const SupportMatrix matrix = Build({});
  ASSERT_GT(matrix.rows.size(), 600u);
  for (const SupportMatrixRow& row : matrix.rows) {
    auto supported = EmbeddedTasksManager().GetSupportedTasksForModelType(
        row.model_type, row.exporter, std::nullopt, row.library);
    ASSERT_TRUE(supported.ok()) << row.exporter << " " << row.model_type << supported.status();
    const std::string key = std::string(row.task) + (row.use_past ? "-with-past" : "");
    const TaskEntry* entry = supported->tasks->FindTask(key);
    ASSERT_NE(entry, nullptr) << row.exporter << " " << row.model_type << " " << key;
    EXPECT_EQ(entry->config_class, row.config_class);
  }
  // Every loaded exporter, with its provenance, in load order.
  ASSERT_EQ(matrix.exporters.size(), Snapshot().exporters.size());
  EXPECT_EQ(matrix.exporters.front()->name, "onnx");
}

TEST(SupportMatrixTest, FiltersNarrowTheRows) {
  const SupportMatrix gpt2 = Build({.model_type = "GPT2"});  // spelled as a config might
  ASSERT_FALSE(gpt2.rows.empty());
  std::set<absl::string_view> exporters;
  for (const SupportMatrixRow& row : gpt2.rows) {
    EXPECT_EQ(row.model_type, "gpt2");
    exporters.insert(row.exporter);
  }
  EXPECT_TRUE(exporters.contains("onnx") && exporters.contains("openvino"));

  // A synonym and a "-with-past" key both mean their task.
  for (absl::string_view task : {"text-generation", "causal-lm", "text-generation-with-past"}) {
    const SupportMatrix rows = Build({.exporter = "onnx", .task = task, .model_type = "gpt2"});
    ASSERT_EQ(rows.rows.size(), 2u) << task;
    EXPECT_EQ(rows.rows[0].task, "text-generation");
    EXPECT_FALSE(rows.rows[0].use_past);
    EXPECT_TRUE(rows.rows[1].use_past);
    EXPECT_EQ(rows.rows[1].config_class, "GPT2OnnxConfig");
  }
  const SupportMatrix tflite = Build({.exporter = "tflite"});
  ASSERT_EQ(tflite.exporters.size(), 1u);
  EXPECT_EQ(tflite.exporters[0]->name, "tflite");
  EXPECT_EQ(tflite.rows.size(), 90u);
}

TEST(SupportMatrixTest, UnknownFilterValuesListTheChoices) {
  auto exporter = BuildSupportMatrix(Snapshot(), {.exporter = "onxx"});
  EXPECT_EQ(exporter.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(exporter.status()), "ValueError");
  EXPECT_THAT(exporter.status().message(), HasSubstr("Did you mean 'onnx'?"));

  auto library = BuildSupportMatrix(Snapshot(), {.library = "transformer"});
  EXPECT_THAT(library.status().message(), HasSubstr("Did you mean 'transformers'?"));
  auto task = BuildSupportMatrix(Snapshot(), {.task = "text-genration"});
  EXPECT_THAT(task.status().message(), HasSubstr("Did you mean 'text-generation'?"));
  auto model_type = BuildSupportMatrix(Snapshot(), {.model_type = "bertt"});
  EXPECT_EQ(model_type.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model_type.status().message(), HasSubstr("Did you mean 'bert'?"));
}

}  // namespace
}  // namespace tasks::registry
