// Optimum 1.23.3's inference rules (TasksManager.determine_framework, infer_library_from_model,
// infer_task_from_model and standardize_model_attributes in optimum/exporters/tasks.py) as pure
// functions over plain facts: a file listing, parsed config files, the Hub's model info. No I/O
// happens here; the caller gathers the facts (server/inference/model_source.h) and these decide,
// first match wins, in Optimum's order. Every answer says which rule fired and which facts it
// used.
//
// Failures carry the Python exception Optimum raises (server/common/errors.h).
#ifndef TASKS_SERVER_INFERENCE_RULES_H_
#define TASKS_SERVER_INFERENCE_RULES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "nlohmann/json.hpp"
#include "server/registry/registry_snapshot.h"

namespace tasks::inference {

// Why an answer is what it is.
struct Evidence {
  std::string rule;                // e.g. "determine_framework: PyTorch weights"
  std::vector<std::string> facts;  // e.g. "model.safetensors at top level"
};

struct Inferred {
  std::string value;
  Evidence evidence;
};

// determine_framework over the files of a (sub)folder, paths relative to it with '/', for a
// generation exporting from `frameworks`: "pt", or "tf" when TensorFlow is among them (Optimum
// 1.x; 2.x has no TensorFlow rule, so TensorFlow weights alone match nothing); FileNotFoundError
// (NOT_FOUND) when no rule matches.
absl::StatusOr<Inferred> DetermineFramework(absl::Span<const std::string> files,
                                            absl::Span<const std::string> frameworks);

// The library when the file names decide it (diffusers, sentence_transformers); nothing when
// config.json has to be read (it is listed); ValueError when neither (no rule can match).
absl::StatusOr<std::optional<Inferred>> InferLibraryFromFiles(absl::Span<const std::string> files);

// The library from config.json's top-level keys (timm, diffusers or transformers).
Inferred InferLibraryFromConfig(const nlohmann::json& config);

// What the Hub's model info says about the task.
// Views of the cached model info (it outlives the call), not copies.
struct HubTaskFacts {
  std::optional<std::string> pipeline_tag;
  const nlohmann::json& config;             // model info "config" (null when absent)
  const nlohmann::json& transformers_info;  // model info "transformersInfo" (null when absent)
};

// infer_task_from_model for a Hub repo, once its library is known. KeyError when nothing
// decides. sentence-transformers repos get feature-extraction (a deliberate improvement:
// Optimum 1.23.3 has no rule for them and raises KeyError).
absl::StatusOr<Inferred> InferTaskFromHub(const registry::RegistrySnapshot& snapshot,
                                          absl::string_view repo_id, absl::string_view library,
                                          const HubTaskFacts& facts);

// The files a folder-based task inference reads.
struct FolderTaskFacts {
  const nlohmann::json* config = nullptr;       // config.json, when listed
  const nlohmann::json* model_index = nullptr;  // model_index.json, when listed
};

// Task inference for a local folder or a subfolder, which Optimum refuses (RuntimeError): timm
// and sentence-transformers defaults, diffusers `_class_name`, transformers `architectures`
// through the auto-class tables. A deliberate improvement (README, "Differences from Optimum").
absl::StatusOr<Inferred> InferTaskFromFolder(const registry::RegistrySnapshot& snapshot,
                                             absl::string_view model, absl::string_view library,
                                             const FolderTaskFacts& facts);

// standardize_model_attributes as a function of the library and one class or architecture name:
// diffusers pipeline class, timm architecture, or the class of a sentence-transformers model's
// first module. ValueError where Optimum raises; transformers models keep their model type, so
// `name` is that model type there.
absl::StatusOr<Inferred> ExportModelType(const registry::RegistrySnapshot& snapshot,
                                         absl::string_view library, absl::string_view name);

}  // namespace tasks::inference

#endif  // TASKS_SERVER_INFERENCE_RULES_H_
