"""Test app: one handler per PEP 3333 behaviour, chosen by the first path
segment. `validated` wraps the clean handlers in wsgiref.validate."""
import contextvars
import json
import sys
import warnings
from wsgiref.validate import validator, WSGIWarning

import _subhost

warnings.simplefilter('error', WSGIWarning)

closes = {'count': 0}
request_var = contextvars.ContextVar('request_var', default=None)


def _json(start_response, obj, status='200 OK'):
    body = json.dumps(obj, sort_keys=True).encode()
    start_response(status, [('Content-Type', 'application/json'),
                            ('Content-Length', str(len(body)))])
    return [body]


class Closing:
    def __init__(self, chunks, fail_at=None):
        self.chunks, self.fail_at = chunks, fail_at

    def __iter__(self):
        for i, chunk in enumerate(self.chunks):
            if i == self.fail_at:
                raise RuntimeError('boom mid-body')
            yield chunk

    def close(self):
        closes['count'] += 1


def environ_view(environ, start_response):
    view = {k: (v if isinstance(v, str) else type(v).__name__)
            for k, v in environ.items()}
    view['wsgi.version'] = list(environ['wsgi.version'])
    view['wsgi.multithread'] = environ['wsgi.multithread']
    view['wsgi.input_terminated'] = environ['wsgi.input_terminated']
    return _json(start_response, view)


def input_modes(environ, start_response):
    inp = environ['wsgi.input']
    mode = environ.get('QUERY_STRING', '')
    if mode == 'read':
        parts = [inp.read()]
    elif mode == 'read3':
        parts = []
        while True:
            chunk = inp.read(3)
            if not chunk:
                break
            parts.append(chunk)
    elif mode == 'readline':
        parts = []
        while True:
            line = inp.readline()
            if not line:
                break
            parts.append(line)
    elif mode == 'readline2':
        parts = [inp.readline(2), inp.readline(2), inp.readline()]
    elif mode == 'readlines':
        parts = inp.readlines()
    else:
        parts = list(inp)
    after = inp.read(1)
    return _json(start_response, {'parts': [p.decode('latin-1') for p in parts],
                                  'after': after.decode('latin-1')})


def exc_before(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    try:
        1 / 0
    except ZeroDivisionError:
        start_response('503 Handled', [('Content-Type', 'text/plain')],
                       sys.exc_info())
    return [b'handled']


def exc_after(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    yield b'partial'
    try:
        1 / 0
    except ZeroDivisionError:
        start_response('500 Oops', [('Content-Type', 'text/plain')],
                       sys.exc_info())
    yield b'never'


def close_ok(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return Closing([b'a', b'b'])


def close_fail(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return Closing([b'a', b'b'], fail_at=1)


def close_before_headers(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return Closing([b'a'], fail_at=0)


def close_count(environ, start_response):
    return _json(start_response, closes)


def ctx(environ, start_response):
    seen = request_var.get()
    request_var.set(environ['PATH_INFO'])
    return _json(start_response, {'seen': seen})


def write_app(environ, start_response):
    write = start_response('200 OK', [('Content-Type', 'text/plain')])
    write(b'one ')
    write(b'two ')
    return [b'three']


def not_bytes(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return ['text is not bytes']


def bad_status(environ, start_response):
    start_response('OK', [('Content-Type', 'text/plain')])
    return [b'x']


def crlf_header(environ, start_response):
    start_response('200 OK', [('X-Bad', 'a\r\nInjected: 1')])
    return [b'x']


def non_latin1(environ, start_response):
    start_response('200 OK', [('X-Euro', '\u20ac')])
    return [b'x']


def latin1_header(environ, start_response):
    start_response('200 OK', [('X-Name', 'J\u00f6rg')])
    return [b'x']


def no_start(environ, start_response):
    return [b'x']


def raises(environ, start_response):
    raise ValueError('app exploded')


def file_wrapper(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    f = open(__file__, 'rb')
    f.read(10)
    return environ['wsgi.file_wrapper'](f, 1024)


def generator(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    yield b''
    yield b'a'
    yield b''
    yield b'b'


def errors(environ, start_response):
    err = environ['wsgi.errors']
    err.write('line one\npartial')
    err.writelines([' line', ' two\n'])
    err.flush()
    return _json(start_response, {})


def interp(environ, start_response):
    return _json(start_response, {'interpreter': _subhost.interpreter_id()})


routes = {name: obj for name, obj in list(globals().items())
          if callable(obj) and not name.startswith('_')
          and getattr(obj, '__module__', None) == __name__
          and not isinstance(obj, type)}


def application(environ, start_response):
    name = environ['PATH_INFO'].strip('/').split('/')[0]
    handler = routes.get(name)
    if handler is None:
        return _json(start_response, {'error': name}, '404 Not Found')
    return handler(environ, start_response)


_validated = {name: validator(h) for name, h in routes.items()}


def validated(environ, start_response):
    name = environ['PATH_INFO'].strip('/').split('/')[0]
    return _validated[name](environ, start_response)
