#!/usr/bin/python3.11
"""Load comparison: subhost against uWSGI, gunicorn and nginx, side by side.

Each server starts on loopback with the same processes and threads; wrk runs
against each in turn (A, B, C, A, B, C, ...) so that machine drift hits all
alike. For every scenario the report gives the median requests/s, p50 and
p99 latency and peak RSS of each server, and its ratio to uWSGI.

  benchmarks/load/compare.py --quick          # one short round: < 3 minutes
  benchmarks/load/compare.py                  # full: 3 rounds of 5 s
  benchmarks/load/compare.py --scenarios hello,mounts10 --servers subhost,uwsgi
  SUBHOST_BASE_BIN=/path/to/old/subhost benchmarks/load/compare.py \
      --servers subhost,subhost-base        # before/after a change, interleaved

Servers
  subhost           --http-socket
  uwsgi             --http11-socket
  gunicorn-sync     -k sync (one request at a time per worker; no threads)
  gunicorn-gthread  -k gthread --threads T
  nginx-static      nginx answering a fixed body: this machine's ceiling
  subhost+nginx     nginx uwsgi_pass to subhost --socket (unix socket)
  uwsgi+nginx       the same nginx, uwsgi_pass to uwsgi --socket

Output: load.md (tables), load.png (chart) and load.json (every round)
under benchmarks/results/<time>-load/, or --out DIR.
"""
import argparse
import errno
import json
import os
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'lib'))
import benchlib  # noqa: E402
from benchlib import ROOT, free_port  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# An app: (file for subhost/uWSGI, directory and module:callable for gunicorn).
APPS = {
    'hello': (os.path.join(ROOT, 'samples', 'hello.py'),
              os.path.join(ROOT, 'samples'), 'hello:application'),
    'bench': (os.path.join(HERE, 'bench_app.py'), HERE, 'bench_app:application'),
    'flask': (os.path.join(ROOT, 'samples', 'flask_app', 'app.py'),
              os.path.join(ROOT, 'samples'), 'flask_app.app:application'),
    'django': (os.path.join(ROOT, 'samples', 'django_site', 'wsgi_app.py'),
               os.path.join(ROOT, 'samples', 'django_site'),
               'wsgi_app:application'),
}

# subhost-base: a second subhost binary ($SUBHOST_BASE_BIN, e.g. a build of
# the commit before a change), run with subhost's flags wherever subhost
# runs, for before/after figures in one interleaved run. Not in the default.
BASE = 'subhost-base'
ALL_SERVERS = ['subhost', 'uwsgi', 'gunicorn-sync', 'gunicorn-gthread',
               'nginx-static', 'subhost+nginx', 'uwsgi+nginx']
APP_SERVERS = [s for s in ALL_SERVERS if s != 'nginx-static']
MOUNT_SERVERS = ['subhost', 'uwsgi', 'subhost+nginx', 'uwsgi+nginx']

# name: (what it measures, app, mounts, servers, path or lua, idle connections)
SCENARIOS = {
    'hello': ('hello, keep-alive', 'hello', 1, ALL_SERVERS, '/', 0),
    'close': ('hello, Connection: close', 'hello', 1, ALL_SERVERS, 'close', 0),
    'mounts10': ('10 mounts, requests round-robin', 'hello', 10,
                 MOUNT_SERVERS, 'rr', 0),
    'mounts1': ('the same paths, all to 1 mount', 'hello', 1,
                MOUNT_SERVERS, 'rr', 0),
    'post64k': ('POST 64 KiB, echoed back', 'bench', 1, APP_SERVERS,
                'post', 0),
    'stream1m': ('1 MiB streamed response', 'bench', 1, APP_SERVERS,
                 '/stream', 0),
    'sleep10ms': ('app sleeps 10 ms per request', 'bench', 1, APP_SERVERS,
                  '/sleep', 0),
    'flask': ('the Flask sample, a template page', 'flask', 1, APP_SERVERS,
              '/', 0),
    'django': ('the Django sample, a template page', 'django', 1,
               APP_SERVERS, '/', 0),
    'idle': ('hello while 2,000 idle keep-alive connections are held',
             'hello', 1, ALL_SERVERS, '/', 2000),
}

