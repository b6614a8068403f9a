"""Bearer tokens: each bound to one partner organization and a role, kept only as SHA-256 hashes.

Token configuration is a JSON or YAML list (or a mapping with a `tokens` list) of entries
`{token: SECRET | token_sha256: HEX, partner: SLUG, role: ROLE}`; `partner` may be omitted for
`admin` tokens. `TokenRegistry.from_environment()` reads, in order: the file given explicitly
(`planner serve --tokens FILE`), the file named by `$PLANNER_TOKENS_FILE`, or the configuration
text in `$PLANNER_TOKENS`. Plain tokens are hashed on load and never kept; a presented token is
hashed and compared with every known hash with `hmac.compare_digest` (constant time, no early
exit).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

ROLES: Final = ("admin", "coordinator", "partner", "viewer")
TOKENS_FILE_VARIABLE: Final = "PLANNER_TOKENS_FILE"
TOKENS_VARIABLE: Final = "PLANNER_TOKENS"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_SLUG = re.compile(r"^[A-Za-z0-9._-]+$")


class TokenConfigError(ValueError):
    """The token configuration cannot be used; the message says which entry and why."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a partner organization (None for an admin without one) and a role."""

    partner: str | None
    role: str

    @property
    def scope(self) -> str:
        """A stable name of the caller (for idempotency keys): role and partner."""
        return f"{self.role}:{self.partner or '-'}"


def token_digest(token: str) -> bytes:
    """SHA-256 of a token, as stored."""
    return hashlib.sha256(token.encode("utf-8")).digest()


class TokenRegistry:
    """The known tokens, as hashes, each with the principal it authenticates."""

    def __init__(self, entries: Iterable[tuple[bytes, Principal]] = ()) -> None:
        self._entries: list[tuple[bytes, Principal]] = []
        for digest, principal in entries:
            self._add(digest, principal)

    def __len__(self) -> int:
        return len(self._entries)

    def _add(self, digest: bytes, principal: Principal) -> None:
        if principal.role not in ROLES:
            raise TokenConfigError(f"unknown role {principal.role!r}; roles: {', '.join(ROLES)}")
        if principal.partner is None and principal.role != "admin":
            raise TokenConfigError(f"a {principal.role} token must name its partner")
        if any(hmac.compare_digest(digest, known) for known, _ in self._entries):
            raise TokenConfigError("the same token is configured twice")
        self._entries.append((digest, principal))

    def add(self, token: str, role: str, partner: str | None = None) -> None:
        """Register a plain token (hashed at once)."""
        self._add(token_digest(token), Principal(partner, role))

    def identify(self, token: str) -> Principal | None:
        """The principal of a presented token, or None; compares every hash in constant time."""
        digest = token_digest(token)
        found: Principal | None = None
        for known, principal in self._entries:
            if hmac.compare_digest(digest, known):
                found = principal
        return found

    # -- loading -------------------------------------------------------------------------------

    @classmethod
    def from_entries(cls, entries: Any, source: str = "token configuration") -> TokenRegistry:
        """Build from a parsed list of entries (or a mapping with a `tokens` list)."""
        if isinstance(entries, Mapping) and set(entries) == {"tokens"}:
            entries = entries["tokens"]
        if not isinstance(entries, list):
            raise TokenConfigError(f"{source}: expected a list of token entries")
        registry = cls()
        for number, entry in enumerate(entries, start=1):
            try:
                digest, principal = _entry(entry)
                registry._add(digest, principal)
            except TokenConfigError as error:
                raise TokenConfigError(f"{source}: entry {number}: {error}") from None
        return registry

    @classmethod
    def from_text(cls, text: str, source: str = "token configuration") -> TokenRegistry:
        """Build from JSON or YAML text."""
        try:
            data = yaml.safe_load(text)  # JSON is YAML
        except yaml.YAMLError as error:
            raise TokenConfigError(f"{source}: not JSON or YAML: {error}") from None
        return cls.from_entries(data if data is not None else [], source)

    @classmethod
    def from_file(cls, path: str | Path) -> TokenRegistry:
        """Build from a JSON or YAML file."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise TokenConfigError(f"cannot read token file {path}: {error.strerror}") from None
        return cls.from_text(text, str(path))

    @classmethod
    def from_environment(
        cls, path: str | Path | None = None, environ: Mapping[str, str] | None = None
    ) -> TokenRegistry:
        """From `path`, else $PLANNER_TOKENS_FILE, else $PLANNER_TOKENS; empty if none is set."""
        environ = os.environ if environ is None else environ
        path = path or environ.get(TOKENS_FILE_VARIABLE)
        if path:
            return cls.from_file(path)
        text = environ.get(TOKENS_VARIABLE)
        if text:
            return cls.from_text(text, f"${TOKENS_VARIABLE}")
        return cls()


def _entry(entry: Any) -> tuple[bytes, Principal]:
    if not isinstance(entry, Mapping):
        raise TokenConfigError("expected a mapping with token (or token_sha256), partner, role")
    unknown = set(entry) - {"token", "token_sha256", "partner", "role", "comment"}
    if unknown:
        raise TokenConfigError(f"unknown keys {sorted(unknown)}")
    role = entry.get("role")
    if role not in ROLES:
        raise TokenConfigError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    partner = entry.get("partner")
    if partner is not None and (not isinstance(partner, str) or not _SLUG.match(partner)):
        raise TokenConfigError(f"partner must be a partner slug, got {partner!r}")
    token, hashed = entry.get("token"), entry.get("token_sha256")
    if (token is None) == (hashed is None):
        raise TokenConfigError("give exactly one of token and token_sha256")
    if token is not None:
        if not isinstance(token, str) or not token.strip():
            raise TokenConfigError("token must be a non-empty string")
        return token_digest(token), Principal(partner, role)
    if not isinstance(hashed, str) or not _HEX64.match(hashed.lower()):
        raise TokenConfigError("token_sha256 must be 64 hexadecimal digits")
    return bytes.fromhex(hashed), Principal(partner, role)
