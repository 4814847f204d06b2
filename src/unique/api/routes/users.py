"""``/api/v2/users/me``: the key's owner."""

from __future__ import annotations

from unique import accounts
from unique.api.deps import CurrentCaller, authenticated_router
from unique.api.requirements import requires
from unique.api.schemas import CurrentUser
from unique.auth.access import Scope
from unique.web.requests import CurrentRuntime

router = authenticated_router("/users", "Users")


@router.get("/me", operation_id="getCurrentUserInfo", summary="The current user")
@requires(Scope.ACCOUNT_READ, within_one_project=True)
async def current_user(caller: CurrentCaller, runtime: CurrentRuntime) -> CurrentUser:
    user = await accounts.profile(runtime.reads, caller.principal.owner_id)
    assert user is not None, "a key always belongs to an existing user"
    return CurrentUser(
        id=user.id,
        email=user.email,
        login=user.email,
        name=user.name,
        last_name="",
        image=user.image,
        projects_limit=user.projects_limit,
        plan="self-hosted",
        # Neon's compute and branch limits: this service runs neither, so none is configured.
        active_seconds_limit=0,
        branches_limit=0,
        max_autoscaling_limit=0,
        # Accounts sign in with a password here, through no identity provider.
        auth_accounts=[],
    )
