"""Redacting secrets from text a server sent back, in every form it may have echoed them.

A server that echoes a request in an error shows a credential the way that request carried
it: as written, JSON-escaped (a password holding `"` or `\\`), URL-encoded (a form body or a
query), HTML-escaped (an error page), or after `Bearer ` in an echoed header. `Redactor`
knows each of these forms of each secret and replaces them all.

A secret is replaced only as a whole token, never inside a longer run of letters and
digits: a four-letter password must not turn "Requests" into "Req***ests". Callers redact
only text that came from outside (an API's error message, an exception's text), never
their own words such as the request path, so `/rest/2.0/login` stays readable whatever the
password is.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

__all__ = ["MASK", "Redactor", "encoded_forms"]

MASK = "***"

#: A secret's edge character that is a letter or digit must not touch another one.
_WORD = r"[^\W_]"


def encoded_forms(secret: str) -> set[str]:
    """Every form in which `secret` may come back in a server's answer."""
    forms = {
        secret,
        json.dumps(secret)[1:-1],  # JSON-escaped, non-ASCII as \uXXXX
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe=""),  # URL-encoded (a path segment or a query value)
        quote_plus(secret, safe=""),  # a form body (application/x-www-form-urlencoded)
        html.escape(secret, quote=True),
        repr(secret)[1:-1],  # a Python repr of a decoded body (backslashes doubled)
    }
    return {form for form in forms if form}


class Redactor:
    """Replaces every encoded form of every registered secret with `mask` (`***`)."""

    def __init__(self, secrets: Iterable[str] = (), mask: str = MASK) -> None:
        self._mask = mask
        self._forms: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Never let `secret` (in any encoding) through `redact`."""
        if not secret:
            return
        new = encoded_forms(secret) - self._forms
        if new:
            self._forms |= new
            self._pattern = None

    def __bool__(self) -> bool:
        return bool(self._forms)

    def redact(self, text: str) -> str:
        """`text` with every whole-token occurrence of every form replaced."""
        if not self._forms or not text:
            return text
        if self._pattern is None:
            # Longest first, so a secret's encoded form wins over a shorter secret inside it.
            alternatives = [_token(form) for form in sorted(self._forms, key=len, reverse=True)]
            self._pattern = re.compile("|".join(alternatives))
        return self._pattern.sub(self._mask, text)


def _token(form: str) -> str:
    """`form` as a regex that matches only where it is not part of a longer word."""
    # ...unless what touches it is the end of an escape (`%20`, `\n`) rather than a word.
    before = (
        f"(?:(?<!{_WORD})|(?<=%[0-9A-Fa-f]{{2}})|(?<=\\[a-z]))" if re.match(_WORD, form[0]) else ""
    )
    after = f"(?!{_WORD})" if re.match(_WORD, form[-1]) else ""
    # Percent-encoding's hex digits match in either case: some servers echo %2f for %2F.
    parts = _PERCENT.split(form)
    body = "".join(
        _any_case(part) if index % 2 else re.escape(part) for index, part in enumerate(parts)
    )
    return before + body + after


_PERCENT = re.compile(r"(%[0-9A-F]{2})")


def _any_case(escape: str) -> str:
    return "%" + "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in escape[1:])
