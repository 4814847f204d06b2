"""Console plumbing: the session cookie, CSRF tokens, security headers, templates.

A session cookie holds a random token whose SHA-256 is the stored session id. Every
state-changing form carries a CSRF token: an HMAC, under the deployment's secret key, of a
per-session secret (or, before login, of a nonce in its own cookie).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Form, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unique import accounts
from unique.accounts import ConsoleLogin
from unique.net import is_trusted_proxy
from unique.web.body_limits import read_body_within_limit
from unique.web.errors import ApiError, describe_validation_error
from unique.web.formats import rfc3339
from unique.web.requests import Database, runtime_of

SESSION_COOKIE = "unique_session"
ANONYMOUS_COOKIE = "unique_form"
CSRF_FIELD = "csrf_token"

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
STATIC_DIRECTORY = Path(__file__).parent / "static"


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


templates.env.filters["when"] = when
templates.env.filters["iso"] = rfc3339

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), clipboard-write=(self)",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Pages show account data and, once, a new key: never keep them in any cache, and let the
    # back button after sign-out ask the server again rather than show a stored page.
    "Cache-Control": "no-store",
}

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class ConsoleRoute(APIRoute):
    """A Console page: bounded form bodies, and a page, not JSON, when a request is refused."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                await read_body_within_limit(request)
                response = await handler(request)
            except SignInRequired:
                response = RedirectResponse("/login", status_code=303)
            except ApiError as error:
                response = render(
                    request, "error.html", status_code=error.status, message=error.message
                )
                response.headers.update(error.headers)
            except RequestValidationError as error:
                message = describe_validation_error(error, request.headers.get("content-type", ""))
                response = render(request, "error.html", status_code=400, message=message)
            return response

        return console_handler


class ConsoleSecurityHeaders:
    """Puts the security headers on every answer outside the API: the Console's pages and assets,
    and also what no page wrote (an unknown path, a wrong method, a crash turned into an error),
    so that no answer of the Console's origin can be framed, cached or run as a script."""

    def __init__(self, app: ASGIApp, api_prefix: str) -> None:
        self.app = app
        self.api_prefix = api_prefix
        self.api_paths = f"{api_prefix}/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path == self.api_prefix or path.startswith(self.api_paths):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(SECURITY_HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def current_login(request: Request, session: Database) -> ConsoleLogin | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 128:
        return None
    return await accounts.find_console_session(session, token)


CurrentLogin = Annotated[ConsoleLogin | None, Depends(current_login)]


class SignInRequired(Exception):
    """A page for signed-in users was asked for without a session: ConsoleRoute redirects."""


async def signed_in(login: CurrentLogin) -> ConsoleLogin:
    if login is None:
        raise SignInRequired
    return login


SignedIn = Annotated[ConsoleLogin, Depends(signed_in)]


async def signed_in_form(
    request: Request, login: SignedIn, csrf_token: Annotated[str, Form(max_length=128)] = ""
) -> ConsoleLogin:
    """The signed-in user of a form post whose CSRF token has been checked: every
    state-changing Console handler takes this, so none can forget the check."""
    check_csrf(request, csrf_token, login)
    return login


SignedInForm = Annotated[ConsoleLogin, Depends(signed_in_form)]


async def anonymous_form(
    request: Request, csrf_token: Annotated[str, Form(max_length=128)] = ""
) -> None:
    """Checks the CSRF token of a form posted before sign-in (sign-in, sign-up)."""
    check_anonymous_csrf(request, csrf_token)


AnonymousForm = Depends(anonymous_form)


def _sign(request: Request, purpose: str, value: str) -> str:
    key = runtime_of(request).secret_key.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request, login: ConsoleLogin) -> str:
    return _sign(request, "session", login.csrf_secret)


def anonymous_page(
    request: Request, template: str, status_code: int = 200, **context: Any
) -> Response:
    """Render a page with a form used before sign-in, its CSRF token bound to a nonce cookie."""
    nonce = request.cookies.get(ANONYMOUS_COOKIE)
    fresh = not nonce or len(nonce) > 64
    if fresh:
        nonce = secrets.token_urlsafe(24)
    assert nonce is not None
    response = render(
        request, template, status_code, csrf=_sign(request, "anonymous", nonce), **context
    )
    if fresh:
        set_cookie(request, response, ANONYMOUS_COOKIE, nonce, max_age=3600)
    return response


def _forbidden() -> ApiError:
    return ApiError(
        403, "CSRF_FAILED", "The form expired or did not come from this site. Reload and try again."
    )


def check_csrf(request: Request, submitted: str | None, login: ConsoleLogin) -> None:
    if not submitted or not hmac.compare_digest(submitted, csrf_token(request, login)):
        raise _forbidden()


def check_anonymous_csrf(request: Request, submitted: str | None) -> None:
    nonce = request.cookies.get(ANONYMOUS_COOKIE)
    expected = _sign(request, "anonymous", nonce) if nonce else ""
    if not submitted or not expected or not hmac.compare_digest(submitted, expected):
        raise _forbidden()


def served_over_https(request: Request) -> bool:
    """HTTPS to us, or to a trusted proxy that says so (TLS usually ends at the balancer)."""
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else ""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
    return forwarded == "https" and is_trusted_proxy(
        peer, runtime_of(request).settings.trusted_proxies
    )


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=served_over_https(request),
        path="/",
    )


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def render_signed_in(
    request: Request, login: ConsoleLogin, template: str, status_code: int = 200, **context: Any
) -> Response:
    """A page of the signed-in Console: the top bar's user, and the CSRF token its forms carry."""
    return render(
        request,
        template,
        status_code,
        user=login.user,
        csrf=csrf_token(request, login),
        **context,
    )
