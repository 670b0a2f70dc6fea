#!/usr/bin/python3.11
"""The isolation report: what one interpreter per mount costs, subhost
against uWSGI with the same mounts.

  cost        N = 1, 10, 50 mounts of the bare hello app and of the Flask
              sample, one process, 1 thread: seconds from process start until
              every mount answers 200, and RSS once they all have. Per
              interpreter = (X(N) - X(1)) / (N - 1).
  throughput  wrk against N hello mounts hit round-robin, against the same
              path mix sent to one mount at /; one process, 4 threads.
  own-GIL     CPython 3.13 build only: a CPU-bound app on 2 mounts, 2
              threads, with and without --own-gil.

Servers run one after the other (subhost, uWSGI, subhost, uWSGI, ...) in
--rounds rounds; tables show medians.

  benchmarks/isolation/isolation.py [--quick] [--rounds 3] [--duration 5]
                                    [--mounts 10,50] [--out DIR]
                                    [--sections cost,throughput,owngil]

--quick is 1 round of 2 s wrk runs (about a minute); the default, 3 rounds of
5 s runs, takes about 5 minutes on 2 cores.

Writes isolation.md and isolation*.png into --out (default a new folder
under benchmarks/results/) and prints the Markdown.
"""
import argparse
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'benchmarks', 'lib'))
import benchlib  # noqa: E402

HELLO = os.path.join(ROOT, 'samples', 'hello.py')
FLASK = os.path.join(ROOT, 'samples', 'flask_app', 'app.py')
CPU_APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cpu_app.py')

SERVERS = ('subhost', 'uwsgi')
NAME = {'subhost': 'subhost', 'uwsgi': 'uWSGI'}
APPS = (('hello', HELLO), ('Flask', FLASK))
PACKAGES = ['wrk', 'uwsgi-core', 'uwsgi-plugin-python3', 'python3-flask',
            'python3-matplotlib']


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    """A server or wrk failed; the message names the server and its log."""
    short = None


class Server:
    """One server process in its own session, with its output in a log."""

    def __init__(self, kind, mounts, threads, log_path, binary=None,
                 extra=(), label=None):
        self.kind = kind
        self.mounts = mounts          # [(prefix, file)]
        self.log_path = log_path
        self.label = label or NAME[kind]
        self.proc = None
        self.logf = None
        self.t0 = None
        self.exit_code = None
        if kind == 'subhost':
            self.cmd = [binary or benchlib.subhost_bin(), '--http-socket',
                        None, '--threads', str(threads), '--disable-logging',
                        '--listen', '1024']
        else:
            self.cmd = ['uwsgi', '--plugin', 'python3', '--http11-socket',
                        None, '--threads', str(threads), '--disable-logging',
                        '--listen', '1024', '--manage-script-name']
        self.cmd += list(extra)
        for prefix, target in mounts:
            self.cmd += ['--mount', '%s=%s' % (prefix, target)]

    def fail(self, what):
        """A BenchError naming the server, what went wrong and the log; its
        str() adds the last lines the server wrote."""
        n = len(self.mounts)
        short = '%s with %d mount%s: %s; log: %s' % (
            self.label, n, '' if n == 1 else 's', what, self.log_path)
        tail = []
        try:
            with open(self.log_path, errors='replace') as f:
                tail = [ln.rstrip() for ln in f.readlines()[1:]][-5:]
        except OSError:
            pass
        err = BenchError(short + ''.join('\n    | ' + ln for ln in tail))
        err.short = short
        return err

    def start(self):
        self.port = benchlib.free_port()
        self.cmd[self.cmd.index(None)] = '127.0.0.1:%d' % self.port
        self.logf = open(self.log_path, 'w')
        self.logf.write('$ %s\n' % shlex.join(self.cmd))
        self.logf.flush()
        self.t0 = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                self.cmd, stdout=self.logf, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, cwd=os.path.dirname(self.log_path),
                start_new_session=True)
        except OSError as e:
            raise self.fail('could not start (%s)' % e)
        return self

    def url(self, path):
        return 'http://127.0.0.1:%d%s' % (self.port, path)

    def wait_ready(self, paths, seconds=180):
        """Waits until every path answers 200; returns the seconds since
        the process was started."""
        deadline = time.monotonic() + seconds
        for path in paths:
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise RuntimeError('timed out after %d s' % seconds)
                benchlib.wait_http(self.url(path), self.proc, left)
            except RuntimeError as e:
                if self.proc.poll() is not None:
                    raise self.fail('exited with status %s before %s answered'
                                    % (self.proc.returncode, path))
                raise self.fail('%s did not answer 200 (%s)' % (path, e))
        return time.monotonic() - self.t0

    def check_alive(self):
        if self.proc.poll() is not None:
            raise self.fail('exited during the run (status %s)'
                            % self.proc.returncode)

    def stop(self):
        if self.proc is not None:
            benchlib.stop(self.proc, signal.SIGINT, seconds=30)
            self.exit_code = self.proc.returncode
        if self.logf is not None:
            self.logf.close()
            self.logf = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def loadavg():
    try:
        with open('/proc/loadavg') as f:
            return f.read().split()[0]
    except OSError:
        return '?'


