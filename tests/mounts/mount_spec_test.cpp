#include "mounts/mount_spec.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace subhost::mounts {
namespace {

// Not gmock's HasSubstr: the tests link only gtest.
::testing::AssertionResult Contains(std::string_view text,
                                    std::string_view part) {
  if (text.find(part) != std::string_view::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "\"" << text << "\" does not contain \"" << part << "\"";
}

std::string Normalized(std::string_view in) {
  std::string out = "<unset>";
  std::string error;
  EXPECT_TRUE(NormalizeMountpoint(in, &out, &error)) << in << ": " << error;
  EXPECT_EQ(error, "");
  return out;
}

// The error for an input NormalizeMountpoint must refuse.
std::string NormalizeError(std::string_view in) {
  std::string out = "<unset>";
  std::string error;
  EXPECT_FALSE(NormalizeMountpoint(in, &out, &error)) << in;
  EXPECT_EQ(out, "<unset>") << "output written on failure";
  EXPECT_EQ(error.find('\n'), std::string::npos) << "not one line: " << error;
  return error;
}

MountTarget Parsed(std::string_view target,
                   std::string_view default_callable = "application") {
  MountTarget out;
  std::string error;
  EXPECT_TRUE(ParseTarget(target, default_callable, &out, &error))
      << target << ": " << error;
  return out;
}

std::string TargetError(std::string_view target,
                        std::string_view default_callable = "application") {
  MountTarget out;
  out.file = "<unset>";
  std::string error;
  EXPECT_FALSE(ParseTarget(target, default_callable, &out, &error)) << target;
  EXPECT_EQ(out.file, "<unset>") << "output written on failure";
  EXPECT_EQ(error.find('\n'), std::string::npos) << "not one line: " << error;
  EXPECT_NE(error, "");
  return error;
}

std::string SpecError(std::string_view spec) {
  MountSpec out;
  std::string error;
  EXPECT_FALSE(ParseMountSpec(spec, "application", &out, &error)) << spec;
  EXPECT_EQ(error.find('\n'), std::string::npos) << "not one line: " << error;
  return error;
}

TEST(NormalizeMountpoint, EmptyAndSlashAreTheRoot) {
  EXPECT_EQ(Normalized(""), "");
  EXPECT_EQ(Normalized("/"), "");
}

TEST(NormalizeMountpoint, KeepsCanonicalPathsAsTheyAre) {
  EXPECT_EQ(Normalized("/api"), "/api");
  EXPECT_EQ(Normalized("/a/b"), "/a/b");
  EXPECT_EQ(Normalized("/v1.2/x-y_z~:@!$&'()*+,;="),
            "/v1.2/x-y_z~:@!$&'()*+,;=");
  EXPECT_EQ(Normalized("/.well-known"), "/.well-known");
  EXPECT_EQ(Normalized("/..."), "/...");
  EXPECT_EQ(Normalized("/caf\xc3\xa9"), "/caf\xc3\xa9");
}

TEST(NormalizeMountpoint, DropsOneTrailingSlash) {
  EXPECT_EQ(Normalized("/api/"), "/api");
  EXPECT_EQ(Normalized("/a/b/"), "/a/b");
}

TEST(NormalizeMountpoint, RejectsAMissingLeadingSlash) {
  const std::string error = NormalizeError("api");
  EXPECT_TRUE(Contains(error, "\"api\""));
  EXPECT_TRUE(Contains(error, "must start with '/'"));
  EXPECT_TRUE(Contains(NormalizeError("api/"), "must start with '/'"));
}

TEST(NormalizeMountpoint, RejectsDoubleSlashes) {
  EXPECT_TRUE(Contains(NormalizeError("//"), "\"//\""));
  EXPECT_TRUE(Contains(NormalizeError("/a//b"), "contains \"//\""));
  EXPECT_TRUE(Contains(NormalizeError("/a//"), "contains \"//\""));
  EXPECT_TRUE(Contains(NormalizeError("//a"), "contains \"//\""));
}

TEST(NormalizeMountpoint, RejectsDotSegmentsAnywhere) {
  EXPECT_TRUE(Contains(NormalizeError("/."), "has a \".\" segment"));
  EXPECT_TRUE(Contains(NormalizeError("/./a"), "has a \".\" segment"));
  EXPECT_TRUE(Contains(NormalizeError("/a/."), "has a \".\" segment"));
  EXPECT_TRUE(Contains(NormalizeError("/a/./"), "has a \".\" segment"));
  EXPECT_TRUE(Contains(NormalizeError("/.."), "has a \"..\" segment"));
  EXPECT_TRUE(Contains(NormalizeError("/a/../b"), "has a \"..\" segment"));
  EXPECT_TRUE(Contains(NormalizeError("/a/.."), "has a \"..\" segment"));
}

TEST(NormalizeMountpoint, RejectsQueryFragmentAndPercent) {
  EXPECT_TRUE(Contains(NormalizeError("/a?b"), "contains '?'"));
  EXPECT_TRUE(Contains(NormalizeError("/a#b"), "contains '#'"));
  EXPECT_TRUE(Contains(NormalizeError("/a%20b"), "contains '%'"));
  EXPECT_TRUE(Contains(NormalizeError("/a%20b"), "\"/a%20b\""));
}

TEST(NormalizeMountpoint, RejectsWhitespace) {
  EXPECT_TRUE(Contains(NormalizeError("/a b"), "contains whitespace ' '"));
  EXPECT_TRUE(Contains(NormalizeError("/a\tb"), "contains whitespace '\\t'"));
  EXPECT_TRUE(Contains(NormalizeError("/a\n"), "contains whitespace '\\n'"));
  EXPECT_TRUE(Contains(NormalizeError("/a\r"), "contains whitespace '\\r'"));
  EXPECT_TRUE(Contains(NormalizeError(" /a"), "must start with '/'"));
}

TEST(NormalizeMountpoint, RejectsControlCharactersAndEscapesThem) {
  const std::string error = NormalizeError("/a\x01");
  EXPECT_TRUE(Contains(error, "control character '\\x01'"));
  EXPECT_TRUE(Contains(error, "\"/a\\x01\""));
  EXPECT_TRUE(Contains(NormalizeError("/a\x7f"), "'\\x7f'"));
  EXPECT_TRUE(
      Contains(NormalizeError(std::string_view("/a\0b", 4)), "'\\x00'"));
}

TEST(NormalizeMountpoint, AcceptsANullError) {
  std::string out;
  EXPECT_FALSE(NormalizeMountpoint("nope", &out, nullptr));
  EXPECT_TRUE(NormalizeMountpoint("/ok", &out, nullptr));
  EXPECT_EQ(out, "/ok");
}

TEST(ParseTarget, PyAndWsgiFilesUseTheDefaultCallable) {
  MountTarget t = Parsed("app.py");
  EXPECT_EQ(t.kind, MountTarget::Kind::kFile);
  EXPECT_EQ(t.file, "app.py");
  EXPECT_EQ(t.module, "");
  EXPECT_EQ(t.callable, "application");

  t = Parsed("dir/app.wsgi", "app");
  EXPECT_EQ(t.kind, MountTarget::Kind::kFile);
  EXPECT_EQ(t.file, "dir/app.wsgi");
  EXPECT_EQ(t.callable, "app");
}

TEST(ParseTarget, AnythingWithASlashIsAFile) {
  MountTarget t = Parsed("/srv/site/wsgi_entry");
  EXPECT_EQ(t.kind, MountTarget::Kind::kFile);
  EXPECT_EQ(t.file, "/srv/site/wsgi_entry");

  t = Parsed("../apps/my app.py");
  EXPECT_EQ(t.kind, MountTarget::Kind::kFile);
  EXPECT_EQ(t.file, "../apps/my app.py");
}

TEST(ParseTarget, DottedWsgiNameIsADjangoStyleModule) {
  MountTarget t = Parsed("django_site.wsgi:application");
  EXPECT_EQ(t.kind, MountTarget::Kind::kModule);
  EXPECT_EQ(t.module, "django_site.wsgi");
  EXPECT_EQ(t.callable, "application");

  t = Parsed("app.wsgi");
  EXPECT_EQ(t.kind, MountTarget::Kind::kModule);
  EXPECT_EQ(t.module, "app.wsgi");
}

TEST(ParseTarget, WsgiFileNeedsASlashOrANonIdentifierName) {
  MountTarget t = Parsed("./app.wsgi");
  EXPECT_EQ(t.kind, MountTarget::Kind::kFile);
  EXPECT_EQ(t.file, "./app.wsgi");

  t = Parsed("my-app.wsgi:app");
  EXPECT_EQ(t.kind, MountTarget::Kind::kFile);
  EXPECT_EQ(t.file, "my-app.wsgi");
  EXPECT_EQ(t.callable, "app");
}

TEST(ParseTarget, OtherSuffixesWithoutSlashAreModules) {
  MountTarget t = Parsed("app.txt");
  EXPECT_EQ(t.kind, MountTarget::Kind::kModule);
  EXPECT_EQ(t.module, "app.txt");
}

TEST(ParseTarget, FileWithCallable) {
  MountTarget t = Parsed("app.py:app");
  EXPECT_EQ(t.kind, MountTarget::Kind::kFile);
  EXPECT_EQ(t.file, "app.py");
  EXPECT_EQ(t.callable, "app");

  t = Parsed("x/y.wsgi:make_app()");
  EXPECT_EQ(t.file, "x/y.wsgi");
  EXPECT_EQ(t.callable, "make_app()");
}

TEST(ParseTarget, ModuleUsesTheDefaultCallable) {
  MountTarget t = Parsed("pkg.mod");
  EXPECT_EQ(t.kind, MountTarget::Kind::kModule);
  EXPECT_EQ(t.module, "pkg.mod");
  EXPECT_EQ(t.file, "");
  EXPECT_EQ(t.callable, "application");

  t = Parsed("hello", "app");
  EXPECT_EQ(t.kind, MountTarget::Kind::kModule);
  EXPECT_EQ(t.module, "hello");
  EXPECT_EQ(t.callable, "app");
}

TEST(ParseTarget, ModuleWithDottedCallable) {
  MountTarget t = Parsed("_pkg.sub2.mod:app.wsgi_app");
  EXPECT_EQ(t.kind, MountTarget::Kind::kModule);
  EXPECT_EQ(t.module, "_pkg.sub2.mod");
  EXPECT_EQ(t.callable, "app.wsgi_app");
}

TEST(ParseTarget, ModuleWithFactory) {
  MountTarget t = Parsed("pkg.mod:create_app()");
  EXPECT_EQ(t.kind, MountTarget::Kind::kModule);
  EXPECT_EQ(t.module, "pkg.mod");
  EXPECT_EQ(t.callable, "create_app()");
  EXPECT_TRUE(IsFactoryCallable(t.callable));
  EXPECT_FALSE(IsFactoryCallable("create_app"));
}

TEST(ParseTarget, DefaultCallableMayBeAFactory) {
  EXPECT_EQ(Parsed("pkg", "make()").callable, "make()");
}

TEST(ParseTarget, RejectsAnEmptyTarget) {
  EXPECT_TRUE(Contains(TargetError(""), "empty mount target"));
}

TEST(ParseTarget, RejectsAnEmptyCallableAfterColon) {
  const std::string error = TargetError("pkg.mod:");
  EXPECT_TRUE(Contains(error, "\"pkg.mod:\""));
  EXPECT_TRUE(Contains(error, "empty callable after ':'"));
  EXPECT_TRUE(Contains(TargetError("app.py:"), "empty callable after ':'"));
}

TEST(ParseTarget, RejectsANameMissingBeforeColon) {
  EXPECT_TRUE(Contains(TargetError(":app"), "no file or module name"));
}

TEST(ParseTarget, RejectsBadModuleNamesNamingTheBadPart) {
  std::string error = TargetError("1pkg.mod");
  EXPECT_TRUE(Contains(error, "module name \"1pkg.mod\""));
  EXPECT_TRUE(Contains(error, "bad part \"1pkg\""));

  error = TargetError("pkg.my-mod:app");
  EXPECT_TRUE(Contains(error, "module name \"pkg.my-mod\""));
  EXPECT_TRUE(Contains(error, "bad part \"my-mod\""));

  EXPECT_TRUE(Contains(TargetError("pkg..mod"), "empty part"));
  EXPECT_TRUE(Contains(TargetError(".pkg"), "empty part"));
  EXPECT_TRUE(Contains(TargetError("pkg."), "empty part"));
  EXPECT_TRUE(Contains(TargetError("pkg mod"), "bad part \"pkg mod\""));
}

TEST(ParseTarget, RejectsBadCallablesNamingThem) {
  std::string error = TargetError("pkg.mod:app-x");
  EXPECT_TRUE(Contains(error, "callable \"app-x\""));
  EXPECT_TRUE(Contains(error, "not a dotted identifier"));

  EXPECT_TRUE(Contains(TargetError("pkg:1app"), "callable \"1app\""));
  EXPECT_TRUE(Contains(TargetError("pkg:a..b"), "callable \"a..b\""));
  EXPECT_TRUE(Contains(TargetError("pkg:app."), "callable \"app.\""));
  EXPECT_TRUE(Contains(TargetError("pkg:()"), "callable \"()\""));
  EXPECT_TRUE(Contains(TargetError("pkg:make(1)"), "callable \"make(1)\""));
  EXPECT_TRUE(Contains(TargetError("pkg:make()()"), "callable \"make()()\""));
  EXPECT_TRUE(Contains(TargetError("pkg:make("), "callable \"make(\""));
  EXPECT_TRUE(Contains(TargetError("app.py:a b"), "callable \"a b\""));
}

TEST(ParseTarget, RejectsAnInvalidDefaultCallable) {
  std::string error = TargetError("pkg.mod", "not-valid");
  EXPECT_TRUE(Contains(error, "default callable \"not-valid\""));
  EXPECT_TRUE(Contains(TargetError("app.py", ""), "default callable \"\""));
  // An explicit callable makes the default irrelevant.
  EXPECT_EQ(Parsed("pkg.mod:app", "").callable, "app");
}

TEST(ParseTarget, RejectsSurroundingWhitespace) {
  EXPECT_TRUE(
      Contains(TargetError(" app.py"), "leading or trailing whitespace"));
  EXPECT_TRUE(
      Contains(TargetError("pkg.mod "), "leading or trailing whitespace"));
}

TEST(ParseTarget, RejectsControlCharacters) {
  const std::string error = TargetError("dir/a\x02pp.py");
  EXPECT_TRUE(Contains(error, "control character '\\x02'"));
  EXPECT_TRUE(Contains(error, "\"dir/a\\x02pp.py\""));
}

TEST(ParseTarget, RejectsADirectoryAsFile) {
  EXPECT_TRUE(Contains(TargetError("apps/"), "file \"apps/\" ends in '/'"));
}

TEST(ParseMountSpec, SplitsAtTheFirstEquals) {
  MountSpec spec;
  std::string error;
  ASSERT_TRUE(ParseMountSpec("/api=pkg.wsgi:app", "application", &spec, &error))
      << error;
  EXPECT_EQ(spec.mountpoint, "/api");
  EXPECT_EQ(spec.target_text, "pkg.wsgi:app");
  EXPECT_EQ(spec.target.kind, MountTarget::Kind::kModule);
  EXPECT_EQ(spec.target.module, "pkg.wsgi");
  EXPECT_EQ(spec.target.callable, "app");

  ASSERT_TRUE(ParseMountSpec("/x=dir/a=b.py", "application", &spec, &error))
      << error;
  EXPECT_EQ(spec.mountpoint, "/x");
  EXPECT_EQ(spec.target.file, "dir/a=b.py");
}

TEST(ParseMountSpec, SlashMountIsTheRoot) {
  MountSpec spec;
  std::string error;
  ASSERT_TRUE(ParseMountSpec("/=hello.py", "application", &spec, &error))
      << error;
  EXPECT_EQ(spec.mountpoint, "");
  EXPECT_EQ(spec.target.kind, MountTarget::Kind::kFile);
  EXPECT_EQ(spec.target.file, "hello.py");
  EXPECT_EQ(spec.target.callable, "application");
  EXPECT_EQ(spec.target_text, "hello.py");
}

TEST(ParseMountSpec, WithoutEqualsTheWholeTextIsARootMount) {
  MountSpec spec;
  std::string error;
  ASSERT_TRUE(ParseMountSpec("app.py", "app", &spec, &error)) << error;
  EXPECT_EQ(spec.mountpoint, "");
  EXPECT_EQ(spec.target.file, "app.py");
  EXPECT_EQ(spec.target.callable, "app");
  EXPECT_EQ(spec.target_text, "app.py");

  ASSERT_TRUE(ParseMountSpec("pkg.mod:create()", "app", &spec, &error))
      << error;
  EXPECT_EQ(spec.mountpoint, "");
  EXPECT_EQ(spec.target.module, "pkg.mod");
  EXPECT_EQ(spec.target.callable, "create()");
}

TEST(ParseMountSpec, NormalizesTheMountpoint) {
  MountSpec spec;
  std::string error;
  ASSERT_TRUE(ParseMountSpec("/api/=app.py", "application", &spec, &error))
      << error;
  EXPECT_EQ(spec.mountpoint, "/api");
}

TEST(ParseMountSpec, RejectsAnEmptySpec) {
  EXPECT_TRUE(Contains(SpecError(""), "empty mount spec"));
}

TEST(ParseMountSpec, RejectsABadMountpointQuotingSpecAndMountpoint) {
  std::string error = SpecError("api=app.py");
  EXPECT_TRUE(Contains(error, "mount \"api=app.py\""));
  EXPECT_TRUE(Contains(error, "mountpoint \"api\" must start with '/'"));

  EXPECT_TRUE(Contains(SpecError("/a/../b=app.py"), "\"..\" segment"));
  EXPECT_TRUE(Contains(SpecError("/a b=app.py"), "whitespace"));
  EXPECT_TRUE(Contains(SpecError("/a?x=app.py"), "contains '?'"));
}

TEST(ParseMountSpec, RejectsABadTargetQuotingSpecAndTarget) {
  std::string error = SpecError("/api=");
  EXPECT_TRUE(Contains(error, "mount \"/api=\""));
  EXPECT_TRUE(Contains(error, "empty mount target"));

  error = SpecError("/api=pkg:");
  EXPECT_TRUE(Contains(error, "empty callable after ':'"));

  error = SpecError("/api=my-pkg:app");
  EXPECT_TRUE(Contains(error, "module name \"my-pkg\""));
}

TEST(ParseMountSpec, AcceptsANullErrorAndLeavesOutputAloneOnFailure) {
  MountSpec spec;
  spec.mountpoint = "<unset>";
  EXPECT_FALSE(ParseMountSpec("/x=", "application", &spec, nullptr));
  EXPECT_EQ(spec.mountpoint, "<unset>");
}

}  // namespace
}  // namespace subhost::mounts