KEEPALIVE_SECONDS = 300  # every server keeps idle connections this long


def mount_args(server, app, mounts):
    path = APPS[app][0]
    if mounts == 1:
        if server == 'subhost':
            return ['--mount', '/=' + path]
        return ['--wsgi-file', path]
    args = ['--mount', '/=' + path]
    for i in range(1, mounts):
        args += ['--mount', '/m%d=%s' % (i, path)]
    return args + (['--manage-script-name'] if server == 'uwsgi' else [])


def nginx_conf(dir, port, workers, upstream=None):
    temp = ''.join('  %s_temp_path %s/%s;\n' % (k, dir, k)
                   for k in ('client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'))
    if upstream:
        location = ('    location / {\n      include /etc/nginx/uwsgi_params;\n'
                    '      uwsgi_pass unix:%s;\n'
                    '      uwsgi_buffering off;\n    }\n' % upstream)
    else:
        location = ('    location / {\n      default_type text/plain;\n'
                    '      return 200 "Hello, World!\\n";\n    }\n')
    conf = os.path.join(dir, 'nginx.conf')
    with open(conf, 'w') as f:
        # Workers run as root when nginx is started by root: the sockets
        # and temp folders here belong to root.
        f.write('daemon off;\n%sworker_processes %d;\n'
                'error_log %s/nginx-error.log;\npid %s/nginx.pid;\n'
                'events { worker_connections 8192; }\n'
                'http {\n  access_log off;\n%s'
                '  keepalive_timeout %d;\n  keepalive_requests 10000000;\n'
                '  client_max_body_size 16m;\n'
                '  server {\n    listen 127.0.0.1:%d backlog=1024;\n%s  }\n}\n'
                % ('user root;\n' if os.geteuid() == 0 else '', workers, dir,
                   dir, temp, KEEPALIVE_SECONDS, port, location))
    return conf


class Running:
    """The processes of one server under test, and the port wrk hits."""

    def __init__(self, procs, port):
        self.procs, self.port = procs, port

    def rss_kb(self):
        return sum(benchlib.rss_kb(p.pid) for p in self.procs)

    def stop(self):
        for p in self.procs:
            # uWSGI's SIGINT and SIGQUIT are quick exits; gunicorn and nginx
            # take SIGQUIT/SIGINT as quick too; subhost: SIGINT.
            benchlib.stop(p, 2)


def app_server_cmd(server, app, mounts, addr, protocol, processes, threads):
    if server in ('subhost', BASE):
        binary = (os.environ['SUBHOST_BASE_BIN'] if server == BASE
                  else benchlib.subhost_bin())
        cmd = [binary,
               '--http-socket' if protocol == 'http' else '--socket', addr,
               '--threads', str(threads), '--disable-logging',
               '--listen', '1024', '--socket-timeout', str(KEEPALIVE_SECONDS)]
        if processes > 1:
            cmd += ['--master', '--processes', str(processes)]
        return cmd + mount_args('subhost', app, mounts)
    if server == 'uwsgi':
        cmd = ['uwsgi', '--plugin', 'python3',
               '--http11-socket' if protocol == 'http' else '--socket', addr,
               '--processes', str(processes), '--threads', str(threads),
               '--disable-logging', '--listen', '1024',
               '--socket-timeout', str(KEEPALIVE_SECONDS),
               '--buffer-size', '32768']
        if processes > 1:
            cmd.append('--master')
        return cmd + mount_args('uwsgi', app, mounts)
    _, chdir, target = APPS[app]
    cmd = ['gunicorn', '-b', addr, '-w', str(processes), '--chdir', chdir,
           '--backlog', '1024', '--keep-alive', str(KEEPALIVE_SECONDS),
           '--log-level', 'warning']
    if server == 'gunicorn-gthread':
        cmd += ['-k', 'gthread', '--threads', str(threads)]
    else:
        cmd += ['-k', 'sync']
    return cmd + [target]


