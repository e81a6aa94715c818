#include "tests/hub/fake/hub_error.h"

#include "nlohmann/json.hpp"

namespace tasks::testing::fake_hub {

void SetHubError(const HubError& error, httplib::Response& response) {
  response.status = error.status;
  if (!error.code.empty()) response.set_header("X-Error-Code", error.code);
  response.set_header("X-Error-Message", error.message);
  response.set_content(nlohmann::json{{"error", error.message}}.dump(), kJsonContentType);
}

}  // namespace tasks::testing::fake_hub
