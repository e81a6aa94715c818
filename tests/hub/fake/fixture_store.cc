#include "tests/hub/fake/fixture_store.h"

#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tasks::testing::fake_hub {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

absl::StatusOr<Json> ReadJson(const fs::path& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  Json json = Json::parse(*text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(path.string(), ": not valid JSON"));
  }
  return json;
}

// Every regular file below `dir` (hidden ones too), by "/"-separated path relative to it.
absl::StatusOr<std::map<std::string, RepoFile>> ReadFiles(const fs::path& dir) {
  std::map<std::string, RepoFile> files;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    absl::StatusOr<std::string> content = ReadFile(entry.path());
    if (!content.ok()) return content.status();
    std::string oid = FakeGitHash(absl::StrCat("blob ", *content));
    files.emplace(entry.path().lexically_relative(dir).generic_string(),
                  RepoFile{*std::move(content), std::move(oid)});
  }
  return files;
}

absl::StatusOr<RepoRevision> LoadRevision(const fs::path& files_dir, std::string sha,
                                          Json model_info) {
  for (const char* computed : {"id", "modelId", "sha", "siblings"}) {
    if (model_info.contains(computed)) {
      return absl::InvalidArgumentError(absl::StrCat(files_dir.parent_path().string(),
                                                     ": model_info has \"", computed,
                                                     "\", which the fake Hub computes"));
    }
  }
  absl::StatusOr<std::map<std::string, RepoFile>> files = ReadFiles(files_dir);
  if (!files.ok()) return files.status();
  return RepoRevision{std::move(sha), *std::move(files), std::move(model_info)};
}

}  // namespace

std::string FakeGitHash(absl::string_view data) {
  // FNV-1a from three offset bases: not git's SHA-1, but the same on every run and platform.
  std::string hex;
  for (uint64_t hash : {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL, 0x9e3779b97f4a7c15ULL}) {
    for (unsigned char c : data) {
      hash ^= c;
      hash *= 0x100000001b3ULL;
    }
    absl::StrAppend(&hex, absl::Hex(hash, absl::kZeroPad16));
  }
  return hex.substr(0, 40);
}

const RepoRevision* FixtureRepo::FindRevision(const std::string& revision) const {
  if (auto it = revisions.find(revision); it != revisions.end()) return &it->second;
  for (const auto& [name, candidate] : revisions) {
    if (candidate.sha == revision) return &candidate;
  }
  return nullptr;
}

absl::StatusOr<FixtureStore> FixtureStore::Load(const std::string& dir) {
  FixtureStore store;
  // nlohmann::json and std::filesystem report wrong field types and unreadable folders by
  // throwing; this is the one place that turns them into a status.
  try {
    for (const fs::directory_entry& org : fs::directory_iterator(dir)) {
      if (!org.is_directory()) continue;
      for (const fs::directory_entry& repo : fs::directory_iterator(org.path())) {
        if (!fs::exists(repo.path() / "model_info.json")) continue;
        const std::string id =
            absl::StrCat(org.path().filename().string(), "/", repo.path().filename().string());
        if (absl::Status status = store.AddRepo(repo.path().string(), id); !status.ok()) {
          return status;
        }
      }
    }
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("fixtures in ", dir, ": ", e.what()));
  }
  if (store.repos_.empty()) return absl::NotFoundError(absl::StrCat("no fixture repos in ", dir));
  return store;
}

absl::Status FixtureStore::AddRepo(const std::string& dir, const std::string& repo_id) {
  const fs::path repo_dir(dir);
  absl::StatusOr<Json> model_info = ReadJson(repo_dir / "model_info.json");
  if (!model_info.ok()) return model_info.status();
  absl::StatusOr<Json> options = Json::object();
  if (fs::exists(repo_dir / "fixture.json")) options = ReadJson(repo_dir / "fixture.json");
  if (!options.ok()) return options.status();

  FixtureRepo repo;
  repo.id = repo_id;
  repo.token = options->value("token", "");
  repo.is_private = model_info->value("private", false);
  repo.is_disabled = model_info->value("disabled", false);
  repo.is_gated = model_info->value("gated", Json(false)).is_string();  // "auto" or "manual"
  repo.tree_page_size = options->value("tree_page_size", kDefaultTreePageSize);
  if (repo.tree_page_size == 0) return absl::InvalidArgumentError(repo_id + ": tree_page_size 0");

  absl::StatusOr<RepoRevision> main = LoadRevision(
      repo_dir / "files", options->value("sha", FakeGitHash("commit " + repo_id)), *model_info);
  if (!main.ok()) return main.status();
  repo.revisions.emplace("main", *std::move(main));

  const Json revisions = options->value("revisions", Json::object());
  for (const auto& [name, revision] : revisions.items()) {
    Json info = *model_info;
    info.merge_patch(revision.value("model_info", Json::object()));
    absl::StatusOr<RepoRevision> loaded = LoadRevision(
        repo_dir / revision.value("files_dir", "files"),
        revision.value("sha", FakeGitHash(absl::StrCat("commit ", repo_id, "@", name))),
        std::move(info));
    if (!loaded.ok()) return loaded.status();
    repo.revisions.insert_or_assign(name, *std::move(loaded));
  }

  for (const std::string& old_id : options->value("renamed_from", std::vector<std::string>())) {
    renamed_.emplace(old_id, repo_id);
  }
  if (!repo.token.empty()) tokens_.insert(repo.token);
  repos_.emplace(repo_id, std::move(repo));
  return absl::OkStatus();
}

absl::Status FixtureStore::AddCopies(const std::string& original, int count) {
  const FixtureRepo* repo = Find(original);
  if (repo == nullptr) return absl::NotFoundError(absl::StrCat("no fixture repo ", original));
  const FixtureRepo source = *repo;  // repos_ grows below
  for (int i = 0; i < count; ++i) {
    FixtureRepo copy = source;
    copy.id = absl::StrCat(original, "-copy-", i);
    for (auto& [name, revision] : copy.revisions) {
      revision.sha = FakeGitHash(absl::StrCat("commit ", copy.id, "@", name));
    }
    repos_.insert_or_assign(copy.id, std::move(copy));
  }
  return absl::OkStatus();
}

const FixtureRepo* FixtureStore::Find(const std::string& repo_id) const {
  auto it = repos_.find(repo_id);
  return it == repos_.end() ? nullptr : &it->second;
}

std::optional<std::string> FixtureStore::RenamedTo(const std::string& old_id) const {
  auto it = renamed_.find(old_id);
  if (it == renamed_.end()) return std::nullopt;
  return it->second;
}

bool FixtureStore::IsKnownToken(const std::string& token) const { return tokens_.contains(token); }

}  // namespace tasks::testing::fake_hub