class Run:
    """Collects samples, failures and stop statuses of the whole run."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.samples = {}        # key -> [value]
        self.failures = []       # messages
        self.stops = []          # (label, exit code, fatal line or '')
        self.wrk_errors = []     # messages
        self.load = (loadavg(),)

    def fail(self, err):
        self.failures.append(err.short or str(err))
        log('error: %s' % err)

    def add(self, key, value):
        self.samples.setdefault(key, []).append(value)

    def median(self, key):
        vals = self.samples.get(key)
        return statistics.median(vals) if vals else None

    def log_path(self, name):
        return os.path.join(self.logdir, name + '.log')

    def note_stop(self, server):
        fatal = ''
        try:
            with open(server.log_path, errors='replace') as f:
                for line in f:
                    if 'Fatal Python error' in line or 'Segmentation' in line:
                        fatal = line.strip()
                        break
        except OSError:
            pass
        self.stops.append((server.label, server.exit_code, fatal,
                           server.log_path))


def wrk(server, duration, connections, script):
    cmd = ['wrk', '-t2', '-c%d' % connections, '-d%ds' % duration,
           '--latency', '-s', script, server.url('/')]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=duration + 60)
    except subprocess.TimeoutExpired:
        raise server.fail('wrk did not finish')
    res = benchlib.parse_wrk(r.stdout)
    if r.returncode != 0 or res['rps'] is None:
        raise server.fail('wrk failed (status %d): %s'
                          % (r.returncode, (r.stderr or r.stdout).strip()[:300]))
    server.check_alive()
    return res


def record_wrk(run, key, server, res, what):
    """Keeps a wrk result; non-2xx answers and socket errors go to the
    notes with what was measured."""
    run.add(key, res)
    errors = [m.group(0) for m in re.finditer(
        r'(connect|read|write|timeout) [1-9]\d*', res['socket_errors'])]
    if res['non2xx']:
        errors.insert(0, '%d non-2xx responses' % res['non2xx'])
    if errors:
        run.wrk_errors.append('%s, %s: %s'
                              % (server.label, what, ', '.join(errors)))


# ---- measurements ---------------------------------------------------------

def measure_cost(run, rounds, counts):
    for r in range(rounds):
        for app, target in APPS:
            for n in counts:
                for kind in SERVERS:
                    mounts = [('/m%d' % i, target) for i in range(n)]
                    srv = Server(kind, mounts, 1, run.log_path(
                        'cost-%s-%s-%d-r%d' % (kind, app.lower(), n, r + 1)))
                    try:
                        with srv:
                            t = srv.wait_ready([p + '/' for p, _ in mounts])
                            rss = benchlib.rss_kb(srv.proc.pid)
                            srv.check_alive()
                        run.note_stop(srv)
                    except BenchError as e:
                        run.fail(e)
                        continue
                    run.add(('cost', kind, app, n, 'time'), t)
                    run.add(('cost', kind, app, n, 'rss'), rss)
                    log('round %d cost %-7s %-5s %2d mounts  %6.2f s  %7.1f MB'
                        % (r + 1, NAME[kind], app, n, t, rss / 1024))


def measure_throughput(run, rounds, counts, duration, connections):
    for r in range(rounds):
        for n in counts:
            paths = ['/m%d/x' % i for i in range(n)]
            script = benchlib.rr_script(run.logdir, 'paths-%d' % n, paths)
            # Which layout goes first alternates by round, so drift over
            # the run does not always favour the same one.
            layouts = ('mounts', 'single') if r % 2 == 0 else ('single', 'mounts')
            for layout in layouts:
                for kind in SERVERS:
                    if layout == 'mounts':
                        mounts = [('/m%d' % i, HELLO) for i in range(n)]
                    else:
                        mounts = [('/', HELLO)]
                    srv = Server(kind, mounts, 4, run.log_path(
                        'tput-%s-%d-%s-r%d' % (kind, n, layout, r + 1)))
                    try:
                        with srv:
                            srv.wait_ready(paths)
                            res = wrk(srv, duration, connections, script)
                        run.note_stop(srv)
                    except BenchError as e:
                        run.fail(e)
                        continue
                    record_wrk(run, ('tput', kind, n, layout), srv, res,
                               '%d paths to %s, round %d'
                               % (n, '%d mounts' % n if layout == 'mounts'
                                  else 'one mount', r + 1))
                    run.add(('tput-round', kind, n, layout, r), res['rps'])
                    log('round %d tput %-7s %2d paths, %-6s %9.0f req/s  '
                        'p99 %.2f ms' % (r + 1, NAME[kind], n, layout,
                                         res['rps'], res['p99'] or 0))


def measure_own_gil(run, rounds, duration, connections, binary):
    mounts = [('/m0', CPU_APP), ('/m1', CPU_APP)]
    script = benchlib.rr_script(run.logdir, 'paths-cpu', ['/m0/', '/m1/'])
    for r in range(rounds):
        for own in (False, True):
            mode = 'own-gil' if own else 'shared-gil'
            srv = Server('subhost', mounts, 2, run.log_path(
                'gil-%s-r%d' % (mode, r + 1)), binary=binary,
                extra=['--own-gil'] if own else [],
                label='subhost (CPython 3.13, %s)' % mode)
            try:
                with srv:
                    srv.wait_ready(['/m0/', '/m1/'])
                    cpu0, t0 = cpu_seconds(srv.proc.pid), time.monotonic()
                    res = wrk(srv, duration, connections, script)
                    res['cores'] = ((cpu_seconds(srv.proc.pid) - cpu0)
                                    / (time.monotonic() - t0))
                run.note_stop(srv)
            except BenchError as e:
                run.fail(e)
                continue
            record_wrk(run, ('gil', mode), srv, res, 'round %d' % (r + 1))
            log('round %d own-GIL %-10s %7.0f req/s  p50 %.2f ms  %.2f cores'
                % (r + 1, mode, res['rps'], res['p50'] or 0, res['cores']))
        ceiling = parallel_ceiling(min(duration, 3))
        run.add(('gil', 'ceiling'), ceiling)
        log('round %d two processes vs one: %.2fx' % (r + 1, ceiling))


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def _spin(seconds, out):
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.dirname(CPU_APP))
    import cpu_app
    n, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        cpu_app.work(cpu_app.ROUNDS)
        n += 1
    out.put(n)


def parallel_ceiling(seconds):
    """How much two processes running the cpu_app loop get done, relative
    to one: the most any two-way parallelism can reach on this machine."""
    import multiprocessing
    ctx = multiprocessing.get_context('fork')
    counts = []
    for width in (1, 2):
        q = ctx.Queue()
        procs = [ctx.Process(target=_spin, args=(seconds, q))
                 for _ in range(width)]
        for p in procs:
            p.start()
        counts.append(sum(q.get() for _ in procs))
        for p in procs:
            p.join()
    return counts[1] / counts[0] if counts[0] else 0.0


def single_request_ms(binary, logdir):
    """Service time of one cpu_app request, for the record."""
    srv = Server('subhost', [('/m0', CPU_APP)], 1,
                 os.path.join(logdir, 'gil-probe.log'), binary=binary,
                 label='subhost (CPython 3.13, probe)')
    with srv:
        srv.wait_ready(['/m0/'])
        times = []
        for _ in range(20):
            t = time.perf_counter()
            urllib.request.urlopen(srv.url('/m0/'), timeout=30).read()
            times.append((time.perf_counter() - t) * 1000)
    return min(times)


# ---- report ---------------------------------------------------------------

def fmt(v, spec='%.1f', none='—'):
    return none if v is None else spec % v


def per_interp(x1, xn, n):
    if x1 is None or xn is None or n <= 1:
        return None
    return (xn - x1) / (n - 1)


def ratio(a, b):
    return a / b if a is not None and b is not None and a > 0 and b > 0 else None


def groups(chart):
    return list(dict.fromkeys(g for g, _ in chart))


def verdict(sub, uw, what, lower_is_better):
    """'subhost is ahead of uWSGI by 12% (...)' from the two numbers."""
    if sub is None or uw is None:
        return 'no comparison for %s (a measurement failed)' % what
    if sub <= 0 or uw <= 0:
        return ('on %s no ratio can be given (subhost %.3g, uWSGI %.3g: '
                'within noise)' % (what, sub, uw))
    ratio = sub / uw
    better = ratio < 1 if lower_is_better else ratio > 1
    diff = abs(ratio - 1) * 100
    if diff < 2:
        return ('on %s subhost and uWSGI are level (%.2f× uWSGI)'
                % (what, ratio))
    if lower_is_better:
        how = '%.0f%% %s' % (diff, 'less' if ratio < 1 else 'more')
    else:
        how = '%.0f%% %s' % (diff, 'more' if ratio > 1 else 'less')
    return ('on %s subhost is %s uWSGI: %s (%.2f× uWSGI)'
            % (what, 'ahead of' if better else 'behind', how, ratio))


def cost_phrase(t, m):
    if t is None or m is None:
        return 'no figure (a measurement failed)'
    return '%.1f ms and %.2f MB per interpreter' % (t * 1000, m / 1024)


def cost_section(run, counts, rounds):
    out = ['## 1. Cost per interpreter', '',
           'One process, no master, 1 thread, N mounts `/m0`..`/m{N-1}` of the '
           'same app. *Start-up*: seconds from process start until every '
           'mount has answered 200; *RSS*: resident memory of the process '
           'once they all have. *Per interpreter* = (X(N) − X(1)) / (N − 1). '
           'Median of %d round(s), subhost and uWSGI interleaved.' % rounds,
           '',
           'Note: uWSGI runs its first mount in the main interpreter and each '
           'further one in a sub-interpreter; subhost gives every mount a '
           'sub-interpreter. Both add N − 1 interpreters from N = 1 to N, so '
           'the per-interpreter figures compare like with like.', '']
    rows = []
    for app, _ in APPS:
        for kind in SERVERS:
            row = [app, NAME[kind]]
            for n in counts:
                t = run.median(('cost', kind, app, n, 'time'))
                m = run.median(('cost', kind, app, n, 'rss'))
                row += [fmt(t, '%.2f s'), fmt(m and m / 1024, '%.1f MB')]
            rows.append(row)
    header = ['app', 'server']
    for n in counts:
        header += ['start-up N=%d' % n, 'RSS N=%d' % n]
    out += ['### Totals', '', benchlib.md_table(header, rows), '']

    rows = []
    chart_rss, chart_time, sentences = {}, {}, []
    for app, _ in APPS:
        for n in counts[1:]:
            vals = {}
            for kind in SERVERS:
                t = per_interp(run.median(('cost', kind, app, 1, 'time')),
                               run.median(('cost', kind, app, n, 'time')), n)
                m = per_interp(run.median(('cost', kind, app, 1, 'rss')),
                               run.median(('cost', kind, app, n, 'rss')), n)
                vals[kind] = (t, m)
                if t is not None:
                    chart_time[('%s, N=%d' % (app, n), NAME[kind])] = t * 1000
                if m is not None:
                    chart_rss[('%s, N=%d' % (app, n), NAME[kind])] = m / 1024
            (st, sm), (ut, um) = vals['subhost'], vals['uwsgi']
            rows.append([app, n, fmt(st and st * 1000, '%.1f ms'),
                         fmt(ut and ut * 1000, '%.1f ms'),
                         fmt(sm and sm / 1024, '%.2f MB'),
                         fmt(um and um / 1024, '%.2f MB'),
                         fmt(ratio(st, ut), '%.2f×'), fmt(ratio(sm, um), '%.2f×')])
            sentences.append(
                '- %s, N=%d: subhost %s, uWSGI %s; %s; %s.'
                % (app, n, cost_phrase(st, sm), cost_phrase(ut, um),
                   verdict(st, ut, 'start-up time per interpreter', True),
                   verdict(sm, um, 'memory per interpreter', True)))
    out += ['### Per interpreter', '',
            benchlib.md_table(['app', 'N', 'subhost time', 'uWSGI time',
                               'subhost RSS', 'uWSGI RSS',
                               'time subhost/uWSGI', 'RSS subhost/uWSGI'],
                              rows), ''] + sentences + ['']
    return out, chart_rss, chart_time


def tput_section(run, counts, rounds, duration, connections):
    out = ['## 2. Throughput with N mounts versus 1', '',
           'One process, 4 threads, hello app. `wrk -t2 -c%d -d%ds --latency` '
           'with a Lua script sending `/m0/x`, `/m1/x`, … `/m{N-1}/x` '
           'round-robin: once to N mounts `/m0`..`/m{N-1}`, once to a single '
           'mount at `/` (hello answers any path), so both see the same '
           'requests. req/s and latency: median of %d round(s). *N / 1*: the '
           'ratio of the two runs of the same round, median over the rounds '
           '(range in brackets), which cancels most of the drift between '
           'rounds.' % (connections, duration, rounds), '']
    rows, sentences, chart = [], [], {}

    def med(key, field):
        vals = run.samples.get(key, [])
        return statistics.median(x[field] or 0 for x in vals) if vals else None

    for n in counts:
        ratios = {}
        for kind in SERVERS:
            mm = med(('tput', kind, n, 'mounts'), 'rps')
            ms = med(('tput', kind, n, 'single'), 'rps')
            paired = [ratio(run.samples.get(('tput-round', kind, n, 'mounts', r),
                                            [None])[0],
                            run.samples.get(('tput-round', kind, n, 'single', r),
                                            [None])[0])
                      for r in range(rounds)]
            paired = [x for x in paired if x is not None]
            rel = statistics.median(paired) if paired else None
            ratios[kind] = (mm, rel)
            if rel is not None:
                chart[('%d mounts / 1' % n, NAME[kind])] = rel
            spread = (' (%.2f–%.2f)' % (min(paired), max(paired))
                      if len(paired) > 1 else '')
            rows.append([n, NAME[kind], fmt(ms, '%.0f'),
                         fmt(med(('tput', kind, n, 'single'), 'p99'), '%.2f ms'),
                         fmt(mm, '%.0f'),
                         fmt(med(('tput', kind, n, 'mounts'), 'p99'), '%.2f ms'),
                         fmt(rel, '%.3f') + (spread if rel is not None else '')])
        (sm, sr), (um, ur) = ratios['subhost'], ratios['uwsgi']
        sentences.append(
            '- N=%d: with N mounts subhost keeps %s of its single-mount rate '
            'and uWSGI %s; %s; %s.'
            % (n, fmt(sr and sr * 100, '%.1f%%'), fmt(ur and ur * 100, '%.1f%%'),
               verdict(sr, ur, 'the N-mounts/1-mount ratio', False),
               verdict(sm, um, 'absolute throughput with %d mounts' % n, False)))
    out += [benchlib.md_table(['N', 'server', '1 mount req/s', '1 mount p99',
                               'N mounts req/s', 'N mounts p99', 'N / 1'],
                              rows), ''] + sentences + ['']
    return out, chart


def gil_section(run, binary, rounds, duration, connections, probe_ms):
    out = ['## 3. Own-GIL speed-up (CPython 3.13)', '']
    cores = os.cpu_count() or 1
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cores
    if binary is None:
        out += ['Skipped: `%s` does not exist, so there is no CPython 3.13 '
                'build to run `--own-gil` with.'
                % os.path.relpath(benchlib.subhost_bin('python3.13'), ROOT), '']
        return out, {}
    ideal = min(2, usable)
    version = subprocess.run([binary, '--version'], capture_output=True,
                             text=True).stdout.strip()
    out += ['%s. `benchmarks/isolation/cpu_app.py` (a pure-Python loop, '
            '%s per request alone) on 2 mounts, one process, 2 threads; '
            '`wrk -t2 -c%d -d%ds` alternating `/m0/` and `/m1/`; the same '
            'binary with and without `--own-gil`, interleaved, median of %d '
            'round(s). uWSGI 2.0 has no per-interpreter GIL, so there is no '
            'uWSGI column.' % (version, fmt(probe_ms, '%.1f ms', '?'),
                               connections, duration, rounds), '']
    shared = run.samples.get(('gil', 'shared-gil'), [])
    own = run.samples.get(('gil', 'own-gil'), [])
    rs = statistics.median(x['rps'] for x in shared) if shared else None
    ro = statistics.median(x['rps'] for x in own) if own else None
    ps = statistics.median(x['p50'] or 0 for x in shared) if shared else None
    po = statistics.median(x['p50'] or 0 for x in own) if own else None
    cs = statistics.median(x['cores'] for x in shared) if shared else None
    co = statistics.median(x['cores'] for x in own) if own else None
    ceiling = run.median(('gil', 'ceiling'))
    speed = ratio(ro, rs)
    out += [benchlib.md_table(
        ['mode', 'req/s', 'p50', 'CPU used by subhost', 'speed-up',
         'cores (usable)', 'ideal'],
        [['shared GIL', fmt(rs, '%.0f'), fmt(ps, '%.2f ms'),
          fmt(cs, '%.2f cores'), '1.00×', '%d (%d)' % (cores, usable),
          '%d×' % ideal],
         ['`--own-gil`', fmt(ro, '%.0f'), fmt(po, '%.2f ms'),
          fmt(co, '%.2f cores'), fmt(speed, '%.2f×'),
          '%d (%d)' % (cores, usable), '%d×' % ideal]]),
        '']
    if speed is None:
        out.append('No speed-up figure: a measurement failed (see Failures).')
    else:
        out.append('With `--own-gil` the two mounts serve %.0f req/s against '
                   '%.0f with one shared GIL: a %.2f× speed-up on %d usable '
                   'cores, %.0f%% of the ideal %d× (wrk runs on the same '
                   'cores).' % (ro, rs, speed, usable, speed / ideal * 100,
                                ideal))
    if ceiling:
        out.append('For scale: two processes running the same loop side by '
                   'side get %.2f× the work of one done on this machine '
                   '(median of %d), so `--own-gil` reached %s of what two '
                   'cores deliver here.'
                   % (ceiling, len(run.samples[('gil', 'ceiling')]),
                      fmt(speed and speed / ceiling * 100, '%.0f%%')))
        if ceiling < 0.8 * ideal:
            out.append('That is well short of %d×: other work was running on '
                       'the machine, so treat the speed-up as a lower bound.'
                       % ideal)
    out.append('')
    chart = {}
    if rs is not None:
        chart[('2 mounts, 2 threads', 'shared GIL')] = rs
    if ro is not None:
        chart[('2 mounts, 2 threads', 'own GIL')] = ro
    return out, chart


def notes_section(run, elapsed):
    out = ['## Notes', '']
    abnormal = {}
    for label, code, fatal, path in run.stops:
        # uWSGI ends with status 30 when it shuts down normally.
        clean = (0, -signal.SIGINT, 30) if label == 'uWSGI' else (0, -signal.SIGINT)
        if code not in clean:
            abnormal.setdefault((label, code, fatal), []).append(path)
    total = {}
    for label, *_ in run.stops:
        total[label] = total.get(label, 0) + 1
    for (label, code, fatal), paths in sorted(abnormal.items(),
                                              key=lambda kv: str(kv[0])):
        what = ('signal %d (%s)' % (-code, signal.Signals(-code).name)
                if code is not None and code < 0 else 'status %s' % code)
        out.append('- %s exited with %s on SIGINT in %d of %d runs%s (e.g. %s).'
                   % (label, what, len(paths), total[label],
                      ': `%s`' % fatal if fatal else '', paths[0]))
    if not abnormal:
        out.append('- Every server exited cleanly on SIGINT.')
    for msg in run.wrk_errors:
        out.append('- wrk: %s.' % msg)
    out.append('- Load average (1 min) at the start and the end of the run: '
               '%s and %s on %d cores; other work on the machine skews the '
               'numbers.' % (run.load[0], loadavg(), os.cpu_count() or 1))
    out.append('- Logs: `%s`.' % run.logdir)
    out.append('- The run took %.0f s.' % elapsed)
    out.append('')
    if run.failures:
        out += ['## Failures', '']
        out += ['- ' + f for f in run.failures]
        out.append('')
    return out


def main():
    ap = argparse.ArgumentParser(
        description='Interpreter isolation: subhost against uWSGI.')
    ap.add_argument('--quick', action='store_true',
                    help='1 round, 2 s wrk runs (about a minute)')
    ap.add_argument('--rounds', type=int, help='default 3 (quick: 1)')
    ap.add_argument('--duration', type=int,
                    help='seconds per wrk run; default 5 (quick: 2)')
    ap.add_argument('--connections', type=int, default=64,
                    help='wrk connections for the throughput part')
    ap.add_argument('--gil-connections', type=int, default=16,
                    help='wrk connections for the own-GIL part')
    ap.add_argument('--mounts', default='10,50',
                    help='mount counts N besides 1 (comma-separated)')
    ap.add_argument('--sections', default='cost,throughput,owngil',
                    help='which parts to run (comma-separated subset of '
                         'cost,throughput,owngil)')
    ap.add_argument('--out', help='output folder (default a new one under '
                                  'benchmarks/results/)')
    args = ap.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)
    duration = args.duration or (2 if args.quick else 5)
    gil_duration = max(duration, 3)
    counts = sorted({int(x) for x in args.mounts.split(',') if x.strip()} - {1})
    if not counts or min(counts) < 2 or rounds < 1 or duration < 1:
        ap.error('--mounts needs counts >= 2; --rounds, --duration >= 1')
    sections = set(args.sections.split(','))
    if not sections or sections - {'cost', 'throughput', 'owngil'}:
        ap.error('--sections: a subset of cost,throughput,owngil')

    started = time.monotonic()
    benchlib.raise_fd_limit()
    benchlib.ensure_peers(PACKAGES)
    if not os.access(benchlib.subhost_bin(), os.X_OK):
        sys.exit('error: no subhost binary at %s (build it first)'
                 % benchlib.subhost_bin())
    gil_bin = benchlib.subhost_bin('python3.13')
    if not os.access(gil_bin, os.X_OK):
        gil_bin = None
    out_dir = args.out or benchlib.run_dir('isolation')
    os.makedirs(out_dir, exist_ok=True)
    run = Run(tempfile.mkdtemp(prefix='subhost-isolation-'))
    log('logs in %s' % run.logdir)

    if 'cost' in sections:
        measure_cost(run, rounds, [1] + counts)
    if 'throughput' in sections:
        measure_throughput(run, rounds, counts, duration, args.connections)
    probe = None
    if gil_bin and 'owngil' in sections:
        try:
            probe = single_request_ms(gil_bin, run.logdir)
        except BenchError as e:
            run.fail(e)
        except OSError as e:
            run.fail(BenchError('subhost (CPython 3.13, probe): request '
                                'failed (%s); logs in %s' % (e, run.logdir)))
        measure_own_gil(run, rounds, gil_duration, args.gil_connections,
                        gil_bin)

    command = shlex.join([os.path.relpath(sys.argv[0], ROOT)
                          if os.path.abspath(sys.argv[0]).startswith(ROOT)
                          else sys.argv[0]] + sys.argv[1:])
    md = [benchlib.header_md('Isolation report: subhost vs uWSGI', command)]
    sec1, chart_rss, chart_time = cost_section(run, [1] + counts, rounds)
    sec2, chart_tput = tput_section(run, counts, rounds, duration,
                                    args.connections)
    sec3, chart_gil = gil_section(run, gil_bin, rounds, gil_duration,
                                  args.gil_connections, probe)

    charts = []
    series = [NAME[k] for k in SERVERS]
    if chart_rss and benchlib.bar_chart(
            os.path.join(out_dir, 'isolation.png'),
            'RSS per extra interpreter, (RSS(N) − RSS(1)) / (N − 1)',
            groups(chart_rss), series, chart_rss,
            'MB per interpreter'):
        charts.append(('isolation.png', 'RSS per interpreter'))
    if chart_time and benchlib.bar_chart(
            os.path.join(out_dir, 'isolation-startup.png'),
            'Start-up time per extra interpreter',
            groups(chart_time), series, chart_time,
            'ms per interpreter'):
        charts.append(('isolation-startup.png', 'start-up per interpreter'))
    if chart_tput and benchlib.bar_chart(
            os.path.join(out_dir, 'isolation-throughput.png'),
            'Throughput with N mounts relative to 1 mount (same paths)',
            ['%d mounts / 1' % n for n in counts], series, chart_tput,
            'req/s ratio', baseline=1.0):
        charts.append(('isolation-throughput.png', 'N mounts / 1 mount'))
    if chart_gil and benchlib.bar_chart(
            os.path.join(out_dir, 'isolation-owngil.png'),
            'CPU-bound app, CPython 3.13: shared GIL vs --own-gil',
            ['2 mounts, 2 threads'], ['shared GIL', 'own GIL'], chart_gil,
            'req/s'):
        charts.append(('isolation-owngil.png', 'own-GIL'))

    if 'cost' in sections:
        md += sec1
        md += ['![%s](%s)' % (alt, f) for f, alt in charts
               if f in ('isolation.png', 'isolation-startup.png')] + ['']
    if 'throughput' in sections:
        md += sec2
        md += ['![%s](%s)' % (alt, f) for f, alt in charts
               if f == 'isolation-throughput.png'] + ['']
    if 'owngil' in sections:
        md += sec3
        md += ['![%s](%s)' % (alt, f) for f, alt in charts
               if f == 'isolation-owngil.png'] + ['']
    md += notes_section(run, time.monotonic() - started)
    text = re.sub(r'\n{3,}', '\n\n', '\n'.join(md)).rstrip() + '\n'
    with open(os.path.join(out_dir, 'isolation.md'), 'w') as f:
        f.write(text)
    print(text)
    log('wrote %s' % os.path.join(out_dir, 'isolation.md'))
    if run.failures:
        log('%d measurement(s) failed:' % len(run.failures))
        for msg in run.failures:
            log('  ' + msg)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
