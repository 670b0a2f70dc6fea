"""Test app built by a factory function (target 'factory:make_app()')."""


def make_app():
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'made by factory']
    return app
