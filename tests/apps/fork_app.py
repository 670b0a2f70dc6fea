"""Test app: what the server tells an app about its process, and which
postfork hooks ran where. GET /random draws from the random module."""
import json
import os
import random

import subhost
import uwsgi
import uwsgidecorators

RAN = []
MOUNT_AT_IMPORT = subhost.mountpoint


@subhost.postfork
def from_subhost():
    RAN.append(['subhost', subhost.interpreter_id(), os.getpid()])


@uwsgidecorators.postfork
def from_uwsgidecorators():
    RAN.append(['uwsgidecorators', subhost.interpreter_id(), os.getpid()])


try:
    subhost.postfork('not callable')
    REJECTS_NON_CALLABLE = False
except TypeError:
    REJECTS_NON_CALLABLE = True


def application(environ, start_response):
    if environ['PATH_INFO'].strip('/') == 'random':
        body = repr(random.random())
    else:
        body = json.dumps({
            'interpreter': subhost.interpreter_id(),
            'mount_at_import': MOUNT_AT_IMPORT,
            'mount_now': subhost.mountpoint,
            'ran': RAN,
            'decorator_returns_fn': from_subhost.__name__ == 'from_subhost',
            'rejects_non_callable': REJECTS_NON_CALLABLE,
            'same_registry': uwsgidecorators.postfork is subhost.postfork,
            'worker_id': subhost.worker_id(),
            'masterpid': subhost.masterpid(),
            'num_workers': subhost.num_workers(),
            'uwsgi_worker_id': uwsgi.worker_id(),
            'uwsgi_masterpid': uwsgi.masterpid(),
            'uwsgi_numproc': uwsgi.numproc,
            'uwsgi_opt_is_dict': isinstance(uwsgi.opt, dict),
        })
    data = body.encode()
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', str(len(data)))])
    return [data]
