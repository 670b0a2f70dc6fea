"""Shared pieces of the benchmark tools: peers, ports, processes, memory,
versions, and the Markdown and PNG output.

Every tool under benchmarks/ imports this module; none of it measures
anything by itself.
"""
import datetime
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESULTS = os.path.join(ROOT, 'benchmarks', 'results')

# The Debian packages of the peers and tools; installed when missing.
PEER_PACKAGES = ['wrk', 'uwsgi-core', 'uwsgi-plugin-python3', 'gunicorn',
                 'nginx-light', 'python3-matplotlib']


def missing_packages(packages):
    return [p for p in packages if subprocess.run(
        ['dpkg-query', '-W', '-f=${Status}', p], capture_output=True,
        text=True).stdout != 'install ok installed']


def ensure_peers(packages=PEER_PACKAGES):
    """Installs the missing Debian packages (apt-get; needs root)."""
    missing = missing_packages(packages)
    if not missing:
        return
    print('installing: %s' % ' '.join(missing), file=sys.stderr)
    sudo = [] if os.geteuid() == 0 else ['sudo']
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    subprocess.run(sudo + ['apt-get', 'update', '-qq'], check=True, env=env)
    subprocess.run(sudo + ['apt-get', 'install', '-y', '-qq',
                           '--no-install-recommends'] + missing,
                   check=True, env=env)


def subhost_bin(python='python3.11'):
    """The subhost binary: $SUBHOST_BIN, else build/<python>/subhost."""
    if python == 'python3.11' and os.environ.get('SUBHOST_BIN'):
        return os.environ['SUBHOST_BIN']
    return os.path.join(ROOT, 'build', python, 'subhost')


def raise_fd_limit():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


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
            raise RuntimeError('server exited (%s): %s'
                               % (proc.returncode, ' '.join(proc.args)))
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError('server did not listen: %s' % ' '.join(proc.args))


def wait_http(url, proc, seconds=60):
    """Polls url until it answers 200 (listening is not serving: a master
    binds before its workers start)."""
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError('server exited (%s): %s'
                               % (proc.returncode, ' '.join(proc.args)))
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                r.read()
                if r.status == 200:
                    return
        except OSError as e:
            last = e
        time.sleep(0.02)
    raise RuntimeError('%s never answered 200 (%s)' % (url, last))


