// The uWSGI options real configs set that subhost does not implement as
// uWSGI does: each is mapped onto subhost's nearest behaviour, or accepted
// with a note saying what subhost does instead, so a uwsgi.ini starts.
#include <limits>
#include <span>

#include "engine/config/parse_context.h"
#include "engine/config/server_config.h"

namespace subhost::config {

namespace {

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();

using K = OptionKind;
using G = OptionGroup;
using C = ServerConfig;

// Noted options need no apply function: ApplyOption adds the note from the
// group and the help text.
constexpr OptionInfo kUwsgiCompat[] = {
    // uWSGI options mapped onto subhost's nearest behaviour, with a note.
    {.name = "http-timeout", .kind = K::kInt, .min = 1, .max = 86400,
     .metavar = "S", .group = G::kDifferent, .origin = "uWSGI",
     .help = "sets --socket-timeout: HTTP clients talk to the workers' own "
             "event loop, there is no separate router",
     .field = &C::socket_timeout},
    {.name = "reload-mercy", .kind = K::kInt, .min = 1, .max = kIntMax,
     .metavar = "S", .group = G::kDifferent, .origin = "uWSGI",
     .help = "sets --worker-reload-mercy: how long each stopping worker may "
             "take",
     .field = &C::worker_reload_mercy},
    {.name = "max-requests-delta", .kind = K::kInt, .min = 0, .max = kIntMax,
     .metavar = "N", .group = G::kDifferent, .origin = "uWSGI",
     .help = "sets --max-requests-jitter: each worker recycles after "
             "--max-requests plus a random 0..N requests",
     .field = &C::max_requests_jitter},
    {.name = "evil-reload-on-rss", .kind = K::kInt, .min = 0, .max = kIntMax,
     .metavar = "MB", .group = G::kDifferent, .origin = "uWSGI",
     .help = "sets --reload-on-rss: the worker itself recycles when its RSS "
             "passes MB",
     .field = &C::reload_on_rss},
    {.name = "lazy", .kind = K::kBool, .group = G::kDifferent,
     .origin = "uWSGI",
     .help = "sets --lazy-apps: apps load in each worker after fork",
     .field = &C::lazy_apps},

    // uWSGI options that change nothing here: accepted, noted, ignored.
    {.name = "plugin", .aliases = {"plugins"}, .kind = K::kList,
     .metavar = "VALUE", .group = G::kIgnored, .origin = "uWSGI",
     .help = "subhost has Python built in"},
    {.name = "enable-threads", .short_names = "T", .kind = K::kBool,
     .group = G::kIgnored, .origin = "uWSGI",
     .help = "Python threads are always enabled"},
    {.name = "die-on-term", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI", .help = "SIGTERM always shuts down gracefully"},
    {.name = "auto-procname", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI", .help = "process names are left unchanged"},
    {.name = "procname-prefix",
     .aliases = {"procname-prefix-spaced", "procname"}, .kind = K::kString,
     .metavar = "VALUE", .group = G::kIgnored, .origin = "uWSGI",
     .help = "process names are left unchanged"},
    {.name = "thunder-lock", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI",
     .help = "workers share each listener through EPOLLEXCLUSIVE; nothing to "
             "serialize"},
    {.name = "harakiri-verbose", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI",
     .help = "subhost's harakiri line always names the worker, method, path "
             "and mount"},
    {.name = "memory-report", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI",
     .help = "each worker's RSS is in the stats JSON (--stats) and the "
             "metrics (--metrics)"},
    {.name = "log-4xx", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI",
     .help = "every request is logged with its status (unless "
             "--disable-logging)"},
    {.name = "log-5xx", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI",
     .help = "every request is logged with its status (unless "
             "--disable-logging)"},
    {.name = "disable-write-exception", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI",
     .help = "a client that goes away ends its response quietly; the app sees "
             "no exception"},
    {.name = "ignore-write-errors", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI",
     .help = "a client that goes away ends its response quietly; nothing is "
             "logged as an error"},
    {.name = "ignore-sigpipe", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI",
     .help = "SIGPIPE never reaches subhost: its sends use MSG_NOSIGNAL"},
    {.name = "offload-threads", .kind = K::kInt, .min = 0, .max = kIntMax,
     .metavar = "N", .group = G::kIgnored, .origin = "uWSGI",
     .help = "wsgi.file_wrapper files go out with sendfile; there are no "
             "offload threads to size"},
    {.name = "http-keepalive", .kind = K::kOptional, .metavar = "[=VALUE]",
     .group = G::kIgnored, .origin = "uWSGI",
     .help = "HTTP/1.1 keep-alive is always on; idle connections wait in the "
             "event loop, holding no thread"},
    {.name = "http-auto-chunked", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI",
     .help = "responses without Content-Length are sent chunked to HTTP/1.1 "
             "clients already"},
    {.name = "honour-stdin", .aliases = {"honor-stdin"}, .kind = K::kBool,
     .group = G::kIgnored, .origin = "uWSGI",
     .help = "subhost leaves stdin as it found it, which is what this asks"},
    {.name = "no-default-app", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI",
     .help = "a request that matches no mount gets 404 unless something is "
             "mounted at /"},
    {.name = "log-master", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI",
     .help = "each worker writes whole log lines itself, one write each, so "
             "lines never interleave"},
    {.name = "no-orphans", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI", .help = "workers always exit when their master dies"},
    {.name = "py-call-osafterfork", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI",
     .help = "subhost reseeds random and runs postfork hooks in every "
             "interpreter of every worker itself"},
    {.name = "max-fd", .kind = K::kInt, .min = 0, .max = kIntMax,
     .metavar = "N",
     .group = G::kIgnored, .origin = "uWSGI",
     .help = "subhost raises its descriptor limit to the hard limit at start"},
    {.name = "wsgi-env-behaviour", .aliases = {"wsgi-env-behavior"},
     .kind = K::kString, .metavar = "VALUE", .group = G::kIgnored,
     .origin = "uWSGI", .help = "each request gets a fresh environ"},
    {.name = "master-as-root", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI", .help = "subhost does not switch user"},
    {.name = "vacuum-sockets", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI", .help = "see --vacuum"},

    // uWSGI features subhost does not have: accepted, with what to use.
    {.name = "uid", .kind = K::kString, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "subhost does not switch user yet: start it as the user it "
             "should run as (systemd User=); as root it refuses to start "
             "with --uid"},
    {.name = "gid", .kind = K::kString, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "subhost does not switch group yet: start it as the group it "
             "should run as (systemd Group=); as root it refuses to start "
             "with --gid"},
    {.name = "chown-socket", .kind = K::kString, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "create the socket in a directory the proxy's user can reach, "
             "with --chmod-socket"},
    {.name = "pidfile", .kind = K::kString, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "no pidfile is written yet: systemd tracks the master's pid "
             "(Type=exec); the first log line names it"},
    {.name = "pidfile2", .kind = K::kString, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "no pidfile is written yet: systemd tracks the master's pid "
             "(Type=exec); the first log line names it"},
    {.name = "safe-pidfile", .kind = K::kString, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "no pidfile is written yet: systemd tracks the master's pid "
             "(Type=exec); the first log line names it"},
    {.name = "daemonize", .kind = K::kString, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "subhost stays in the foreground and logs to stderr: run it "
             "under systemd, or with nohup and a redirect"},
    {.name = "daemonize2", .kind = K::kString, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "subhost stays in the foreground and logs to stderr: run it "
             "under systemd, or with nohup and a redirect"},
    {.name = "logto", .kind = K::kString, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "logs go to stderr: redirect it, or let systemd's journal keep "
             "it"},
    {.name = "logto2", .kind = K::kString, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "logs go to stderr: redirect it, or let systemd's journal keep "
             "it"},
    {.name = "logger", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "logs go to stderr: redirect it, or let systemd's journal keep "
             "it"},
    {.name = "req-logger", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "logs go to stderr: redirect it, or let systemd's journal keep "
             "it"},
    {.name = "log-route", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "logs go to stderr: redirect it, or let systemd's journal keep "
             "it"},
    {.name = "log-encoder", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "logs go to stderr: redirect it, or let systemd's journal keep "
             "it"},
    {.name = "log-date", .aliases = {"logdate"}, .kind = K::kOptional,
     .metavar = "[=VALUE]", .group = G::kUnsupported, .origin = "uWSGI",
     .help = "log lines carry no date: the journal (or `ts`) adds one"},
    {.name = "log-format", .aliases = {"logformat"}, .kind = K::kString,
     .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI",
     .help = "the access log has subhost's own fixed format"},
    {.name = "log-slow", .kind = K::kInt, .min = 0, .max = kIntMax,
     .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI",
     .help = "every request is logged with its time in ms; filter on it"},
    {.name = "log-x-forwarded-for", .kind = K::kBool, .group = G::kUnsupported,
     .origin = "uWSGI",
     .help = "the access log shows the peer's address; nginx logs the "
             "client's"},
    {.name = "log-maxsize", .kind = K::kSize, .min = 0, .max = kIntMax,
     .metavar = "SIZE", .group = G::kUnsupported, .origin = "uWSGI",
     .help = "log rotation belongs to logrotate (copytruncate) or to the "
             "journal"},
    {.name = "log-backupname", .kind = K::kString, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "log rotation belongs to logrotate (copytruncate) or to the "
             "journal"},
    {.name = "log-reopen", .kind = K::kBool, .group = G::kUnsupported,
     .origin = "uWSGI",
     .help = "log rotation belongs to logrotate (copytruncate) or to the "
             "journal"},
    {.name = "static-map", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "serve static files from nginx (location /static/ { alias DIR/; "
             "}) or from the app (WhiteNoise)"},
    {.name = "static-map2", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "serve static files from nginx (location /static/ { alias DIR/; "
             "}) or from the app (WhiteNoise)"},
    {.name = "check-static", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "serve static files from nginx (location /static/ { alias DIR/; "
             "}) or from the app (WhiteNoise)"},
    {.name = "static-safe", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "serve static files from nginx (location /static/ { alias DIR/; "
             "}) or from the app (WhiteNoise)"},
    {.name = "static-index", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "serve static files from nginx (location /static/ { alias DIR/; "
             "}) or from the app (WhiteNoise)"},
    {.name = "static-expires-type", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "serve static files from nginx (location /static/ { alias DIR/; "
             "}) or from the app (WhiteNoise)"},
    {.name = "static-expires", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "serve static files from nginx (location /static/ { alias DIR/; "
             "}) or from the app (WhiteNoise)"},
    {.name = "static-gzip-all", .kind = K::kBool, .group = G::kUnsupported,
     .origin = "uWSGI",
     .help = "serve static files from nginx (location /static/ { alias DIR/; "
             "}) or from the app (WhiteNoise)"},
    {.name = "static-gzip", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "serve static files from nginx (location /static/ { alias DIR/; "
             "}) or from the app (WhiteNoise)"},
    {.name = "cheaper", .kind = K::kInt, .min = 0, .max = kIntMax,
     .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI",
     .help = "subhost starts all --processes workers and keeps them; "
             "SIGTTIN/SIGTTOU add or remove one"},
    {.name = "cheaper-initial", .kind = K::kInt, .min = 0, .max = kIntMax,
     .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI",
     .help = "subhost starts all --processes workers and keeps them; "
             "SIGTTIN/SIGTTOU add or remove one"},
    {.name = "cheaper-step", .kind = K::kInt, .min = 0, .max = kIntMax,
     .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI",
     .help = "subhost starts all --processes workers and keeps them; "
             "SIGTTIN/SIGTTOU add or remove one"},
    {.name = "cheaper-algo", .kind = K::kString, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "subhost starts all --processes workers and keeps them; "
             "SIGTTIN/SIGTTOU add or remove one"},
    {.name = "cheaper-overload", .kind = K::kInt, .min = 0, .max = kIntMax,
     .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI",
     .help = "subhost starts all --processes workers and keeps them; "
             "SIGTTIN/SIGTTOU add or remove one"},
    {.name = "max-worker-lifetime", .kind = K::kInt, .min = 0, .max = kIntMax,
     .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI",
     .help = "recycle workers with --max-requests (and --max-requests-jitter) "
             "or --reload-on-rss"},
    {.name = "py-autoreload", .aliases = {"python-autoreload"}, .kind = K::kInt,
     .min = 0, .max = kIntMax, .metavar = "N", .group = G::kUnsupported,
     .origin = "uWSGI",
     .help = "use --touch-reload FILE and touch it from the deploy or the "
             "editor"},
    {.name = "attach-daemon", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "run it as its own systemd service or supervisord program"},
    {.name = "attach-daemon2", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "run it as its own systemd service or supervisord program"},
    {.name = "smart-attach-daemon", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "run it as its own systemd service or supervisord program"},
    {.name = "attach-control-daemon", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "run it as its own systemd service or supervisord program"},
    {.name = "master-fifo", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "send signals to the master instead: HUP reload, TERM stop, "
             "TTIN/TTOU one worker more/fewer"},
    {.name = "emperor", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "not supported: run one subhost with several --mount, or one per "
             "app under systemd"},
    {.name = "gevent", .kind = K::kInt, .min = 0, .max = kIntMax,
     .metavar = "N",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "subhost holds idle connections in its event loop; use --threads "
             "for apps that block"},
    {.name = "gevent-early-monkey-patch", .kind = K::kBool,
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "subhost holds idle connections in its event loop; use --threads "
             "for apps that block"},
    {.name = "async", .kind = K::kInt, .min = 0, .max = kIntMax, .metavar = "N",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "subhost holds idle connections in its event loop; use --threads "
             "for apps that block"},
    {.name = "vhost", .kind = K::kBool, .group = G::kUnsupported,
     .origin = "uWSGI",
     .help = "subhost routes by path prefix (--mount), not by Host: give each "
             "site its own nginx server block and prefix"},
    {.name = "http-enable-proxy-protocol", .aliases = {"enable-proxy-protocol"},
     .kind = K::kBool, .group = G::kUnsupported, .origin = "uWSGI",
     .help = "PROXY protocol headers are not read: have the proxy send "
             "X-Forwarded-For"},
    {.name = "wsgi-disable-file-wrapper", .kind = K::kBool,
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "wsgi.file_wrapper is always offered"},
    {.name = "import", .aliases = {"python-import", "pyimport"},
     .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported,
     .origin = "uWSGI",
     .help = "import the module from the app's own WSGI file"},
    {.name = "hook-master-start", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "run the command before subhost starts (systemd ExecStartPre)"},
    {.name = "hook-pre-app", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "run the command before subhost starts (systemd ExecStartPre)"},
    {.name = "add-header", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "set response headers in nginx (add_header) or in the app"},
    {.name = "route", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "subhost has no routing language: use nginx rules, or a mount "
             "per prefix"},
    {.name = "route-uri", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "subhost has no routing language: use nginx rules, or a mount "
             "per prefix"},
    {.name = "route-host", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "subhost has no routing language: use nginx rules, or a mount "
             "per prefix"},
    {.name = "response-route", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "subhost has no routing language: use nginx rules, or a mount "
             "per prefix"},
    {.name = "limit-as", .kind = K::kInt, .min = 0, .max = kIntMax,
     .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI",
     .help = "use --reload-on-rss to recycle a worker that grows"},
    {.name = "reload-on-as", .kind = K::kInt, .min = 0, .max = kIntMax,
     .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI",
     .help = "use --reload-on-rss to recycle a worker that grows"},
    {.name = "cache2", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "no shared cache: use Django's or Flask-Caching's backends "
             "(memcached, Redis)"},
    {.name = "spooler", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "no spooler: use a task queue (Celery, RQ) run as its own "
             "service"},
    {.name = "mule", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "no mules: run background work as its own service"},
    {.name = "cron", .kind = K::kList, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "no cron: use systemd timers or cron"},
    {.name = "http-websockets", .kind = K::kBool, .group = G::kUnsupported,
     .origin = "uWSGI",
     .help = "WebSockets are not served: route them to an ASGI server"},
    {.name = "pyargv", .kind = K::kString, .metavar = "VALUE",
     .group = G::kUnsupported, .origin = "uWSGI",
     .help = "sys.argv is left as subhost's"},
    {.name = "cpu-affinity", .kind = K::kInt, .min = 0, .max = kIntMax,
     .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI",
     .help = "use taskset or systemd's CPUAffinity="},
    {.name = "reuse-port", .kind = K::kBool, .group = G::kUnsupported,
     .origin = "uWSGI", .help = "workers share one listener; no SO_REUSEPORT"},
};

}  // namespace

std::span<const OptionInfo> UwsgiCompatOptions() { return kUwsgiCompat; }

}  // namespace subhost::config
