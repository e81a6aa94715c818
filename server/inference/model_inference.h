// ModelInference: Optimum's inference methods for a model a request names, on an opening of it
// (ModelFiles): gathers the facts the rules (rules.h) need, reading only the small files a rule
// asks for, and answers with the rule's evidence and where the facts came from.
//
// Thread-safe; methods may wait on the Hub (reading files), so run them on a WorkerPool.
#ifndef TASKS_SERVER_INFERENCE_MODEL_INFERENCE_H_
#define TASKS_SERVER_INFERENCE_MODEL_INFERENCE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/hub/hub_client.h"
#include "server/inference/model_source.h"
#include "server/inference/rules.h"
#include "server/registry/tasks_manager.h"

namespace tasks::inference {

struct InferenceAnswer {
  std::string value;
  std::string library;  // the library the rule used (task and export model type answers)
  Evidence evidence;
  ModelSource source;
  std::string commit_sha;
};

// config.json as transformers reads it: when it lists `configuration_files`, the variant for
// transformers 4.46 (the newest `config.X.Y.Z.json` not newer than it) replaces it.
absl::StatusOr<JsonFile> ReadTransformersConfig(ModelFiles& files);

class ModelInference {
 public:
  explicit ModelInference(std::shared_ptr<const registry::TasksManager> tasks);

  // Each method answers on one opening of the model (ModelLocator), so that a caller can first
  // look for an answer it kept for the same model info.

  absl::StatusOr<InferenceAnswer> DetermineFramework(const ModelFiles& files) const;
  static absl::StatusOr<InferenceAnswer> InferLibrary(ModelFiles& files);
  absl::StatusOr<InferenceAnswer> InferTask(ModelFiles& files, const ModelRef& ref) const;
  // The export model type standardize_model_attributes sets (for transformers: the config's
  // model_type, which it leaves alone).
  absl::StatusOr<InferenceAnswer> StandardizeModelAttributes(ModelFiles& files) const;

  // Their steps, for callers chaining them (ExportPlanner).
  static absl::StatusOr<Inferred> Library(ModelFiles& files);
  absl::StatusOr<Inferred> Task(ModelFiles& files, const ModelRef& ref,
                                absl::string_view library) const;
  absl::StatusOr<Inferred> ExportModelTypeOf(ModelFiles& files, absl::string_view library) const;

  const registry::TasksManager& tasks() const { return *tasks_; }

 private:
  std::shared_ptr<const registry::TasksManager> tasks_;
};

}  // namespace tasks::inference

#endif  // TASKS_SERVER_INFERENCE_MODEL_INFERENCE_H_
