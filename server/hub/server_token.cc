#include "server/hub/server_token.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"

namespace tasks::hub {

ServerToken::ServerToken(std::string token, std::string token_file)
    : fixed_token_(std::move(token)), token_file_(std::move(token_file)) {}

std::string ServerToken::Get() {
  if (!fixed_token_.empty() || token_file_.empty()) return fixed_token_;
  std::error_code error;
  const auto modified = std::filesystem::last_write_time(token_file_, error);
  absl::MutexLock lock(&mutex_);
  if (error) {
    file_token_.clear();
    return "";
  }
  if (modified != read_at_) {
    std::ifstream in(token_file_);
    std::stringstream text;
    text << in.rdbuf();
    file_token_ = std::string(absl::StripAsciiWhitespace(text.str()));
    read_at_ = modified;
  }
  return file_token_;
}

}  // namespace tasks::hub
