"""The project's WSGI app plus one constant-JSON view: the floor the API benchmark compares against."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cohort.project.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (settings are ready only after the app is made)
from django.http import JsonResponse  # noqa: E402
from django.urls import include, path  # noqa: E402


def constant(request):
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/constant/", constant), path("", include("cohort.project.urls"))]
settings.ROOT_URLCONF = __name__
