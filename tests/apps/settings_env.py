"""Test app: claims an environment variable at import the way a Django
wsgi.py claims DJANGO_SETTINGS_MODULE, and reports what it sees."""
import os

import _subhost

CLAIM = 'mine-%d' % _subhost.interpreter_id()
os.environ.setdefault('SUBHOST_TEST_SETTINGS', CLAIM)


def application(environ, start_response):
    body = ('%s %s' % (CLAIM, os.environ['SUBHOST_TEST_SETTINGS'])).encode()
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [body]
