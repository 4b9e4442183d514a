"""Invitation links: an administrator makes one, the person who opens it creates an account.

A link is single-use and expires after `INVITATION_LIFETIME`; only the hash of its token is
stored. Accepting locks the invitation row, so one link cannot make two accounts, and an
email already in use is refused rather than taken over.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from server.accounts import auth
from server.accounts.passwords import hash_password
from server.i18n import N_
from server.settings import Settings
from server.store import accounts
from server.store import invitations as store

INVITATION_LIFETIME = timedelta(days=7)
MAX_TOKEN = 100
MIN_PASSWORD = 10
ROLES = ("editor", "admin")

BAD_ROLE = N_("Choose the role: editor or administrator.")
BAD_EMAIL = N_("Enter an email address.")
SHORT_PASSWORD = N_("The password needs at least 10 characters.")
PASSWORDS_DIFFER = N_("The two passwords differ.")
EMAIL_TAKEN = N_("An account already uses this email address.")
INVITATION_UNKNOWN = N_("This invitation link is not valid. Check that it was copied whole.")
INVITATION_GONE = N_(
    "This invitation has already been used or has expired. Ask an administrator for a new one."
)


class InvitationUnusable(Exception):
    """The link is unknown (404) or used or expired (410); `message` is a msgid."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Accepted:
    """What accepting made: the account, or None with the form's errors."""

    account_id: int | None
    session: str | None
    errors: tuple[str, ...] = ()


def invitation_link(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/invite/{token}"


async def create_invitation(
    conn: asyncpg.Connection, role: str, created_by: int | None
) -> tuple[str, datetime]:
    """A new invitation: (token for the link, never stored as is; expiry)."""
    token = secrets.token_urlsafe(32)
    expires_at = await store.insert_invitation(
        conn, auth.hash_token(token), role, created_by, INVITATION_LIFETIME
    )
    return token, expires_at


async def usable_role(conn: asyncpg.Connection, token: str, *, for_update: bool = False) -> str:
    """The role the link grants; `InvitationUnusable` when it cannot be used."""
    row = None
    if len(token) <= MAX_TOKEN:
        row = await store.invitation(conn, auth.hash_token(token), for_update=for_update)
    if row is None:
        raise InvitationUnusable(404, INVITATION_UNKNOWN)
    if not row["usable"]:
        raise InvitationUnusable(410, INVITATION_GONE)
    return str(row["role"])


def account_problems(email: str, password: str, confirm: object) -> list[str]:
    """What is wrong with the form's email and passwords (msgids), pure."""
    errors = []
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        errors.append(BAD_EMAIL)
    if len(password) < MIN_PASSWORD or len(password) > auth.MAX_PASSWORD:
        errors.append(SHORT_PASSWORD)
    elif confirm != password:
        errors.append(PASSWORDS_DIFFER)
    return errors


async def accept(
    pool: asyncpg.Pool, token: str, email: str, password: str, previous_session: str | None
) -> Accepted:
    """Create the account the link invites, use the link up and open a session (ending the
    browser's previous one), all in one transaction."""
    hashed = await asyncio.to_thread(hash_password, password)
    async with pool.acquire() as conn, conn.transaction():
        role = await usable_role(conn, token, for_update=True)
        account_id = await accounts.insert_account(conn, email, hashed, role)
        if account_id is None:
            return Accepted(None, None, (EMAIL_TAKEN,))
        await store.use_invitation(conn, auth.hash_token(token))
        if previous_session:
            await auth.discard_session(conn, previous_session)
        session = await auth.open_session(conn, account_id)
    return Accepted(account_id, session)
