"""Bearer tokens: each bound to one partner organization and a role, kept only as SHA-256 hashes.

Token configuration is a JSON or YAML list (or a mapping with a `tokens` list) of entries
`{token: SECRET | token_sha256: HEX, partner: SLUG, role: ROLE, expires: TIME}`; `partner` may
be omitted for `admin` tokens; `expires` (optional, ISO 8601 with an offset) ends the token at
that time. `reload()` reads the same source again (`planner serve` calls it on SIGHUP): on an
error the tokens in use stay.

`TokenRegistry.from_environment()` reads, in order: the file given explicitly
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
import signal
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

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


Entry = tuple[bytes, Principal, datetime | None]  # digest, principal, expiry


class TokenRegistry:
    """The known tokens, as hashes, each with the principal it authenticates (and an expiry)."""

    def __init__(self, entries: Iterable[tuple[bytes, Principal]] = ()) -> None:
        self._entries: list[Entry] = []
        self._source: tuple[str, str] | None = None  # ("file", path) or ("text", text)
        self._lock = threading.Lock()
        for digest, principal in entries:
            self._add(digest, principal)

    def __len__(self) -> int:
        return len(self._entries)

    def _add(self, digest: bytes, principal: Principal, expires: datetime | None = None) -> None:
        if principal.role not in ROLES:
            raise TokenConfigError(f"unknown role {principal.role!r}; roles: {', '.join(ROLES)}")
        if principal.partner is None and principal.role != "admin":
            raise TokenConfigError(f"a {principal.role} token must name its partner")
        if any(hmac.compare_digest(digest, known) for known, _, _ in self._entries):
            raise TokenConfigError("the same token is configured twice")
        self._entries.append((digest, principal, expires))

    def add(
        self, token: str, role: str, partner: str | None = None, expires: datetime | None = None
    ) -> None:
        """Register a plain token (hashed at once), optionally ending at `expires`."""
        self._add(token_digest(token), Principal(partner, role), expires)

    def identify(self, token: str) -> Principal | None:
        """The principal of a presented token, or None; compares every hash in constant time."""
        return self.identify_digest(token_digest(token))

    def identify_digest(self, digest: bytes, now: datetime | None = None) -> Principal | None:
        """The principal of a token's SHA-256 digest, unless unknown or expired."""
        now = now or datetime.now(UTC)
        found: Principal | None = None
        for known, principal, expires in self._entries:
            if hmac.compare_digest(digest, known) and (expires is None or now < expires):
                found = principal
        return found

    def reload(self) -> int:
        """Read the registry's source again and use it; the number of tokens.

        Raises TokenConfigError (and keeps the tokens in use) if the source is now invalid.
        """
        if self._source is None:
            return len(self)
        kind, where = self._source
        fresh = TokenRegistry.from_file(where) if kind == "file" else TokenRegistry.from_text(where)
        with self._lock:
            self._entries = fresh._entries
        return len(self)

    # -- loading -------------------------------------------------------------------------------

    @classmethod
    def from_entries(cls, entries: object, source: str = "token configuration") -> TokenRegistry:
        """Build from a parsed list of entries (or a mapping with a `tokens` list)."""
        if isinstance(entries, Mapping) and set(entries) == {"tokens"}:
            entries = entries["tokens"]
        if not isinstance(entries, list):
            raise TokenConfigError(f"{source}: expected a list of token entries")
        registry = cls()
        for number, entry in enumerate(entries, start=1):
            try:
                digest, principal, expires = _entry(entry)
                registry._add(digest, principal, expires)
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
        registry = cls.from_entries(data if data is not None else [], source)
        registry._source = ("text", text)
        return registry

    @classmethod
    def from_file(cls, path: str | Path) -> TokenRegistry:
        """Build from a JSON or YAML file."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise TokenConfigError(f"cannot read token file {path}: {error.strerror}") from None
        registry = cls.from_text(text, str(path))
        registry._source = ("file", str(path))
        return registry

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


def _entry(entry: object) -> Entry:
    if not isinstance(entry, Mapping):
        raise TokenConfigError("expected a mapping with token (or token_sha256), partner, role")
    unknown = set(entry) - {"token", "token_sha256", "partner", "role", "comment", "expires"}
    if unknown:
        raise TokenConfigError(f"unknown keys {sorted(unknown)}")
    role = entry.get("role")
    if role not in ROLES:
        raise TokenConfigError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    partner = entry.get("partner")
    if partner is not None and (not isinstance(partner, str) or not _SLUG.match(partner)):
        raise TokenConfigError(f"partner must be a partner slug, got {partner!r}")
    expires = _expiry(entry.get("expires"))
    token, hashed = entry.get("token"), entry.get("token_sha256")
    if (token is None) == (hashed is None):
        raise TokenConfigError("give exactly one of token and token_sha256")
    if token is not None:
        if not isinstance(token, str) or not token.strip():
            raise TokenConfigError("token must be a non-empty string")
        return token_digest(token), Principal(partner, role), expires
    if not isinstance(hashed, str) or not _HEX64.match(hashed.lower()):
        raise TokenConfigError("token_sha256 must be 64 hexadecimal digits")
    return bytes.fromhex(hashed), Principal(partner, role), expires


def _expiry(value: object) -> datetime | None:
    """An entry's `expires`: None, or an aware datetime (YAML may have parsed it already)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise TokenConfigError(
                f"expires must be an ISO 8601 time with an offset, got {value!r}"
            ) from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise TokenConfigError(f"expires must be an ISO 8601 time with an offset, got {value!r}")
    return value


def reload_on_sighup(tokens: TokenRegistry) -> None:
    """Reload `tokens` from their source whenever the process gets SIGHUP (POSIX only)."""
    if not hasattr(signal, "SIGHUP"):  # pragma: no cover - Windows
        return

    def reload(_signum: int, _frame: object) -> None:
        try:
            count = tokens.reload()
        except TokenConfigError as error:
            print(f"WARNING tokens not reloaded, the old ones stay: {error}", file=sys.stderr)
            return
        print(f"tokens reloaded: {count}", file=sys.stderr)

    signal.signal(signal.SIGHUP, reload)
