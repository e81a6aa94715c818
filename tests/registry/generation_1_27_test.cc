// The 1.27 generation (data/registry-1.27/), served next to 1.23 and 2.1, answers as Optimum
// 1.27.0 does: model types keyed exactly as in 2.x, while TensorFlow and TFLite are still there,
// and get_all_tasks() lists the custom-class tasks of the active framework only. Expected values
// come from the 1.27 reference tables (tests/reference-1.27/), never from the data files under
// test.
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
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// tests/reference-1.27/<relative_path>, parsed once and kept.
const nlohmann::ordered_json& Reference127(const std::string& relative_path) {
  return tasks::testing::Reference("../reference-1.27/" + relative_path);
}

// What the server loads for 1.27: the embedded data/registry-1.27/ files.
RegistrySources Sources127() {
  absl::StatusOr<RegistrySources> sources = CollectRegistrySources({}, "registry-1.27");
  if (!sources.ok()) throw std::runtime_error(std::string(sources.status().message()));
  return *std::move(sources);
}

std::vector<std::string> TaskKeys(const nlohmann::ordered_json& task_map) {
  std::vector<std::string> keys;
  for (const auto& [task, config_class] : task_map.items()) keys.push_back(task);
  return keys;
}

// The generations as the server holds them; each test asks for the one it is about by name.
std::shared_ptr<const TasksManager> Generation(absl::string_view version) {
  absl::StatusOr<std::shared_ptr<const TasksManager>> selected =
      tasks::testing::SharedEmbeddedGenerations()->Select(version);
  if (!selected.ok()) throw std::runtime_error(std::string(selected.status().message()));
  return *std::move(selected);
}

std::vector<std::string> Keys(const absl::StatusOr<SupportedTasks>& tasks) {
  return tasks.ok() ? tasks->tasks->TaskKeys() : std::vector<std::string>{};
}

TEST(Generation127, IsServedBetween123And21WithItsRules) {
  std::vector<std::string> names;
  for (const auto& generation : tasks::testing::SharedEmbeddedGenerations()->all()) {
    names.push_back(generation->snapshot().generation);
  }
  EXPECT_THAT(names, ::testing::ElementsAre("1.23", "1.27", "2.1"));
  EXPECT_EQ(Generation("1.27.0")->snapshot().generation, "1.27");

  absl::StatusOr<LoadedRegistry> loaded = LoadRegistry(Sources127());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_THAT(loaded->warnings, IsEmpty());
  const RegistrySnapshot& snapshot = Generation("1.27")->snapshot();
  const nlohmann::ordered_json& rules = Reference127("rules.json")["rules"];
  EXPECT_EQ(snapshot.ExporterNames(), rules["exporters"]["value"].get<std::vector<std::string>>());
  EXPECT_EQ(snapshot.core_exporters,
            rules["core_exporters"]["value"].get<std::vector<std::string>>());
  EXPECT_EQ(snapshot.frameworks, rules["frameworks"]["value"].get<std::vector<std::string>>());
}

// optimum#2279 (v1.27.0): the queried model type is used as given, as in 2.x.
TEST(Generation127, ModelTypeKeysAreExactAsIn21) {
  const nlohmann::ordered_json& gpt_neo =
      Reference127("backends/onnx.json")["registered_by_decorators"]["transformers"]["gpt_neo"];
  ASSERT_TRUE(gpt_neo.is_object());
  const std::shared_ptr<const TasksManager> v127 = Generation("1.27");
  absl::StatusOr<SupportedTasks> exact =
      v127->GetSupportedTasksForModelType("gpt_neo", "onnx", {}, "transformers");
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(exact->model_type, "gpt_neo");
  EXPECT_EQ(Keys(exact), TaskKeys(gpt_neo));
  const absl::StatusOr<SupportedTasks> dashed =
      v127->GetSupportedTasksForModelType("gpt-neo", "onnx", {}, "transformers");
  EXPECT_EQ(Reason(dashed.status()), "KeyError");
  EXPECT_THAT(dashed.status().message(),
              HasSubstr("gpt-neo is not supported yet for transformers"));
  // 1.23 still finds it under its normalized key.
  EXPECT_TRUE(Generation("1.23")
                  ->GetSupportedTasksForModelType("gpt_neo", "onnx", {}, "transformers")
                  .ok());
}

