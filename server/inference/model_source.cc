#include "server/inference/model_source.h"

#include <algorithm>
#include <filesystem>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "server/common/errors.h"
#include "server/hub/hub_client.h"
#include "server/hub/repo_id.h"

namespace tasks::inference {
namespace {

namespace fs = std::filesystem;
using absl::StatusCode;

constexpr size_t kMaxListedFiles = 100'000;
// A ref file holds one commit sha.
constexpr size_t kMaxRefFileBytes = 1024;

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

// The parts of an absolute path, without empty and "." parts; ".." parts are kept, for the
// files layer to resolve where they lead.
std::vector<std::string> PathComponents(const std::string& path) {
  return absl::StrSplit(path, '/',
                        [](absl::string_view part) { return !part.empty() && part != "."; });
}

std::string JoinPath(absl::string_view folder, absl::string_view name) {
  if (folder.empty()) return std::string(name);
  return name.empty() ? std::string(folder) : absl::StrCat(folder, "/", name);
}

absl::StatusOr<nlohmann::json> ParseJson(const std::string& text, absl::string_view what) {
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return MakeError(StatusCode::kFailedPrecondition, "JSONDecodeError",
                     absl::StrCat(what, " is not valid JSON."), {"model"});
  }
  return parsed;
}

class FolderFiles final : public ModelFiles {
 public:
  // `folder`, in its open tree, listed now.
  FolderFiles(std::unique_ptr<FileTree> tree, std::string folder, ModelSource source,
              std::string sha, size_t max_json_bytes)
      : tree_(std::move(tree)), folder_(std::move(folder)), max_json_bytes_(max_json_bytes) {
    files_ = std::make_shared<const std::vector<std::string>>(
        tree_->ListFiles(folder_, kMaxListedFiles));
    source_ = source;
    commit_sha_ = std::move(sha);
  }

  absl::StatusOr<JsonFile> ReadJsonOnce(absl::string_view path) override {
    if (!std::binary_search(files_->begin(), files_->end(), std::string(path))) {
      return MakeError(StatusCode::kNotFound, "FileNotFoundError",
                       absl::StrCat(path, " is not in the model folder."), {"model"});
    }
    // A listed symlink may lead anywhere; the tree reads only what lies inside it.
    absl::StatusOr<std::string> text = tree_->ReadFile(JoinPath(folder_, path), max_json_bytes_);
    if (absl::IsPermissionDenied(text.status())) {
      return MakeError(StatusCode::kPermissionDenied, "PermissionError",
                       absl::StrCat(path, " resolves outside the model root."), {"model"});
    }
    if (!text.ok()) {
      return MakeError(
          StatusCode::kResourceExhausted, "ValueError",
          absl::StrCat(path, " is too large or unreadable: ", text.status().message(), "."),
          {"model"});
    }
    absl::StatusOr<nlohmann::json> parsed = ParseJson(*text, path);
    if (!parsed.ok()) return parsed.status();
    return std::make_shared<const nlohmann::json>(*std::move(parsed));
  }

