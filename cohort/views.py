"""Project-wide error pages (API clients get JSON, people get Django's pages) and the sign-in pages."""

import math
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import PasswordResetView
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from django.views.decorators.http import require_http_methods, require_POST

from cohort.forms import SignInRequestForm
from cohort.sign_in import sign_in_link_redeem, sign_in_link_usable
from cohort.tasks import mail_sign_in_link
from cohort.throttles import SIGN_IN_LINKS_BY_ADDRESS, SIGN_IN_LINKS_BY_CLIENT, client_address


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error; it has been logged."}, status=500)
    return defaults.server_error(request)


# --- Sign-in by a mailed link (cohort.sign_in) -------------------------------------------------------------------


def _next_path(request: HttpRequest) -> str:
    """Where to go after signing in: a path on this site, never another site (an open redirect)."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=False)
    return wanted if safe and wanted.startswith("/") else ""


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Ask for a link by address. The answer is the same whether or not the address has a login."""
    next_path = _next_path(request)
    if request.user.is_authenticated:
        return redirect(next_path or "home")
    form = SignInRequestForm(request.POST or None)
    context = {"title": "Sign in", "form": form, "next": next_path}
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        client = client_address(request)
        retry_after = max(
            SIGN_IN_LINKS_BY_CLIENT.retry_after(client) or 0,
            SIGN_IN_LINKS_BY_ADDRESS.retry_after(email) or 0,
        )
        if retry_after:
            minutes = math.ceil(retry_after / 60)
            form.add_error(
                None,
                f"Too many sign-in links asked for lately. Try again in {minutes} minute{pluralize(minutes)}.",
            )
            return render(request, "pages/sign_in.html", context, status=429)
        SIGN_IN_LINKS_BY_CLIENT.record(client)
        SIGN_IN_LINKS_BY_ADDRESS.record(email)
        transaction.on_commit(lambda: mail_sign_in_link.delay(email, next_path), robust=True)
        return render(
            request,
            "pages/sign_in_sent.html",
            {
                "title": "Check your mail",
                "email": email,
                "next": next_path,
                "minutes": settings.SIGN_IN_LINK_MINUTES,
            },
        )
    return render(request, "pages/sign_in.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def sign_in_with_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (mail scanners follow links; only a person presses the button), POST signs in."""
    next_path = _next_path(request)
    expired = {"title": "Sign in", "form": SignInRequestForm(), "next": next_path, "expired": True}
    if request.method == "GET":
        if not sign_in_link_usable(token):
            return render(request, "pages/sign_in.html", expired, status=410)
        return render(request, "pages/sign_in_confirm.html", {"title": "Sign in", "next": next_path})
    user = sign_in_link_redeem(token)
    if user is None:
        return render(request, "pages/sign_in.html", expired, status=410)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect(next_path or "home")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("sign-in")


class PublicPasswordResetView(PasswordResetView):
    """Django's password reset for staff, its mailed link on ``PUBLIC_BASE_URL`` like every other mail's, not on
    whichever allowed host the request happened to name."""

    @property
    def extra_email_context(self) -> dict[str, str]:
        # PasswordResetForm.save lets these override the domain and protocol it takes from the request.
        base = urlsplit(settings.PUBLIC_BASE_URL)
        return {"domain": base.netloc, "protocol": base.scheme, "site_name": "cohortops"}
