#!/usr/bin/python3.11
"""Every benchmark in one command: builds subhost, runs the micro-benchmarks,
the load comparison, the isolation report and the process-model figures,
and writes one report with them.

  benchmarks/run.py --quick     # a few minutes: one short round of each
  benchmarks/run.py             # full: about 45 minutes on 2 cores
  benchmarks/run.py --publish   # full, then copies the report to
                                # benchmarks/RESULTS.md (charts included)

Output: benchmarks/results/<time>-quick|full/ with RESULTS.md, micro.json,
load.md, load.png, load.json, isolation.md, isolation*.png, process.md.
Installs what is missing (apt-get, as root) and builds build/python3.11
(and build/python3.13 for the own-GIL figures when CPython 3.13 is there).
"""
import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import benchlib  # noqa: E402
from benchlib import ROOT  # noqa: E402

PY313 = os.environ.get('SUBHOST_PY313',
                       '/root/.pyenv/versions/3.13.0/bin/python3.13')


def sh(cmd, **kw):
    print('+ ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)


def build():
    sh([os.path.join(ROOT, '.ci', 'install-deps')])
    benchlib.ensure_peers()
    trees = [('python3.11', [])]
    if os.access(PY313, os.X_OK):
        trees.append(('python3.13', ['-DPython3_EXECUTABLE=' + PY313]))
    for name, extra in trees:
        tree = os.path.join(ROOT, 'build', name)
        sh(['cmake', '-S', ROOT, '-B', tree, '-DCMAKE_BUILD_TYPE=RelWithDebInfo']
           + extra, stdout=subprocess.DEVNULL)
        sh(['cmake', '--build', tree, '-j', str(os.cpu_count()), '--target',
            'subhost_cmd', 'subhost_micro'], stdout=subprocess.DEVNULL)


def micro(out, quick):
    binary = os.path.join(ROOT, 'build', 'python3.11', 'benchmarks', 'micro',
                          'subhost_micro')
    path = os.path.join(out, 'micro.json')
    cmd = [binary, '--benchmark_out=' + path, '--benchmark_out_format=json']
    if quick:
        cmd.append('--benchmark_min_time=0.05')
    else:
        cmd += ['--benchmark_repetitions=3',
                '--benchmark_report_aggregates_only=true']
    sh(cmd, stderr=subprocess.DEVNULL)
    with open(path) as f:
        data = json.load(f)
    rows = []
    for b in data['benchmarks']:
        if b.get('aggregate_name', 'median') != 'median':
            continue
        name = b.get('run_name', b['name'])
        counters = []
        for key in ('ns_per_request', 'ns_per_environ'):
            if key in b:  # an inverted rate: seconds per item
                counters.append('%s %.0f' % (key, b[key] * 1e9))
        for key in ('rss_per_interpreter', 'rss_growth_per_cycle'):
            if key in b:
                counters.append('%s %.2f MiB' % (key, b[key] / 2**20))
        if 'items_per_second' in b and not counters:
            counters.append('%.3g items/s' % b['items_per_second'])
        rows.append((name, '%.4g %s' % (b['real_time'], b['time_unit']),
                     ', '.join(counters)))
    md = ['## Micro-benchmarks (Google Benchmark%s)\n'
          % (', median of 3' if not quick else ''),
          'Command: `build/python3.11/benchmarks/micro/subhost_micro%s`\n'
          % (' --benchmark_min_time=0.05' if quick else
             ' --benchmark_repetitions=3'),
          benchlib.md_table(['benchmark', 'time', 'counters'], rows), '']
    text = '\n'.join(md)
    with open(os.path.join(out, 'micro.md'), 'w') as f:
        f.write(text)
    return text


def section(path):
    """A tool's report without its own title block (the run has one)."""
    with open(path) as f:
        lines = f.read().splitlines()
    body, in_head = [], True
    for line in lines:
        if in_head and (line.startswith('# ') or line.startswith('- ') or not line):
            continue
        in_head = False
        body.append(line.replace('](', '](RESULTS_DIR/') if line.startswith('![')
                    else line)
    return '\n'.join(body)


# hello again at these processes x threads, subhost and uWSGI only: the
# main comparison runs 2 x 4, and the ratio depends on the shape.
SHAPES = [(1, 4), (1, 1)]


def shapes_md(out):
    rows = []
    for p, t in SHAPES:
        path = os.path.join(out, 'hello-%dx%d' % (p, t), 'load.json')
        if not os.path.exists(path):
            continue
        with open(path) as f:
            res = json.load(f)['results'].get('hello', {})
        if 'subhost' not in res or 'uwsgi' not in res:
            continue
        med = {k: {m: statistics.median(r[m] for r in v) for m in ('rps', 'p99')}
               for k, v in res.items()}
        a, b = med['subhost'], med['uwsgi']
        rows.append(('%d x %d' % (p, t), '%.0f' % a['rps'], '%.0f' % b['rps'],
                     '**%.2fx**' % (a['rps'] / b['rps']) if b['rps'] else 'n/a',
                     '%.2f ms' % a['p99'], '%.2f ms' % b['p99']))
    if not rows:
        return ''
    return ('## hello at other shapes\n\nThe same hello scenario with other '
            'processes x threads, subhost and uWSGI only. Command: '
            '`benchmarks/load/compare.py --scenarios hello --servers '
            'subhost,uwsgi --processes P --threads T`, same rounds as above; '
            'per-shape reports in `hello-PxT/`.\n\n'
            + benchlib.md_table(['processes x threads', 'subhost req/s',
                                 'uWSGI req/s', 'ratio', 'subhost p99',
                                 'uWSGI p99'], rows) + '\n')


READING = """## Reading the load tables

- **Latency.** uWSGI's threads and gunicorn's sync workers each serve one
  connection at a time and stay with a kept-alive connection until it
  closes: with 64 connections and 8 threads, the connections that hold a
  thread are answered at once while the others wait in the listen queue,
  and wrk counts only the requests that were answered. Their p50 describes
  the lucky connections. subhost's threads share one epoll set and take
  every ready connection in turn, so its median sits near the fair share
  (connections / throughput, by Little's law) and its p99 includes the
  queueing that the others leave unmeasured.
- **Connection: close.** RFC 9112 (section 9.6) says that a server which
  receives "close" must close after its response. subhost and nginx do, and
  the side that closes first keeps the TIME_WAIT socket and its cost.
  uWSGI's `--http11-socket` answers and then waits for the client to close,
  which hands that cost to wrk. Compare subhost with nginx's fixed body here.
- **Idle connections.** uWSGI's `--http11-socket` gives a kept-alive
  connection a thread until it closes: 2,000 idle ones take all the threads
  and fill the listen queue, so wrk cannot connect. gunicorn's sync workers
  close after each response. Behind nginx this does not arise.
- **sleep10ms.** Throughput is bounded by the threads: 2 x 4 threads / 10 ms
  = 800 req/s; gunicorn sync has one request at a time per worker.
"""


def assemble(out, quick, publish, minutes):
    """Writes out/RESULTS.md (and, to publish, benchmarks/RESULTS.md) from
    the tools' reports in out."""
    command = 'benchmarks/run.py' + (' --quick' if quick else '') + \
        (' --publish' if publish else '')
    with open(os.path.join(out, 'process.md')) as f:
        process = f.read()
    with open(os.path.join(out, 'micro.md')) as f:
        micro_md = f.read()
    # The title block of the load report: the date, machine and versions
    # (the commit measured) of this run, whenever the report is written.
    with open(os.path.join(out, 'load.md')) as f:
        facts = [line for line in f.read().split('\n\n', 2)[1].splitlines()
                 if not line.startswith('- command:')]
    doc = ['# subhost benchmark results', '',
           '- command: `%s`' % command] + facts + [
           '- duration: %.0f minutes' % minutes, '',
           'Each tool can be rerun alone; its command is in its section. The '
           'machine is shared and noisy: compare ratios within one run, not '
           'absolute figures across runs.', '',
           '# Load comparison\n', section(os.path.join(out, 'load.md')), '',
           shapes_md(out), READING,
           '# Isolation\n', section(os.path.join(out, 'isolation.md')), '',
           '# Process model\n', 'Command: `benchmarks/process/process_model.py'
           ' --rounds %s`\n' % ('1' if quick else '3'), process, '',
           micro_md.replace('## ', '# ', 1)]
    text = '\n'.join(doc)
    with open(os.path.join(out, 'RESULTS.md'), 'w') as f:
        f.write(text.replace('RESULTS_DIR/', ''))
    if publish:
        latest = os.path.join(ROOT, 'benchmarks', 'results', 'latest')
        if os.path.abspath(out) != latest:
            shutil.rmtree(latest, ignore_errors=True)
            os.makedirs(latest)
            for f in glob.glob(os.path.join(out, '*')):
                if os.path.isdir(f):
                    shutil.copytree(f, os.path.join(latest, os.path.basename(f)))
                elif os.path.basename(f) != 'RESULTS.md':  # published above it
                    shutil.copy(f, latest)
        with open(os.path.join(ROOT, 'benchmarks', 'RESULTS.md'), 'w') as f:
            f.write(text.replace('RESULTS_DIR/', 'results/latest/'))
        print('published benchmarks/RESULTS.md and benchmarks/results/latest/')
    print('report: %s' % os.path.join(out, 'RESULTS.md'))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--quick', action='store_true')
    ap.add_argument('--publish', action='store_true',
                    help='copy the report to benchmarks/RESULTS.md')
    ap.add_argument('--skip-build', action='store_true')
    ap.add_argument('--report', metavar='DIR',
                    help='only write the report again from the run in DIR')
    ap.add_argument('--minutes', type=float, default=0,
                    help='with --report: how long that run took')
    args = ap.parse_args()
    if args.quick and args.publish:
        ap.error('--publish is for full runs')
    if args.report:
        assemble(args.report, args.quick, args.publish, args.minutes)
        return 0
    started = time.time()
    if not args.skip_build:
        build()
    out = benchlib.run_dir('quick' if args.quick else 'full')
    mode = ['--quick'] if args.quick else []
    micro(out, args.quick)
    py = sys.executable
    sh([py, os.path.join(ROOT, 'benchmarks', 'load', 'compare.py'), '--out', out]
       + mode)
    for p, t in SHAPES:
        sh([py, os.path.join(ROOT, 'benchmarks', 'load', 'compare.py'),
            '--scenarios', 'hello', '--servers', 'subhost,uwsgi',
            '--processes', str(p), '--threads', str(t),
            '--out', os.path.join(out, 'hello-%dx%d' % (p, t))] + mode)
    sh([py, os.path.join(ROOT, 'benchmarks', 'isolation', 'isolation.py'),
        '--out', out] + mode)
    sh([py, os.path.join(ROOT, 'benchmarks', 'process', 'process_model.py'),
        '--out', out, '--rounds', '1' if args.quick else '3'])
    assemble(out, args.quick, args.publish, (time.time() - started) / 60)
    return 0


if __name__ == '__main__':
    sys.exit(main())
