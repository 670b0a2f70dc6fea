// Real Flask and Django from Debian's packages, mounted side by side.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "subhost/engine.h"
#include "tests/engine/test_support.h"

namespace subhost {
namespace {

using testing::Get;
using testing::LogCapture;
using testing::MakeEngine;
using testing::Post;
using testing::Sample;

// Debian's Flask and Django are packaged for its python3.11; another CPython
// may lack them (Django 3.2 needs the cgi module that 3.13 removed). Probes
// by importing in a throwaway mount.
bool Have(Engine& engine, const char* probe) {
  static int n = 0;
  Status s = engine.Mount("/probe" + std::to_string(n++), probe);
  return s.message().find("ModuleNotFoundError") == std::string::npos;
}
constexpr const char* kFlask = "flask:Flask";
constexpr const char* kDjango = "django.http:HttpResponse";

Options SamplePaths() {
  Options options;
  options.python_path = {SUBHOST_SAMPLES,
                         std::string(SUBHOST_SAMPLES) + "/django_site",
                         "/usr/lib/python3/dist-packages"};
  return options;
}

TEST(Frameworks, TwoFlaskMountsRenderAutoEscapedTemplatesWithTheirPrefix) {
  LogCapture log;
  auto engine = MakeEngine(log, SamplePaths());
  if (!Have(*engine, kFlask)) GTEST_SKIP() << "no Flask for " << PythonVersion();
  ASSERT_TRUE(engine->Mount("/one", "flask_app.app:app").ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/two", Sample("flask_app/app.py")).ok()) << log.All();
  // Interleave, and repeat after both have rendered: the MarkupSafe
  // speedups would hand one interpreter the other's Markup class.
  for (int round = 0; round < 3; ++round) {
    for (const char* mp : {"/one", "/two"}) {
      Response r = engine->Handle(Get(std::string(mp) + "/", "name=<b>x</b>"));
      ASSERT_EQ(r.status, 200) << mp << log.All();
      EXPECT_NE(r.body.find("Hello, &lt;b&gt;x&lt;/b&gt;!"), std::string::npos)
          << mp << r.body;
      EXPECT_EQ(r.body.find("<b>x</b>"), std::string::npos) << mp;
      EXPECT_EQ(r.body.find("&amp;lt;"), std::string::npos) << "double escape";
      EXPECT_NE(r.body.find(std::string("href=\"") + mp + "/json\""),
                std::string::npos)
          << r.body;
    }
  }
  Response json = engine->Handle(Get("/two/json"));
  EXPECT_NE(json.body.find("\"script_name\":\"/two\""), std::string::npos)
      << json.body;
  Response echo = engine->Handle(Post("/one/echo", "payload \x01\xff"));
  EXPECT_EQ(echo.status, 200);
  EXPECT_EQ(echo.body, "payload \x01\xff");
}

TEST(Frameworks, DjangoGeneratesUrlsUnderItsMountPrefix) {
  LogCapture log;
  auto engine = MakeEngine(log, SamplePaths());
  if (!Have(*engine, kDjango)) GTEST_SKIP() << "no Django for " << PythonVersion();
  ASSERT_TRUE(engine->Mount("/django", "django_site.wsgi:application").ok())
      << log.All();
  Response page = engine->Handle(Get("/django/", "name=<i>"));
  ASSERT_EQ(page.status, 200) << log.All();
  EXPECT_NE(page.body.find("href=\"/django/json/\""), std::string::npos)
      << page.body;
  EXPECT_NE(page.body.find("&lt;i&gt;"), std::string::npos);
  Response json = engine->Handle(Get("/django/json/"));
  EXPECT_NE(json.body.find("\"script_name\": \"/django\""), std::string::npos)
      << json.body;
  EXPECT_NE(json.body.find("\"url\": \"/django/json/\""), std::string::npos);
  Response redirect = engine->Handle(Get("/django/json"));
  EXPECT_EQ(redirect.status, 301);
  EXPECT_EQ(redirect.Header("Location"), "/django/json/");
  Response echo = engine->Handle(Post("/django/echo/", "posted"));
  EXPECT_EQ(echo.body, "posted");
}

TEST(Frameworks, HelloFlaskAndDjangoSideBySideFromManyThreads) {
  LogCapture log;
  auto engine = MakeEngine(log, SamplePaths());
  if (!Have(*engine, kFlask) || !Have(*engine, kDjango)) {
    GTEST_SKIP() << "no Flask or Django for " << PythonVersion();
  }
  ASSERT_TRUE(engine->Mount("/", Sample("hello.py")).ok());
  ASSERT_TRUE(engine->Mount("/flask", "flask_app.app:app").ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/django", Sample("django_site/wsgi_app.py")).ok())
      << log.All();
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 30; ++i) {
        if (engine->Handle(Get("/")).body != "Hello, World!\n") ++bad;
        if (engine->Handle(Get("/flask/json")).body.find("\"app\":\"flask\"") ==
            std::string::npos) {
          ++bad;
        }
        if (engine->Handle(Get("/django/json/")).body.find(
                "\"app\": \"django\"") == std::string::npos) {
          ++bad;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0) << log.All();
}

}  // namespace
}  // namespace subhost
