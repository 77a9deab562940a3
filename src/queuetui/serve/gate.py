"""Who may come in: the config's tokens (by their SHA-256), the token made at start, and the cookies
handed out for them. Every comparison of a secret runs in constant time (hmac.compare_digest), and
every configured user is compared, whoever matches.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from queuetui.config import WebUser
from queuetui.roles import Role

COOKIE = "queuetui_session"


@dataclass(frozen=True)
class WebIdentity:
    """A browser user the gate let in: the name the audit records and the role they asked for."""

    name: str
    role: Role


def sha256_hex(token: str) -> str:
    """The SHA-256 of a token as the config stores it: 64 lower-case hex digits."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


class Gate:
    def __init__(self, users: tuple[WebUser, ...], local: tuple[WebIdentity, str] | None) -> None:
        """`users` from [serve.users]; `local`: the person who started the server and the token made for
        them at start (valid until the server stops), or None when there is none."""
        self._users = [(WebIdentity(u.name, u.role), u.token_sha256) for u in users]
        if local is not None:
            self._users.append((local[0], sha256_hex(local[1])))
        self._cookies: dict[str, WebIdentity] = {}

    def by_token(self, token: str) -> WebIdentity | None:
        """The user whose token this is, or None; every user's hash is compared."""
        digest = sha256_hex(token)
        found = None
        for identity, expected in self._users:
            if hmac.compare_digest(digest, expected):
                found = identity
        return found

    def issue_cookie(self, identity: WebIdentity) -> str:
        """A new random cookie value standing for `identity` until the server stops."""
        value = secrets.token_urlsafe(32)
        self._cookies[sha256_hex(value)] = identity
        return value

    def by_cookie(self, value: str) -> WebIdentity | None:
        """The user a cookie was issued to, or None; looked up by its hash, so timing tells nothing of it."""
        return self._cookies.get(sha256_hex(value))
