// The 2.1 generation's registry data (data/registry-2.1/) loads into a snapshot that answers as
// Optimum 2.1 does, next to the embedded 1.23 one: the differences the generation rules carry
// (model-type keys, frameworks, get_all_tasks, exporters). Expected values come from the 2.1
// reference tables (tests/reference-2.1/), never from the data files under test.
#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"

namespace tasks::registry {
namespace {

using ::tasks::testing::Reason;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// What the server loads for 2.1: the embedded data/registry-2.1/ files.
RegistrySources Sources21() {
  absl::StatusOr<RegistrySources> sources = CollectRegistrySources({}, "registry-2.1");
  if (!sources.ok()) throw std::runtime_error(std::string(sources.status().message()));
  return *std::move(sources);
}

// tests/reference-2.1/<relative_path>, parsed once and kept (so a range-for over a subscript of it
// never reads a destroyed temporary).
const nlohmann::ordered_json& Reference21(const std::string& relative_path) {
  return tasks::testing::GenerationReference("2.1", relative_path);
}

class Generation21 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<LoadedRegistry> loaded = LoadRegistry(Sources21());
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    warnings_ = new std::vector<std::string>(loaded->warnings);
    manager_ = new TasksManager(loaded->snapshot);
  }
  static const TasksManager& V21() { return *manager_; }
  static const TasksManager& V123() { return tasks::testing::EmbeddedTasksManager(); }

  static std::vector<std::string> Keys(const absl::StatusOr<SupportedTasks>& tasks) {
    return tasks.ok() ? tasks->tasks->TaskKeys() : std::vector<std::string>{};
  }

  static inline const TasksManager* manager_ = nullptr;
  static inline const std::vector<std::string>* warnings_ = nullptr;
};

TEST_F(Generation21, LoadsCleanlyWithItsRulesAndExporters) {
  EXPECT_THAT(*warnings_, IsEmpty());
  const RegistrySnapshot& snapshot = V21().snapshot();
  EXPECT_EQ(snapshot.generation, "2.1");
  EXPECT_EQ(V123().snapshot().generation, "1.23");
  const nlohmann::ordered_json rules = Reference21("rules.json")["rules"];
  EXPECT_EQ(snapshot.ExporterNames(), rules["exporters"]["value"].get<std::vector<std::string>>());
  EXPECT_EQ(snapshot.core_exporters,
            rules["core_exporters"]["value"].get<std::vector<std::string>>());
  EXPECT_EQ(snapshot.frameworks, rules["frameworks"]["value"].get<std::vector<std::string>>());
}

// The tables name the transformers and diffusers they were read from, as the reference records
// them: a tagged release by its version, a commit between releases by its tree's version.
TEST_F(Generation21, TablesNameTheirPairedPackages) {
  const std::vector<std::pair<const RegistrySnapshot*, nlohmann::ordered_json>> generations = {
      {&V123().snapshot(), tasks::testing::Reference("rules.json")["provenance"]},
      {&V21().snapshot(), Reference21("rules.json")["provenance"]}};
  for (const auto& [snapshot, provenance] : generations) {
    ASSERT_EQ(snapshot->table_packages.size(), 3u) << snapshot->generation;
    EXPECT_EQ(snapshot->table_packages[0].package, "optimum");
    EXPECT_EQ(snapshot->table_packages[0].commit, provenance["optimum"]["commit"]);
    const Provenance& transformers = snapshot->table_packages[1];
    EXPECT_EQ(transformers.package, "transformers");
    EXPECT_EQ(transformers.version, provenance["transformers"]["version_in_tree"]);
    EXPECT_EQ(transformers.commit, provenance["transformers"]["commit"]);
    EXPECT_EQ(transformers.repository, provenance["transformers"]["repository"]);
    EXPECT_THAT(transformers.source_file, HasSubstr("models/auto/modeling_auto.py"));
    const Provenance& diffusers = snapshot->table_packages[2];
    EXPECT_EQ(diffusers.package, "diffusers");
    EXPECT_EQ("v" + diffusers.version, provenance["diffusers"]["tag"]);
    EXPECT_EQ(diffusers.commit, provenance["diffusers"]["commit"]);
    EXPECT_EQ(diffusers.source_file, "src/diffusers/pipelines/auto_pipeline.py");
  }
}

// qwen3 is an ONNX model type of optimum-onnx 0.1.0; Optimum 1.23.3 has no entry for it.
TEST_F(Generation21, Qwen3ExportsToOnnxIn21AndIsAKeyErrorIn123) {
  const nlohmann::ordered_json qwen3 =
      Reference21("backends/onnx.json")["registered_by_decorators"]["transformers"]["qwen3"];
  std::vector<std::string> expected;
  for (const auto& [task, config_class] : qwen3.items()) expected.push_back(task);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(Keys(V21().GetSupportedTasksForModelType("qwen3", "onnx", {}, "transformers")),
            expected);
  const absl::StatusOr<SupportedTasks> old =
      V123().GetSupportedTasksForModelType("qwen3", "onnx", {}, "transformers");
  EXPECT_EQ(Reason(old.status()), "KeyError");
  EXPECT_THAT(old.status().message(), HasSubstr("qwen3 is not supported yet for transformers"));
}

