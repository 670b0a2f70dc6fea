"""Path-loadable WSGI entry point for the subhost Django sample project.

Shows a minimal, database-free Django 3.2 site mounted below a prefix (e.g.
``/django``): ``/`` renders a template whose ``{% url %}`` / ``reverse()``
links include the mountpoint, ``/json/`` reports SCRIPT_NAME and the reversed
URL, and ``POST /echo/`` echoes the body.

This file can be loaded directly by path (it need not be importable): it puts
its own directory on ``sys.path`` so that the ``django_site`` package and its
settings can be imported, then exposes ``application``.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from django_site.wsgi import application  # noqa: E402

__all__ = ["application"]
