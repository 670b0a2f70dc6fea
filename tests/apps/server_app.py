"""Test app for the server tests: one behaviour per path."""
import hashlib
import os
import time

MARKER_DIR = os.environ.get('SUBHOST_TEST_MARKERS', '/tmp')


def _plain(start_response, body, status='200 OK', extra=()):
    start_response(status, [('Content-Type', 'text/plain'),
                            ('Content-Length', str(len(body)))] + list(extra))
    return [body]


def _query(environ):
    out = {}
    for part in environ.get('QUERY_STRING', '').split('&'):
        if '=' in part:
            k, v = part.split('=', 1)
            out[k] = v
    return out


class _Tracked:
    """Streams chunks slowly; records in a file that close() ran."""
    def __init__(self, name, chunks, delay):
        self.name, self.chunks, self.delay = name, chunks, delay

    def __iter__(self):
        for i in range(self.chunks):
            time.sleep(self.delay)
            yield b'x' * 65536

    def close(self):
        with open(os.path.join(MARKER_DIR, self.name), 'w') as f:
            f.write('closed')


def application(environ, start_response):
    path = environ['PATH_INFO']
    q = _query(environ)
    if path == '/echo':
        h = hashlib.sha256()
        size = 0
        inp = environ['wsgi.input']
        while True:
            chunk = inp.read(65536)
            if not chunk:
                break
            size += len(chunk)
            h.update(chunk)
        return _plain(start_response, ('%d %s' % (size, h.hexdigest())).encode())
    if path == '/echo_body':
        return _plain(start_response, environ['wsgi.input'].read())
    if path == '/stream':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return (('part%d\n' % i).encode() for i in range(int(q.get('n', '3'))))
    if path == '/empty':
        start_response('204 No Content', [])
        return []
    if path == '/slow':
        if 'mark' in q:
            with open(os.path.join(MARKER_DIR, q['mark']), 'w') as f:
                f.write('started')
        time.sleep(int(q.get('ms', '100')) / 1000.0)
        return _plain(start_response, b'slept\n')
    if path == '/tracked':
        start_response('200 OK', [('Content-Type', 'application/octet-stream')])
        return _Tracked(q.get('name', 'tracked'), int(q.get('chunks', '200')),
                        float(q.get('delay', '0.01')))
    if path == '/file':
        start_response('200 OK', [('Content-Type', 'text/plain'),
                                  ('Content-Length', str(os.path.getsize(__file__)))])
        return environ['wsgi.file_wrapper'](open(__file__, 'rb'))
    if path == '/error':
        raise RuntimeError('server test app failure')
    if path == '/environ':
        keys = ('REQUEST_METHOD', 'SCRIPT_NAME', 'PATH_INFO', 'QUERY_STRING',
                'SERVER_PROTOCOL', 'REMOTE_ADDR', 'CONTENT_LENGTH', 'HTTP_HOST',
                'wsgi.url_scheme')
        body = '\n'.join('%s=%s' % (k, environ.get(k, '<none>')) for k in keys)
        return _plain(start_response, body.encode())
    return _plain(start_response, b'Hello from the server app\n')
