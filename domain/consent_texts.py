"""The consent texts a visitor agrees to, by version.

A consent record stores the version id, never the text, so every version ever shown stays
here: an auditor must be able to read what a person agreed to. Add a new version instead of
editing an old one.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import UnknownConsentVersion
from domain.models import ConsentKind


@dataclass(frozen=True, slots=True)
class ConsentText:
    kind: ConsentKind
    version: str
    text: str


_TEXTS: dict[str, dict[ConsentKind, str]] = {
    "2026-11-01": {
        ConsentKind.PERSONAL_DATA: (
            "Я даю согласие ООО «Эмоциональный баланс» на обработку моих персональных данных "
            "(имя, телефон, адрес электронной почты, имя пользователя Telegram) в целях записи "
            "на консультацию и связи со мной по этой записи в соответствии с Федеральным "
            "законом № 152-ФЗ «О персональных данных». Согласие действует до его отзыва; отозвать "
            "его можно, написав нам."
        ),
        ConsentKind.COMMUNICATIONS: (
            "Я согласен(на) получать сообщения от «Эмоционального баланса» по выбранному "
            "способу связи: о свободном времени для записи и по моей заявке. Отказаться от "
            "сообщений можно в любой момент."
        ),
    },
}

CURRENT_CONSENT_VERSION = "2026-11-01"


def consent_text(kind: ConsentKind, version: str = CURRENT_CONSENT_VERSION) -> ConsentText:
    texts = _TEXTS.get(version)
    if texts is None:
        raise UnknownConsentVersion()
    return ConsentText(kind=kind, version=version, text=texts[kind])


def require_known_version(version: str) -> str:
    if version not in _TEXTS:
        raise UnknownConsentVersion()
    return version


def current_texts() -> tuple[ConsentText, ConsentText]:
    return (
        consent_text(ConsentKind.PERSONAL_DATA),
        consent_text(ConsentKind.COMMUNICATIONS),
    )
