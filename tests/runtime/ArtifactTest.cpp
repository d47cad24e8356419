//===- ArtifactTest.cpp - The artifact container ---------------------------===//
//
// A container round-trips; a truncated, padded or bit-flipped one is
// rejected with a message before anything reads it, at every length and
// every bit.
//
//===----------------------------------------------------------------------===//

#include "artifact/Artifact.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace dlrt::artifact {
namespace {

std::vector<uint8_t> sample() {
  ArtifactWriter writer;
  writer.addSection(SectionKind::Signature, {1, 2, 3});
  writer.addSection(SectionKind::Weights, std::vector<uint8_t>(100, 7), 5);
  writer.addSection(static_cast<SectionKind>(999), {9}); // unknown: kept, skipped
  return writer.finish();
}

TEST(ArtifactTest, RoundTrips) {
  std::optional<Artifact> artifact;
  kernels::Status status = Artifact::open(sample(), artifact);
  ASSERT_TRUE(status.isOk()) << status.message();
  EXPECT_EQ(artifact->version(), kFormatVersion);
  ASSERT_EQ(artifact->sections().size(), 3u);
  const Section *weights = artifact->section(SectionKind::Weights);
  ASSERT_NE(weights, nullptr);
  EXPECT_EQ(weights->size, 100u);
  EXPECT_EQ(weights->flags, 5u);
  EXPECT_EQ(weights->data[99], 7);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(weights->data) % kSectionAlignment,
            reinterpret_cast<uintptr_t>(artifact->section(SectionKind::Signature)->data) %
                kSectionAlignment); // offsets are aligned within the file
  EXPECT_EQ(artifact->section(SectionKind::NativeObject), nullptr);
}

TEST(ArtifactTest, EveryTruncationIsRejected) {
  std::vector<uint8_t> bytes = sample();
  for (size_t length = 0; length < bytes.size(); ++length) {
    std::optional<Artifact> artifact;
    kernels::Status status =
        Artifact::open(std::vector<uint8_t>(bytes.begin(), bytes.begin() + length), artifact);
    EXPECT_FALSE(status.isOk()) << "length " << length;
    EXPECT_FALSE(artifact.has_value());
  }
  std::optional<Artifact> artifact;
  std::vector<uint8_t> padded = bytes;
  padded.push_back(0);
  EXPECT_EQ(Artifact::open(padded, artifact).message(),
            "artifact is " + std::to_string(padded.size()) + " bytes but declares " +
                std::to_string(bytes.size()) + " (truncated or padded)");
}

TEST(ArtifactTest, EveryBitFlipIsRejected) {
  std::vector<uint8_t> bytes = sample();
  for (size_t i = 0; i < bytes.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> flipped = bytes;
      flipped[i] ^= uint8_t(1 << bit);
      std::optional<Artifact> artifact;
      EXPECT_FALSE(Artifact::open(std::move(flipped), artifact).isOk())
          << "byte " << i << " bit " << bit;
    }
}

TEST(ArtifactTest, Messages) {
  std::optional<Artifact> artifact;
  EXPECT_EQ(Artifact::open({'x', 'y'}, artifact).message(),
            "not a dlc artifact: 2 bytes is shorter than the header (truncated?)");
  std::vector<uint8_t> bytes = sample();
  bytes[40] ^= 1; // inside the section table: the checksum catches it first
  EXPECT_EQ(Artifact::open(bytes, artifact).message(),
            "artifact checksum mismatch (the file is corrupted)");
  std::vector<uint8_t> other(64, 0);
  EXPECT_EQ(Artifact::open(other, artifact).message(), "not a dlc artifact (bad magic)");
  EXPECT_FALSE(Artifact::openFile("/nonexistent/model.dlc", artifact).isOk());
}

TEST(ArtifactTest, OpensFiles) {
  std::string path = testing::TempDir() + "/artifact-test.dlc";
  std::vector<uint8_t> bytes = sample();
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(bytes.size()));
  std::optional<Artifact> artifact;
  kernels::Status status = Artifact::openFile(path, artifact);
  EXPECT_TRUE(status.isOk()) << status.message();
  EXPECT_FALSE(Artifact::openFile(path, artifact, 10).isOk()); // over the limit
  std::remove(path.c_str());
}

TEST(ArtifactTest, Crc32MatchesZlib) {
  const char *text = "123456789";
  EXPECT_EQ(crc32(reinterpret_cast<const uint8_t *>(text), 9), 0xCBF43926u);
  // Many 8-byte steps and a tail, whole or in pieces (zlib.crc32 of
  // bytes(range(256)) * 4 + b'xyz').
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 1024; ++i)
    bytes.push_back(static_cast<uint8_t>(i));
  for (char c : std::string("xyz"))
    bytes.push_back(static_cast<uint8_t>(c));
  EXPECT_EQ(crc32(bytes.data(), bytes.size()), 0x1c505903u);
  EXPECT_EQ(crc32(bytes.data() + 13, bytes.size() - 13, crc32(bytes.data(), 13)), 0x1c505903u);
}

} // namespace
} // namespace dlrt::artifact
