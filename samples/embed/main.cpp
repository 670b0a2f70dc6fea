// Embeds subhost in a C++ program: mounts the hello, Flask and Django samples,
// each in its own sub-interpreter, sends them requests from several threads
// and prints what comes back.
//
//   subhost_embed [SAMPLES_DIR]    (default: ./samples)
#include <subhost/subhost.h>

#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  std::string samples = argc > 1 ? argv[1] : "samples";
  subhost::Options options;
  // The Flask sample is imported as a package from the samples folder.
  options.python_path = {samples, samples + "/django_site"};
  std::unique_ptr<subhost::Engine> engine;
  subhost::Status started = subhost::Engine::Create(options, &engine);
  if (!started.ok()) {
    std::cerr << "cannot start: " << started.message() << "\n";
    return 1;
  }
  const std::pair<const char*, std::string> mounts[] = {
      {"/", samples + "/hello.py"},
      {"/flask", "flask_app.app:app"},
      {"/django", "django_site.wsgi:application"},
  };
  for (const auto& [mountpoint, target] : mounts) {
    // A mount that fails to load is reported; the others still serve.
    subhost::Status s = engine->Mount(mountpoint, target);
    if (!s.ok()) std::printf("not mounted: %s\n", s.message().c_str());
  }
  for (const subhost::MountInfo& m : engine->Mounts()) {
    std::printf("mounted '%s' -> %s on interpreter %ld (%.0f ms)\n",
                m.mountpoint.c_str(), m.target.c_str(), m.interpreter_id,
                m.load_ms);
  }

  const char* paths[] = {"/", "/flask/json", "/flask/?name=<b>bold</b>",
                         "/django/json/", "/django/", "/nothing/here"};
  std::mutex out_mu;
  int failures = 0;
  std::vector<std::thread> threads;
  for (const char* full : paths) {
    threads.emplace_back([&, full] {
      subhost::Request request;
      std::string target = full;
      size_t q = target.find('?');
      request.path = target.substr(0, q);
      if (q != std::string::npos) request.query = target.substr(q + 1);
      request.headers = {{"Host", "localhost"}};
      subhost::Response r = engine->Handle(request);
      std::lock_guard<std::mutex> lock(out_mu);
      std::printf("GET %s -> %d %s [%s]\n", full, r.status, r.reason.c_str(),
                  std::string(r.Header("Content-Type")).c_str());
      std::string body = r.body.substr(0, 300);
      std::printf("  %s\n", body.c_str());
      // A mount that did not load answers 503 (reported above); an app
      // that raises is a failure of this run.
      if (r.result == subhost::RequestResult::kAppError) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  return failures == 0 ? 0 : 1;
}
