"""Sample Flask application for subhost.

Shows a Flask app mounted below a prefix (e.g. ``/flask``):

* ``GET /``      renders ``templates/index.html``: the ``?name=`` query value
  is auto-escaped by Jinja2 and the links are built with ``url_for``, so they
  carry the mount prefix taken from ``SCRIPT_NAME``.
* ``GET /json``  returns ``{"app": "flask", "script_name": ..., "path": ...}``.
* ``POST /echo`` returns the request body unchanged.

Import targets: module ``flask_app.app`` (needs ``samples/`` on ``sys.path``)
or the file ``flask_app/app.py`` loaded by path; callable ``application``
(``app`` is the same object).  Templates are located relative to this file,
never the current working directory.
"""

import os

from flask import Flask, jsonify, render_template, request, url_for

HERE = os.path.dirname(os.path.abspath(__file__))

# root_path is explicit so the templates folder beside this file is found
# even when the module is loaded by path under an arbitrary __name__.
app = Flask(__name__, root_path=HERE)


@app.route("/")
def index():
    name = request.args.get("name", "World")
    return render_template(
        "index.html",
        name=name,
        script_root=request.script_root,
        example_url=url_for("index", name="<b>bold?</b>"),
    )


@app.route("/json")
def json_view():
    return jsonify(
        {
            "app": "flask",
            "script_name": request.script_root,
            "path": request.path,
        }
    )


@app.route("/echo", methods=["POST"])
def echo():
    body = request.get_data(cache=False)
    content_type = request.headers.get("Content-Type") or "application/octet-stream"
    return app.response_class(body, status=200, content_type=content_type)


application = app
