"""Sign up, sign in, sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from unique import accounts
from unique.api.deps import Database
from unique.api.guard import request_address
from unique.console.web import (
    ANONYMOUS_COOKIE,
    SESSION_COOKIE,
    ConsoleRoute,
    CurrentLogin,
    anonymous_page,
    check_anonymous_csrf,
    check_csrf,
    runtime_of,
    set_cookie,
)
from unique.errors import Conflict, InvalidInput

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

LOGIN_FAILED = "Incorrect email or password."


def _signed_in(request: Request, token: str) -> Response:
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


@router.get("/login")
async def login_page(request: Request, login: CurrentLogin) -> Response:
    if login:
        return RedirectResponse("/projects", status_code=303)
    return anonymous_page(request, "login.html", email="")


@router.post("/login")
async def login(
    request: Request,
    session: Database,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD_LENGTH)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    check_anonymous_csrf(request, csrf_token)
    runtime = runtime_of(request)
    address = request_address(request, runtime)
    account_key = accounts.normalize_email(email)
    wait = runtime.login_failures_by_account.retry_after(
        account_key
    ) or runtime.login_failures_by_address.retry_after(address)
    if wait:
        minutes = max(1, round(wait / 60))
        return anonymous_page(
            request,
            "login.html",
            status_code=429,
            email=email,
            error=f"Too many failed sign-in attempts. Try again in {minutes} minute(s).",
        )
    user = await accounts.check_login(session, email, password)
    if user is None:
        runtime.login_failures_by_account.fail(account_key)
        runtime.login_failures_by_address.fail(address)
        return anonymous_page(
            request, "login.html", status_code=400, email=email, error=LOGIN_FAILED
        )
    runtime.login_failures_by_account.clear(account_key)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        await accounts.end_console_session(session, previous)
    token = await accounts.start_console_session(session, user, source_addr=address)
    await session.commit()
    return _signed_in(request, token)


@router.get("/signup")
async def signup_page(request: Request, login: CurrentLogin) -> Response:
    if login:
        return RedirectResponse("/projects", status_code=303)
    return anonymous_page(request, "signup.html", values={}, errors={})


@router.post("/signup")
async def signup(
    request: Request,
    session: Database,
    name: Annotated[str, Form(max_length=1024)] = "",
    email: Annotated[str, Form(max_length=1024)] = "",
    password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD_LENGTH)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    check_anonymous_csrf(request, csrf_token)
    runtime = runtime_of(request)
    values = {"name": name, "email": email}
    try:
        user = await accounts.create_user(
            session,
            email=email,
            name=name,
            password=password,
            projects_limit=runtime.settings.projects_limit,
            source_addr=request_address(request, runtime),
        )
    except InvalidInput as error:
        return anonymous_page(
            request,
            "signup.html",
            status_code=400,
            values=values,
            errors={error.field: error.message},
        )
    except Conflict:
        return anonymous_page(
            request,
            "signup.html",
            status_code=400,
            values=values,
            errors={"email": "An account with this email already exists. Sign in instead."},
        )
    token = await accounts.start_console_session(
        session, user, source_addr=request_address(request, runtime)
    )
    await session.commit()
    return _signed_in(request, token)


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
