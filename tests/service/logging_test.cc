// The per-call lines' sink: whole lines, batched up to a pipe's atomic write, written on flush;
// and the "json" log format's lines.
#include "server/service/logging.h"

#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "spdlog/sinks/ostream_sink.h"

namespace tasks::testing {
namespace {

using service::BatchedLineSink;
using ::testing::EndsWith;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class BatchedLineSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = std::tmpfile();
    ASSERT_NE(file_, nullptr);
    std::setvbuf(file_, nullptr, _IONBF, 0);  // as stderr: what is written is in the file
    logger_ = std::make_shared<spdlog::logger>("rpc", std::make_shared<BatchedLineSink>(file_));
    logger_->set_pattern("%v");
  }
  void TearDown() override { std::fclose(file_); }

  std::string Written() {
    std::string text;
    std::rewind(file_);
    char buffer[8192];
    size_t read;
    while ((read = std::fread(buffer, 1, sizeof(buffer), file_)) > 0) text.append(buffer, read);
    return text;
  }

  std::FILE* file_ = nullptr;
  std::shared_ptr<spdlog::logger> logger_;
};

TEST_F(BatchedLineSinkTest, LinesWaitForAFlush) {
  logger_->info("method=a code=OK");
  logger_->info("method=b code=OK");
  EXPECT_THAT(Written(), IsEmpty());
  logger_->flush();
  EXPECT_EQ(Written(), "method=a code=OK\nmethod=b code=OK\n");
}

TEST_F(BatchedLineSinkTest, AFullBatchIsWrittenWholeLinesAtMostAPipeBufferAtOnce) {
  const std::string line(99, 'x');  // 100 bytes with its newline
  for (int i = 0; i < 41; ++i) logger_->info(line);
  // The 41st line would have taken the batch past 4096 bytes: the first 40 went out alone.
  const std::string written = Written();
  EXPECT_THAT(written, SizeIs(40 * 100));
  EXPECT_THAT(written, EndsWith(line + "\n"));
  logger_->flush();
  EXPECT_THAT(Written(), SizeIs(41 * 100));
}

TEST_F(BatchedLineSinkTest, DestroyingTheSinkWritesWhatIsLeft) {
  logger_->info("last line");
  logger_.reset();  // the logger held the only reference to the sink
  EXPECT_EQ(Written(), "last line\n");
}

// One JSON object per line whatever the message holds: quotes, backslashes, controls, and bytes
// that are not UTF-8 (replaced by U+FFFD rather than thrown on).
TEST(JsonLineFormatterTest, EveryMessageIsOneValidJsonObject) {
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>(
      "tasks-server", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger->set_formatter(service::JsonLineFormatter());
  logger->info("{}", "say \"hi\"\\ \n\t\x01 caf\xc3\xa9");
  logger->info("{}", "bad \xff\xfe utf-8");

  std::istringstream lines(out.str());
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  nlohmann::json first = nlohmann::json::parse(line);
  EXPECT_EQ(first["level"], "info");
  EXPECT_EQ(first["logger"], "tasks-server");
  EXPECT_EQ(first["msg"], "say \"hi\"\\ \n\t\x01 caf\xc3\xa9");
  ASSERT_TRUE(std::getline(lines, line));
  EXPECT_EQ(nlohmann::json::parse(line)["msg"], "bad \xef\xbf\xbd\xef\xbf\xbd utf-8");
  EXPECT_FALSE(std::getline(lines, line));
}

}  // namespace
}  // namespace tasks::testing
