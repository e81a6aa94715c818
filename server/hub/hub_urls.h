// The Hub URLs CurlHubClient requests, spelled as huggingface_hub 0.26 spells them, and the
// `Link` header pagination of the tree listing.
#ifndef TASKS_SERVER_HUB_HUB_URLS_H_
#define TASKS_SERVER_HUB_HUB_URLS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace tasks::hub {

// Whether `endpoint` can serve as the Hub's endpoint (--hf_endpoint): an absolute http:// or
// https:// URL with a host, maybe a path, and no query, fragment or user info (the endpoint is
// logged; credentials belong in the token). The error says which part is wrong.
absl::Status CheckEndpoint(absl::string_view endpoint);

// Python's urllib.parse.quote(s, safe): every byte but ASCII letters, digits, "_.-~" and the
// characters of `safe` becomes %XX (upper-case hex, UTF-8 bytes one by one).
std::string UrlQuote(absl::string_view s, absl::string_view safe = "/");

// The revision the Hub serves when the caller names none.
inline constexpr absl::string_view kDefaultRevision = "main";

// {endpoint}/api/models/{repo_id}, plus /revision/{quote(revision, safe="")} when one is given.
// The repo id goes in unquoted, like huggingface_hub does; HubErrors::Validate (hub_errors.h)
// keeps it to characters that need no quoting.
std::string ModelInfoUrl(absl::string_view endpoint, absl::string_view repo_id,
                         absl::string_view revision);

// {endpoint}/api/models/{repo_id}/tree/{quote(revision, safe="")}?recursive=True&expand=False.
std::string TreeUrl(absl::string_view endpoint, absl::string_view repo_id,
                    absl::string_view revision);

// {endpoint}/{repo_id}/resolve/{quote(revision, safe="")}/{quote(path)}: "/" stays in the path.
std::string ResolveUrl(absl::string_view endpoint, absl::string_view repo_id,
                       absl::string_view revision, absl::string_view path);

// The target of the first `rel="next"` link among `link_headers` (RFC 8288 values such as
// `<https://huggingface.co/api/...?cursor=x>; rel="next"`), as written (maybe relative).
std::optional<std::string> FindNextLink(absl::Span<const std::string> link_headers);

// `reference` (absolute, or relative to `base`) as an absolute URL; nullopt if it is not one.
std::optional<std::string> ResolveReference(absl::string_view base, absl::string_view reference);

// Whether two absolute URLs have the same scheme, host and port.
bool SameOrigin(absl::string_view a, absl::string_view b);

// Whether `url` is a repo URL in the sense of huggingface_hub's REPO_API_REGEX
// (/api/{models,datasets,spaces}/... or /{repo}/resolve/...), on which the Hub answers 401 for
// a repo that does not exist or that the caller may not see. Unlike the regex it accepts http://,
// so that a Hub mirror without TLS behaves the same.
bool IsRepoUrl(absl::string_view url);

}  // namespace tasks::hub

#endif  // TASKS_SERVER_HUB_HUB_URLS_H_
