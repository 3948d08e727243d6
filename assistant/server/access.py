"""Who may call the API: bearer keys from $ASSISTANT_API_KEYS or a file, none by default.

With no key configured the API is open, like the page without --auth: fine on 127.0.0.1, the
default host. Keys are compared in constant time, so a wrong key's answer time says nothing
about the right one."""

from __future__ import annotations

import hmac
import os
from pathlib import Path

from ..errors import InputError

ENV_KEYS = "ASSISTANT_API_KEYS"  # comma-separated
ENV_KEY_FILE = "ASSISTANT_API_KEY_FILE"


class ApiKeys:
    """The keys a request may present as `Authorization: Bearer KEY`; empty: no check."""

    def __init__(self, keys: list[str] | tuple[str, ...] = ()) -> None:
        self._keys = tuple(key.encode() for key in keys if key)

    @classmethod
    def load(cls, key_file: str | Path | None = None) -> ApiKeys:
        """The keys of `key_file` (one a line, `#` comments), else of $ASSISTANT_API_KEY_FILE,
        plus those of $ASSISTANT_API_KEYS."""
        keys = [key.strip() for key in os.environ.get(ENV_KEYS, "").split(",")]
        path = key_file or os.environ.get(ENV_KEY_FILE)
        if path:
            keys += read_key_file(Path(path))
        return cls(keys)

    @property
    def required(self) -> bool:
        return bool(self._keys)

    def allows(self, authorization: str | None) -> bool:
        """Whether an Authorization header carries one of the keys (any, when none is set)."""
        if not self._keys:
            return True
        scheme, _, presented = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            return False
        given = presented.strip().encode()
        # Every key is compared, so the time taken does not say which one came close.
        return sum(hmac.compare_digest(given, key) for key in self._keys) > 0


def read_key_file(path: Path) -> list[str]:
    """One key a line; blank lines and `#` comments skipped. A missing or empty file is an
    error: a server started to be locked must not come up open."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InputError(f"cannot read the API key file {path}: {error.strerror or error}") from None
    keys = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not keys:
        raise InputError(f"the API key file {path} holds no key (one a line)")
    return keys
