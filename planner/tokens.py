"""`planner tokens add|list|revoke`: the token file, kept as hashes, without editing YAML by hand.

The file is the one `planner serve` reads: `--tokens FILE`, else $PLANNER_TOKENS_FILE, else
`data/tokens.yaml` (beside the default store). `add` makes a random token, prints it once and
stores only its SHA-256 (`token_sha256`); `list` shows each entry by the first 12 hex digits
of its hash (its id); `revoke ID` removes the entries whose hash starts with ID. Entries are
rewritten as they were read, keys this command does not know included (such as `expires`),
and the file is replaced atomically, readable by its owner only.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import yaml

from api.auth import ROLES, TOKENS_FILE_VARIABLE, TokenConfigError, TokenRegistry, token_digest
from planner.config import DEFAULT_DATA_DIR

DEFAULT_TOKENS_FILE = DEFAULT_DATA_DIR / "tokens.yaml"
ID_DIGITS = 12
MIN_ID_DIGITS = 6
EXIT_OK, EXIT_BAD_INPUT = 0, 2
HEADER = (
    "# Tokens of `planner serve`, managed by `planner tokens add|list|revoke`.\n"
    "# Only SHA-256 hashes of the tokens are kept here.\n"
)


def tokens_file(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The token file in force: the explicit one, else $PLANNER_TOKENS_FILE, else the default."""
    environ = os.environ if environ is None else environ
    return Path(explicit or environ.get(TOKENS_FILE_VARIABLE) or DEFAULT_TOKENS_FILE)


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `tokens` subcommand and its three actions."""
    tokens = commands.add_parser("tokens", help="add, list or revoke API and dashboard tokens")
    tokens.add_argument("--tokens", metavar="FILE", help="token file (default: see planner serve)")
    actions = tokens.add_subparsers(title="actions", dest="action", required=True)
    add = actions.add_parser("add", help="make a token, print it once, store its hash")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--partner", help="slug of the organization it speaks for (not for admin)")
    add.add_argument("--comment", help="who holds it, for the list")
    actions.add_parser("list", help="the tokens in the file (ids, roles, partners)")
    revoke = actions.add_parser("revoke", help="remove a token by its id (see list)")
    revoke.add_argument("id", help=f"its id, or at least {MIN_ID_DIGITS} leading hex digits")
    tokens.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Carry out `planner tokens ACTION`."""
    path = tokens_file(args.tokens)
    try:
        entries = read_entries(path)
        if args.action == "add":
            return _add(path, entries, args)
        if args.action == "list":
            return _list(path, entries)
        return _revoke(path, entries, args.id)
    except TokenConfigError as error:
        print(f"ERROR {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


def read_entries(path: Path) -> list[dict[str, object]]:
    """The file's entries as written (an absent file has none)."""
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise TokenConfigError(f"cannot read token file {path}: {error}") from None
    if isinstance(data, Mapping) and set(data) == {"tokens"}:
        data = data["tokens"]
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(entry, dict) for entry in data):
        raise TokenConfigError(f"{path}: expected a list of token entries")
    return data


def write_entries(path: Path, entries: list[dict[str, object]]) -> None:
    """Replace the file atomically with these entries (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = HEADER + yaml.safe_dump(entries, sort_keys=False, allow_unicode=True)
    handle, scratch = tempfile.mkstemp(prefix=".tokens-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(scratch, 0o600)
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def entry_id(entry: Mapping[str, object]) -> str:
    """The first hex digits of the entry's token hash (computed for a plain `token:` entry)."""
    return _full_id(entry)[:ID_DIGITS] or "?"


def _add(path: Path, entries: list[dict[str, object]], args: argparse.Namespace) -> int:
    token = new_token()
    entry: dict[str, object] = {"token_sha256": token_digest(token).hex(), "role": args.role}
    if args.partner:
        entry["partner"] = args.partner
    if args.comment:
        entry["comment"] = args.comment
    if args.role != "admin" and not args.partner:
        raise TokenConfigError(f"a {args.role} token speaks for a partner: add --partner SLUG")
    TokenRegistry.from_entries([entry], "the new token")  # the same rules as `planner serve`
    write_entries(path, [*entries, entry])
    print(token)
    print(
        f"added token {entry_id(entry)} ({_who(entry)}) to {path}; only its hash is stored, so "
        "keep the token now: it is not shown again",
        file=sys.stderr,
    )
    return EXIT_OK


def _list(path: Path, entries: list[dict[str, object]]) -> int:
    if not entries:
        print(f"no tokens in {path} (add one: planner tokens add --role admin)", file=sys.stderr)
        return EXIT_OK
    print(f"{'id':<{ID_DIGITS}}  {'role':<11}  {'partner':<16}  comment")
    for entry in entries:
        extra = "; ".join(
            f"{key} {value}"
            for key, value in entry.items()
            if key not in ("token", "token_sha256", "role", "partner", "comment")
        )
        plain = "token in clear text in the file" if "token" in entry else ""
        notes = "; ".join(n for n in (str(entry.get("comment") or ""), extra, plain) if n)
        print(
            f"{entry_id(entry):<{ID_DIGITS}}  {entry.get('role', '?')!s:<11}  "
            f"{entry.get('partner') or '-'!s:<16}  {notes}".rstrip()
        )
    return EXIT_OK


def _revoke(path: Path, entries: list[dict[str, object]], wanted: str) -> int:
    wanted = wanted.strip().lower()
    if len(wanted) < MIN_ID_DIGITS:
        print(f"ERROR give at least {MIN_ID_DIGITS} hex digits of the id", file=sys.stderr)
        return EXIT_BAD_INPUT
    matching = [e for e in entries if _full_id(e).startswith(wanted)]
    if len(matching) != 1:
        found = "no token" if not matching else f"{len(matching)} tokens"
        print(f"ERROR {found} in {path} with an id starting {wanted!r}", file=sys.stderr)
        return EXIT_BAD_INPUT
    write_entries(path, [e for e in entries if e is not matching[0]])
    print(
        f"revoked token {entry_id(matching[0])} ({_who(matching[0])}); a running server "
        "accepts it until it reads the file again (restart it)",
        file=sys.stderr,
    )
    return EXIT_OK


def _full_id(entry: Mapping[str, object]) -> str:
    hashed = entry.get("token_sha256")
    if isinstance(hashed, str):
        return hashed.lower()
    token = entry.get("token")
    return token_digest(str(token)).hex() if token is not None else ""


def _who(entry: Mapping[str, object]) -> str:
    partner = entry.get("partner")
    return f"{entry.get('role')}" + (f" for {partner}" if partner else "")
