// "Did you mean" suggestions for a value that is not among the valid choices.
#ifndef TASKS_SERVER_COMMON_SUGGEST_H_
#define TASKS_SERVER_COMMON_SUGGEST_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace tasks {

// Returns the choice closest to `value`, or nothing when no choice is close enough to be a
// plausible typo. A choice equal to `value` up to case and '_'/'-' wins outright; otherwise the
// smallest optimal-string-alignment distance within a budget that grows with the length
// (1 edit up to 4 characters, then a quarter of the length, at least 2). Ties go to the earlier
// choice, so callers list choices in a meaningful order.
std::optional<std::string> ClosestMatch(absl::string_view value,
                                        absl::Span<const std::string> choices);

}  // namespace tasks

#endif  // TASKS_SERVER_COMMON_SUGGEST_H_
