#include "mounts/mount_table.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace subhost::mounts {
namespace {

struct Split {
  int id;
  std::string script_name;
  std::string path_info;

  bool operator==(const Split&) const = default;
};

void PrintTo(const Split& s, std::ostream* os) {
  *os << "{id " << s.id << ", SCRIPT_NAME \"" << s.script_name
      << "\", PATH_INFO \"" << s.path_info << "\"}";
}

std::optional<Split> Route(const MountTable& table, std::string_view path) {
  const std::optional<MountTable::Route> route = table.Lookup(path);
  if (!route.has_value()) return std::nullopt;
  EXPECT_LE(route->script_name_length, path.size());
  return Split{route->id,
               std::string(path.substr(0, route->script_name_length)),
               std::string(path.substr(route->script_name_length))};
}

constexpr int kRoot = 100;
constexpr int kFoo = 1;

TEST(MountTable, EmptyTableMatchesNothing) {
  MountTable table;
  EXPECT_EQ(table.size(), 0u);
  EXPECT_FALSE(table.Lookup("/").has_value());
  EXPECT_FALSE(table.Lookup("").has_value());
  EXPECT_FALSE(table.Lookup("/foo").has_value());
}

TEST(MountTable, MountServesItselfWithEmptyPathInfo) {
  MountTable table;
  ASSERT_TRUE(table.Add("/foo", kFoo));
  EXPECT_EQ(Route(table, "/foo"), (Split{kFoo, "/foo", ""}));
}

TEST(MountTable, MountServesTrailingSlashAsPathInfo) {
  MountTable table;
  ASSERT_TRUE(table.Add("/foo", kFoo));
  EXPECT_EQ(Route(table, "/foo/"), (Split{kFoo, "/foo", "/"}));
  EXPECT_EQ(Route(table, "/foo/bar/"), (Split{kFoo, "/foo", "/bar/"}));
  EXPECT_EQ(Route(table, "/foo/bar/baz"), (Split{kFoo, "/foo", "/bar/baz"}));
  EXPECT_EQ(Route(table, "/foo//x"), (Split{kFoo, "/foo", "//x"}));
}

TEST(MountTable, NeverMatchesMidSegmentWithoutRoot) {
  MountTable table;
  ASSERT_TRUE(table.Add("/foo", kFoo));
  EXPECT_EQ(Route(table, "/foobar"), std::nullopt);
  EXPECT_EQ(Route(table, "/fo"), std::nullopt);
  EXPECT_EQ(Route(table, "/"), std::nullopt);
  EXPECT_EQ(Route(table, ""), std::nullopt);
  EXPECT_EQ(Route(table, "/bar/foo"), std::nullopt);
}

TEST(MountTable, RootServesEverythingElse) {
  MountTable table;
  ASSERT_TRUE(table.Add("", kRoot));
  ASSERT_TRUE(table.Add("/foo", kFoo));
  EXPECT_EQ(Route(table, "/x"), (Split{kRoot, "", "/x"}));
  EXPECT_EQ(Route(table, "/foobar"), (Split{kRoot, "", "/foobar"}));
  EXPECT_EQ(Route(table, "/"), (Split{kRoot, "", "/"}));
  EXPECT_EQ(Route(table, "/bar/foo"), (Split{kRoot, "", "/bar/foo"}));
  EXPECT_EQ(Route(table, "/foo"), (Split{kFoo, "/foo", ""}));
}

TEST(MountTable, EmptyPathRoutesToRootWithEmptyPathInfo) {
  MountTable table;
  ASSERT_TRUE(table.Add("", kRoot));
  EXPECT_EQ(Route(table, ""), (Split{kRoot, "", ""}));
}

TEST(MountTable, RootAloneServesEverything) {
  MountTable table;
  ASSERT_TRUE(table.Add("", kRoot));
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(Route(table, "/"), (Split{kRoot, "", "/"}));
  EXPECT_EQ(Route(table, "/a/b/c"), (Split{kRoot, "", "/a/b/c"}));
}

TEST(MountTable, LongestPrefixWinsButNeverMidSegment) {
  MountTable table;
  ASSERT_TRUE(table.Add("", kRoot));
  ASSERT_TRUE(table.Add("/a", 1));
  ASSERT_TRUE(table.Add("/a/b", 2));
  EXPECT_EQ(Route(table, "/a/b/c"), (Split{2, "/a/b", "/c"}));
  EXPECT_EQ(Route(table, "/a/b"), (Split{2, "/a/b", ""}));
  EXPECT_EQ(Route(table, "/a/b/"), (Split{2, "/a/b", "/"}));
  EXPECT_EQ(Route(table, "/a/bc"), (Split{1, "/a", "/bc"}));
  EXPECT_EQ(Route(table, "/a/"), (Split{1, "/a", "/"}));
  EXPECT_EQ(Route(table, "/a"), (Split{1, "/a", ""}));
  EXPECT_EQ(Route(table, "/ab/c"), (Split{kRoot, "", "/ab/c"}));
}

TEST(MountTable, NestedMountNeedsNoParentMount) {
  MountTable table;
  ASSERT_TRUE(table.Add("/a/b/c", 3));
  EXPECT_EQ(Route(table, "/a/b/c/d"), (Split{3, "/a/b/c", "/d"}));
  EXPECT_EQ(Route(table, "/a/b"), std::nullopt);
  EXPECT_EQ(Route(table, "/a/b/cd"), std::nullopt);
}

TEST(MountTable, PathsNotStartingWithSlashFallToRoot) {
  MountTable table;
  ASSERT_TRUE(table.Add("", kRoot));
  ASSERT_TRUE(table.Add("/foo", kFoo));
  EXPECT_EQ(Route(table, "foo"), (Split{kRoot, "", "foo"}));
  EXPECT_EQ(Route(table, "foo/bar"), (Split{kRoot, "", "foo/bar"}));
}

TEST(MountTable, RefusesDuplicates) {
  MountTable table;
  EXPECT_TRUE(table.Add("/foo", 1));
  EXPECT_FALSE(table.Add("/foo", 2));
  EXPECT_TRUE(table.Add("", 3));
  EXPECT_FALSE(table.Add("", 4));
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(Route(table, "/foo"), (Split{1, "/foo", ""}));
  EXPECT_EQ(Route(table, "/x"), (Split{3, "", "/x"}));
}

TEST(MountTable, RefusesNonCanonicalMountpoints) {
  MountTable table;
  EXPECT_FALSE(table.Add("/", 1));
  EXPECT_FALSE(table.Add("/foo/", 1));
  EXPECT_FALSE(table.Add("foo", 1));
  EXPECT_FALSE(table.Add("/a//b", 1));
  EXPECT_FALSE(table.Add("/a/../b", 1));
  EXPECT_FALSE(table.Add("/a b", 1));
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(Route(table, "/foo"), std::nullopt);
}

TEST(MountTable, MountsWithSharedPrefixesAndLengthsStayDistinct) {
  MountTable table;
  ASSERT_TRUE(table.Add("/ab", 1));
  ASSERT_TRUE(table.Add("/ba", 2));
  ASSERT_TRUE(table.Add("/abc", 3));
  EXPECT_EQ(Route(table, "/ab/x"), (Split{1, "/ab", "/x"}));
  EXPECT_EQ(Route(table, "/ba/x"), (Split{2, "/ba", "/x"}));
  EXPECT_EQ(Route(table, "/abc/x"), (Split{3, "/abc", "/x"}));
  EXPECT_EQ(Route(table, "/bb/x"), std::nullopt);
  EXPECT_EQ(Route(table, "/abcd"), std::nullopt);
}

TEST(MountTable, PathsLongerThanAnyMountStillRoute) {
  MountTable table;
  ASSERT_TRUE(table.Add("", kRoot));
  ASSERT_TRUE(table.Add("/a", 1));
  const std::string deep = "/a" + std::string(10000, 'x');
  EXPECT_EQ(Route(table, deep), (Split{kRoot, "", deep}));
  std::string nested = "/a";
  for (int i = 0; i < 1000; ++i) nested += "/seg";
  EXPECT_EQ(Route(table, nested), (Split{1, "/a", nested.substr(2)}));
}

TEST(MountTable, ThousandMountsAllRouteRight) {
  MountTable table;
  ASSERT_TRUE(table.Add("", kRoot));
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(table.Add("/m" + std::to_string(i), i));
  }
  for (int i = 0; i < 1000; i += 10) {
    ASSERT_TRUE(table.Add("/m" + std::to_string(i) + "/api", 10000 + i));
    ASSERT_TRUE(table.Add("/m" + std::to_string(i) + "/api/v2", 20000 + i));
  }
  ASSERT_TRUE(table.Add("/deep/a/b/c/d/e", 30000));
  EXPECT_EQ(table.size(), 1000u + 100u + 100u + 1u + 1u);

