#!/usr/bin/python3.11
"""The process model measured against uWSGI, side by side in one run.

  memory   2 workers x N Flask mounts: summed PSS of the workers, prefork
           and lazy-apps, subhost and uWSGI with the same mounts and mode.
  startup  time from start until every worker of a 2-worker master serves
           all N mounts (bare hello app), prefork, both servers.

  benchmarks/process/process_model.py [--mounts 10] [--startup-mounts 50]
                                      [--rounds 3]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'benchmarks', 'lib'))
import benchlib  # noqa: E402
from benchlib import ensure_peers, free_port  # noqa: E402

HELLO = os.path.join(ROOT, 'samples', 'hello.py')
FLASK = os.path.join(ROOT, 'samples', 'flask_app', 'app.py')


def command(kind, port, app, mounts, lazy):
    if kind == 'subhost':
        cmd = [benchlib.subhost_bin(), '--http-socket', '127.0.0.1:%d' % port]
    else:
        cmd = ['uwsgi', '--plugin', 'python3', '--http11-socket',
               '127.0.0.1:%d' % port, '--manage-script-name']
    cmd += ['--master', '--processes', '2', '--threads', '1',
            '--disable-logging']
    if lazy:
        cmd.append('--lazy-apps')
    for i in range(mounts):
        cmd += ['--mount', '/m%d=%s' % (i, app)]
    return cmd


def wait_all_mounts(port, mounts, deadline):
    for i in range(mounts):
        while True:
            if time.time() > deadline:
                raise RuntimeError('mount /m%d never answered' % i)
            try:
                with urllib.request.urlopen(
                        'http://127.0.0.1:%d/m%d/' % (port, i), timeout=5) as r:
                    r.read()
                    break
            except OSError:
                time.sleep(0.01)


def ready_count(kind, log_path):
    with open(log_path, errors='replace') as f:
        text = f.read()
    if kind == 'subhost':
        return text.count('accepting requests')
    # uWSGI: a worker is ready once spawned (prefork) or, in lazy mode,
    # once its apps are loaded; its log line for the last mount comes last.
    return text.count('spawned uWSGI worker')


def run(kind, app, mounts, lazy, logdir):
    port = free_port()
    log_path = os.path.join(logdir, '%s-%s-%d.log' % (kind, 'lazy' if lazy else 'prefork', mounts))
    log = open(log_path, 'w')
    t0 = time.monotonic()
    proc = subprocess.Popen(command(kind, port, app, mounts, lazy),
                            stdout=log, stderr=log)
    try:
        deadline = time.time() + 120
        while ready_count(kind, log_path) < 2:
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError('%s did not start; see %s' % (kind, log_path))
            time.sleep(0.005)
        # Every mount answers: with a lazy-apps worker that means its apps
        # loaded; two workers need two rounds of requests to be sure, so
        # ask each mount a few times.
        for _ in range(2):
            wait_all_mounts(port, mounts, deadline)
        elapsed = time.monotonic() - t0
        workers = benchlib.descendants(proc.pid)[1:]
        pss = sum(benchlib.pss_kb(p) for p in workers) / 1024
        return elapsed, pss, len(workers)
    finally:
        proc.terminate() if kind == 'subhost' else proc.send_signal(2)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mounts', type=int, default=10)
    ap.add_argument('--startup-mounts', type=int, default=50)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--out', help='also write process.md in this folder')
    args = ap.parse_args()
    md = []

    def say(line=''):
        print(line, flush=True)
        md.append(line)

    ensure_peers()
    logdir = tempfile.mkdtemp(prefix='subhost-process-')

    say('## Memory: 2 workers x %d Flask mounts, summed worker PSS (MB), '
        'median of %d\n' % (args.mounts, args.rounds))
    mem = {}
    for r in range(args.rounds):
        for lazy in (False, True):
            for kind in ('subhost', 'uwsgi'):
                _, pss, n = run(kind, FLASK, args.mounts, lazy, logdir)
                mem.setdefault((kind, lazy), []).append(pss)
                print('round %d %-7s %-8s %7.1f MB over %d workers'
                      % (r + 1, kind, 'lazy' if lazy else 'prefork', pss, n),
                      flush=True)
    say('| server | prefork PSS | lazy-apps PSS | lazy / prefork |')
    say('|---|---|---|---|')
    for kind in ('subhost', 'uwsgi'):
        pre = statistics.median(mem[(kind, False)])
        lazy = statistics.median(mem[(kind, True)])
        say('| %s | %.1f MB | %.1f MB | %.2fx |' % (kind, pre, lazy, lazy / pre))

    say('\n## Start-up: 2 workers, %d hello mounts, prefork, seconds until '
        'every mount answers, median of %d\n' % (args.startup_mounts, args.rounds))
    times = {}
    for r in range(args.rounds):
        for kind in ('subhost', 'uwsgi'):
            t, _, _ = run(kind, HELLO, args.startup_mounts, False, logdir)
            times.setdefault(kind, []).append(t)
            print('round %d %-7s %.2f s' % (r + 1, kind, t), flush=True)
    base = statistics.median(times['uwsgi'])
    say('| server | start-up | vs uWSGI |')
    say('|---|---|---|')
    for kind in ('subhost', 'uwsgi'):
        t = statistics.median(times[kind])
        say('| %s | %.2f s | %.2fx |' % (kind, t, t / base))
    if args.out:
        with open(os.path.join(args.out, 'process.md'), 'w') as f:
            f.write('\n'.join(md) + '\n')
    print('\nlogs in %s' % logdir)


if __name__ == '__main__':
    sys.exit(main())
