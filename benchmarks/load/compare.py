#!/usr/bin/python3.11
"""Load comparison: subhost against uWSGI with wrk, in interleaved rounds.

Starts each server on loopback with the same processes and threads, runs wrk
against each in turn (A, B, A, B, ...) so that machine drift hits all alike,
and prints the median requests/s, p50/p99 latency and peak RSS per server,
with the ratio to uWSGI.

  benchmarks/load/compare.py [--scenario hello|mounts10|idle] [--rounds 3]
                             [--duration 5] [--threads 4] [--connections 64]
                             [--processes 1]
"""
import argparse
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HELLO = os.path.join(ROOT, 'samples', 'hello.py')


PEERS = ['wrk', 'uwsgi-core', 'uwsgi-plugin-python3']


def ensure_peers():
    """Installs the Debian packages of the peers when missing (needs root)."""
    missing = [p for p in PEERS if subprocess.run(
        ['dpkg-query', '-W', '-f=${Status}', p], capture_output=True,
        text=True).stdout != 'install ok installed']
    if missing:
        print('installing: %s' % ' '.join(missing), file=sys.stderr)
        env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
        subprocess.run(['apt-get', 'update', '-qq'], check=True, env=env)
        subprocess.run(['apt-get', 'install', '-y', '-qq'] + missing,
                       check=True, env=env)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError('server exited: %s' % proc.args)
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError('server did not listen: %s' % proc.args)


def rss_kb(pid):
    """RSS of pid and its children, in kB."""
    total = 0
    pids = [pid]
    try:
        out = subprocess.run(['pgrep', '-P', str(pid)], capture_output=True,
                             text=True).stdout.split()
        pids += [int(p) for p in out]
    except OSError:
        pass
    for p in pids:
        try:
            with open('/proc/%d/status' % p) as f:
                for line in f:
                    if line.startswith('VmRSS:'):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def mount_args(kind, n):
    if kind == 'subhost':
        args = ['--mount', '/=' + HELLO]
        for i in range(1, n):
            args += ['--mount', '/m%d=%s' % (i, HELLO)]
        return args
    args = ['--wsgi-file', HELLO] if n == 1 else []
    if n > 1:
        args += ['--mount', '/=' + HELLO]
        for i in range(1, n):
            args += ['--mount', '/m%d=%s' % (i, HELLO)]
        args += ['--manage-script-name']
    return args


def start(kind, port, threads, mounts, log, processes=1):
    if kind == 'subhost':
        binary = os.environ.get('SUBHOST_BIN',
                                os.path.join(ROOT, 'build', 'python3.11', 'subhost'))
        cmd = [binary, '--http-socket', '127.0.0.1:%d' % port,
               '--threads', str(threads), '--disable-logging',
               '--socket-timeout', '300'] + mount_args(kind, mounts)
        if processes > 1:
            cmd += ['--master', '--processes', str(processes)]
    else:
        cmd = ['uwsgi', '--plugin', 'python3', '--http11-socket',
               '127.0.0.1:%d' % port, '--processes', str(processes),
               '--threads', str(threads), '--disable-logging', '--listen',
               '1024', '--so-keepalive'] + mount_args(kind, mounts)
        if processes > 1:
            cmd.append('--master')
    proc = subprocess.Popen(cmd, stdout=log, stderr=log)
    wait_port(port, proc)
    # Listening is not serving (a master binds before its workers start):
    # one answered request first.
    urllib.request.urlopen('http://127.0.0.1:%d/' % port, timeout=60).read()
    return proc


def wrk(port, duration, connections, script=None):
    cmd = ['wrk', '-t', '2', '-c', str(connections), '-d', '%ds' % duration,
           '--latency']
    if script:
        cmd += ['-s', script]
    cmd.append('http://127.0.0.1:%d/' % port)
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    rps = float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1))

    def lat(p):
        m = re.search(r'\s%s%%\s+([\d.]+)(us|ms|s)' % p, out)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == 'us' else v * 1000 if unit == 's' else v
    errors = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    socket_errors = re.search(r'Socket errors: (.*)', out)
    return {'rps': rps, 'p50': lat(50), 'p99': lat(99),
            'non2xx': int(errors.group(1)) if errors else 0,
            'socket_errors': socket_errors.group(1) if socket_errors else ''}


