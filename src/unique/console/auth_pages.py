"""Sign up, sign in, sign out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from unique import accounts
from unique import signup as signup_policy
from unique.console.web import (
    ANONYMOUS_COOKIE,
    SESSION_COOKIE,
    AnonymousForm,
    ConsoleRoute,
    CurrentLogin,
    anonymous_page,
    check_csrf,
    set_cookie,
)
from unique.db.tables import User
from unique.errors import Conflict, InvalidInput
from unique.web.requests import Database, actor_of, address_of, runtime_of

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

LOGIN_FAILED = "Incorrect email or password."


async def _sign_in(request: Request, session: AsyncSession, user: User, address: str) -> Response:
    """Starts a Console session for a user who just proved who they are, and goes to Projects."""
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        await accounts.end_console_session(session, previous)
    token = await accounts.start_console_session(
        session, user, actor_of(request, None, address=address)
    )
    await session.commit()
    response = RedirectResponse("/projects", status_code=303)
    set_cookie(
        request,
        response,
        SESSION_COOKIE,
        token,
        max_age=int(accounts.CONSOLE_SESSION_LIFETIME.total_seconds()),
    )
    response.delete_cookie(ANONYMOUS_COOKIE, path="/")
    return response


@router.get("/")
async def home(login: CurrentLogin) -> Response:
    return RedirectResponse("/projects" if login else "/login", status_code=303)


def _auth_page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A sign-in or sign-up page; both show sign-up only as far as the deployment allows it."""
    mode = runtime_of(request).settings.signup
    return anonymous_page(request, template, status_code, signup=mode.value, **context)


def _too_many(
    request: Request, template: str, wait: int, attempts: str, **context: Any
) -> Response:
    minutes = max(1, round(wait / 60))
    response = _auth_page(
        request,
        template,
        429,
        error=f"Too many {attempts} attempts. Try again in {minutes} minute(s).",
        **context,
    )
    response.headers["Retry-After"] = str(wait)
    return response


@router.get("/login")
async def login_page(request: Request, login: CurrentLogin) -> Response:
    if login:
        return RedirectResponse("/projects", status_code=303)
    return _auth_page(request, "login.html", email="")


@router.post("/login", dependencies=[AnonymousForm])
async def login(
    request: Request,
    session: Database,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD_LENGTH)] = "",
) -> Response:
    runtime = runtime_of(request)
    address = address_of(request)
    by_pair_window = runtime.throttles.login_failures_by_account_and_address
    by_address_window = runtime.throttles.login_failures_by_address
    # Failures count per account *and* address, and per address: a stranger's guesses never
    # lock the owner out of their own address.
    by_pair = await by_pair_window.reserve(f"{accounts.normalize_email(email)}|{address}")
    by_address = await by_address_window.reserve(address)
    wait = by_pair.retry_after or by_address.retry_after
    if wait:
        await by_pair_window.release(by_pair)
        await by_address_window.release(by_address)
        return _too_many(request, "login.html", wait, "failed sign-in", email=email)
    user = await accounts.check_login(session, email, password)
    if user is None:
        return _auth_page(request, "login.html", 400, email=email, error=LOGIN_FAILED)
    await by_pair_window.clear(by_pair.key)
    await by_address_window.release(by_address)
    return await _sign_in(request, session, user, address)


@router.get("/signup")
async def signup_page(request: Request, login: CurrentLogin) -> Response:
    if login:
        return RedirectResponse("/projects", status_code=303)
    return _auth_page(request, "signup.html", values={}, errors={})


@router.post("/signup", dependencies=[AnonymousForm])
async def signup(
    request: Request,
    session: Database,
    name: Annotated[str, Form(max_length=1024)] = "",
    email: Annotated[str, Form(max_length=1024)] = "",
    password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD_LENGTH)] = "",
) -> Response:
    runtime = runtime_of(request)
    address = address_of(request)
    values = {"name": name, "email": email}
    try:
        await signup_policy.admit(session, runtime.settings.signup, email)
    except signup_policy.SignupRefused as refused:
        return _auth_page(
            request, "signup.html", 403, values=values, errors={}, error=refused.message
        )
    window = runtime.throttles.signups_by_address
    # Counted before the work: each sign-up costs an Argon2 hash, on purpose slow.
    attempt = await window.reserve(address)
    if attempt.retry_after:
        return _too_many(
            request, "signup.html", attempt.retry_after, "sign-up", values=values, errors={}
        )
    try:
        user = await accounts.create_user(
            session,
            email=email,
            name=name,
            password=password,
            projects_limit=runtime.settings.projects_limit,
            actor=actor_of(request, None, address=address),
        )
    except InvalidInput as error:
        # A typo costs no hash: it does not count against the address.
        await window.release(attempt)
        return _auth_page(
            request, "signup.html", 400, values=values, errors={error.field: error.message}
        )
    except Conflict:
        return _auth_page(
            request,
            "signup.html",
            400,
            values=values,
            errors={"email": "An account with this email already exists. Sign in instead."},
        )
    return await _sign_in(request, session, user, address)


@router.post("/logout")
async def logout(
    request: Request,
    session: Database,
    login: CurrentLogin,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    if login:
        check_csrf(request, csrf_token, login)
        await accounts.end_console_session(session, request.cookies[SESSION_COOKIE])
        await session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
