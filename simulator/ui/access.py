"""Who may see the app: Streamlit's OpenID Connect sign-in plus an allow-list of e-mails.

Sign-in is required when the ``ROLLOUT_SIM_REQUIRE_SIGNIN`` environment variable is set
(``make serve`` sets it) or when the secrets hold an ``[auth]`` section. Then a signed-out
visitor sees only a sign-in page and a signed-in user whose e-mail is not allowed sees a
refusal; neither reaches a scenario. The allow-list is ``[access] allow`` in
``.streamlit/secrets.toml`` and/or ``ROLLOUT_SIM_ALLOW`` (comma-separated): an entry with an
``@`` is one address, any other entry a whole e-mail domain (exact, no subdomains).
The pure checks here are shared with :mod:`simulator.serve`, which refuses to start a shared
server without them. No function here logs or prints a secret value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

REQUIRE_ENV = "ROLLOUT_SIM_REQUIRE_SIGNIN"
ALLOW_ENV = "ROLLOUT_SIM_ALLOW"
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
MIN_COOKIE_SECRET = 32
DOCS = "docs/app.md#shared-deployment"

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def signin_required(secrets: Mapping[str, Any], environ: Mapping[str, str] | None = None
                    ) -> bool:
    """True when this server must make every visitor sign in."""
    env = os.environ if environ is None else environ
    return _truthy(env.get(REQUIRE_ENV)) or bool(secrets.get("auth"))


def allow_list(secrets: Mapping[str, Any], environ: Mapping[str, str] | None = None
               ) -> tuple[str, ...]:
    """Allowed addresses and domains (lower case) from ``[access] allow`` and the env var."""
    env = os.environ if environ is None else environ
    section = secrets.get("access") or {}
    raw = section.get("allow", []) if isinstance(section, Mapping) else []
    if isinstance(raw, str):
        raw = [raw]
    entries = [str(e) for e in raw] + env.get(ALLOW_ENV, "").split(",")
    return tuple(dict.fromkeys(e.strip().lower() for e in entries if e.strip()))


def allow_list_problems(entries: tuple[str, ...]) -> list[str]:
    """One line per allow-list entry that is neither an address nor a domain."""
    problems = []
    for e in entries:
        domain = e.rpartition("@")[2] if "@" in e else e
        local = e.rpartition("@")[0] if "@" in e else "x"
        if not local or e.count("@") > 1 or not _DOMAIN.match(domain):
            problems.append(f"access.allow: {e!r} is neither an e-mail address nor a domain "
                            "such as example.com")
    return problems


def email_allowed(email: object, entries: tuple[str, ...], verified: object = True) -> bool:
    """Whether a signed-in user's e-mail is on the allow-list (exact address or domain).

    An identity whose provider says the e-mail is unverified (``email_verified`` false) is
    never allowed.
    """
    if not isinstance(email, str) or verified is False or email.count("@") != 1:
        return False
    addr = email.strip().lower()
    local, _, domain = addr.partition("@")
    if not local or not domain:
        return False
    return addr in entries or domain in entries


def providers(auth: Mapping[str, Any]) -> list[str | None]:
    """Provider names for ``st.login``: ``[None]`` for settings directly in ``[auth]``, else
    the names of the ``[auth.NAME]`` sections that carry provider settings."""
    if all(k in auth for k in PROVIDER_KEYS):
        return [None]
    return [name for name, v in auth.items()
            if isinstance(v, Mapping) and all(k in v for k in PROVIDER_KEYS)]


def auth_problems(secrets: Mapping[str, Any], environ: Mapping[str, str] | None = None
                  ) -> list[str]:
    """What is missing for a signed-in deployment, one line each (never a secret's value)."""
    auth = secrets.get("auth")
    if not isinstance(auth, Mapping) or not auth:
        return ["no [auth] section in .streamlit/secrets.toml (OpenID Connect provider "
                "settings for st.login)"]
    problems = []
    uri = str(auth.get("redirect_uri", ""))
    parsed = urlparse(uri)
    if parsed.scheme not in ("http", "https") or not parsed.netloc \
            or not parsed.path.endswith("/oauth2callback"):
        problems.append("auth.redirect_uri: must be the app's absolute URL ending in "
                        "/oauth2callback")
    if len(str(auth.get("cookie_secret", ""))) < MIN_COOKIE_SECRET:
        problems.append(f"auth.cookie_secret: must be a random string of at least "
                        f"{MIN_COOKIE_SECRET} characters")
    if not providers(auth):
        problems.append("auth: no provider: set " + ", ".join(PROVIDER_KEYS)
                        + " in [auth] or in an [auth.NAME] section")
    entries = allow_list(secrets, environ)
    if not entries:
        problems.append(f"access.allow: empty: list the e-mail addresses or domains that may "
                        f"sign in ([access] allow = [\"example.com\"] or {ALLOW_ENV})")
    problems += allow_list_problems(entries)
    return problems


def _secrets() -> Mapping[str, Any] | None:
    """The app's secrets; None when a secrets file exists but cannot be read (fail closed)."""
    import streamlit as st
    from streamlit import config

    try:
        return st.secrets.to_dict()
    except FileNotFoundError:  # Streamlit's "no secrets" and "cannot parse" errors
        files = config.get_option("secrets.files") or []
        return None if any(os.path.exists(f) for f in files) else {}


def gate() -> str | None:
    """Stop the script unless this visitor may see the app; return their e-mail (or None
    when sign-in is not required). Call before anything reads a scenario."""
    import streamlit as st

    secrets = _secrets()
    if secrets is not None and not signin_required(secrets):
        return None
    problems = auth_problems(secrets) if secrets is not None else ["secrets unreadable"]
    if problems:
        st.title("AI rollout business case")
        st.error("This server requires sign-in but sign-in is not configured; ask its "
                 f"administrator (see {DOCS}).")
        st.stop()
    user = st.user
    if not user.get("is_logged_in", False):
        st.title("AI rollout business case")
        st.write("Sign in to see the business case.")
        for name in providers(secrets["auth"]):
            label = "Sign in" if name is None else f"Sign in with {name}"
            st.button(label, on_click=st.login, args=() if name is None else (name,),
                      key=f"login_{name}")
        st.stop()
    email = user.get("email")
    if not email_allowed(email, allow_list(secrets), user.get("email_verified", True)):
        st.title("AI rollout business case")
        st.error(f"{email or 'This account'} is not allowed to use this app. Sign in with an "
                 "allowed account or ask the administrator to add you.")
        st.button("Sign out", on_click=st.logout, key="logout_refused")
        st.stop()
    with st.sidebar:
        st.caption(f"Signed in as {email}")
        st.button("Sign out", on_click=st.logout, key="logout")
    return str(email)


__all__ = ["ALLOW_ENV", "REQUIRE_ENV", "allow_list", "allow_list_problems", "auth_problems",
           "email_allowed", "gate", "providers", "signin_required"]
