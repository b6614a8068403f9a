"""Who may run which command: the HTTP side of the rights model in `domain.rights`.

The rights themselves (role × command × whose entity) live in `domain.rights.RIGHTS` and are
checked by the service inside its command lock, against the same state the command is
validated and stored with. This module only turns a token's principal into the domain's actor.
"""

from __future__ import annotations

from api.auth import Principal
from domain.rights import Actor


def actor_of(principal: Principal) -> Actor:
    """The domain's view of who is calling."""
    return Actor(role=principal.role, partner=principal.partner)
