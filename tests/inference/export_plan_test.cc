// ExportPlanner over a local model folder and the embedded registry: the plan's steps, a step's
// error naming the step, and a task given by the caller.
#include "server/inference/export_plan.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/errors.h"
#include "tests/test_support.h"

namespace tasks::inference {
namespace {

namespace fs = std::filesystem;
using ::tasks::testing::SharedEmbeddedTasksManager;
using ::testing::HasSubstr;

class ExportPlanTest : public ::testing::Test {
 protected:
  // A folder of its own: ctest runs test cases as parallel processes.
  ExportPlanTest()
      : root_(fs::path(::testing::TempDir()) /
              ("export_plan_test_" + std::to_string(getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::remove_all(root_);
    fs::create_directories(root_ / "bert");
    std::ofstream(root_ / "bert" / "config.json")
        << R"({"model_type": "bert", "architectures": ["BertForMaskedLM"]})";
    std::ofstream(root_ / "bert" / "model.safetensors") << "";
  }
  ~ExportPlanTest() override { fs::remove_all(root_); }

  absl::StatusOr<ExportPlan> Resolve(ExportRequest request) {
    absl::StatusOr<std::unique_ptr<ModelFiles>> files =
        locator_.Open(request.model, {}, absl::Now() + absl::Seconds(10));
    if (!files.ok()) return files.status();
    return ExportPlanner(&inference_).Resolve(request, **files);
  }
  ExportRequest Request(const std::string& exporter = "onnx") const {
    return ExportRequest{{(root_ / "bert").string(), "", ""}, exporter};
  }

  const fs::path root_;
  // Offline, with no Hub: a local folder needs neither.
  const ModelLocator locator_{{.model_roots = {root_.string()}, .offline = true}, nullptr};
  const ModelInference inference_{SharedEmbeddedTasksManager()};
};

TEST_F(ExportPlanTest, PlansAnExportOfALocalTransformersModel) {
  absl::StatusOr<ExportPlan> plan = Resolve(Request());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->source, ModelSource::kLocal);
  EXPECT_EQ(plan->commit_sha, "");
  EXPECT_EQ(plan->library, "transformers");
  EXPECT_EQ(plan->framework, "pt");    // model.safetensors
  EXPECT_EQ(plan->task, "fill-mask");  // from architectures[0]
  EXPECT_EQ(plan->model_type, "bert");
  EXPECT_EQ(plan->export_model_type, "bert");
  EXPECT_EQ(plan->model_class.class_name, "AutoModelForMaskedLM");
  ASSERT_NE(plan->exporter_config, nullptr);
  EXPECT_EQ(plan->exporter_config->config_class, "BertOnnxConfig");
  EXPECT_EQ(plan->exporter_config->key, "fill-mask");
  EXPECT_EQ(plan->exporter_config_model_type, "bert");
  EXPECT_EQ(plan->task_with_past, "");  // bert has no -with-past task
  EXPECT_FALSE(plan->supported_tasks.empty());
  EXPECT_TRUE(plan->components.empty());
  ASSERT_EQ(plan->evidence.size(), 4u);  // library, framework, task, model type
  EXPECT_THAT(plan->evidence[2].rule, HasSubstr("architecture"));
}

TEST_F(ExportPlanTest, AnUnknownExporterFailsAndNamesTheStep) {
  absl::StatusOr<ExportPlan> plan = Resolve(Request("onnxx"));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument) << plan.status();
  EXPECT_TRUE(absl::StartsWith(plan.status().message(), "supported_tasks: ")) << plan.status();
  EXPECT_THAT(plan.status().message(), HasSubstr("Did you mean 'onnx'?"));
  const std::optional<google::rpc::ErrorInfo> info = GetErrorInfo(plan.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->metadata().at("step"), "supported_tasks");
}

TEST_F(ExportPlanTest, AnExplicitTaskOverridesInference) {
  ExportRequest request = Request();
  request.task = "text-classification";
  absl::StatusOr<ExportPlan> plan = Resolve(request);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->task, "text-classification");
  EXPECT_EQ(plan->model_class.class_name, "AutoModelForSequenceClassification");
  ASSERT_NE(plan->exporter_config, nullptr);
  EXPECT_EQ(plan->exporter_config->key, "text-classification");
  ASSERT_GE(plan->evidence.size(), 3u);
  EXPECT_EQ(plan->evidence[2].rule, "task: given by the caller");
}

TEST_F(ExportPlanTest, AGivenFrameworkOrLibraryIsCheckedAndNamesTheStep) {
  ExportRequest framework = Request();
  framework.framework = "jax";
  absl::StatusOr<ExportPlan> plan = Resolve(framework);
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetErrorInfo(plan.status())->metadata().at("step"), "framework");

  ExportRequest library = Request();
  library.library_name = "transformer";
  plan = Resolve(library);
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetErrorInfo(plan.status())->metadata().at("step"), "library");
  EXPECT_THAT(plan.status().message(), HasSubstr("transformers"));

  ExportRequest tf = Request();
  tf.framework = "tf";
  plan = Resolve(tf);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->framework, "tf");
  EXPECT_EQ(plan->model_class.class_name, "TFAutoModelForMaskedLM");
}

}  // namespace
}  // namespace tasks::inference
