// The fake Hub's answers: model info, tree listing (with pages) and file resolve.
#include "tests/hub/fake_hub.h"

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/hub/fake/fixture_store.h"
#include "tests/hub/fake_hub_test_util.h"

namespace tasks::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsSupersetOf;
using ::testing::MatchesRegex;
using ::testing::Not;

constexpr char kBertSha[] = "86b5e0934494bd15c9632b12f734a8a67f723594";
constexpr char kDistilbertV1Sha[] = "1c4513b2eedbda136f57676a34eea67aba266e5c";

std::vector<std::string> Siblings(const nlohmann::json& info) {
  std::vector<std::string> paths;
  for (const nlohmann::json& sibling : info.at("siblings"))
    paths.push_back(sibling.at("rfilename"));
  return paths;
}

std::vector<std::string> Paths(const nlohmann::json& entries) {
  std::vector<std::string> paths;
  for (const nlohmann::json& entry : entries) paths.push_back(entry.at("path"));
  return paths;
}

TEST_F(FakeHubTest, ModelInfoHasTheHubShape) {
  const nlohmann::json info = GetJson("/api/models/google-bert/bert-base-uncased");
  EXPECT_EQ(info["id"], "google-bert/bert-base-uncased");
  EXPECT_EQ(info["modelId"], "google-bert/bert-base-uncased");
  EXPECT_EQ(info["sha"], kBertSha);
  EXPECT_EQ(info["private"], false);
  EXPECT_EQ(info["gated"], false);
  EXPECT_EQ(info["disabled"], false);
  EXPECT_EQ(info["pipeline_tag"], "fill-mask");
  EXPECT_EQ(info["library_name"], "transformers");
  EXPECT_THAT(info["tags"], Contains("fill-mask"));
  EXPECT_EQ(info["config"]["model_type"], "bert");
  EXPECT_EQ(info["transformersInfo"]["auto_model"], "AutoModelForMaskedLM");
  // Every file of the commit, in byte order (so ".gitattributes" and "LICENSE" come first).
  EXPECT_THAT(
      Siblings(info),
      ElementsAre(".gitattributes", "LICENSE", "README.md", "config.json",
                  "coreml/fill-mask/float32_model.mlpackage/Data/com.apple.CoreML/model.mlmodel",
                  "coreml/fill-mask/float32_model.mlpackage/Data/com.apple.CoreML/weights/"
                  "weight.bin",
                  "coreml/fill-mask/float32_model.mlpackage/Manifest.json", "flax_model.msgpack",
                  "model.onnx", "model.safetensors", "pytorch_model.bin", "rust_model.ot",
                  "tf_model.h5", "tokenizer.json", "tokenizer_config.json", "vocab.txt"));
}

TEST_F(FakeHubTest, ModelInfoLeavesOutWhatTheFixtureLeavesOut) {
  const nlohmann::json codebert = GetJson("/api/models/microsoft/codebert-base");
  EXPECT_FALSE(codebert.contains("pipeline_tag"));
  EXPECT_EQ(codebert["transformersInfo"],
            (nlohmann::json{{"auto_model", "AutoModel"}, {"processor", "AutoTokenizer"}}));
  const nlohmann::json chatglm = GetJson("/api/models/THUDM/chatglm3-6b");
  EXPECT_FALSE(chatglm.contains("pipeline_tag"));
  EXPECT_FALSE(chatglm.contains("transformersInfo"));
}

TEST_F(FakeHubTest, ShaWithoutFixtureValueIsStableHex) {
  const nlohmann::json first = GetJson("/api/models/microsoft/codebert-base");
  EXPECT_THAT(first["sha"].get<std::string>(), MatchesRegex("[0-9a-f]{40}"));
  FakeHub other(kFixturesDir);
  ASSERT_TRUE(other.Start());
  httplib::Client client(other.endpoint());
  httplib::Result again = client.Get("/api/models/microsoft/codebert-base");
  ASSERT_TRUE(again);
  EXPECT_EQ(nlohmann::json::parse(again->body)["sha"], first["sha"]);
}

TEST_F(FakeHubTest, ModelInfoAtARevision) {
  const nlohmann::json main = GetJson("/api/models/distilbert/distilbert-base-uncased");
  EXPECT_EQ(GetJson("/api/models/distilbert/distilbert-base-uncased/revision/main"), main);

  const nlohmann::json v1 = GetJson("/api/models/distilbert/distilbert-base-uncased/revision/v1.0");
  EXPECT_EQ(v1["sha"], kDistilbertV1Sha);
  EXPECT_THAT(Siblings(v1), Contains("tf_model.h5"));
  EXPECT_THAT(Siblings(v1), Not(Contains("pytorch_model.bin")));
  EXPECT_THAT(v1["tags"], Contains("tf"));              // the revision's override
  EXPECT_EQ(v1["pipeline_tag"], main["pipeline_tag"]);  // the rest from model_info.json
  EXPECT_EQ(GetJson(std::string("/api/models/distilbert/distilbert-base-uncased/revision/") +
                    kDistilbertV1Sha),
            v1);

  const nlohmann::json pr =
      GetJson("/api/models/distilbert/distilbert-base-uncased/revision/refs%2Fpr%2F1");
  EXPECT_THAT(Siblings(pr), Contains("onnx/model.onnx"));
  EXPECT_NE(pr["sha"], main["sha"]);
}