  for (int i = 0; i < 1000; ++i) {
    const std::string m = "/m" + std::to_string(i);
    EXPECT_EQ(Route(table, m), (Split{i, m, ""}));
    EXPECT_EQ(Route(table, m + "/users/42"), (Split{i, m, "/users/42"}));
    EXPECT_EQ(Route(table, m + "x/users"), (Split{kRoot, "", m + "x/users"}));
    const bool nested = i % 10 == 0;
    const Split api =
        nested ? Split{10000 + i, m + "/api", "/x"} : Split{i, m, "/api/x"};
    const Split v2 = nested ? Split{20000 + i, m + "/api/v2", "/x"}
                            : Split{i, m, "/api/v2/x"};
    const Split v20 =
        nested ? Split{10000 + i, m + "/api", "/v20"} : Split{i, m, "/api/v20"};
    EXPECT_EQ(Route(table, m + "/api/x"), api);
    EXPECT_EQ(Route(table, m + "/api/v2/x"), v2);
    EXPECT_EQ(Route(table, m + "/api/v20"), v20);
  }
  EXPECT_EQ(Route(table, "/m1000"), (Split{kRoot, "", "/m1000"}));
  EXPECT_EQ(Route(table, "/deep/a/b/c/d/e/f"),
            (Split{30000, "/deep/a/b/c/d/e", "/f"}));
  EXPECT_EQ(Route(table, "/deep/a/b/c/d"), (Split{kRoot, "", "/deep/a/b/c/d"}));
}

TEST(MountTable, CopiesRouteLikeTheOriginal) {
  MountTable table;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(table.Add("/m" + std::to_string(i), i));
  }
  const MountTable copy = table;
  MountTable moved = std::move(table);
  for (int i = 0; i < 100; ++i) {
    const std::string m = "/m" + std::to_string(i);
    EXPECT_EQ(Route(copy, m + "/x"), (Split{i, m, "/x"}));
    EXPECT_EQ(Route(moved, m + "/x"), (Split{i, m, "/x"}));
  }
}

TEST(MountTable, ConcurrentLookupsAgree) {
  MountTable table;
  ASSERT_TRUE(table.Add("", kRoot));
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(table.Add("/m" + std::to_string(i), i));
  }
  std::vector<int> failures(8, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&table, &failures, t] {
      for (int round = 0; round < 50; ++round) {
        for (int i = 0; i < 200; ++i) {
          const std::string path = "/m" + std::to_string(i) + "/p";
          const auto route = table.Lookup(path);
          if (!route || route->id != i ||
              route->script_name_length != path.size() - 2) {
            ++failures[t];
          }
        }
        const auto root = table.Lookup("/nope");
        if (!root || root->id != kRoot) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace subhost::mounts