def start(server, scenario, args, logdir):
    _, app, mounts, _, _, _ = SCENARIOS[scenario]
    log = open(os.path.join(logdir, '%s.log' % server.replace('+', '-')), 'a')
    log.write('\n=== %s %s\n' % (scenario, time.strftime('%H:%M:%S')))
    log.flush()

    def spawn(cmd):
        return subprocess.Popen(cmd, stdout=log, stderr=log,
                                stdin=subprocess.DEVNULL,
                                start_new_session=True)
    port = free_port()
    procs = []
    try:
        if server == 'nginx-static' or server.endswith('+nginx'):
            dir = tempfile.mkdtemp(prefix='nginx-', dir=logdir)
            upstream = None
            if server.endswith('+nginx'):
                upstream = os.path.join(dir, 'app.sock')
                procs.append(spawn(app_server_cmd(
                    server.split('+')[0], app, mounts, upstream, 'uwsgi',
                    args.processes, args.threads)))
                deadline = time.time() + 60
                while not os.path.exists(upstream):
                    if procs[0].poll() is not None or time.time() > deadline:
                        raise RuntimeError('%s did not start; see %s'
                                           % (server, log.name))
                    time.sleep(0.02)
            workers = 1 if upstream else args.processes
            conf = nginx_conf(dir, port, workers, upstream)
            procs.append(spawn(['/usr/sbin/nginx', '-p', dir, '-c', conf,
                                '-e', os.path.join(dir, 'nginx-error.log')]))
        else:
            addr = '127.0.0.1:%d' % port
            procs.append(spawn(app_server_cmd(server, app, mounts, addr, 'http',
                                              args.processes, args.threads)))
        benchlib.wait_port(port, procs[-1])
        benchlib.wait_http('http://127.0.0.1:%d/' % port, procs[-1])
        if mounts > 1:
            benchlib.wait_http('http://127.0.0.1:%d/m%d/' % (port, mounts - 1),
                               procs[-1])
    except Exception as e:
        for p in procs:
            benchlib.stop(p, 9)
        raise RuntimeError('%s (%s): %s; log: %s' % (server, scenario, e, log.name))
    finally:
        log.close()
    return Running(procs, port)


def lua_script(kind, dir):
    if kind == 'rr':
        return benchlib.rr_script(
            dir, kind, ['/m%d/x' % i for i in range(1, 10)] + ['/x'])
    path = os.path.join(dir, '%s.lua' % kind)
    with open(path, 'w') as f:
        f.write('wrk.method = "POST"\nwrk.path = "/echo"\n'
                'wrk.body = string.rep("a", 65536)\n'
                'wrk.headers["Content-Type"] = "application/octet-stream"\n')
    return path


def wrk(port, duration, connections, target, scriptdir):
    cmd = ['wrk', '-t', '2', '-c', str(connections), '-d', '%ds' % duration,
           '--latency', '--timeout', '10s']
    path = '/'
    if target == 'close':
        cmd += ['-H', 'Connection: close']
    elif target in ('rr', 'post'):
        cmd += ['-s', lua_script(target, scriptdir)]
    else:
        path = target
    cmd.append('http://127.0.0.1:%d%s' % (port, path))
    try:
        done = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=duration + 5)
        out, err = done.stdout, done.stderr.strip()
    except subprocess.TimeoutExpired:
        out, err = '', 'wrk did not finish'
    res = benchlib.parse_wrk(out)
    if res['rps'] is None:
        # A server that cannot take wrk's connections at all (its listen
        # queue full of connections it does not serve) scores zero.
        return {'rps': 0.0, 'p50': float('nan'), 'p99': float('nan'),
                'non2xx': 0, 'errors': connections,
                'note': err.splitlines()[-1] if err else 'no result'}
    nan = float('nan')
    return {'rps': res['rps'],
            'p50': nan if res['p50'] is None else res['p50'],
            'p99': nan if res['p99'] is None else res['p99'],
            'non2xx': res['non2xx'], 'errors': res['errors']}


