// FUZZ_CHECK: a property every input must keep. A broken one prints the property and the input,
// then aborts, which libFuzzer reports as a crash and saves the input as a reproducer.
#ifndef TASKS_FUZZ_CHECK_H_
#define TASKS_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"

namespace tasks::fuzz {

[[noreturn]] inline void PropertyBroken(const char* property, absl::string_view input,
                                        const char* file, int line) {
  std::fprintf(stderr, "%s:%d: property broken: %s\n  input: \"%s\"\n", file, line, property,
               absl::CHexEscape(input).c_str());
  std::abort();
}

}  // namespace tasks::fuzz

#define FUZZ_CHECK(condition, input)                                                        \
  do {                                                                                      \
    if (!(condition)) ::tasks::fuzz::PropertyBroken(#condition, input, __FILE__, __LINE__); \
  } while (false)

#endif  // TASKS_FUZZ_CHECK_H_
