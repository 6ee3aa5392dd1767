"""Camera credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256), key from the environment."""

from __future__ import annotations

import json
import os
from typing import Final

from cryptography.fernet import Fernet, InvalidToken

from smartcity_kit.errors import ConfigurationError
from smartcity_kit.security.adapters._base import Credentials

__all__ = ["SECRET_KEY_VARIABLE", "SecretBox"]

#: The environment variable that holds the key (from :meth:`SecretBox.generate_key`).
SECRET_KEY_VARIABLE: Final = "SMARTCITY_SECRET_KEY"  # noqa: S105 - a variable name


class SecretBox:
    """Encrypts and decrypts camera credentials with one key.

    Keep the key out of the database and out of the code: in the service's environment, or a
    secret store that sets it. Losing the key loses the stored passwords (set them again);
    a leaked database without the key leaks none.

    Args:
        key: A Fernet key (32 url-safe base64-encoded bytes).

    Raises:
        ConfigurationError: The key is not a Fernet key.
    """

    def __init__(self, key: str | bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise ConfigurationError(
                f"{SECRET_KEY_VARIABLE} is not a valid key: make one with "
                "`smartcity-kit cameras secret-key`"
            ) from None

    @classmethod
    def from_env(cls) -> SecretBox | None:
        """The box for the key in ``SMARTCITY_SECRET_KEY``, or None when it is not set."""
        key = os.environ.get(SECRET_KEY_VARIABLE, "").strip()
        return cls(key) if key else None

    @staticmethod
    def generate_key() -> str:
        """A new random key, as text for ``SMARTCITY_SECRET_KEY``."""
        return Fernet.generate_key().decode()

    def seal(self, credentials: Credentials) -> str:
        """The credentials, encrypted, as text to store."""
        plain = json.dumps({"u": credentials.username, "p": credentials.password})
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, token: str) -> Credentials:
        """The credentials from :meth:`seal`'s text.

        Raises:
            ConfigurationError: The text was sealed with another key, or altered.
        """
        try:
            plain = json.loads(self._fernet.decrypt(token.encode()))
        except (InvalidToken, ValueError, TypeError):
            raise ConfigurationError(
                f"stored camera credentials cannot be decrypted with this {SECRET_KEY_VARIABLE} "
                "(another key, or altered data): set them again"
            ) from None
        return Credentials(str(plain["u"]), str(plain["p"]))

    def __repr__(self) -> str:
        return "SecretBox(key=***)"
