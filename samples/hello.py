"""Minimal WSGI "Hello, World!" application.

Shows the smallest PEP 3333 application subhost can host: a module-level
callable named ``application`` that returns a fixed plain-text body with an
explicit Content-Length.  All values are precomputed at import time so each
request does no more than call ``start_response`` and return the body.

Import target: file ``hello.py`` (or module ``hello`` with ``samples/`` on
``sys.path``), callable ``application``.
"""

BODY = b"Hello, World!\n"
STATUS = "200 OK"
CONTENT_TYPE = ("Content-Type", "text/plain")
CONTENT_LENGTH = ("Content-Length", str(len(BODY)))


def application(environ, start_response):
    # A fresh list per call: servers are allowed to modify the header list.
    start_response(STATUS, [CONTENT_TYPE, CONTENT_LENGTH])
    return [BODY]