def hold_idle(port, count, seconds=10):
    """Opens count connections at once (non-blocking), sends a request on
    each and waits, up to seconds in all, for the answers. Returns the
    sockets, still open, and how many were answered with 200."""
    sel = selectors.DefaultSelector()
    socks = []
    for _ in range(count):
        s = socket.socket()
        s.setblocking(False)
        if s.connect_ex(('127.0.0.1', port)) not in (0, errno.EINPROGRESS):
            s.close()
            continue
        socks.append(s)
        sel.register(s, selectors.EVENT_WRITE, 'connect')
    deadline = time.time() + seconds
    answered = 0
    pending = len(socks)
    while pending and time.time() < deadline:
        for key, _ in sel.select(timeout=max(0.0, deadline - time.time())):
            s = key.fileobj
            try:
                if key.data == 'connect':
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                        s.send(b'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')
                        sel.modify(s, selectors.EVENT_READ, 'answer')
                        continue
                elif s.recv(4096).split(b' ', 2)[1:2] == [b'200']:
                    answered += 1
            except OSError:
                pass
            sel.unregister(s)
            pending -= 1
    sel.close()
    return socks, answered


class PeakRss:
    """Samples a server's RSS every 100 ms while a load runs."""

    def __init__(self, running):
        self.running, self.peak = running, running.rss_kb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, self.running.rss_kb())

    def finish(self):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.running.rss_kb())
        return self.peak / 1024


def measure(server, scenario, args, logdir):
    _, _, _, _, target, idle = SCENARIOS[scenario]
    running = start(server, scenario, args, logdir)
    try:
        peak = PeakRss(running)
        socks, answered = hold_idle(running.port, idle) if idle else ([], 0)
        res = wrk(running.port, args.duration, args.connections, target, logdir)
        res['rss_mb'] = peak.finish()
        if idle:
            res['idle_answered'] = answered
        for s in socks:
            s.close()
        return res
    finally:
        running.stop()


def median(results, key):
    vals = [r[key] for r in results if r[key] == r[key]]  # drop NaN
    return statistics.median(vals) if vals else float('nan')


def baseline_of(server):
    return 'uwsgi+nginx' if server.endswith('+nginx') else 'uwsgi'


def fmt_ms(v):
    return '%.2f ms' % v if v == v else '-'


def fmt_ratio(a, b):
    return '%.2fx' % (a / b) if b else 'n/a'


def summarize(results, scenarios, servers):
    """{scenario: {server: summary}} from the rounds."""
    table = {}
    for sc in scenarios:
        for sv in servers:
            rs = results.get(sc, {}).get(sv)
            if not rs:
                continue
            table.setdefault(sc, {})[sv] = {
                'rps': median(rs, 'rps'), 'p50': median(rs, 'p50'),
                'p99': median(rs, 'p99'),
                'rss_mb': max(r['rss_mb'] for r in rs),
                'errors': sum(r['errors'] + r['non2xx'] for r in rs),
                'idle_answered': min(r.get('idle_answered', 0) for r in rs),
                'notes': sorted({r['note'] for r in rs if r.get('note')}),
                'rounds': len(rs)}
    return table


def headline(table):
    """The figures the project promises, computed from this run."""
    rows = []

    def get(sc, sv):
        return table.get(sc, {}).get(sv, {}).get('rps')
    pairs = [('hello throughput, subhost / uWSGI', 'hello', 'subhost', 'hello', 'uwsgi', 1.5),
             ('hello behind nginx, subhost / uWSGI', 'hello', 'subhost+nginx', 'hello', 'uwsgi+nginx', None),
             ('10 mounts / 1 mount, subhost', 'mounts10', 'subhost', 'mounts1', 'subhost', 0.95),
             ('10 mounts / 1 mount, uWSGI', 'mounts10', 'uwsgi', 'mounts1', 'uwsgi', None),
             ('hello with 2,000 idle connections / without, subhost', 'idle', 'subhost', 'hello', 'subhost', 0.95),
             ('hello with 2,000 idle connections / without, uWSGI', 'idle', 'uwsgi', 'hello', 'uwsgi', None),
             ('hello with 2,000 idle connections / without, nginx fixed body '
              '(what the machine loses)', 'idle', 'nginx-static', 'hello',
              'nginx-static', None),
             ('hello, subhost / nginx fixed body (the ceiling)', 'hello', 'subhost', 'hello', 'nginx-static', None)]
    # subhost against its base build, scenario by scenario.
    pairs += [('%s, subhost / %s' % (sc, BASE), sc, 'subhost', sc, BASE, 0.97)
              for sc in SCENARIOS]
    for label, sa, a, sb, b, goal in pairs:
        va, vb = get(sa, a), get(sb, b)
        if va is None or vb is None:
            continue
        ratio = va / vb if vb else float('nan')
        verdict = ''
        if goal is not None:
            verdict = ('meets the goal (>= %.2fx)' if ratio >= goal
                       else 'misses the goal (>= %.2fx)') % goal
        rows.append((label, '%.0f / %.0f req/s' % (va, vb), '**%.2fx**' % ratio,
                     verdict))
    return rows


