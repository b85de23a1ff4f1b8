"""Resident ID numbers (身份证号): normalising, validating, masking, encrypting and keyed hashing.

Validation is python-stdnum's `cn.ric` (length, digits, ISO 7064 check digit, birth date, and a
division code that existed in the birth year). The birthplace lookup is cached per region and
year, so a million-row registry import does not pay stdnum's table walk for every row.

At rest an ID number is two columns: `id_cipher` (AES-GCM, random nonce, so equal numbers do not
look equal) and `id_hash` (HMAC-SHA256), which is what lookups and unique constraints use. Both keys
derive from one secret: `ID_KEY` in config, else `instance/id_key`, generated on first use.
"""
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, current_app
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from portal.common.i18n import N_

# Full-width digits and Ｘ, as phones' Chinese keyboards type them, and separators people add.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX", " \u3000-\t")

# Problem msgids; callers translate them with _() when showing them.
EMPTY = N_("请填写身份证号。")
BAD_LENGTH = N_("身份证号应为18位。")
BAD_FORMAT = N_("身份证号前17位应为数字，最后一位为数字或X。")
BAD_CHECK_DIGIT = N_("身份证号校验位不对，请逐位核对。")
BAD_BIRTH_DATE = N_("身份证号中的出生日期不存在。")
FUTURE_BIRTH_DATE = N_("身份证号中的出生日期晚于今天。")
BAD_REGION = N_("身份证号前6位不是有效的行政区划代码。")


def normalize(raw: str | None) -> str:
    """'４６０１ ０２…ｘ' → '460102…X'."""
    return (raw or "").strip().translate(_FULL_WIDTH).upper()


@lru_cache(maxsize=65536)
def _place_known(region_and_year: str) -> bool:
    try:
        ric.get_birth_place(region_and_year + "01010000")
    except ValidationError:
        return False
    return True


def problem(number: str, today: date | None = None) -> str | None:
    """The msgid of what is wrong with a *normalised* number, or None when it is valid."""
    if not number:
        return EMPTY
    if len(number) != 18:
        return BAD_LENGTH
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X") or not number.isascii():
        return BAD_FORMAT
    if number[17] != ric.calc_check_digit(number):
        return BAD_CHECK_DIGIT
    try:
        born = ric.get_birth_date(number)
    except ValidationError:
        return BAD_BIRTH_DATE
    if born > (today or date.today()):
        return FUTURE_BIRTH_DATE
    if not _place_known(number[:10]):
        return BAD_REGION
    return None


def birth_date(number: str) -> date:
    return ric.get_birth_date(number)


def sex(number: str) -> str:
    """'male' or 'female': the 17th digit is odd for men."""
    return "male" if int(number[16]) % 2 else "female"


def mask(number: str) -> str:
    """'460102200801011234' → '4601**********1234'."""
    return number[:4] + "*" * (len(number) - 8) + number[-4:] if len(number) > 8 else "*" * len(number)


@dataclass(frozen=True)
class IdVault:
    """Encrypts and hashes ID numbers with keys derived from one secret."""
    hash_key: bytes
    cipher: AESGCM

    @classmethod
    def from_secret(cls, secret: bytes) -> "IdVault":
        return cls(hash_key=hmac.digest(secret, b"portal id-number hash", "sha256"),
                   cipher=AESGCM(hmac.digest(secret, b"portal id-number encryption", "sha256")))

    def hash(self, number: str) -> bytes:
        return hmac.digest(self.hash_key, number.encode(), "sha256")

    def encrypt(self, number: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self.cipher.encrypt(nonce, number.encode(), b"id-number")

    def decrypt(self, blob: bytes) -> str:
        return self.cipher.decrypt(blob[:12], blob[12:], b"id-number").decode()


def init_app(app: Flask) -> None:
    """Load the ID key (config ID_KEY as hex, else instance/id_key, made on first start)."""
    secret = app.config.get("ID_KEY")
    if not secret:
        path = Path(app.instance_path) / "id_key"
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        secret = path.read_text().strip()
    app.extensions["id_vault"] = IdVault.from_secret(bytes.fromhex(secret))


def vault() -> IdVault:
    return current_app.extensions["id_vault"]
