"""A CPU-bound WSGI app for the own-GIL measurement.

Each request runs a pure-Python loop (no I/O, no C helpers that drop the
GIL) of ROUNDS iterations, a few milliseconds on a current x86 core, and
answers a short plain-text body. With one shared GIL two such requests can
never run at once; with a GIL per sub-interpreter, requests to two mounts
can.

?n=COUNT overrides the iteration count for one request.
"""

ROUNDS = 60000


def work(n):
    acc = 0
    for i in range(n):
        acc = (acc * 31 + i) & 0xFFFFFFFF
    return acc


def application(environ, start_response):
    n = ROUNDS
    qs = environ.get('QUERY_STRING', '')
    if qs.startswith('n='):
        try:
            n = max(0, min(10_000_000, int(qs[2:])))
        except ValueError:
            pass
    body = b'%d\n' % work(n)
    start_response('200 OK', [('Content-Type', 'text/plain'),
                              ('Content-Length', str(len(body)))])
    return [body]