def hold_idle(port, count):
    socks = []
    for _ in range(count):
        s = socket.create_connection(('127.0.0.1', port))
        s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        socks.append(s)
    for s in socks:
        s.recv(4096)
    return socks


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ap = argparse.ArgumentParser()
    ap.add_argument('--scenario', default='hello',
                    choices=['hello', 'mounts10', 'mounts1', 'idle'],
                    help='mounts10: 10 mounts hit round-robin; mounts1: the '
                         'same request mix against one root mount')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--duration', type=int, default=5)
    ap.add_argument('--threads', type=int, default=4)
    ap.add_argument('--processes', type=int, default=1,
                    help='more than 1: both servers run --master with this '
                         'many workers')
    ap.add_argument('--connections', type=int, default=64)
    ap.add_argument('--idle', type=int, default=5000)
    ap.add_argument('--servers', default='subhost,uwsgi')
    args = ap.parse_args()
    ensure_peers()

    mounts = 10 if args.scenario == 'mounts10' else 1
    script = None
    if args.scenario in ('mounts10', 'mounts1'):
        mounts_in_paths = 10
        script = os.path.join(tempfile.mkdtemp(), 'rr.lua')
        paths = ','.join('"/m%d/x"' % i for i in range(1, mounts_in_paths)) + ',"/x"'
        with open(script, 'w') as f:
            f.write('local paths = {%s}\nlocal i = 0\n'
                    'request = function()\n  i = i %% #paths + 1\n'
                    '  return wrk.format("GET", paths[i])\nend\n' % paths)
    results = {}
    logdir = tempfile.mkdtemp(prefix='subhost-load-')
    servers = args.servers.split(',')
    for r in range(args.rounds):
        for kind in servers:
            port = free_port()
            with open(os.path.join(logdir, '%s.log' % kind), 'a') as log:
                proc = start(kind, port, args.threads, mounts, log,
                             args.processes)
                try:
                    idle = []
                    base_rss = rss_kb(proc.pid)
                    if args.scenario == 'idle':
                        idle = hold_idle(port, args.idle)
                    res = wrk(port, args.duration, args.connections, script)
                    res['rss_mb'] = rss_kb(proc.pid) / 1024
                    res['rss_growth_mb'] = (rss_kb(proc.pid) - base_rss) / 1024
                    for s in idle:
                        s.close()
                finally:
                    proc.send_signal(signal.SIGINT if kind == 'subhost' else signal.SIGQUIT)
                    try:
                        proc.wait(20)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
            results.setdefault(kind, []).append(res)
            print('round %d %-8s %9.0f req/s  p50 %.2f ms  p99 %.2f ms  rss %.1f MB %s'
                  % (r + 1, kind, res['rps'], res['p50'], res['p99'], res['rss_mb'],
                     res['socket_errors']), flush=True)
    print('\nscenario %s, %d processes x %d threads, %d connections, %d rounds x %ds (median)'
          % (args.scenario, args.processes, args.threads, args.connections,
             args.rounds, args.duration))
    base = statistics.median(x['rps'] for x in results.get('uwsgi', results[servers[0]]))
    for kind in servers:
        rs = results[kind]
        rps = statistics.median(x['rps'] for x in rs)
        print('| %-8s | %9.0f req/s | %.2fx uWSGI | p50 %.2f ms | p99 %.2f ms | peak RSS %.1f MB | RSS growth %.1f MB |'
              % (kind, rps, rps / base, statistics.median(x['p50'] for x in rs),
                 statistics.median(x['p99'] for x in rs), max(x['rss_mb'] for x in rs),
                 statistics.median(x['rss_growth_mb'] for x in rs)))


if __name__ == '__main__':
    sys.exit(main())
