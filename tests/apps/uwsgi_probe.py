"""Test app: which uwsgi and uwsgidecorators modules an import finds."""
import json

import uwsgi
import uwsgidecorators


def application(environ, start_response):
    body = json.dumps({
        'uwsgi_real': getattr(uwsgi, 'REAL', False),
        'uwsgidecorators_real': getattr(uwsgidecorators, 'REAL', False),
        'has_worker_id': hasattr(uwsgi, 'worker_id'),
        'has_postfork': hasattr(uwsgidecorators, 'postfork'),
    }).encode()
    start_response('200 OK', [('Content-Type', 'application/json')])
    return [body]
