"""Who changes something, and from where: the one value every change in the domain takes.

A person in the Console, a key through the API and an operator at the command line all act
through an ``Actor``; the audit trail records it as it is, so that each event says who acted, with
which key, from which address and client, in which request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

# Clients write what they like in User-Agent; the audit trail keeps a bounded start of it.
USER_AGENT_MAX_LENGTH = 256
COMMAND_LINE = "unique admin"


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: uuid.UUID | None
    key_id: int | None = None
    address: str = ""
    user_agent: str = ""
    request_id: str = ""

    def __post_init__(self) -> None:
        if len(self.user_agent) > USER_AGENT_MAX_LENGTH:
            object.__setattr__(self, "user_agent", self.user_agent[:USER_AGENT_MAX_LENGTH])

    @classmethod
    def operator(cls, user_id: uuid.UUID | None = None) -> Actor:
        """Someone running ``unique admin`` on a server, acting for ``user_id`` if given."""
        return cls(user_id, user_agent=COMMAND_LINE)

    def acting_user(self) -> uuid.UUID:
        """The user the change is made by (a key acts for its owner)."""
        if self.user_id is None:
            raise ValueError("this change needs an actor who is a user")
        return self.user_id
