#include "server/common/suggest.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"

namespace tasks {
namespace {

std::string Fold(absl::string_view s) {
  return absl::StrReplaceAll(absl::AsciiStrToLower(s), {{"_", "-"}});
}

// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
size_t EditDistance(absl::string_view a, absl::string_view b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

}  // namespace

std::optional<std::string> ClosestMatch(absl::string_view value,
                                        absl::Span<const std::string> choices) {
  if (value.empty()) return std::nullopt;
  const std::string folded = Fold(value);
  for (const std::string& choice : choices) {
    if (Fold(choice) == folded) return choice;
  }
  const size_t budget = folded.size() <= 4 ? 1 : std::max<size_t>(2, folded.size() / 4);
  const std::string* best = nullptr;
  size_t best_distance = budget + 1;
  for (const std::string& choice : choices) {
    // The distance is at least the difference in length: skip what cannot be within budget.
    const size_t shorter = std::min(folded.size(), choice.size());
    if (std::max(folded.size(), choice.size()) - shorter > budget) continue;
    const size_t distance = EditDistance(folded, Fold(choice));
    if (distance < best_distance) {
      best_distance = distance;
      best = &choice;
    }
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

}  // namespace tasks
