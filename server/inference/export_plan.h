// ExportPlanner: everything an export worker needs for one model in one call, a load plan
// (never weights) that replaces Optimum's get_model_from_task: the resolved commit, library,
// framework, task (and the exporter's -with-past key for it), model type, the model class to
// load, the exporter config class, the exporter's tasks for the model type, and for a diffusers
// pipeline each component's registered model type and config class.
//
// Steps run in Optimum's order on one opening of the model (ModelLocator::Open); a failure
// names its step ("library", "framework", "task", "model_type", "exporter_config",
// "model_class", "supported_tasks", "components") in the message and in the ErrorInfo metadata
// "step".
// Thread-safe; blocks on the Hub (reading the model's files).
#ifndef TASKS_SERVER_INFERENCE_EXPORT_PLAN_H_
#define TASKS_SERVER_INFERENCE_EXPORT_PLAN_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/inference/model_inference.h"

namespace tasks::inference {

struct ExportRequest {
  ModelRef model;
  std::string exporter;
  std::string task = "auto";                // "auto": inferred
  std::optional<std::string> framework;     // overrides determine_framework
  std::optional<std::string> library_name;  // overrides infer_library_from_model
};

// One diffusers pipeline component as the exporter registers it.
struct PipelineComponent {
  std::string name;        // Optimum's name for the part, e.g. "vae_encoder", "text_encoder_2"
  std::string model_type;  // e.g. "clip-text-with-projection"
  std::string task;        // the registry key
  std::string config_class;
};

// Its registry parts are views of the registry snapshot the planner's ModelInference holds: valid
// while that ModelInference lives.
struct ExportPlan {
  ModelSource source;
  std::string commit_sha;
  std::string library;
  std::string framework;
  std::string task;            // canonical
  std::string task_with_past;  // the exporter's "-with-past" key for the task, if registered
  std::string model_type;      // as the model's files name it
  std::string export_model_type;
  registry::ModelClass model_class;
  // Null for a diffusers pipeline, which exports per component.
  const registry::TaskEntry* exporter_config = nullptr;
  absl::string_view exporter_config_model_type;  // the registry key the config was found under
  absl::Span<const registry::TaskEntry> supported_tasks;
  std::vector<PipelineComponent> components;
  std::vector<Evidence> evidence;  // one per inferred step, in order
};

class ExportPlanner {
 public:
  explicit ExportPlanner(const ModelInference* inference);

  // `files`: the opening of request.model. `request.exporter` must not be empty.
  absl::StatusOr<ExportPlan> Resolve(const ExportRequest& request, ModelFiles& files) const;

 private:
  const ModelInference* const inference_;
};

}  // namespace tasks::inference

#endif  // TASKS_SERVER_INFERENCE_EXPORT_PLAN_H_