TEST_F(FakeHubTest, TreeListsFilesAndTheirFolders) {
  const nlohmann::json entries =
      GetJson("/api/models/stabilityai/stable-diffusion-2-1/tree/main?recursive=True&expand=False");
  ASSERT_TRUE(entries.is_array());
  EXPECT_EQ(entries.size(), 28 + 6);  // files + feature_extractor, scheduler, ..., vae
  const std::vector<std::string> paths = Paths(entries);
  EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end()));
  EXPECT_THAT(paths, IsSupersetOf({"model_index.json", "unet", "unet/config.json"}));
  for (const nlohmann::json& entry : entries) {
    if (entry["path"] == "unet") {
      EXPECT_EQ(entry["type"], "directory");
      EXPECT_EQ(entry["size"], 0);
    }
    if (entry["path"] == "model_index.json") {
      EXPECT_EQ(entry["type"], "file");
      EXPECT_THAT(entry["oid"].get<std::string>(), MatchesRegex("[0-9a-f]{40}"));
      EXPECT_EQ(entry["size"],
                FixtureFile("stabilityai/stable-diffusion-2-1", "model_index.json").size());
    }
  }
}

TEST_F(FakeHubTest, TreeWithoutRecursiveListsOneLevel) {
  EXPECT_THAT(
      Paths(GetJson("/api/models/hf-internal-testing/tiny-random-bert-subfolder/tree/main")),
      ElementsAre(".gitattributes", "bert"));
  EXPECT_THAT(
      Paths(GetJson("/api/models/hf-internal-testing/tiny-random-bert-subfolder/tree/main/bert")),
      ElementsAre("bert/config.json", "bert/pytorch_model.bin"));
}

TEST_F(FakeHubTest, TreeOfAFolderKeepsSiblingFoldersOut) {
  EXPECT_THAT(Paths(GetJson("/api/models/hf-internal-testing/tiny-stable-diffusion-unet-lora/"
                            "tree/main/unet?recursive=True")),
              ElementsAre("unet/config.json", "unet/diffusion_pytorch_model.safetensors"));
  ExpectHubError(Get("/api/models/hf-internal-testing/tiny-stable-diffusion-unet-lora/tree/main/"
                     "nope?recursive=True"),
                 404, "EntryNotFound", "Entry not found");
}

// Follows `Link: <...>; rel="next"` from `path`; returns every page's entries in order.
std::vector<nlohmann::json> AllPages(const FakeHub& hub, std::string path) {
  static const std::regex kNext(R"(<([^>]*)>; rel="next")");
  std::vector<nlohmann::json> pages;
  while (true) {
    httplib::Client client(hub.endpoint());
    httplib::Result result = client.Get(path);
    if (!result || result->status != 200) {
      ADD_FAILURE() << path;
      return pages;
    }
    pages.push_back(nlohmann::json::parse(result->body));
    std::smatch next;
    const std::string link = result->get_header_value("Link");
    if (!std::regex_match(link, next, kNext)) return pages;
    path = next[1].str().substr(hub.endpoint().size());
  }
}

TEST_F(FakeHubTest, TreeLinksTheNextPageKeepingTheQuery) {
  httplib::Result first = Get("/api/models/bigscience/bloom/tree/main?recursive=True&expand=False");
  ASSERT_TRUE(first);
  EXPECT_THAT(first->get_header_value("Link"),
              MatchesRegex("<http://127\\.0\\.0\\.1:[0-9]+/api/models/bigscience/bloom/tree/main"
                           "\\?recursive=True&expand=False&cursor=[-_A-Za-z0-9]+>; rel=\"next\""));
}

TEST_F(FakeHubTest, TreePagesTogetherListEveryFile) {
  const std::vector<nlohmann::json> pages =
      AllPages(hub_, "/api/models/bigscience/bloom/tree/main?recursive=True&expand=False");
  ASSERT_EQ(pages.size(), 2);
  EXPECT_EQ(pages[0].size(), 50);
  EXPECT_EQ(pages[1].size(), 30);
  std::vector<std::string> paths = Paths(pages[0]);
  for (const std::string& path : Paths(pages[1])) paths.push_back(path);
  const nlohmann::json info = GetJson("/api/models/bigscience/bloom");
  EXPECT_THAT(paths, ElementsAreArray(Siblings(info)));  // bloom has no folders
}

TEST_F(FakeHubTest, TreePageSizeFromTheFixture) {
  const std::vector<nlohmann::json> pages = AllPages(
      hub_,
      "/api/models/hf-internal-testing/tiny-stable-diffusion-unet-lora/tree/main?recursive=True");
  ASSERT_EQ(pages.size(), 3);  // 15 files and 6 folders
  EXPECT_EQ(pages[0].size(), 8);
  EXPECT_EQ(pages[2].size(), 5);
}

