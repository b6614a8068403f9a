"""Signing in to the dashboard from tests: the sign-in form's CSRF token, then the session."""

from __future__ import annotations

import re
from typing import Any

_CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def csrf_in(html: str) -> str:
    """The CSRF token a page's form carries."""
    found = _CSRF.search(html)
    assert found is not None, "no CSRF field in the page"
    return found.group(1)


def sign_in(client: Any, token: str, next_path: str = "/") -> Any:
    """Open the sign-in form and post it with `token`; the response (303 when accepted)."""
    form = client.get("/dashboard/login")
    data = {"token": token, "next": next_path, "csrf": csrf_in(form.text)}
    return client.post("/dashboard/login", data=data, follow_redirects=False)


def page_csrf(client: Any) -> str:
    """The signed-in session's CSRF token (from the scenario page's forms)."""
    return csrf_in(client.get("/dashboard/scenario").text)