// The core tables of 1.27 still carry the tflite classes, and the TensorFlow loaders.
TEST(Generation127, TfliteAndTensorFlowStillAnswer) {
  const nlohmann::ordered_json& bert =
      Reference127("supported_model_types.json")["libraries"]["transformers"]["model_types"]["bert"]
                                                ["exporters"]["tflite"];
  ASSERT_FALSE(bert.empty());
  const std::shared_ptr<const TasksManager> v127 = Generation("1.27");
  EXPECT_EQ(Keys(v127->GetSupportedTasksForModelType("bert", "tflite", {}, "transformers")),
            TaskKeys(bert));
  EXPECT_EQ(Reason(Generation("2.1")
                       ->GetSupportedTasksForModelType("bert", "tflite", {}, "transformers")
                       .status()),
            "KeyError");

  const absl::StatusOr<ModelClass> tf =
      v127->GetModelClassForTask("text-classification", "tf", "bert", {}, "transformers");
  ASSERT_TRUE(tf.ok()) << tf.status();
  const nlohmann::ordered_json& tf_loaders =
      Reference127("tasks.json")["model_loaders"]["tf"]["libraries"]["transformers"];
  EXPECT_EQ(tf->class_name, tf_loaders["tasks"]["text-classification"]["loaders"][0]["class"]);
}

// qwen3 is registered by optimum 1.27.0's onnx decorators; 1.23.3 has no entry for it.
TEST(Generation127, Qwen3ExportsToOnnxIn127AndIsAKeyErrorIn123) {
  const nlohmann::ordered_json& qwen3 =
      Reference127("backends/onnx.json")["registered_by_decorators"]["transformers"]["qwen3"];
  ASSERT_FALSE(qwen3.empty());
  EXPECT_EQ(
      Keys(Generation("1.27")->GetSupportedTasksForModelType("qwen3", "onnx", {}, "transformers")),
      TaskKeys(qwen3));
  EXPECT_EQ(Reason(Generation("1.23")
                       ->GetSupportedTasksForModelType("qwen3", "onnx", {}, "transformers")
                       .status()),
            "KeyError");
}

// optimum#2291 (v1.27.0): get_all_tasks() adds the tasks of the custom classes whose framework is
// the active one (pt; 2.x adds them all).
TEST(Generation127, GetAllTasksListsTheActiveFrameworksCustomClassTasks) {
  const std::vector<std::string> expected =
      Reference127("tasks.json")["all_tasks"]["by_environment"]["torch_and_diffusers"];
  EXPECT_EQ(Generation("1.27")->GetAllTasks(), expected);
  EXPECT_THAT(expected, Contains("keypoint-detection"));  // vitpose's, a custom class only

  // The rule decides: the same tables with vitpose's custom class made a TensorFlow one.
  RegistrySources sources = Sources127();
  sources.tables.contents = absl::StrReplaceAll(
      sources.tables.contents,
      {{"framework: \"pt\" model_type: \"vitpose\"", "framework: \"tf\" model_type: \"vitpose\""}});
  absl::StatusOr<LoadedRegistry> active = LoadRegistry(sources);
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_THAT(TasksManager(active->snapshot).GetAllTasks(), Not(Contains("keypoint-detection")));

  sources.tables.contents = absl::StrReplaceAll(
      sources.tables.contents, {{"get_all_tasks_custom_class_tasks: \"active_framework\"",
                                 "get_all_tasks_custom_class_tasks: \"all\""}});
  absl::StatusOr<LoadedRegistry> all = LoadRegistry(sources);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(TasksManager(all->snapshot).GetAllTasks(), Contains("keypoint-detection"));
}

}  // namespace
}  // namespace tasks::registry
