// ServerImpl: the public Server, assembled from its parts: the listeners
// (listener.h), the event loop and its threads (dispatcher.h), and what
// happens on each connection (exchange.h).
#include <memory>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "engine/log.h"
#include "engine/server/dispatcher.h"
#include "engine/server/listener.h"
#include "subhost/server.h"

namespace subhost {

namespace {

class ServerImpl final : public Server {
 public:
  ServerImpl(Engine& engine, const ServerOptions& options)
      : options_(options), log_(options.log) {
    if (options_.listeners.empty()) {
      throw std::runtime_error("no listener: give --http-socket or --socket");
    }
    for (const auto& spec : options_.listeners) {
      listeners_.push_back(server::Listener::Open(spec, options_));
    }
    dispatcher_ = std::make_unique<server::Dispatcher>(engine, options_, log_,
                                                       listeners_);
  }

  std::vector<std::string> Listening() const override {
    std::vector<std::string> out;
    for (const auto& l : listeners_) {
      out.push_back(fmt::format(
          "{} {}", l->protocol == server::Protocol::kHttp ? "http" : "uwsgi",
          l->name));
    }
    return out;
  }

  void Run() override { dispatcher_->Run(); }
  void Stop() override { dispatcher_->Stop(); }

 private:
  ServerOptions options_;
  Logger log_;
  // Declared before the dispatcher, which borrows them: destroyed after it.
  std::vector<std::unique_ptr<server::Listener>> listeners_;
  std::unique_ptr<server::Dispatcher> dispatcher_;
};

}  // namespace

std::unique_ptr<Server> Server::Create(Engine& engine,
                                       const ServerOptions& options) {
  return std::make_unique<ServerImpl>(engine, options);
}

}  // namespace subhost
