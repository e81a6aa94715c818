// ModelLocator: where a model's files come from, and the files themselves.
//
// A request names a model as a Hub repo id or a local path. ModelLocator decides which, checks
// the name, and opens it as a ModelFiles: the file listing of the (sub)folder and a way to read
// its small JSON files. Sources, in order:
//   1. local folders under the configured model roots (absolute paths, or relative paths that
//      exist under a root), read through LocalFiles beneath the root, so that nothing outside is
//      ever read, even by a symlink swapped in while a call runs; anything leading outside every
//      root is PERMISSION_DENIED without saying whether it exists;
//   2. the Hub through the HubCache (model info's `siblings` serve as the listing, pinned to the
//      resolved commit);
//   3. a Hugging Face cache folder (`models--org--name/refs/<rev>`, `snapshots/<sha>/`): the only
//      source when offline, and the fallback when the Hub is unreachable online.
//
// Thread-safe. Open blocks on the Hub and on files, so run it on a WorkerPool; TryOpen never
// waits.
#ifndef TASKS_SERVER_INFERENCE_MODEL_SOURCE_H_
#define TASKS_SERVER_INFERENCE_MODEL_SOURCE_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "server/common/cancellation.h"
#include "server/common/local_files.h"
#include "server/hub/hub_cache.h"

namespace tasks::inference {

// What a request names.
struct ModelRef {
  std::string model;      // Hub repo id or local path
  std::string subfolder;  // relative, '/'-separated; "" for the top
  std::string revision;   // Hub branch, tag or commit; "" for the default branch
};

// Where a model's files came from.
enum class ModelSource { kHub, kCache, kStaleCache, kLocal, kHfCacheDir };
// As the API spells it: "hub", "cache", "stale-cache", "local" or "hf-cache-dir".
const char* ModelSourceName(ModelSource source);

// An opened model: its listing and its small files.
using JsonFile = std::shared_ptr<const nlohmann::json>;

// One call's opening of a model; not thread-safe.
class ModelFiles {
 public:
  virtual ~ModelFiles() = default;

  // Every file of the (sub)folder, relative to it, '/'-separated, sorted.
  const std::vector<std::string>& files() const { return *files_; }
  ModelSource source() const { return source_; }
  const std::string& commit_sha() const { return commit_sha_; }  // empty for local folders
  // The Hub's model info (Hub and cache sources only; else null): the Hub cache's own object, so
  // that its identity says which answers were computed from it (the service's AnswerMemo).
  const std::shared_ptr<const hub::ModelInfo>& model_info() const { return model_info_; }
  bool is_local() const { return source_ == ModelSource::kLocal; }

  // How long reading a Hub file not yet in memory may wait. An opening made by TryOpen has no
  // time to wait (such a read fails at once) until a thread that may wait gives it some.
  void AllowWaiting(const WaitLimits& limits) { limits_ = limits; }

  // Reads and parses a JSON file of the (sub)folder. NOT_FOUND when it is not listed. A Hub
  // file is the Hub cache's parsed copy, shared rather than copied per call. Each path is read
  // once per opening: a call's inference steps ask for config.json several times, and get the
  // first answer again (one version of the file, one cache lookup).
  absl::StatusOr<JsonFile> ReadJson(absl::string_view path);

 protected:
  virtual absl::StatusOr<JsonFile> ReadJsonOnce(absl::string_view path) = 0;

  // Shared: a Hub model's whole listing is its cached model info's, not a copy per call.
  std::shared_ptr<const std::vector<std::string>> files_;
  ModelSource source_ = ModelSource::kLocal;
  std::string commit_sha_;
  std::shared_ptr<const hub::ModelInfo> model_info_;
  WaitLimits limits_{absl::InfinitePast()};

 private:
  std::vector<std::pair<std::string, absl::StatusOr<JsonFile>>> read_;  // a few paths per call
};

struct ModelLocatorOptions {
  std::vector<std::string> model_roots;  // local folders allowed; none: local paths refused
  std::string hf_cache_dir;              // "": none
  bool offline = false;                  // HF_HUB_OFFLINE: the cache folder is the only Hub source
  size_t max_json_bytes = 4 << 20;       // config files larger than this are refused
  const LocalFiles* local_files = nullptr;  // null: the system's (SystemFiles())
};

class ModelLocator {
 public:
  // `cache` may be null when offline.
  ModelLocator(ModelLocatorOptions options, hub::HubCache* cache);

  // Opens the model, waiting for the Hub within `limits`; reads of the opening may wait as long.
  absl::StatusOr<std::unique_ptr<ModelFiles>> Open(const ModelRef& ref,
                                                   const hub::Credentials& credentials,
                                                   const WaitLimits& limits) const;

  // Opens the model from memory, never waiting (safe on a gRPC callback thread): the opening
  // or a definitive error, or nullopt when opening it needs files or the Hub (then Open it where
  // waiting is allowed).
  std::optional<absl::StatusOr<std::unique_ptr<ModelFiles>>> TryOpen(
      const ModelRef& ref, const hub::Credentials& credentials) const;

 private:
  // A model root, as configured and with its symlinks resolved (a path may use either).
  struct Root {
    std::string path;
    std::vector<std::vector<std::string>> spellings;  // each as its path components
  };
  // A local model folder: `folder` (relative) in the opened root `tree`.
  struct LocalFolder {
    std::unique_ptr<FileTree> tree;
    std::string folder;
  };
  // The checks every opening makes first, and the local folder `ref` names (nullopt: a Hub
  // repo id, itself checked).
  absl::StatusOr<std::optional<LocalFolder>> Locate(const ModelRef& ref) const;
  absl::StatusOr<std::unique_ptr<ModelFiles>> OpenHub(const ModelRef& ref,
                                                      const hub::Credentials& credentials,
                                                      const WaitLimits& limits) const;
  absl::StatusOr<std::optional<LocalFolder>> LocatePath(const ModelRef& ref) const;
  // `folder` under `root` if it is one; PERMISSION_DENIED when it leads out of the root.
  absl::StatusOr<std::optional<LocalFolder>> FindFolder(const Root& root, std::string folder,
                                                        const ModelRef& ref) const;
  absl::StatusOr<std::optional<LocalFolder>> LocateName(const ModelRef& ref) const;
  absl::StatusOr<std::unique_ptr<ModelFiles>> OpenHfCacheDir(const ModelRef& ref) const;

  const ModelLocatorOptions options_;
  const LocalFiles& local_files_;
  std::vector<Root> roots_;
  hub::HubCache* const cache_;
};

// Request checks, shared with the service: INVALID_ARGUMENT saying what is wrong.
absl::Status ValidateRepoId(absl::string_view repo_id);
absl::Status ValidateRevision(absl::string_view revision);
absl::Status ValidateSubfolder(absl::string_view subfolder);

}  // namespace tasks::inference

#endif  // TASKS_SERVER_INFERENCE_MODEL_SOURCE_H_
