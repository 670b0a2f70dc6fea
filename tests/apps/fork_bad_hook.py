"""Test app: its first postfork hook raises, its second must still run."""
import json

from uwsgidecorators import postfork

RAN = []


@postfork
def boom():
    raise ValueError('boom from postfork')


@postfork
def after_boom():
    RAN.append('after_boom')


def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'application/json')])
    return [json.dumps({'ran': RAN}).encode()]