def behind(table):
    """Every scenario where a peer app server beats subhost (req/s, p99,
    peak RSS), with the margin."""
    lines = []
    for sc, row in table.items():
        for sv, s in row.items():
            if sv == 'nginx-static' or sv.startswith('subhost'):
                continue
            mine = row.get('subhost+nginx' if sv.endswith('+nginx') else 'subhost')
            if not mine:
                continue
            who = 'subhost+nginx' if sv.endswith('+nginx') else 'subhost'
            if s['rps'] > mine['rps']:
                lines.append('- %s: %s serves %.0f req/s, %s %.0f (%.1f%% fewer)'
                             % (sc, sv, s['rps'], who, mine['rps'],
                                100 * (1 - mine['rps'] / s['rps'])))
            if mine['p99'] > 1.25 * s['p99'] and mine['p99'] - s['p99'] > 1:
                lines.append('- %s: p99 latency %s %.1f ms against %s %.1f ms'
                             % (sc, who, mine['p99'], sv, s['p99']))
            if mine['rss_mb'] > 1.10 * s['rss_mb']:
                lines.append('- %s: peak RSS %s %.1f MB against %s %.1f MB (+%.0f%%)'
                             % (sc, who, mine['rss_mb'], sv, s['rss_mb'],
                                100 * (mine['rss_mb'] / s['rss_mb'] - 1)))
    return lines