// 1.23 lower-cases a queried model type and spells '_' as '-'; 2.1 looks it up as given.
TEST_F(Generation21, ModelTypeKeysAreExactIn21AndNormalizedIn123) {
  const nlohmann::ordered_json gpt_neo =
      Reference21("backends/onnx.json")["registered_by_decorators"]["transformers"]["gpt_neo"];
  ASSERT_TRUE(gpt_neo.is_object());
  absl::StatusOr<SupportedTasks> exact =
      V21().GetSupportedTasksForModelType("gpt_neo", "onnx", {}, "transformers");
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(exact->model_type, "gpt_neo");
  EXPECT_EQ(exact->tasks->tasks.size(), gpt_neo.size());
  EXPECT_EQ(
      Reason(V21().GetSupportedTasksForModelType("gpt-neo", "onnx", {}, "transformers").status()),
      "KeyError");

  for (absl::string_view spelled : {"gpt_neo", "GPT-Neo", "gpt-neo"}) {
    absl::StatusOr<SupportedTasks> normalized =
        V123().GetSupportedTasksForModelType(spelled, "onnx", {}, "transformers");
    ASSERT_TRUE(normalized.ok()) << spelled << ": " << normalized.status();
    EXPECT_EQ(normalized->model_type, "gpt-neo");
  }
}

// Optimum 2.x has no TFLite exporter and exports from PyTorch only.
TEST_F(Generation21, TfliteAndTensorFlowAreRefusedIn21) {
  const absl::StatusOr<SupportedTasks> tflite =
      V21().GetSupportedTasksForModelType("bert", "tflite", {}, "transformers");
  EXPECT_EQ(Reason(tflite.status()), "KeyError");
  EXPECT_THAT(tflite.status().message(),
              HasSubstr("bert is not supported yet with the 'tflite' exporter"));
  EXPECT_TRUE(V123().GetSupportedTasksForModelType("bert", "tflite", {}, "transformers").ok());

  const absl::StatusOr<ModelClass> tf =
      V21().GetModelClassForTask("text-classification", "tf", "bert", {}, "transformers");
  EXPECT_EQ(Reason(tf.status()), "ValueError");
  EXPECT_THAT(tf.status().message(),
              HasSubstr("Only one framework is supported for export: pt, but tf was provided."));
  const absl::StatusOr<ModelClass> tf123 =
      V123().GetModelClassForTask("text-classification", "tf", "bert", {}, "transformers");
  ASSERT_TRUE(tf123.ok()) << tf123.status();
  const nlohmann::ordered_json& tf_loaders =
      tasks::testing::Reference("tasks.json")["model_loaders"]["tf"]["libraries"]["transformers"];
  EXPECT_EQ(tf123->class_name, tf_loaders["tasks"]["text-classification"]["loaders"][0]["class"]);
}

// From Optimum 1.27 get_all_tasks() lists the custom-class tasks too (2.x: all of them).
TEST_F(Generation21, GetAllTasksListsCustomClassTasksIn21) {
  const std::vector<std::string> expected =
      Reference21("tasks.json")["all_tasks"]["by_environment"]["torch_and_diffusers"];
  EXPECT_EQ(V21().GetAllTasks(), expected);
  std::vector<std::string> custom_tasks;
  for (const auto& entry : Reference21("tasks.json")["custom_classes"]["entries"]) {
    custom_tasks.push_back(entry["task"]);
  }
  for (const std::string& task : custom_tasks) {
    EXPECT_TRUE(std::binary_search(expected.begin(), expected.end(), task)) << task;
  }
  EXPECT_EQ(
      V123().GetAllTasks(),
      tasks::testing::Reference("tasks.json")["all_tasks"]["by_environment"]["torch_and_diffusers"]
          .get<std::vector<std::string>>());
}

// A rule value this server does not implement stops the load with the file and what is wrong.
TEST(GenerationRules, AnUnknownRuleValueStopsTheLoad) {
  RegistrySources sources = Sources21();
  sources.tables.contents = absl::StrReplaceAll(
      sources.tables.contents, {{"model_type_keys: \"exact\"", "model_type_keys: \"upper\""}});
  absl::StatusOr<LoadedRegistry> loaded = LoadRegistry(sources);
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.status().message(),
              HasSubstr("tables.txtpb: rules: model_type_keys must be lower_dash or exact, not "
                        "'upper'"));

  sources = Sources21();
  sources.tables.contents =
      absl::StrReplaceAll(sources.tables.contents, {{"framework: [\"pt\"]", "framework: []"}});
  loaded = LoadRegistry(sources);
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.status().message(), HasSubstr("rules: no framework is listed"));
}

}  // namespace
}  // namespace tasks::registry
