"""Sample Flask application package for subhost; the app lives in ``app.py``.

Import ``flask_app.app`` (with ``samples/`` on ``sys.path``) and use its
``application`` (or ``app``) attribute.
"""