def report(table, args, command, out):
    md = [benchlib.header_md('Load comparison', command)]
    md.append('%d processes x %d threads each (gunicorn sync: %d processes, '
              'one request at a time; nginx in front of an app server: 1 '
              'worker; nginx-static: %d workers); wrk -t2 -c%d, %d round(s) '
              'of %d s, interleaved; median req/s and latency, highest RSS '
              '(all processes of the server, nginx included where it is part '
              'of it). "vs uWSGI" is against uWSGI on the same path: direct, '
              'or behind the same nginx.\n'
              % (args.processes, args.threads, args.processes, args.processes,
                 args.connections, args.rounds, args.duration))
    head = headline(table)
    if head:
        md.append('## Headline\n')
        md.append(benchlib.md_table(['figure', 'req/s', 'ratio', 'goal'], head))
        md.append('')
    for sc, row in table.items():
        md.append('## %s: %s\n' % (sc, SCENARIOS[sc][0]))
        rows = []
        for sv, s in row.items():
            base = row.get(baseline_of(sv), {}).get('rps') if sv != 'nginx-static' \
                else row.get('uwsgi', {}).get('rps')
            extra = ''
            if SCENARIOS[sc][5]:
                extra = ' (%d idle answered)' % s['idle_answered']
            if s['notes']:
                extra += ' ' + '; '.join(s['notes'])
            rows.append((sv, '%.0f' % s['rps'], fmt_ratio(s['rps'], base or 0),
                         fmt_ms(s['p50']), fmt_ms(s['p99']),
                         '%.1f MB' % s['rss_mb'], '%d%s' % (s['errors'], extra)))
        md.append(benchlib.md_table(['server', 'req/s', 'vs uWSGI', 'p50', 'p99',
                                     'peak RSS', 'errors'], rows))
        md.append('')
    lines = behind(table)
    md.append('## Where subhost is behind\n')
    md.append('\n'.join(lines) if lines else 'Nowhere in this run.')
    md.append('')
    groups = list(table)
    series = [s for s in ALL_SERVERS if any(s in table[g] for g in groups)]
    values = {}
    for g in groups:
        for s in series:
            if s in table[g]:
                base = table[g].get(baseline_of(s) if s != 'nginx-static' else 'uwsgi',
                                    {}).get('rps')
                if base:
                    values[(g, s)] = table[g][s]['rps'] / base
    if benchlib.bar_chart(os.path.join(out, 'load.png'),
                          'Requests/s relative to uWSGI (same path), %d x %d'
                          % (args.processes, args.threads),
                          groups, series, values, 'x uWSGI', baseline=1.0,
                          log=True):
        md.append('![requests/s relative to uWSGI](load.png)\n')
    text = '\n'.join(md)
    with open(os.path.join(out, 'load.md'), 'w') as f:
        f.write(text)
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--quick', action='store_true',
                    help='1 round of 1 s per scenario and server (< 3 minutes)')
    ap.add_argument('--rounds', type=int)
    ap.add_argument('--duration', type=int, help='seconds of wrk per run')
    ap.add_argument('--scenarios', default=','.join(SCENARIOS))
    ap.add_argument('--servers', default=','.join(ALL_SERVERS))
    ap.add_argument('--processes', type=int, default=2)
    ap.add_argument('--threads', type=int, default=4)
    ap.add_argument('--connections', type=int, default=64)
    ap.add_argument('--out', help='output folder (default: a new one under '
                                  'benchmarks/results/)')
    args = ap.parse_args()
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.duration = args.duration or (1 if args.quick else 5)
    scenarios = args.scenarios.split(',')
    servers = args.servers.split(',')
    for name in scenarios:
        if name not in SCENARIOS:
            ap.error('unknown scenario %r (known: %s)' % (name, ', '.join(SCENARIOS)))
    if BASE in servers and not os.access(
            os.environ.get('SUBHOST_BASE_BIN', ''), os.X_OK):
        ap.error('%s needs SUBHOST_BASE_BIN: the subhost binary to compare '
                 'against' % BASE)
    for name in servers:
        if name not in ALL_SERVERS + [BASE]:
            ap.error('unknown server %r (known: %s)' % (name, ', '.join(ALL_SERVERS)))
    if not os.access(benchlib.subhost_bin(), os.X_OK):
        ap.error('no subhost binary at %s: build first (tests/run_all.sh or '
                 'cmake), or set SUBHOST_BIN' % benchlib.subhost_bin())
    benchlib.ensure_peers()
    benchlib.raise_fd_limit()
    out = args.out or benchlib.run_dir('load')
    os.makedirs(out, exist_ok=True)
    logdir = tempfile.mkdtemp(prefix='subhost-load-')
    command = ' '.join(['benchmarks/load/compare.py'] + sys.argv[1:])
    results = {}
    started = time.time()
    for sc in scenarios:
        for r in range(args.rounds):
            for sv in servers:
                runs_in = SCENARIOS[sc][3]
                if sv not in runs_in and not (sv == BASE and 'subhost' in runs_in):
                    continue
                try:
                    res = measure(sv, sc, args, logdir)
                except RuntimeError as e:
                    print('FAILED %s' % e, file=sys.stderr, flush=True)
                    continue
                results.setdefault(sc, {}).setdefault(sv, []).append(res)
                print('%-9s round %d %-16s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms'
                      '  rss %6.1f MB  errors %d%s'
                      % (sc, r + 1, sv, res['rps'], res['p50'], res['p99'],
                         res['rss_mb'], res['errors'] + res['non2xx'],
                         ('  idle answered %d' % res['idle_answered']
                          if 'idle_answered' in res else '') +
                         ('  ' + res['note'] if res.get('note') else '')),
                      flush=True)
    with open(os.path.join(out, 'load.json'), 'w') as f:
        json.dump({'args': vars(args), 'results': results}, f, indent=1)
    table = summarize(results, scenarios, servers)
    text = report(table, args, command, out)
    print('\n' + text)
    print('\nwritten to %s in %.0f s; server logs in %s'
          % (out, time.time() - started, logdir))
    return 0


if __name__ == '__main__':
    sys.exit(main())
