// The fixture repos the fake Hub serves, loaded from tests/hub/fixtures/ (format in
// fixtures/README.md) and immutable afterwards.
#ifndef TASKS_TESTS_HUB_FAKE_FIXTURE_STORE_H_
#define TASKS_TESTS_HUB_FAKE_FIXTURE_STORE_H_

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace tasks::testing::fake_hub {

inline constexpr size_t kDefaultTreePageSize = 50;

// A deterministic 40-hex-digit id standing in for a git hash (commit, blob or tree) of `data`.
std::string FakeGitHash(absl::string_view data);

struct RepoFile {
  std::string content;
  std::string oid;  // stands in for the git blob id
};

struct RepoRevision {
  std::string sha;
  std::map<std::string, RepoFile> files;  // by path, in the byte order the Hub lists them
  nlohmann::ordered_json model_info;      // the fixture's model-info fields at this revision
};

struct FixtureRepo {
  std::string id;
  std::string token;  // the one that may read it when private or gated; "" = none
  bool is_private = false;
  bool is_gated = false;
  bool is_disabled = false;
  size_t tree_page_size = kDefaultTreePageSize;
  std::map<std::string, RepoRevision> revisions;  // by ref name; always has "main"

  // A ref name ("main", "v1.0", "refs/pr/1") or the full sha of one.
  const RepoRevision* FindRevision(const std::string& revision) const;
};

class FixtureStore {
 public:
  // Reads every <org>/<name>/ folder of `dir` that holds a model_info.json.
  static absl::StatusOr<FixtureStore> Load(const std::string& dir);

  // Adds `count` copies of repo `original`, "<original>-copy-<i>" for i in [0, count): distinct
  // repos with the same files and their own commit, for benchmarks that need many repos.
  absl::Status AddCopies(const std::string& original, int count);

  const FixtureRepo* Find(const std::string& repo_id) const;
  // The current id of a repo that was renamed from `old_id`.
  std::optional<std::string> RenamedTo(const std::string& old_id) const;
  // Whether `token` belongs to a user the fixtures know (any fixture's token).
  bool IsKnownToken(const std::string& token) const;

 private:
  absl::Status AddRepo(const std::string& dir, const std::string& repo_id);

  std::map<std::string, FixtureRepo> repos_;
  std::map<std::string, std::string> renamed_;  // old id -> current id
  std::set<std::string> tokens_;
};

}  // namespace tasks::testing::fake_hub

#endif  // TASKS_TESTS_HUB_FAKE_FIXTURE_STORE_H_
