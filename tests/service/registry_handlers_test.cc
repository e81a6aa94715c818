// The registry handlers without a server: absl::Status errors with the right code for bad input, and
// filled responses (with Optimum's defaults) for good input.
#include "server/service/registry_handlers.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"

namespace tasks::service {
namespace {

namespace v1 = optimum::tasks::v1;
using ::tasks::testing::Reason;
using ::tasks::testing::SharedEmbeddedTasksManager;
using ::testing::Contains;
using ::testing::HasSubstr;

class RegistryHandlersTest : public ::testing::Test {
 protected:
  const registry::TasksManager& core_ = *SharedEmbeddedTasksManager();
};

TEST_F(RegistryHandlersTest, ExporterConfigWithoutATaskIsForFeatureExtraction) {
  v1::GetExporterConfigConstructorRequest request;
  request.set_exporter("onnx");
  request.set_model_type("bert");
  v1::GetExporterConfigConstructorResponse response;
  ASSERT_TRUE(GetExporterConfigConstructor(core_, request, response).ok());
  EXPECT_EQ(response.config_class(), "BertOnnxConfig");
  EXPECT_EQ(response.task(), "feature-extraction");
  EXPECT_EQ(response.task_key(), "feature-extraction");
  EXPECT_FALSE(response.use_past());
  EXPECT_EQ(response.model_type(), "bert");
}

TEST_F(RegistryHandlersTest, ExporterConfigErrors) {
  v1::GetExporterConfigConstructorRequest request;
  request.set_model_type("bert");
  v1::GetExporterConfigConstructorResponse response;
  const absl::Status missing = GetExporterConfigConstructor(core_, request, response);
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument) << missing;
  EXPECT_EQ(Reason(missing), "TypeError");
  EXPECT_THAT(missing.message(), HasSubstr("exporter"));

  request.set_exporter("onnx");
  request.set_task("no-such-task");
  const absl::Status unknown_task = GetExporterConfigConstructor(core_, request, response);
  EXPECT_EQ(unknown_task.code(), absl::StatusCode::kInvalidArgument) << unknown_task;
  EXPECT_EQ(Reason(unknown_task), "ValueError");
  EXPECT_THAT(unknown_task.message(), HasSubstr("no-such-task"));
}

TEST_F(RegistryHandlersTest, ModelClassDefaultsToPt) {
  v1::GetModelClassForTaskRequest request;
  request.set_task("fill-mask");
  v1::GetModelClassForTaskResponse unset;
  ASSERT_TRUE(GetModelClassForTask(core_, request, unset).ok());
  EXPECT_EQ(unset.class_name(), "AutoModelForMaskedLM");
  EXPECT_EQ(unset.module(), "transformers");
  EXPECT_EQ(unset.task(), "fill-mask");

  request.set_framework("tf");
  v1::GetModelClassForTaskResponse tf;
  ASSERT_TRUE(GetModelClassForTask(core_, request, tf).ok());
  EXPECT_EQ(tf.class_name(), "TFAutoModelForMaskedLM");  // so the unset one was pt's
}

TEST_F(RegistryHandlersTest, ModelClassErrors) {
  v1::GetModelClassForTaskRequest request;
  v1::GetModelClassForTaskResponse response;
  const absl::Status missing = GetModelClassForTask(core_, request, response);
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument) << missing;
  EXPECT_EQ(Reason(missing), "TypeError");

  request.set_task("fill-mask");
  request.set_framework("jax");
  const absl::Status framework = GetModelClassForTask(core_, request, response);
  EXPECT_EQ(framework.code(), absl::StatusCode::kInvalidArgument) << framework;
  EXPECT_EQ(Reason(framework), "ValueError");
  EXPECT_THAT(framework.message(), HasSubstr("'jax'"));
}

TEST_F(RegistryHandlersTest, SupportedTasksForAModelTypeAndAMistypedExporter) {
  v1::GetSupportedTasksForModelTypeRequest request;
  request.set_model_type("bert");
  request.set_exporter("onnx");
  v1::GetSupportedTasksForModelTypeResponse response;
  ASSERT_TRUE(GetSupportedTasksForModelType(core_, request, response).ok());
  std::vector<std::string> keys;
  for (const v1::SupportedTask& task : response.tasks()) keys.push_back(task.task());
  EXPECT_THAT(keys, Contains("fill-mask"));
  EXPECT_EQ(response.model_type(), "bert");

  request.set_exporter("onxx");
  v1::GetSupportedTasksForModelTypeResponse typo;
  const absl::Status status = GetSupportedTasksForModelType(core_, request, typo);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(Reason(status), "KeyError");
  EXPECT_THAT(status.message(), HasSubstr("Did you mean 'onnx'?"));
}

TEST_F(RegistryHandlersTest, MapFromSynonym) {
  v1::MapFromSynonymRequest request;
  v1::MapFromSynonymResponse response;
  EXPECT_EQ(MapFromSynonym(core_, request, response).code(), absl::StatusCode::kInvalidArgument);
  request.set_task("masked-lm");
  ASSERT_TRUE(MapFromSynonym(core_, request, response).ok());
  EXPECT_EQ(response.task(), "fill-mask");
  EXPECT_TRUE(response.is_synonym());
}

}  // namespace
}  // namespace tasks::service
