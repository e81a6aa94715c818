// The Hub's URLs (hub_urls.h): quoting, the endpoints, Link headers, same-origin checks.
#include "server/hub/hub_urls.h"

#include <optional>

#include "gtest/gtest.h"

namespace tasks::hub {
namespace {

TEST(UrlQuote, QuotesLikePythonUrllib) {
  EXPECT_EQ(UrlQuote("refs/pr/1", ""), "refs%2Fpr%2F1");
  EXPECT_EQ(UrlQuote("sub dir/a+b.json", "/"), "sub%20dir/a%2Bb.json");
  EXPECT_EQ(UrlQuote("AZaz09_.-~", ""), "AZaz09_.-~");
  EXPECT_EQ(UrlQuote("é?#%", ""), "%C3%A9%3F%23%25");
  EXPECT_EQ(UrlQuote("a:b", ":"), "a:b");
}

TEST(HubUrls, SpellTheHubEndpoints) {
  EXPECT_EQ(ModelInfoUrl("https://hf.co", "org/name", ""), "https://hf.co/api/models/org/name");
  EXPECT_EQ(ModelInfoUrl("https://hf.co", "org/name", "refs/pr/1"),
            "https://hf.co/api/models/org/name/revision/refs%2Fpr%2F1");
  EXPECT_EQ(TreeUrl("https://hf.co", "org/name", "v1.0"),
            "https://hf.co/api/models/org/name/tree/v1.0?recursive=True&expand=False");
  EXPECT_EQ(ResolveUrl("https://hf.co", "org/name", "a/b", "onnx/model 1.onnx"),
            "https://hf.co/org/name/resolve/a%2Fb/onnx/model%201.onnx");
}

TEST(HubUrls, FindsTheNextLink) {
  EXPECT_EQ(FindNextLink({"<https://h/p?cursor=2>; rel=\"next\""}), "https://h/p?cursor=2");
  EXPECT_EQ(FindNextLink({"<https://h/last>; rel=\"last\", </p?c=3>; rel=next"}), "/p?c=3");
  EXPECT_EQ(FindNextLink({"<https://h/a>; rel=\"prev\"", "<https://h/b>; rel=\"prefetch next\""}),
            "https://h/b");
  EXPECT_EQ(FindNextLink({"<https://h/a>; rel=\"last\""}), std::nullopt);
  EXPECT_EQ(FindNextLink({}), std::nullopt);
}

TEST(HubUrls, ResolvesAndComparesUrls) {
  EXPECT_EQ(ResolveReference("http://h:8/api/models/a/b/tree/main?x=1", "/api/next?c=2"),
            "http://h:8/api/next?c=2");
  EXPECT_EQ(ResolveReference("http://h/a", "https://o/b"), "https://o/b");
  EXPECT_TRUE(SameOrigin("https://huggingface.co/api/x", "https://HuggingFace.co:443"));
  EXPECT_FALSE(SameOrigin("https://huggingface.co/api/x", "http://huggingface.co"));
  EXPECT_FALSE(SameOrigin("http://127.0.0.1:1/", "http://127.0.0.1:2/"));
  EXPECT_TRUE(IsRepoUrl("https://huggingface.co/api/models/org/name"));
  EXPECT_TRUE(IsRepoUrl("http://127.0.0.1:9/org/name/resolve/main/config.json"));
  EXPECT_FALSE(IsRepoUrl("https://huggingface.co/api/whoami-v2"));
}

}  // namespace
}  // namespace tasks::hub
