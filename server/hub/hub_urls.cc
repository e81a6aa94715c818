#include "server/hub/hub_urls.h"

#include <curl/curl.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tasks::hub {
namespace {

using UrlHandle = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

UrlHandle ParseUrl(absl::string_view url) {
  UrlHandle handle(curl_url(), &curl_url_cleanup);
  if (handle == nullptr ||
      curl_url_set(handle.get(), CURLUPART_URL, std::string(url).c_str(), 0) != CURLUE_OK) {
    return UrlHandle(nullptr, &curl_url_cleanup);
  }
  return handle;
}

std::optional<std::string> GetPart(CURLU* url, CURLUPart part, unsigned int flags = 0) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, flags) != CURLUE_OK) return std::nullopt;
  std::string result(value);
  curl_free(value);
  return result;
}

// Whether the parameters of one link (`; rel="next"; type=...`) include the relation "next".
bool HasNextRelation(absl::string_view params) {
  for (absl::string_view param : absl::StrSplit(params, ';')) {
    param = absl::StripAsciiWhitespace(param);
    if (!absl::StartsWithIgnoreCase(param, "rel=")) continue;
    absl::string_view value = param.substr(4);
    if (absl::ConsumePrefix(&value, "\"")) absl::ConsumeSuffix(&value, "\"");
    // rel holds space-separated relation types.
    for (absl::string_view relation : absl::StrSplit(value, ' ', absl::SkipEmpty())) {
      if (absl::EqualsIgnoreCase(relation, "next")) return true;
    }
  }
  return false;
}

}  // namespace

absl::Status CheckEndpoint(absl::string_view endpoint) {
  auto refuse = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("'", endpoint, "' ", why,
                                                   "; expected an http:// or https:// URL such as ",
                                                   "https://huggingface.co"));
  };
  UrlHandle url = ParseUrl(endpoint);
  if (url == nullptr) return refuse("is not a URL");
  const std::string scheme =
      absl::AsciiStrToLower(GetPart(url.get(), CURLUPART_SCHEME).value_or(""));
  if (scheme != "http" && scheme != "https") return refuse("is not an http(s) URL");
  if (GetPart(url.get(), CURLUPART_HOST).value_or("").empty()) return refuse("has no host");
  if (GetPart(url.get(), CURLUPART_USER)) return refuse("carries user info (it would be logged)");
  if (GetPart(url.get(), CURLUPART_QUERY) || GetPart(url.get(), CURLUPART_FRAGMENT)) {
    return refuse("has a query or fragment (Hub paths are appended to it)");
  }
  return absl::OkStatus();
}

std::string UrlQuote(absl::string_view s, absl::string_view safe) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string quoted;
  quoted.reserve(s.size());
  for (const char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(byte) || c == '_' || c == '.' || c == '-' || c == '~' ||
        (byte < 0x80 && absl::StrContains(safe, c))) {
      quoted.push_back(c);
    } else {
      quoted.push_back('%');
      quoted.push_back(kHex[byte >> 4]);
      quoted.push_back(kHex[byte & 0xF]);
    }
  }
  return quoted;
}

std::string ModelInfoUrl(absl::string_view endpoint, absl::string_view repo_id,
                         absl::string_view revision) {
  std::string url = absl::StrCat(endpoint, "/api/models/", repo_id);
  if (!revision.empty()) absl::StrAppend(&url, "/revision/", UrlQuote(revision, ""));
  return url;
}

std::string TreeUrl(absl::string_view endpoint, absl::string_view repo_id,
                    absl::string_view revision) {
  return absl::StrCat(endpoint, "/api/models/", repo_id, "/tree/", UrlQuote(revision, ""),
                      "?recursive=True&expand=False");
}

std::string ResolveUrl(absl::string_view endpoint, absl::string_view repo_id,
                       absl::string_view revision, absl::string_view path) {
  return absl::StrCat(endpoint, "/", repo_id, "/resolve/", UrlQuote(revision, ""), "/",
                      UrlQuote(path, "/"));
}

std::optional<std::string> FindNextLink(absl::Span<const std::string> link_headers) {
  for (const std::string& header : link_headers) {
    size_t open = header.find('<');
    while (open != std::string::npos) {
      const size_t close = header.find('>', open);
      if (close == std::string::npos) break;
      const size_t next_open = header.find('<', close);
      const absl::string_view params =
          absl::string_view(header).substr(close + 1, next_open - close - 1);
      if (HasNextRelation(params)) return header.substr(open + 1, close - open - 1);
      open = next_open;
    }
  }
  return std::nullopt;
}

std::optional<std::string> ResolveReference(absl::string_view base, absl::string_view reference) {
  UrlHandle url = ParseUrl(base);
  // Setting a URL on a handle that holds one resolves it as a reference relative to that one.
  if (url == nullptr ||
      curl_url_set(url.get(), CURLUPART_URL, std::string(reference).c_str(), 0) != CURLUE_OK) {
    return std::nullopt;
  }
  return GetPart(url.get(), CURLUPART_URL);
}

bool SameOrigin(absl::string_view a, absl::string_view b) {
  UrlHandle url_a = ParseUrl(a);
  UrlHandle url_b = ParseUrl(b);
  if (url_a == nullptr || url_b == nullptr) return false;
  for (const CURLUPart part : {CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT}) {
    const std::optional<std::string> part_a = GetPart(url_a.get(), part, CURLU_DEFAULT_PORT);
    const std::optional<std::string> part_b = GetPart(url_b.get(), part, CURLU_DEFAULT_PORT);
    if (!part_a || !part_b || !absl::EqualsIgnoreCase(*part_a, *part_b)) return false;
  }
  return true;
}

bool IsRepoUrl(absl::string_view url) {
  UrlHandle parsed = ParseUrl(url);
  if (parsed == nullptr) return false;
  const std::string path = GetPart(parsed.get(), CURLUPART_PATH).value_or("");
  for (const absl::string_view prefix : {"/api/models/", "/api/datasets/", "/api/spaces/"}) {
    if (absl::StartsWith(path, prefix) && path.size() > prefix.size()) return true;
  }
  // "/(.+)/resolve/(.+)": something before and after.
  const size_t resolve = path.find("/resolve/", 2);
  return resolve != std::string::npos && resolve + 9 < path.size();
}

}  // namespace tasks::hub
