"""Contact encryption: MultiFernet over rotating keys, and an HMAC-SHA256 blind index."""

from __future__ import annotations

import binascii
import hashlib
import hmac
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class EncryptionKeyError(ValueError):
    """A configured key is malformed. The message never contains the key."""


class DecryptionError(ValueError):
    """A token was not produced by any configured key, or was tampered with."""


def parse_fernet_keys(raw: str) -> list[bytes]:
    keys = [part.strip().encode("ascii") for part in raw.split(",") if part.strip()]
    if not keys:
        raise EncryptionKeyError("CONTACT_ENCRYPTION_KEYS holds no key")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, binascii.Error) as exc:
            raise EncryptionKeyError(
                f"CONTACT_ENCRYPTION_KEYS: key #{position} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes)"
            ) from exc
    return keys


def parse_blind_index_key(raw: str) -> bytes:
    try:
        key = bytes.fromhex(raw.strip())
    except ValueError as exc:
        raise EncryptionKeyError("BLIND_INDEX_KEY is not hexadecimal") from exc
    if len(key) < 32:
        raise EncryptionKeyError("BLIND_INDEX_KEY must be at least 32 bytes (64 hex digits)")
    return key


class FernetEncryptor:
    """Implements the ``Encryptor`` port.

    The first key encrypts; every key decrypts, so keys can be rotated: put a new key first,
    run ``rotate-keys``, then drop the old one.
    """

    def __init__(self, fernet_keys: Sequence[bytes], blind_index_key: bytes) -> None:
        if not fernet_keys:
            raise EncryptionKeyError("at least one Fernet key is required")
        if len(blind_index_key) < 32:
            raise EncryptionKeyError("the blind index key must be at least 32 bytes")
        self._fernets = [Fernet(key) for key in fernet_keys]
        self._multi = MultiFernet(self._fernets)
        # Keyed once; each index copies it (saves the HMAC key set-up on every call).
        self._index_mac = hmac.new(blind_index_key, digestmod=hashlib.sha256)

    def __repr__(self) -> str:
        return f"FernetEncryptor(keys={len(self._fernets)}, blind_index_key=***)"

    def encrypt(self, plaintext: str) -> str:
        return self._multi.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._multi.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise DecryptionError("the token cannot be decrypted with any configured key") from exc

    def rotate(self, token: str) -> str:
        try:
            return self._multi.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError) as exc:
            raise DecryptionError("the token cannot be decrypted with any configured key") from exc

    def is_current(self, token: str) -> bool:
        try:
            self._fernets[0].decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeError):
            return False
        return True

    def blind_index(self, namespace: str, normalised_value: str) -> str:
        mac = self._index_mac.copy()
        mac.update(f"{namespace}\x1f{normalised_value}".encode())
        return mac.hexdigest()


def generate_fernet_key() -> str:
    return Fernet.generate_key().decode("ascii")


def generate_blind_index_key() -> str:
    import secrets

    return secrets.token_hex(32)