def stop(proc, sig=signal.SIGINT, seconds=20):
    """Stops a server and its process group."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except OSError:
            proc.send_signal(sig)
        try:
            proc.wait(seconds)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                proc.kill()
            proc.wait()


def descendants(pid):
    """pid and every process below it."""
    out = [pid]
    i = 0
    while i < len(out):
        try:
            with open('/proc/%d/task/%d/children' % (out[i], out[i])) as f:
                out += [int(p) for p in f.read().split()]
        except OSError:
            pass
        i += 1
    return out


def _status_kb(pid, key):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kb(pid):
    """Summed RSS of pid and its descendants, in kB."""
    return sum(_status_kb(p, 'VmRSS:') for p in descendants(pid))


def pss_kb(pid):
    """PSS of one process in kB (shared pages divided among sharers)."""
    try:
        with open('/proc/%d/smaps_rollup' % pid) as f:
            for line in f:
                if line.startswith('Pss:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rr_script(dir, name, paths):
    """A wrk Lua script sending GET to paths in turn; returns its path."""
    path = os.path.join(dir, name + '.lua')
    with open(path, 'w') as f:
        f.write('local paths = {%s}\nlocal i = 0\n'
                'request = function()\n  i = i %% #paths + 1\n'
                '  return wrk.format("GET", paths[i])\nend\n'
                % ', '.join('"%s"' % p for p in paths))
    return path


def parse_wrk(out):
    """wrk --latency output as a dict: rps (None when wrk printed no
    result), p50 and p99 in ms (None when absent), non2xx, errors (the
    socket errors summed) and socket_errors (wrk's own words)."""
    m = re.search(r'Requests/sec:\s+([\d.]+)', out)

    def lat(p):
        m = re.search(r'\s%s%%\s+([\d.]+)(us|ms|s)\b' % p, out)
        if not m:
            return None
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == 'us' else v * 1000 if unit == 's' else v
    non2xx = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    sock = re.search(r'Socket errors: (.*)', out)
    return {'rps': float(m.group(1)) if m else None,
            'p50': lat(50), 'p99': lat(99),
            'non2xx': int(non2xx.group(1)) if non2xx else 0,
            'errors': sum(int(n) for n in re.findall(r'\d+', sock.group(1)))
                      if sock else 0,
            'socket_errors': sock.group(1).strip() if sock else ''}


def _first_line(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        text = (r.stdout or r.stderr).strip()
        return text.splitlines()[0] if text else '?'
    except (OSError, subprocess.TimeoutExpired):
        return 'not installed'


def deb_version(package):
    r = subprocess.run(['dpkg-query', '-W', '-f=${Version}', package],
                       capture_output=True, text=True)
    return r.stdout.strip() or 'not installed'


def versions():
    """What ran, for the record: every server and tool with its version."""
    v = {}
    sh = subhost_bin()
    v['subhost'] = '%s (git %s)' % (
        _first_line([sh, '--version']),
        subprocess.run(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'],
                       capture_output=True, text=True).stdout.strip() or '?')
    v['uWSGI'] = '%s (Debian uwsgi-core %s)' % (
        _first_line(['uwsgi', '--version']), deb_version('uwsgi-core'))
    v['gunicorn'] = 'Debian gunicorn %s' % deb_version('gunicorn')
    v['nginx'] = 'Debian nginx-light %s' % deb_version('nginx-light')
    v['wrk'] = 'Debian wrk %s' % deb_version('wrk')
    v['CPython'] = _first_line(['/usr/bin/python3.11', '--version'])
    v['Flask'] = 'Debian python3-flask %s' % deb_version('python3-flask')
    v['Django'] = 'Debian python3-django %s' % deb_version('python3-django')
    return v


def machine():
    cpu = '?'
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gb = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30
    distro = '?'
    try:
        with open('/etc/os-release') as f:
            m = re.search(r'PRETTY_NAME="([^"]*)"', f.read())
            distro = m.group(1) if m else distro
    except OSError:
        pass
    return {'cpu': cpu, 'cores': os.cpu_count(), 'memory': '%.0f GiB' % mem_gb,
            'os': '%s, Linux %s' % (distro, platform.release()),
            'date': datetime.datetime.now(datetime.timezone.utc)
                    .strftime('%Y-%m-%d %H:%M UTC')}


def run_dir(name):
    """A new folder under benchmarks/results/ for one run's output."""
    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    path = os.path.join(RESULTS, '%s-%s' % (stamp, name))
    os.makedirs(path, exist_ok=True)
    return path


def md_table(header, rows):
    out = ['| ' + ' | '.join(header) + ' |',
           '|' + '|'.join('---' for _ in header) + '|']
    out += ['| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows]
    return '\n'.join(out)


def header_md(title, command):
    m = machine()
    lines = ['# %s' % title, '',
             '- date: %s' % m['date'],
             '- machine: %s, %d cores, %s; %s' % (m['cpu'], m['cores'],
                                                 m['memory'], m['os']),
             '- command: `%s`' % command]
    lines += ['- %s: %s' % kv for kv in versions().items()]
    return '\n'.join(lines) + '\n'


def bar_chart(path, title, groups, series, values, ylabel, baseline=None,
              log=False):
    """A grouped bar chart: values[(group, series)] -> number (missing: no
    bar). Returns False when matplotlib is not available."""
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    width = 0.8 / max(1, len(series))
    fig, ax = plt.subplots(figsize=(max(8, 1.2 * len(groups) + 2), 5))
    for i, s in enumerate(series):
        xs, ys = [], []
        for j, g in enumerate(groups):
            if (g, s) in values:
                xs.append(j + (i - (len(series) - 1) / 2) * width)
                ys.append(values[(g, s)])
        ax.bar(xs, ys, width, label=s)
    if baseline is not None:
        ax.axhline(baseline, color='black', linewidth=0.8, linestyle='--')
    if log:
        ax.set_yscale('log')
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, rotation=20, ha='right')
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize='small')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