TEST_F(FakeHubTest, TreeRejectsABadCursor) {
  ExpectHubError(Get("/api/models/bigscience/bloom/tree/main?recursive=True&cursor=%21%21"), 400,
                 "", "Invalid cursor");
}

TEST_F(FakeHubTest, ResolveServesTheFileWithItsCommit) {
  const std::string config = FixtureFile("google-bert/bert-base-uncased", "config.json");
  httplib::Result result = Get("/google-bert/bert-base-uncased/resolve/main/config.json");
  ASSERT_TRUE(result) << result.error();
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, config);
  EXPECT_EQ(result->get_header_value("X-Repo-Commit"), kBertSha);
  EXPECT_THAT(result->get_header_value("ETag"), MatchesRegex("\"[0-9a-f]{40}\""));
  EXPECT_EQ(result->get_header_value("Content-Length"), std::to_string(config.size()));
}

TEST_F(FakeHubTest, HeadGivesTheHeadersWithoutTheBody) {
  const std::string path = "/google-bert/bert-base-uncased/resolve/main/config.json";
  httplib::Result head = Head(path);
  httplib::Result get = Get(path);
  ASSERT_TRUE(head && get);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  for (const char* header : {"X-Repo-Commit", "ETag", "Content-Length"}) {
    EXPECT_EQ(head->get_header_value(header), get->get_header_value(header)) << header;
  }
}

TEST_F(FakeHubTest, WeightsAreEmptyFiles) {
  httplib::Result result = Get("/google-bert/bert-base-uncased/resolve/main/pytorch_model.bin");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Length"), "0");
}

TEST_F(FakeHubTest, ResolveAtABranchAnEncodedRefOrASha) {
  httplib::Result branch = Get("/distilbert/distilbert-base-uncased/resolve/v1.0/tf_model.h5");
  ASSERT_TRUE(branch);
  EXPECT_EQ(branch->status, 200);
  EXPECT_EQ(branch->get_header_value("X-Repo-Commit"), kDistilbertV1Sha);
  httplib::Result pr =
      Get("/distilbert/distilbert-base-uncased/resolve/refs%2Fpr%2F1/onnx/model.onnx");
  ASSERT_TRUE(pr);
  EXPECT_EQ(pr->status, 200);
  httplib::Result by_sha =
      Get(std::string("/google-bert/bert-base-uncased/resolve/") + kBertSha + "/vocab.txt");
  ASSERT_TRUE(by_sha);
  EXPECT_EQ(by_sha->status, 200);
  EXPECT_EQ(by_sha->get_header_value("X-Repo-Commit"), kBertSha);
}

TEST_F(FakeHubTest, MissingFileIsEntryNotFoundAtACommit) {
  httplib::Result missing = Get("/google-bert/bert-base-uncased/resolve/main/model_index.json");
  ExpectHubError(missing, 404, "EntryNotFound", "Entry not found");
  EXPECT_EQ(missing->get_header_value("X-Repo-Commit"), kBertSha);
  // Files of another revision are not at main.
  ExpectHubError(Get("/distilbert/distilbert-base-uncased/resolve/main/tf_model.h5"), 404,
                 "EntryNotFound", "Entry not found");
}

TEST_F(FakeHubTest, UnknownRevisionIsRevisionNotFound) {
  for (const std::string path : {"/api/models/google-bert/bert-base-uncased/revision/v9",
                                 "/api/models/google-bert/bert-base-uncased/tree/v9?recursive=True",
                                 "/google-bert/bert-base-uncased/resolve/v9/config.json"}) {
    SCOPED_TRACE(path);
    ExpectHubError(Get(path), 404, "RevisionNotFound", "Invalid rev id: v9");
  }
}

TEST_F(FakeHubTest, OtherUrlsAreNotFound) {
  ExpectHubError(Get("/api/whoami-v2"), 404, "",
                 "Sorry, we can't find the page you are looking for.");
}

TEST(FixtureStoreTest, CopiesAreDistinctReposWithTheOriginalsFiles) {
  auto store = fake_hub::FixtureStore::Load(TASKS_FAKE_HUB_FIXTURES_DIR);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE(store->AddCopies("google-bert/bert-base-uncased", 3).ok());
  const fake_hub::FixtureRepo* original = store->Find("google-bert/bert-base-uncased");
  const fake_hub::FixtureRepo* copy = store->Find("google-bert/bert-base-uncased-copy-2");
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->id, "google-bert/bert-base-uncased-copy-2");
  EXPECT_NE(copy->revisions.at("main").sha, original->revisions.at("main").sha);
  EXPECT_EQ(copy->revisions.at("main").files.size(), original->revisions.at("main").files.size());
  EXPECT_EQ(store->Find("google-bert/bert-base-uncased-copy-3"), nullptr);
  EXPECT_EQ(store->AddCopies("nobody/nothing", 1).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tasks::testing
