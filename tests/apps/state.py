"""Test app: shows what an interpreter keeps to itself and what it shares.
Each request bumps a module-global counter and reports where it ran."""
import json
import os
import sys

import _subhost

COUNTER = {'n': 0}
MARKER = object()


def application(environ, start_response):
    COUNTER['n'] += 1
    action = environ['PATH_INFO'].strip('/').rsplit('/', 1)[-1]
    if action == 'setenv':
        os.environ['SUBHOST_TEST_SHARED'] = environ['QUERY_STRING']
    elif action == 'setmod':
        sys.modules['subhost_test_marker'] = environ['QUERY_STRING']
    elif action == 'chdir':
        os.chdir(environ['QUERY_STRING'])
    body = json.dumps({
        'interpreter': _subhost.interpreter_id(),
        'counter': COUNTER['n'],
        'modules_id': id(sys.modules),
        'marker_module': str(sys.modules.get('subhost_test_marker')),
        'path0': sys.path[0],
        'environ_shared': os.environ.get('SUBHOST_TEST_SHARED'),
        'getenv_shared': os.getenv('SUBHOST_TEST_SHARED'),
        'cwd': os.getcwd(),
        'script_name': environ['SCRIPT_NAME'],
        'path_info': environ['PATH_INFO'],
    }).encode()
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', str(len(body)))])
    return [body]
