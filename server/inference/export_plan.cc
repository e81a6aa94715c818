#include "server/inference/export_plan.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "server/common/errors.h"
#include "server/common/json_members.h"
#include "server/registry/environment.h"

namespace tasks::inference {
namespace {

using absl::StatusCode;

// The parts Optimum exports a diffusers pipeline component as, with their registry model types
// (optimum/exporters/utils.py, get_diffusion_models_for_export): the VAE as two.
std::vector<std::pair<std::string, std::string>> ExportedParts(absl::string_view component) {
  if (component == "unet") return {{"unet", "unet"}};
  if (component == "vae") return {{"vae_encoder", "vae-encoder"}, {"vae_decoder", "vae-decoder"}};
  if (component == "text_encoder") return {{"text_encoder", "clip-text-model"}};
  if (component == "text_encoder_2") return {{"text_encoder_2", "clip-text-with-projection"}};
  return {};
}

Evidence Given(absl::string_view step, absl::string_view value) {
  return Evidence{absl::StrCat(step, ": given by the caller"), {std::string(value)}};
}

absl::StatusOr<std::string> ConfigMember(ModelFiles& files, const char* key) {
  absl::StatusOr<JsonFile> config = ReadTransformersConfig(files);
  if (!config.ok()) return config.status();
  std::optional<std::string> value = StringMember(**config, key);
  if (!value) {
    return MakeError(StatusCode::kFailedPrecondition, "ValueError",
                     absl::StrCat("config.json has no ", key, "."), {"model"});
  }
  return *std::move(value);
}

}  // namespace

ExportPlanner::ExportPlanner(const ModelInference* inference) : inference_(inference) {}

absl::StatusOr<ExportPlan> ExportPlanner::Resolve(const ExportRequest& request,
                                                  ModelFiles& files) const {
  const registry::TasksManager& tasks = inference_->tasks();
  ExportPlan plan;
  plan.source = files.source();
  plan.commit_sha = files.commit_sha();

  // Each step's answer, or its error annotated with the step.
  auto step = [&plan](absl::string_view name, absl::StatusOr<Inferred> inferred,
                      std::string& out) -> absl::Status {
    if (!inferred.ok()) return AnnotateStep(inferred.status(), name);
    out = std::move(inferred->value);
    plan.evidence.push_back(std::move(inferred->evidence));
    return absl::OkStatus();
  };

  absl::Status status;
  if (request.library_name) {
    if (tasks.snapshot().FindLibrary(*request.library_name) == nullptr) {
      const std::vector<std::string> libraries = tasks.snapshot().LibraryNames();
      return AnnotateStep(MakeError(StatusCode::kInvalidArgument, "ValueError",
                                    absl::StrCat("Unknown library ", *request.library_name, "."),
                                    {"library_name", *request.library_name, libraries}),
                          "library");
    }
    status =
        step("library", Inferred{*request.library_name, Given("library", *request.library_name)},
             plan.library);
  } else {
    status = step("library", ModelInference::Library(files), plan.library);
  }
  if (!status.ok()) return status;

  if (request.framework) {
    if (!registry::IsFramework(*request.framework)) {
      return AnnotateStep(MakeError(StatusCode::kInvalidArgument, "ValueError",
                                    absl::StrCat("Unknown framework ", *request.framework, "."),
                                    {"framework", *request.framework, registry::FrameworkChoices()}),
                          "framework");
    }
    status = step("framework", Inferred{*request.framework, Given("framework", *request.framework)},
                  plan.framework);
  } else {
    status = step("framework", DetermineFramework(files.files()), plan.framework);
  }
  if (!status.ok()) return status;

  const bool infer_task = request.task.empty() || request.task == "auto";
  if (infer_task) {
    status = step("task", inference_->Task(files, request.model, plan.library), plan.task);
  } else {
    status =
        step("task",
             Inferred{std::string(tasks.MapFromSynonym(request.task)), Given("task", request.task)},
             plan.task);
  }
  if (!status.ok()) return status;

  std::optional<std::string> model_class_name;
  if (plan.library == "transformers") {
    absl::StatusOr<std::string> model_type = ConfigMember(files, "model_type");
    if (!model_type.ok()) return AnnotateStep(model_type.status(), "model_type");
    plan.model_type = *model_type;
    plan.export_model_type = absl::StrReplaceAll(*model_type, {{"_", "-"}});
    plan.evidence.push_back({"model_type: config.json model_type", {*model_type}});
    // get_model_from_task loads an inferred ASR model with its own architecture class.
    if (infer_task && plan.task == "automatic-speech-recognition") {
      absl::StatusOr<JsonFile> config = ReadTransformersConfig(files);
      if (config.ok() && (*config)->is_object()) {
        const auto architectures = (*config)->find("architectures");
        if (architectures != (*config)->end() && !architectures->is_null()) {
          // Optimum takes architectures[0] as a class name, and fails on anything else.
          if (!architectures->is_array() || architectures->empty() ||
              !(*architectures)[0].is_string()) {
            return AnnotateStep(
                MakeError(StatusCode::kFailedPrecondition, "TypeError",
                          "config.json architectures is not a list starting with a class name.",
                          {"model"}),
                "model_class");
          }
          model_class_name = (*architectures)[0].get<std::string>();
        }
      }
    }
  } else {
    status = step("model_type", inference_->ExportModelTypeOf(files, plan.library),
                  plan.export_model_type);
    if (!status.ok()) return status;
    plan.model_type = plan.export_model_type;
  }

  absl::StatusOr<registry::ModelClass> model_class = tasks.GetModelClassForTask(
      plan.task, plan.framework, plan.export_model_type, model_class_name, plan.library);
  if (!model_class.ok()) return AnnotateStep(model_class.status(), "model_class");
  plan.model_class = *std::move(model_class);

  if (plan.library == "diffusers") {
    absl::StatusOr<JsonFile> index = files.ReadJson("model_index.json");
    if (!index.ok()) return AnnotateStep(index.status(), "components");
    for (const auto& [component, value] : (*index)->items()) {
      for (const auto& [name, model_type] : ExportedParts(component)) {
        absl::StatusOr<registry::SupportedTasks> supported = tasks.GetSupportedTasksForModelType(
            model_type, request.exporter, std::nullopt, "diffusers");
        if (!supported.ok()) return AnnotateStep(supported.status(), "components");
        const registry::TaskEntry& entry = supported->tasks->tasks.front();
        plan.components.push_back({name, model_type, entry.key, entry.config_class});
      }
    }
    return plan;
  }

  absl::StatusOr<registry::SupportedTasks> supported = tasks.GetSupportedTasksForModelType(
      plan.export_model_type, request.exporter, request.model.model, plan.library);
  if (!supported.ok()) return AnnotateStep(supported.status(), "supported_tasks");
  plan.supported_tasks = supported->tasks->tasks;
  if (const registry::TaskEntry* with_past =
          supported->tasks->FindTask(absl::StrCat(plan.task, "-with-past"))) {
    plan.task_with_past = with_past->key;
  }
  absl::StatusOr<registry::ExporterConfig> config = tasks.GetExporterConfigConstructor(
      request.exporter, plan.task, plan.export_model_type, request.model.model, plan.library);
  if (!config.ok()) return AnnotateStep(config.status(), "exporter_config");
  plan.exporter_config = config->entry;
  plan.exporter_config_model_type = config->model_type;
  return plan;
}

}  // namespace tasks::inference
