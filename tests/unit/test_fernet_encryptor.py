"""The Fernet adapter of the Encryptor port: rotation-friendly keys and a keyed blind index."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet

from adapters.fernet_encryptor import (
    DecryptionError,
    EncryptionKeyError,
    FernetEncryptor,
    generate_blind_index_key,
    generate_fernet_key,
    parse_blind_index_key,
    parse_fernet_keys,
)

OLD = Fernet.generate_key()
NEW = Fernet.generate_key()
INDEX = bytes.fromhex("cd" * 32)


def test_the_first_key_encrypts_and_every_key_decrypts() -> None:
    old_only = FernetEncryptor([OLD], INDEX)
    rotated = FernetEncryptor([NEW, OLD], INDEX)
    old_token = old_only.encrypt("anna@example.com")

    assert rotated.decrypt(old_token) == "anna@example.com"
    new_token = rotated.encrypt("anna@example.com")
    assert Fernet(NEW).decrypt(new_token.encode()) == b"anna@example.com"
    with pytest.raises(DecryptionError):
        old_only.decrypt(new_token)  # the old key alone cannot read what the new key wrote


def test_a_token_is_never_the_plaintext_and_never_repeats() -> None:
    encryptor = FernetEncryptor([NEW], INDEX)
    first, second = encryptor.encrypt("Анна"), encryptor.encrypt("Анна")
    assert first != second
    assert "Анна" not in first
    assert encryptor.decrypt(first) == encryptor.decrypt(second) == "Анна"


def test_rotate_moves_a_token_under_the_newest_key() -> None:
    old_token = FernetEncryptor([OLD], INDEX).encrypt("+79123456789")
    rotated = FernetEncryptor([NEW, OLD], INDEX)
    assert not rotated.is_current(old_token)

    new_token = rotated.rotate(old_token)

    assert rotated.is_current(new_token)
    assert FernetEncryptor([NEW], INDEX).decrypt(new_token) == "+79123456789"


def test_a_tampered_or_foreign_token_is_an_error_without_the_plaintext() -> None:
    encryptor = FernetEncryptor([NEW], INDEX)
    token = encryptor.encrypt("secret@example.com")
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[-40] ^= 0x01
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode()
    foreign = FernetEncryptor([Fernet.generate_key()], INDEX).encrypt("x")
    for bad in (tampered, foreign, "garbage", token[:-4], "ключ"):
        with pytest.raises(DecryptionError) as caught:
            encryptor.decrypt(bad)
        assert "secret" not in str(caught.value)
        with pytest.raises(DecryptionError):
            encryptor.rotate(bad)
        assert not encryptor.is_current(bad)


def test_the_blind_index_is_deterministic_keyed_and_namespaced() -> None:
    encryptor = FernetEncryptor([NEW], INDEX)
    same_key_other_fernet = FernetEncryptor([OLD], INDEX)
    other_key = FernetEncryptor([NEW], bytes.fromhex("ef" * 32))

    digest = encryptor.blind_index("email", "anna@example.com")

    assert digest == encryptor.blind_index("email", "anna@example.com")
    assert digest == same_key_other_fernet.blind_index("email", "anna@example.com")
    assert digest != other_key.blind_index("email", "anna@example.com")
    assert digest != encryptor.blind_index("email", "anna@example.org")
    assert digest != encryptor.blind_index("phone", "anna@example.com")
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert "anna" not in digest


def test_the_encryptor_repr_shows_no_key() -> None:
    shown = repr(FernetEncryptor([NEW, OLD], INDEX))
    assert NEW.decode() not in shown and OLD.decode() not in shown and "cdcd" not in shown


def test_key_parsing_names_the_bad_key_by_position_only() -> None:
    assert parse_fernet_keys(f" {NEW.decode()} , {OLD.decode()} ") == [NEW, OLD]
    with pytest.raises(EncryptionKeyError, match="key #2") as caught:
        parse_fernet_keys(f"{NEW.decode()},c2hvcnQ=")
    assert "c2hvcnQ" not in str(caught.value)
    with pytest.raises(EncryptionKeyError):
        parse_fernet_keys("")
    assert parse_blind_index_key("ab" * 32) == bytes.fromhex("ab" * 32)
    for bad in ("xyz", "ab" * 16):
        with pytest.raises(EncryptionKeyError):
            parse_blind_index_key(bad)


def test_generated_keys_are_valid_and_distinct() -> None:
    assert parse_fernet_keys(generate_fernet_key())
    assert len(parse_blind_index_key(generate_blind_index_key())) == 32
    assert generate_fernet_key() != generate_fernet_key()


def test_the_encryptor_refuses_to_work_without_proper_keys() -> None:
    with pytest.raises(EncryptionKeyError):
        FernetEncryptor([], INDEX)
    with pytest.raises(EncryptionKeyError):
        FernetEncryptor([NEW], b"short")
