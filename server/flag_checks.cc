#include "server/flag_checks.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/fleet_cache/redis_cache.h"
#include "server/service/host_port.h"

namespace tasks::flags {
namespace {

namespace fs = std::filesystem;

// A validator from `check`, which returns "" for a good value or what is wrong with it.
template <typename Check>
CLI::Validator Make(std::string description, Check check) {
  return CLI::Validator([check](std::string& value) { return check(value); },
                        std::move(description));
}

// "expected <what>, got '<value>'".
std::string Expected(const std::string& what, const std::string& value) {
  return absl::StrCat("expected ", what, ", got '", value, "'");
}

}  // namespace

CLI::Validator Seconds(bool zero_allowed) {
  const std::string what =
      absl::StrCat("seconds, a number ", zero_allowed ? "from 0" : "above 0", " to ", kMaxSeconds);
  return Make("SECONDS", [zero_allowed, what](const std::string& value) {
    double seconds = 0;
    const bool ok = absl::SimpleAtod(value, &seconds) && std::isfinite(seconds) &&
                    (zero_allowed ? seconds >= 0 : seconds > 0) && seconds <= kMaxSeconds;
    return ok ? std::string() : Expected(what, value);
  });
}

CLI::Validator Integer(int64_t min, int64_t max) {
  const std::string what = absl::StrCat("an integer from ", min, " to ", max);
  return Make("INT", [min, max, what](const std::string& value) {
    int64_t number = 0;
    const bool ok = absl::SimpleAtoi(value, &number) && number >= min && number <= max;
    return ok ? std::string() : Expected(what, value);
  });
}

CLI::Validator FileMode() {
  return Make("OCTAL", [](const std::string& value) {
    const bool ok = !value.empty() && value.size() <= 4 &&
                    value.find_first_not_of("01234567") == std::string::npos &&
                    std::stoi(value, nullptr, 8) <= 0777;
    return ok ? std::string() : Expected("an octal file mode from 0 to 0777, e.g. 0660", value);
  });
}

CLI::Validator HostPort() {
  return Make("HOST:PORT", [](const std::string& value) {
    absl::StatusOr<service::HostPort> parsed = service::ParseHostPort(value);
    return parsed.ok() ? std::string() : std::string(parsed.status().message());
  });
}

CLI::Validator ListenAddress() {
  return Make("HOST:PORT|unix:PATH", [](const std::string& value) {
    const absl::Status status = service::CheckListenAddress(value);
    return status.ok() ? std::string() : std::string(status.message());
  });
}

CLI::Validator FolderIfPresent() {
  return Make("DIR", [](const std::string& value) {
    std::error_code error;
    const fs::file_status status = fs::status(value, error);
    return !fs::exists(status) || fs::is_directory(status)
               ? std::string()
               : absl::StrCat("'", value, "' is not a folder");
  });
}

CLI::Validator RegularFileIfPresent() {
  return Make("FILE", [](const std::string& value) {
    std::error_code error;
    const fs::file_status status = fs::status(value, error);
    return !fs::exists(status) || fs::is_regular_file(status)
               ? std::string()
               : absl::StrCat("'", value, "' is not a regular file");
  });
}

CLI::Validator RedisAddress() {
  return Make("HOST:PORT|unix:PATH", [](const std::string& value) {
    const absl::Status status = fleet_cache::CheckRedisAddress(value);
    return status.ok() ? std::string() : std::string(status.message());
  });
}

CLI::Validator SecretFile() {
  return Make("FILE", [](const std::string& value) {
    std::error_code error;
    if (!fs::is_regular_file(value, error)) {
      return absl::StrCat("'", value, "' is not a regular file");
    }
    std::ifstream in(value, std::ios::binary);
    std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) return absl::StrCat("cannot read '", value, "'");
    if (absl::StripAsciiWhitespace(secret).size() < kMinSecretBytes) {
      return absl::StrCat("'", value, "' holds a secret shorter than ", kMinSecretBytes,
                          " bytes (e.g. openssl rand -hex 32 > ", value, ")");
    }
    return std::string();
  });
}

CLI::Validator KeyPrefix() {
  return Make("PREFIX", [](const std::string& value) {
    const bool ok = !value.empty() && value.size() <= 64 &&
                    std::all_of(value.begin(), value.end(), [](char c) { return c > ' ' && c < 127; });
    return ok ? std::string() : Expected("1 to 64 printable characters without spaces", value);
  });
}

}  // namespace tasks::flags
