#include "server/registry/generations.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/common/errors.h"

namespace tasks::registry {
namespace {

struct MajorMinor {
  int major = 0;
  int minor = 0;
  friend bool operator<(MajorMinor a, MajorMinor b) {
    return std::pair(a.major, a.minor) < std::pair(b.major, b.minor);
  }
};

// A release segment of a version as a number: digits, optionally followed by a pre-release,
// post-release or local suffix ("0", "0rc1", "0+cpu"); nothing for anything else ("1x").
std::optional<int> ReleaseNumber(absl::string_view part) {
  size_t digits = 0;
  while (digits < part.size() && absl::ascii_isdigit(static_cast<unsigned char>(part[digits]))) {
    ++digits;
  }
  const absl::string_view suffix = part.substr(digits);
  const bool known_suffix = suffix.empty() || absl::StartsWith(suffix, "a") ||
                            absl::StartsWith(suffix, "b") || absl::StartsWith(suffix, "rc") ||
                            absl::StartsWith(suffix, "post") || absl::StartsWith(suffix, "dev") ||
                            absl::StartsWith(suffix, "+");
  int number = 0;
  if (digits == 0 || !known_suffix || !absl::SimpleAtoi(part.substr(0, digits), &number)) {
    return std::nullopt;
  }
  return number;
}

// "2.1", "2.1.0", "2.1.0.dev0", "1.23.3" -> its major.minor; nothing for what is no version.
std::optional<MajorMinor> ParseMajorMinor(absl::string_view version) {
  const std::vector<absl::string_view> parts = absl::StrSplit(version, absl::MaxSplits('.', 2));
  if (parts.size() < 2) return std::nullopt;
  std::optional<int> major = ReleaseNumber(parts[0]);
  std::optional<int> minor = ReleaseNumber(parts[1]);
  if (!major || !minor || absl::StrCat(*major) != parts[0]) return std::nullopt;
  return MajorMinor{*major, *minor};
}

MajorMinor OrderOf(const TasksManager& manager) {
  return ParseMajorMinor(manager.snapshot().generation).value_or(MajorMinor{});
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Generations>> Generations::Create(
    std::vector<std::shared_ptr<const TasksManager>> managers, absl::string_view default_version) {
  if (managers.empty()) return absl::InvalidArgumentError("no generation is loaded");
  for (const auto& manager : managers) {
    if (!ParseMajorMinor(manager->snapshot().generation)) {
      return absl::InvalidArgumentError(
          absl::StrCat("generation name '", manager->snapshot().generation,
                       "' is not a major.minor version (GenerationRules.generation)"));
    }
  }
  std::stable_sort(managers.begin(), managers.end(),
                   [](const auto& a, const auto& b) { return OrderOf(*a) < OrderOf(*b); });
  std::vector<std::string> choices;
  for (const auto& manager : managers) {
    const std::string& name = manager->snapshot().generation;
    if (!choices.empty() && choices.back() == name) {
      return absl::InvalidArgumentError(absl::StrCat("generation ", name, " is loaded twice"));
    }
    choices.push_back(name);
  }
  choices.emplace_back(kLatestGeneration);
  const size_t count = managers.size();
  // Through a shared_ptr of a private constructor: make_shared cannot reach it.
  std::shared_ptr<Generations> generations(
      new Generations(std::move(managers), /*default_index=*/count - 1, std::move(choices)));
  const int default_index = generations->Find(default_version);
  if (default_index < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--default_optimum_version: no shipped generation is '", EchoInput(default_version),
        "'; valid: ", absl::StrJoin(generations->choices_, ", ")));
  }
  generations->default_index_ = static_cast<size_t>(default_index);
  return generations;
}

int Generations::Find(absl::string_view version) const {
  if (version.empty()) return static_cast<int>(default_index_);
  if (version == kLatestGeneration) return static_cast<int>(managers_.size()) - 1;
  const std::optional<MajorMinor> wanted = ParseMajorMinor(version);
  if (!wanted) return -1;
  for (size_t i = 0; i < managers_.size(); ++i) {
    const MajorMinor have = OrderOf(*managers_[i]);
    if (have.major == wanted->major && have.minor == wanted->minor) return static_cast<int>(i);
  }
  return -1;
}

absl::StatusOr<std::shared_ptr<const TasksManager>> Generations::Select(
    absl::string_view version) const {
  const int index = Find(version);
  if (index >= 0) return managers_[static_cast<size_t>(index)];
  return MakeError(
      absl::StatusCode::kInvalidArgument, "ValueError",
      absl::StrCat("optimum-version '", EchoInput(version),
                   "' names no Optimum generation this server ships; send a generation name, "
                   "a full version of one (e.g. ",
                   latest().snapshot().generation, ".0) or 'latest'."),
      ErrorContext{.argument = "optimum-version", .value = version, .valid_choices = choices_});
}

absl::StatusOr<LoadedGenerations> LoadGenerations(absl::Span<const std::string> extra_dirs,
                                                  absl::string_view default_version) {
  // The extra files are read once, so that every generation loads the same bytes.
  RegistrySources extra;
  if (absl::Status status = AppendExtraDirs(extra_dirs, extra); !status.ok()) return status;
  LoadedGenerations loaded;
  std::vector<std::shared_ptr<const TasksManager>> managers;
  for (const std::string& folder : EmbeddedGenerationFolders()) {
    absl::StatusOr<RegistrySources> sources = CollectRegistrySources({}, folder);
    if (sources.ok()) {
      sources->exporter_files.insert(sources->exporter_files.end(), extra.exporter_files.begin(),
                                     extra.exporter_files.end());
    }
    absl::StatusOr<LoadedRegistry> registry =
        sources.ok() ? LoadRegistry(*sources) : sources.status();
    if (!registry.ok()) {
      return absl::Status(registry.status().code(),
                          absl::StrCat("data/", folder, ": ", registry.status().message()));
    }
    managers.push_back(std::make_shared<const TasksManager>(registry->snapshot));
    loaded.registries.push_back(*std::move(registry));
  }
  absl::StatusOr<std::shared_ptr<const Generations>> generations =
      Generations::Create(std::move(managers), default_version);
  if (!generations.ok()) return generations.status();
  loaded.generations = *std::move(generations);
  loaded.skipped = std::move(extra.skipped);
  return loaded;
}

std::string DescribeGenerations(const LoadedGenerations& loaded) {
  std::vector<std::string> each;
  for (const LoadedRegistry& registry : loaded.registries) {
    each.push_back(
        absl::StrCat(registry.snapshot->generation, " (", DescribeRegistry(registry), ")"));
  }
  return absl::StrCat("generations ", absl::StrJoin(each, ", "), "; default ",
                      loaded.generations->default_generation().snapshot().generation);
}

}  // namespace tasks::registry
