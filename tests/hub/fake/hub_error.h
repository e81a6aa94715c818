// Error answers in the Hub's shape: a status, `X-Error-Code` (what huggingface_hub maps to its
// exception classes), `X-Error-Message`, and a JSON body {"error": message}.
#ifndef TASKS_TESTS_HUB_FAKE_HUB_ERROR_H_
#define TASKS_TESTS_HUB_FAKE_HUB_ERROR_H_

#include <string>

#include "httplib.h"

namespace tasks::testing::fake_hub {

inline constexpr char kJsonContentType[] = "application/json; charset=utf-8";

struct HubError {
  int status;
  std::string code;  // "" when the Hub sends no X-Error-Code
  std::string message;
};

void SetHubError(const HubError& error, httplib::Response& response);

}  // namespace tasks::testing::fake_hub

#endif  // TASKS_TESTS_HUB_FAKE_HUB_ERROR_H_
