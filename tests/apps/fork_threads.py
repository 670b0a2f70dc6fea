"""Test app: starts a thread at import, as apps that poll or flush in the
background do; a forked worker would not inherit it. GET /stop ends it."""
import threading

STOP = threading.Event()


def worker():
    STOP.wait()


THREAD = threading.Thread(target=worker, daemon=True)
THREAD.start()


def application(environ, start_response):
    if environ['PATH_INFO'].strip('/') == 'stop':
        STOP.set()
        THREAD.join()
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'alive' if THREAD.is_alive() else b'stopped']
