"""User text shown as text: Markdown in a scenario, wave, tier or gate name is escaped.

Streamlit renders Markdown in headers, captions, expander labels, alerts and
``st.markdown``; a scenario named ``[Session expired](https://example.com/login)`` would
put a live external link in the page. Every piece of text a user (a file, an upload, a
URL parameter) controls goes through :func:`md_escape` before it reaches one of those.
Ordinary names ("Seed case: pilot to stalled rollout") come out unchanged.
"""

from __future__ import annotations

import re

# Characters that open links, images, HTML, emphasis, code, headings, tables, LaTeX and
# autolinks (``/`` of ``https://``, ``@`` of e-mail addresses).
_ALWAYS = re.compile(r"([\\`*_~\[\]()<>#|$/@{}])")
# Streamlit's :red[...] colour and :material/...: / :smile: directives.
_DIRECTIVE = re.compile(r":(?=[A-Za-z])")
# GFM's www. autolinks.
_WWW = re.compile(r"(?i)\b(www)\.")
# Block markers at the start: lists, quotes, setext underlines.
_LEADING = re.compile(r"^(\s*)([-+=>]|\d+(?=[.)]))")


def md_escape(text: object) -> str:
    """``text`` with every Markdown-active character backslash-escaped, on one line (a
    newline would start a new Markdown block)."""
    flat = " ".join(str(text).replace("\r", " ").split("\n"))
    out = _ALWAYS.sub(r"\\\1", flat)
    out = _DIRECTIVE.sub(r"\\:", out)
    out = _WWW.sub(r"\1\\.", out)
    return _LEADING.sub(lambda m: m.group(1) + "\\" + m.group(2) if not m.group(2)[0]
                        .isdigit() else m.group(1) + m.group(2) + "\\", out)


# What makes a link in one line of Markdown: [text](url) and ![alt](url), <scheme:...> and
# <a@b> autolinks (browsers read https:\/\/ as https://, so their "<" is escaped), and
# GFM's autolinks (scheme://, www.). A "<" in "min <= mode" stays as it is.
_LINKISH = re.compile(r"(\]\(|<(?=[A-Za-z][A-Za-z0-9+.\-]{1,31}:|[^\s<>@]+@)|://|"
                      r"(?i:\bwww)\.)")


def md_unlink(text: object) -> str:
    """``text`` on one line with every way Markdown makes a link broken by a backslash, and
    nothing else changed: for messages that quote user text (``cohorts[0]`` stays
    readable in the raw string)."""
    flat = " ".join(str(text).replace("\r", " ").split("\n"))
    return _LINKISH.sub(lambda m: {"](": "]\\(", "<": "\\<", "://": ":\\/\\/"}.get(
        m.group(1), m.group(1)[:-1] + "\\."), flat)


__all__ = ["md_escape", "md_unlink"]
