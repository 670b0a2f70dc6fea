// Shared by the config tests: parsing helpers and a fixture with a
// scratch folder for ini files.
#ifndef SUBHOST_TESTS_CONFIG_CONFIG_TEST_SUPPORT_H_
#define SUBHOST_TESTS_CONFIG_CONFIG_TEST_SUPPORT_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/server_config.h"

namespace subhost::config {

// For gtest's failure messages; found by argument-dependent lookup, so not
// in the unnamed namespace.
inline void PrintTo(const ListenSpec& l, std::ostream* os) {
  *os << (l.proto == ListenSpec::Proto::kHttp ? "http " : "uwsgi ")
      << l.address;
}
inline void PrintTo(const MountSpecText& m, std::ostream* os) {
  *os << m.mountpoint << "=" << m.target;
}

namespace testing_support {

using Proto = ListenSpec::Proto;

// Not gmock's HasSubstr: the tests link only gtest.
inline ::testing::AssertionResult Contains(std::string_view text,
                                           std::string_view part) {
  if (text.find(part) != std::string_view::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "\"" << text << "\" does not contain \"" << part << "\"";
}

inline bool Parse(const std::vector<std::string>& args, ServerConfig* out,
                  std::string* error, bool* help = nullptr,
                  bool* version = nullptr) {
  std::vector<const char*> argv = {"subhost"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data(), out, help,
                          version, error);
}

inline ServerConfig Parsed(const std::vector<std::string>& args) {
  ServerConfig config;
  std::string error;
  EXPECT_TRUE(Parse(args, &config, &error)) << error;
  EXPECT_EQ(error, "");
  return config;
}

// The error for a command line ParseCommandLine must refuse: one line.
inline std::string ParseError(const std::vector<std::string>& args) {
  ServerConfig config;
  std::string error;
  EXPECT_FALSE(Parse(args, &config, &error));
  EXPECT_NE(error, "");
  EXPECT_EQ(error.find('\n'), std::string::npos) << "not one line: " << error;
  return error;
}

class IniTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "subhost_config_XXXXXX")
            .string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  ServerConfig Loaded(const std::string& path,
                      const std::string& section = "") {
    ServerConfig c;
    std::string error;
    EXPECT_TRUE(LoadIni(path, section, &c, &error)) << error;
    EXPECT_EQ(error, "");
    return c;
  }

  std::string LoadError(const std::string& path,
                        const std::string& section = "") {
    ServerConfig c;
    std::string error;
    EXPECT_FALSE(LoadIni(path, section, &c, &error));
    EXPECT_NE(error, "");
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    return error;
  }

  std::string dir_;
};

}  // namespace testing_support
}  // namespace subhost::config

#endif  // SUBHOST_TESTS_CONFIG_CONFIG_TEST_SUPPORT_H_
