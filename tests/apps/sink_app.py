"""Test app for the engine's hand-off to ResponseSink and BodyReader: one
handler per case, chosen by the first path segment."""
import io


def ping(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'pong']


def chunks(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    yield b'one'
    yield b'two'


def echo(environ, start_response):
    body = environ['wsgi.input'].read()
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [body]


def overlong(environ, start_response):
    # Declares 5 bytes, yields 11: only the declared 5 may go out.
    start_response('200 OK', [('Content-Type', 'text/plain'),
                              ('content-length', '5')])
    return _Iter([b'hel', b'lo wo', b'rld'])


def overlong_write(environ, start_response):
    write = start_response('200 OK', [('Content-Length', '4')])
    write(b'abc')
    write(b'defg')
    return [b'hij']


def overlong_file(environ, start_response):
    start_response('200 OK', [('Content-Length', '7')])
    return environ['wsgi.file_wrapper'](open(__file__, 'rb'))


class _Iter:
    def __init__(self, items):
        self.items = items
        self.closed = False

    def __iter__(self):
        return iter(self.items)

    def close(self):
        self.closed = True


class _NoLen:
    """A file-like whose read() answers something without a length."""
    def read(self, size):
        return 5


def wrapper_bad_read(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return environ['wsgi.file_wrapper'](_NoLen())


class _BadTell(io.FileIO):
    def tell(self):
        return 2 ** 80


def wrapper_bad_tell(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return environ['wsgi.file_wrapper'](_BadTell(__file__, 'rb'))


class _HugeFileno(io.BytesIO):
    def fileno(self):
        # Truncated to int this would name descriptor 0 (stdin).
        return 2 ** 32


def wrapper_huge_fileno(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return environ['wsgi.file_wrapper'](_HugeFileno(b'from memory'))


routes = {name: obj for name, obj in list(globals().items())
          if callable(obj) and not name.startswith('_')
          and getattr(obj, '__module__', None) == __name__
          and not isinstance(obj, type)}


def application(environ, start_response):
    name = environ['PATH_INFO'].strip('/').split('/')[0]
    return routes[name](environ, start_response)
