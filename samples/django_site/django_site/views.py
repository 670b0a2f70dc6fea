"""Views for the subhost Django sample project.

* ``GET /``       HTML page from ``templates/index.html``; ``?name=`` is
  auto-escaped and the links come from ``{% url %}`` / ``reverse()``, which
  Django prefixes with ``SCRIPT_NAME`` (the subhost mountpoint).
* ``GET /json/``  ``{"app": "django", "script_name": ..., "path": ...,
  "url": reverse("json")}``.
* ``POST /echo/`` returns the request body unchanged (CSRF exempt).
"""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST


@require_GET
def index(request):
    return render(
        request,
        "index.html",
        {
            "name": request.GET.get("name", "World"),
            "script_name": request.META.get("SCRIPT_NAME", ""),
            "json_url": reverse("json"),
        },
    )


@require_GET
def json_view(request):
    return JsonResponse(
        {
            "app": "django",
            "script_name": request.META.get("SCRIPT_NAME", ""),
            "path": request.path,
            "url": reverse("json"),
        }
    )


@csrf_exempt
@require_POST
def echo(request):
    content_type = request.META.get("CONTENT_TYPE") or "application/octet-stream"
    return HttpResponse(request.body, content_type=content_type)
