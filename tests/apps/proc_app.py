"""An app that reports where it was imported and where it serves, for the
process-model tests: the import pid, the serving pid, postfork hooks that
ran, a random number, and what the environment asks for at import."""
import json
import os
import random
import socket
import subprocess
import threading
import time

import subhost
import uwsgi
from uwsgidecorators import postfork

IMPORT_PID = os.getpid()
# Read once, at import: a reload that re-imports shows a new value.
_version_file = os.environ.get('PROC_APP_VERSION_FILE')
VERSION = open(_version_file).read().strip() if _version_file else ''
HOOKS = []
UWSGI_HOOKS = []


@subhost.postfork
def _record_fork():
    HOOKS.append(os.getpid())


@postfork
def _record_fork_uwsgi():
    UWSGI_HOOKS.append(os.getpid())


# A thread started after fork, as the fork-safety report advises: the
# worker must still stop cleanly with it running.
if os.environ.get('PROC_APP_POSTFORK_THREAD'):
    @subhost.postfork
    def _start_poller():
        threading.Thread(target=lambda: time.sleep(3600), daemon=True,
                         name='poller').start()


# A database-like connection opened at import: the fork-safety report must
# name it.
_connect_port = os.environ.get('PROC_APP_CONNECT_PORT')
if _connect_port and subhost.mountpoint == os.environ.get('PROC_APP_CONNECT_MOUNT', ''):
    _conn = socket.create_connection(('127.0.0.1', int(_connect_port)))


def application(environ, start_response):
    path = environ.get('PATH_INFO', '')
    if path == '/sleep':
        time.sleep(float(environ.get('QUERY_STRING') or '1'))
    if path == '/boom':
        raise RuntimeError('boom')
    if path == '/subprocess':
        # A child the app starts must obey Popen.terminate(): the server's
        # signal handling must not leave SIGTERM blocked for it.
        child = subprocess.Popen(['sleep', '30'])
        child.terminate()
        try:
            code = child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            code = 'ignored SIGTERM'
        body = str(code).encode()
        start_response('200 OK', [('Content-Length', str(len(body)))])
        return [body]
    body = json.dumps({
        'import_pid': IMPORT_PID,
        'pid': os.getpid(),
        'hooks': HOOKS,
        'uwsgi_hooks': UWSGI_HOOKS,
        'random': random.random(),
        'worker_id': subhost.worker_id(),
        'uwsgi_worker_id': uwsgi.worker_id(),
        'masterpid': subhost.masterpid(),
        'mountpoint': subhost.mountpoint,
        'version': VERSION,
    }).encode()
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', str(len(body)))])
    return [body]
