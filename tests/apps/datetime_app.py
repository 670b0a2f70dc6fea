import datetime


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [datetime.date(2024, 2, 29).isoformat().encode()]
