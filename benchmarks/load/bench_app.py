"""The WSGI app behind the load scenarios that need more than hello.

  POST /echo     reads the whole body and sends it back (Content-Length set)
  GET  /stream   1 MiB in 16 chunks of 64 KiB from a generator (with a
                 Content-Length: uWSGI's --http11-socket cannot frame a
                 response of unknown length on a kept-alive connection)
  GET  /sleep    sleeps 10 ms, then answers (a thread waiting on I/O)
  anything else  a short fixed body

Every server under comparison loads this same file.
"""
import time

CHUNK = b"x" * 65536
HELLO = b"Hello, World!\n"


def _stream():
    for _ in range(16):
        yield CHUNK


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/echo":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(len(body)))])
        return [body]
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(16 * len(CHUNK)))])
        return _stream()
    if path == "/sleep":
        time.sleep(0.010)
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(HELLO)))])
    return [HELLO]
