#include "server/inference/model_source.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "server/common/errors.h"
#include "server/hub/repo_id.h"

namespace tasks::inference {
namespace {

namespace fs = std::filesystem;
using absl::StatusCode;

constexpr size_t kMaxListedFiles = 100'000;

// Absolute, explicitly relative, or with a ".." part: a path, never a repo id.
bool LooksLikePath(absl::string_view model) {
  if (absl::StartsWith(model, "/") || absl::StartsWith(model, "./") ||
      absl::StartsWith(model, "~") || model == ".") {
    return true;
  }
  for (absl::string_view part : absl::StrSplit(model, '/')) {
    if (part == "..") return true;
  }
  return false;
}

// `path` with symlinks resolved as far as it exists, and lexically normalised.
fs::path Canonical(const fs::path& path) {
  std::error_code error;
  fs::path canonical = fs::weakly_canonical(path, error);
  return error ? path.lexically_normal() : canonical;
}

bool IsInside(const fs::path& path, const std::string& root) {
  const std::string p = path.string();
  return p == root || absl::StartsWith(p, root == "/" ? root : root + "/");
}

absl::StatusOr<nlohmann::json> ParseJson(const std::string& text, absl::string_view what) {
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return MakeError(StatusCode::kFailedPrecondition, "JSONDecodeError",
                     absl::StrCat(what, " is not valid JSON."), {"model"});
  }
  return parsed;
}

// Files under `dir`, relative to it, sorted; symlinked files are listed, symlinked folders are
// not descended (as Optimum's os.walk).
std::vector<std::string> ListFolder(const fs::path& dir) {
  std::vector<std::string> files;
  std::error_code error;
  for (fs::recursive_directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    if (files.size() >= kMaxListedFiles) break;
    if (it->is_regular_file(error)) files.push_back(it->path().lexically_relative(dir).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class FolderFiles final : public ModelFiles {
 public:
  FolderFiles(fs::path folder, std::string root, ModelSource source, std::string sha,
              size_t max_json_bytes)
      : folder_(std::move(folder)), root_(std::move(root)), max_json_bytes_(max_json_bytes) {
    files_ = std::make_shared<const std::vector<std::string>>(ListFolder(folder_));
    source_ = source;
    commit_sha_ = std::move(sha);
  }

  absl::StatusOr<JsonFile> ReadJsonOnce(absl::string_view path) override {
    if (!std::binary_search(files_->begin(), files_->end(), std::string(path))) {
      return MakeError(StatusCode::kNotFound, "FileNotFoundError",
                       absl::StrCat(path, " is not in the model folder."), {"model"});
    }
    // A symlinked file may point anywhere; only what resolves inside the root is read.
    const fs::path file = Canonical(folder_ / std::string(path));
    if (!IsInside(file, root_)) {
      return MakeError(StatusCode::kPermissionDenied, "PermissionError",
                       absl::StrCat(path, " resolves outside the model root."), {"model"});
    }
    std::error_code error;
    if (fs::file_size(file, error) > max_json_bytes_ || error) {
      return MakeError(StatusCode::kResourceExhausted, "ValueError",
                       absl::StrCat(path, " is too large or unreadable."), {"model"});
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    absl::StatusOr<nlohmann::json> parsed = ParseJson(text.str(), path);
    if (!parsed.ok()) return parsed.status();
    return std::make_shared<const nlohmann::json>(*std::move(parsed));
  }

 private:
  const fs::path folder_;
  const std::string root_;
  const size_t max_json_bytes_;
};

ModelSource FromCache(hub::AnswerSource source) {
  switch (source) {
    case hub::AnswerSource::kHub:
      return ModelSource::kHub;
    case hub::AnswerSource::kCache:
      return ModelSource::kCache;
    case hub::AnswerSource::kStaleCache:
      return ModelSource::kStaleCache;
  }
  return ModelSource::kHub;
}

class HubFiles final : public ModelFiles {
 public:
  // `listing`: the commit's files, sorted (model info's siblings, or the tree listing).
  HubFiles(hub::HubCache* cache, hub::CachedAnswer<hub::ModelInfo> info,
           std::shared_ptr<const std::vector<std::string>> listing, std::string repo_id,
           std::string subfolder, hub::Credentials credentials)
      : cache_(cache),
        repo_id_(std::move(repo_id)),
        prefix_(subfolder.empty() ? "" : subfolder + "/"),
        credentials_(std::move(credentials)) {
    model_info_ = info.value;
    source_ = FromCache(info.source);
    commit_sha_ = model_info_->sha;
    if (prefix_.empty()) {
      files_ = std::move(listing);
      return;
    }
    // By path component: "unet" keeps "unet/x", not "unet_lora/x" (Optimum: string prefix).
    std::vector<std::string> files;
    for (const std::string& file : *listing) {
      if (absl::StartsWith(file, prefix_)) files.push_back(file.substr(prefix_.size()));
    }
    std::sort(files.begin(), files.end());
    files_ = std::make_shared<const std::vector<std::string>>(std::move(files));
  }

  absl::StatusOr<JsonFile> ReadJsonOnce(absl::string_view path) override {
    if (!std::binary_search(files_->begin(), files_->end(), std::string(path))) {
      return MakeError(StatusCode::kNotFound, "EntryNotFoundError",
                       absl::StrCat(prefix_, path, " is not in ", repo_id_, "@", commit_sha_, "."),
                       {"model"});
    }
    const std::string what = absl::StrCat(repo_id_, "/", prefix_, path);
    absl::StatusOr<hub::CachedAnswer<nlohmann::json>> parsed = cache_->GetJsonFile(
        repo_id_, *model_info_, absl::StrCat(prefix_, path), credentials_, limits_,
        [&what](const std::string& text) { return ParseJson(text, what); });
    if (!parsed.ok()) return parsed.status();
    return std::move(parsed->value);
  }

 private:
  hub::HubCache* const cache_;
  const std::string repo_id_;
  const std::string prefix_;
  const hub::Credentials credentials_;
};

// The opening of a Hub model whose model info (and, without siblings, listing) is at hand.
std::unique_ptr<ModelFiles> HubOpening(hub::HubCache* cache, const ModelRef& ref,
                                       const hub::CachedAnswer<hub::ModelInfo>& info,
                                       std::shared_ptr<const std::vector<std::string>> listing,
                                       const hub::Credentials& credentials) {
  return std::make_unique<HubFiles>(cache, info, std::move(listing), ref.model, ref.subfolder,
                                    credentials);
}

// The model info's siblings as the listing: aliases the cached model info, so the listing lives
// as long as it does.
std::shared_ptr<const std::vector<std::string>> Siblings(
    const std::shared_ptr<const hub::ModelInfo>& info) {
  return std::shared_ptr<const std::vector<std::string>>(info, &info->siblings);
}

bool IsCommitSha(absl::string_view revision) {
  return revision.size() == 40 && std::all_of(revision.begin(), revision.end(), [](char c) {
           return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
         });
}

absl::Status PermissionDenied(absl::string_view model) {
  return MakeError(StatusCode::kPermissionDenied, "PermissionError",
                   absl::StrCat("Local path ", model,
                                " is not inside any model root this server may read (see "
                                "--model_root)."),
                   {"model"});
}

}  // namespace

const char* ModelSourceName(ModelSource source) {
  switch (source) {
    case ModelSource::kHub:
      return "hub";
    case ModelSource::kCache:
      return "cache";
    case ModelSource::kStaleCache:
      return "stale-cache";
    case ModelSource::kLocal:
      return "local";
    case ModelSource::kHfCacheDir:
      return "hf-cache-dir";
  }
  return "hub";
}

absl::Status ValidateRepoId(absl::string_view repo_id) {
  if (hub::RepoIdProblem(repo_id).empty()) return absl::OkStatus();
  return MakeError(
      StatusCode::kInvalidArgument, "HFValidationError",
      absl::StrCat("'", EchoInput(repo_id),
                   "' is neither a Hub repo id ('name' or 'org/name': letters, digits, '-', '_', "
                   "'.', no '--' or '..', not starting or ending with '-' or '.', not ending in "
                   "'.git', at most ",
                   hub::kMaxRepoIdChars,
                   " characters) nor a model folder (an absolute path, or a name under a "
                   "--model_root)."),
      {"model"});
}

absl::Status ValidateRevision(absl::string_view revision) {
  // Offline, a revision names a file under the cache folder's refs/: a leading '/' would make it
  // an absolute path (and git refs never start with one).
  const bool valid = revision.size() <= 255 && !absl::StartsWith(revision, "/") &&
                     !absl::StrContains(revision, "..") &&
                     std::all_of(revision.begin(), revision.end(), [](char c) {
                       return absl::ascii_isgraph(c) && !absl::StrContains("~^:?*[\\", c);
                     });
  if (!valid) {
    return MakeError(
        StatusCode::kInvalidArgument, "HFValidationError",
        absl::StrCat("revision '", EchoInput(revision), "' is not a branch, tag or commit name."),
        {"revision"});
  }
  return absl::OkStatus();
}

absl::Status ValidateSubfolder(absl::string_view subfolder) {
  bool valid = subfolder.size() <= 255 && !absl::StartsWith(subfolder, "/") &&
               !absl::StrContains(subfolder, "\\");
  for (absl::string_view part : absl::StrSplit(subfolder, '/')) {
    valid = valid && (subfolder.empty() || (!part.empty() && part != "." && part != ".."));
  }
  valid = valid && std::all_of(subfolder.begin(), subfolder.end(),
                               [](char c) { return absl::ascii_isprint(c); });
  if (!valid) {
    return MakeError(StatusCode::kInvalidArgument, "ValueError",
                     absl::StrCat("subfolder '", EchoInput(subfolder),
                                  "' must be a relative path without '.' or '..' parts."),
                     {"subfolder"});
  }
  return absl::OkStatus();
}

absl::StatusOr<JsonFile> ModelFiles::ReadJson(absl::string_view path) {
  for (const auto& [read_path, answer] : read_) {
    if (read_path == path) return answer;
  }
  read_.emplace_back(std::string(path), ReadJsonOnce(path));
  return read_.back().second;
}

ModelLocator::ModelLocator(ModelLocatorOptions options, hub::HubCache* cache)
    : options_(std::move(options)), cache_(cache) {
  for (const std::string& root : options_.model_roots) {
    canonical_roots_.push_back(Canonical(root).string());
  }
}

absl::StatusOr<std::optional<ModelLocator::LocalFolder>> ModelLocator::Locate(
    const ModelRef& ref) const {
  if (ref.model.empty()) return MissingArgument("model");
  // The OS reads a path up to its first NUL while the checks below read the whole string: refused
  // here, so the path checked is always the path opened.
  if (absl::c_any_of(ref.model, [](char c) { return absl::ascii_iscntrl(c); })) {
    return MakeError(StatusCode::kInvalidArgument, "HFValidationError",
                     absl::StrCat("model '", EchoInput(ref.model), "' holds a control character."),
                     {"model"});
  }
  if (absl::Status status = ValidateSubfolder(ref.subfolder); !status.ok()) return status;
  if (!ref.revision.empty()) {
    if (absl::Status status = ValidateRevision(ref.revision); !status.ok()) return status;
  }

  // Local folders: a path, or a relative name that exists under a root (it shadows the Hub).
  const bool path_like = LooksLikePath(ref.model);
  for (const std::string& root : canonical_roots_) {
    const fs::path lexical = path_like ? fs::path(ref.model) / ref.subfolder
                                       : fs::path(root) / ref.model / ref.subfolder;
    const fs::path folder = Canonical(lexical);
    if (!IsInside(folder, root)) {
      // A name under a root that is a symlink leading out of it.
      std::error_code error;
      if (!path_like && fs::exists(fs::symlink_status(lexical, error))) {
        return PermissionDenied(ref.model);
      }
      continue;
    }
    std::error_code error;
    if (fs::is_directory(folder, error)) return LocalFolder{folder, root};
    if (path_like) {
      return MakeError(StatusCode::kNotFound, "FileNotFoundError",
                       absl::StrCat("No model folder at ", ref.model,
                                    ref.subfolder.empty() ? "" : "/", ref.subfolder, "."),
                       {ref.subfolder.empty() ? "model" : "subfolder"});
    }
  }
  if (path_like) return PermissionDenied(ref.model);
  if (absl::Status status = ValidateRepoId(ref.model); !status.ok()) return status;
  return std::nullopt;
}

absl::StatusOr<std::unique_ptr<ModelFiles>> ModelLocator::Open(const ModelRef& ref,
                                                               const hub::Credentials& credentials,
                                                               const WaitLimits& limits) const {
  absl::StatusOr<std::optional<LocalFolder>> local = Locate(ref);
  if (!local.ok()) return local.status();
  if (*local) {
    return std::make_unique<FolderFiles>((*local)->folder, (*local)->root, ModelSource::kLocal, "",
                                         options_.max_json_bytes);
  }
  if (options_.offline || cache_ == nullptr) return OpenHfCacheDir(ref);
  absl::StatusOr<std::unique_ptr<ModelFiles>> hub = OpenHub(ref, credentials, limits);
  if (absl::IsUnavailable(hub.status()) && !options_.hf_cache_dir.empty()) {
    absl::StatusOr<std::unique_ptr<ModelFiles>> cached = OpenHfCacheDir(ref);
    if (cached.ok()) return cached;
  }
  if (hub.ok()) (*hub)->AllowWaiting(limits);
  return hub;
}

std::optional<absl::StatusOr<std::unique_ptr<ModelFiles>>> ModelLocator::TryOpen(
    const ModelRef& ref, const hub::Credentials& credentials) const {
  absl::StatusOr<std::optional<LocalFolder>> local = Locate(ref);
  if (!local.ok()) return local.status();
  // Listing a folder is file I/O; without a Hub, so is the cache folder.
  if (*local || options_.offline || cache_ == nullptr) return std::nullopt;
  hub::Peeked<hub::ModelInfo> info = cache_->PeekModelInfo(ref.model, ref.revision, credentials);
  if (!info) return std::nullopt;
  // A kept error is definitive (not found), never one the cache folder could stand in for.
  if (!info->ok()) return info->status();
  const std::shared_ptr<const hub::ModelInfo>& model_info = (*info)->value;
  if (!model_info->siblings.empty()) {
    return HubOpening(cache_, ref, **info, Siblings(model_info), credentials);
  }
  hub::Peeked<std::vector<std::string>> listing =
      cache_->PeekRepoFiles(ref.model, *model_info, credentials);
  if (!listing) return std::nullopt;
  if (!listing->ok()) return listing->status();
  return HubOpening(cache_, ref, **info, (*listing)->value, credentials);
}

absl::StatusOr<std::unique_ptr<ModelFiles>> ModelLocator::OpenHub(
    const ModelRef& ref, const hub::Credentials& credentials, const WaitLimits& limits) const {
  absl::StatusOr<hub::CachedAnswer<hub::ModelInfo>> info =
      cache_->GetModelInfo(ref.model, ref.revision, credentials, limits);
  if (!info.ok()) return info.status();
  if (!info->value->siblings.empty()) {
    return HubOpening(cache_, ref, *info, Siblings(info->value), credentials);
  }
  // Without siblings (an empty repo, or a mirror that omits them), the tree listing decides.
  absl::StatusOr<hub::CachedAnswer<std::vector<std::string>>> listing =
      cache_->ListRepoFiles(ref.model, *info->value, credentials, limits);
  if (!listing.ok()) return listing.status();
  return HubOpening(cache_, ref, *info, listing->value, credentials);
}

absl::StatusOr<std::unique_ptr<ModelFiles>> ModelLocator::OpenHfCacheDir(
    const ModelRef& ref) const {
  const std::string revision = ref.revision.empty() ? "main" : ref.revision;
  const std::string repo_folder =
      absl::StrCat("models--", absl::StrReplaceAll(ref.model, {{"/", "--"}}));
  auto missing = [&](absl::string_view what) {
    return MakeError(
        StatusCode::kFailedPrecondition, "LocalEntryNotFoundError",
        absl::StrCat(options_.offline ? "Offline mode: " : "The Hub is unreachable and ", what,
                     " is not in the Hugging Face cache folder ",
                     options_.hf_cache_dir.empty() ? "(none configured)" : options_.hf_cache_dir,
                     "."),
        {"model"});
  };
  if (options_.hf_cache_dir.empty()) return missing(absl::StrCat(ref.model, "@", revision));
  const fs::path repo = fs::path(options_.hf_cache_dir) / repo_folder;
  std::string sha = revision;
  if (!IsCommitSha(revision)) {
    std::ifstream ref_file(repo / "refs" / revision);
    if (!(ref_file >> sha)) return missing(absl::StrCat(repo_folder, "/refs/", revision));
    if (!IsCommitSha(sha)) return missing(absl::StrCat(repo_folder, "/refs/", revision));
  }
  const fs::path folder = repo / "snapshots" / sha / ref.subfolder;
  std::error_code error;
  if (!fs::is_directory(folder, error)) {
    return missing(absl::StrCat(repo_folder, "/snapshots/", sha, "/", ref.subfolder));
  }
  // As for model roots: a symlinked folder leading out of the repo's folder is never listed.
  const std::string canonical_repo = Canonical(repo).string();
  if (!IsInside(Canonical(folder), canonical_repo)) {
    return MakeError(StatusCode::kPermissionDenied, "PermissionError",
                     absl::StrCat(repo_folder, "/snapshots/", sha, "/", ref.subfolder,
                                  " resolves outside the Hugging Face cache folder."),
                     {"subfolder"});
  }
  return std::make_unique<FolderFiles>(folder, canonical_repo, ModelSource::kHfCacheDir, sha,
                                       options_.max_json_bytes);
}

}  // namespace tasks::inference