 private:
  const std::unique_ptr<FileTree> tree_;
  const std::string folder_;
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
    : options_(std::move(options)),
      local_files_(options_.local_files != nullptr ? *options_.local_files : SystemFiles()),
      cache_(cache) {
  for (const std::string& configured : options_.model_roots) {
    std::error_code error;
    const fs::path absolute = fs::absolute(configured, error).lexically_normal();
    const fs::path canonical = fs::weakly_canonical(absolute, error);
    Root root{error ? absolute.string() : canonical.string(), {}};
    root.spellings.push_back(PathComponents(root.path));
    if (absolute.string() != root.path) root.spellings.push_back(PathComponents(absolute.string()));
    roots_.push_back(std::move(root));
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
  if (LooksLikePath(ref.model)) return LocatePath(ref);
  // A name that exists under a root shadows the Hub repo of that name.
  absl::StatusOr<std::optional<LocalFolder>> local = LocateName(ref);
  if (!local.ok() || *local) return local;
  if (absl::Status status = ValidateRepoId(ref.model); !status.ok()) return status;
  return std::nullopt;
}

absl::StatusOr<std::optional<ModelLocator::LocalFolder>> ModelLocator::FindFolder(
    const Root& root, std::string folder, const ModelRef& ref) const {
  absl::StatusOr<std::unique_ptr<FileTree>> tree = local_files_.OpenTree(root.path);
  if (!tree.ok()) return std::nullopt;
  absl::StatusOr<FileTree::Kind> kind = (*tree)->KindOf(folder);
  if (absl::IsPermissionDenied(kind.status())) return PermissionDenied(ref.model);
  if (!kind.ok() || *kind != FileTree::Kind::kFolder) return std::nullopt;
  return LocalFolder{*std::move(tree), std::move(folder)};
}

// A path names its root by its spelling (the lexical check); where it then leads is resolved
// beneath that root, so a symlink on the way cannot take it out.
absl::StatusOr<std::optional<ModelLocator::LocalFolder>> ModelLocator::LocatePath(
    const ModelRef& ref) const {
  std::error_code error;
  const std::vector<std::string> parts = PathComponents(fs::absolute(ref.model, error).string());
  if (error) return PermissionDenied(ref.model);
  for (const Root& root : roots_) {
    for (const std::vector<std::string>& spelling : root.spellings) {
      if (parts.size() < spelling.size() ||
          !std::equal(spelling.begin(), spelling.end(), parts.begin())) {
        continue;
      }
      std::string folder = absl::StrJoin(parts.begin() + spelling.size(), parts.end(), "/");
      absl::StatusOr<std::optional<LocalFolder>> found =
          FindFolder(root, JoinPath(folder, ref.subfolder), ref);
      if (!found.ok() || *found) return found;
      return MakeError(StatusCode::kNotFound, "FileNotFoundError",
                       absl::StrCat("No model folder at ", ref.model,
                                    ref.subfolder.empty() ? "" : "/", ref.subfolder, "."),
                       {ref.subfolder.empty() ? "model" : "subfolder"});
    }
  }
  return PermissionDenied(ref.model);
}

absl::StatusOr<std::optional<ModelLocator::LocalFolder>> ModelLocator::LocateName(
    const ModelRef& ref) const {
  for (const Root& root : roots_) {
    absl::StatusOr<std::optional<LocalFolder>> found =
        FindFolder(root, JoinPath(ref.model, ref.subfolder), ref);
    if (!found.ok() || *found) return found;
  }
  return std::nullopt;
}

absl::StatusOr<std::unique_ptr<ModelFiles>> ModelLocator::Open(const ModelRef& ref,
                                                               const hub::Credentials& credentials,
                                                               const WaitLimits& limits) const {
  absl::StatusOr<std::optional<LocalFolder>> local = Locate(ref);
  if (!local.ok()) return local.status();
  if (*local) {
    return std::make_unique<FolderFiles>(std::move((*local)->tree), std::move((*local)->folder),
                                         ModelSource::kLocal, "", options_.max_json_bytes);
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
  // Every read beneath the repo's folder: its snapshots are symlinks into its blobs.
  absl::StatusOr<std::unique_ptr<FileTree>> repo =
      local_files_.OpenTree(JoinPath(options_.hf_cache_dir, repo_folder));
  std::string sha = revision;
  if (!hub::IsCommitSha(revision)) {
    absl::StatusOr<std::string> ref_file =
        repo.ok() ? (*repo)->ReadFile(absl::StrCat("refs/", revision), kMaxRefFileBytes)
                  : repo.status();
    sha = ref_file.ok() ? std::string(absl::StripAsciiWhitespace(*ref_file)) : "";
    if (!hub::IsCommitSha(sha)) return missing(absl::StrCat(repo_folder, "/refs/", revision));
  }
  const std::string folder = JoinPath(absl::StrCat("snapshots/", sha), ref.subfolder);
  absl::StatusOr<FileTree::Kind> kind = repo.ok() ? (*repo)->KindOf(folder) : repo.status();
  if (absl::IsPermissionDenied(kind.status())) {
    return MakeError(
        StatusCode::kPermissionDenied, "PermissionError",
        absl::StrCat(repo_folder, "/", folder, " resolves outside the Hugging Face cache folder."),
        {"subfolder"});
  }
  if (!kind.ok() || *kind != FileTree::Kind::kFolder) {
    return missing(absl::StrCat(repo_folder, "/", folder));
  }
  return std::make_unique<FolderFiles>(*std::move(repo), folder, ModelSource::kHfCacheDir, sha,
                                       options_.max_json_bytes);
}

}  // namespace tasks::inference
