"""Resident ID numbers (身份证号): normalising, validating, masking, encrypting and keyed hashing.

Validation uses python-stdnum's `cn.ric` and its table of division codes: length, digits, ISO 7064
check digit, a real birth date not in the future, a known division code. The division lookup is
cached per code, so a million-row registry import does not walk stdnum's table for every row.

At rest an ID number is two columns: `id_cipher` (AES-GCM, random nonce, so equal numbers do not
look equal) and `id_hash` (HMAC-SHA256), which is what lookups and unique constraints use. Both keys
derive from one secret: `ID_KEY` in config, else `instance/id_key`, generated on first use.
"""
import hashlib
import hmac
import os
import secrets
from datetime import date
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, current_app
from stdnum import numdb
from stdnum.cn import ric

from portal.common.i18n import N_
from portal.db import today as china_today

# Full-width digits and Ｘ, as phones' Chinese keyboards type them, and separators people add.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX", " \u3000-\t")

# Problem msgids; callers translate them with _() when showing them.
EMPTY = N_("请填写身份证号。")
BAD_LENGTH = N_("身份证号应为18位。")
BAD_FORMAT = N_("身份证号前17位应为数字，最后一位为数字或X。")
BAD_CHECK_DIGIT = N_("身份证号有一位填错了，请对照身份证逐位核对。")
BAD_BIRTH_DATE = N_("身份证号中的出生日期不存在。")
FUTURE_BIRTH_DATE = N_("身份证号中的出生日期晚于今天。")
BAD_REGION = N_("身份证号前6位（地区编码）不对，请对照身份证核对。")


def normalize(raw: str | None) -> str:
    """'４６０１ ０２…ｘ' → '460102…X'; also a number exported as text for Excel, '460102… or ="460102…"."""
    number = (raw or "").strip()
    if not (number.isascii() and number.isalnum()):  # else nothing to translate, as in most numbers typed
        if number.startswith('="') and number.endswith('"'):
            number = number[2:-1]
        number = number.removeprefix("'").translate(_FULL_WIDTH)
    return number.upper()


@lru_cache(maxsize=8192)
def _region_known(code: str) -> bool:
    """The code is in python-stdnum's table of division codes, in any year.

    stdnum's own `validate` also wants the code to have existed in the birth year, which refuses the
    grandparents of Hainan (a province since 1988), whose numbers were issued with today's codes.
    """
    return any("county" in props for _part, props in numdb.get("cn/loc").info(code))


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
    try:  # what ric.get_birth_date does, without cleaning the number again (a third of the cost)
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return BAD_BIRTH_DATE
    if born > (today or china_today()):
        return FUTURE_BIRTH_DATE
    if not _region_known(number[:6]):
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


class IdVault:
    """Encrypts and hashes ID numbers with keys derived from one secret.

    `hash` is HMAC-SHA256 computed from the key's two padded SHA-256 states, made once: the same
    digest as `hmac.digest`, at a third of its cost, which a million-row registry import feels.
    """
    NONCE = 12

    def __init__(self, hash_key: bytes, cipher: AESGCM):
        self.hash_key, self.cipher = hash_key, cipher
        block = hash_key.ljust(64, b"\0")  # the key is 32 bytes: shorter than SHA-256's block, so padded
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    @classmethod
    def from_secret(cls, secret: bytes) -> "IdVault":
        return cls(hash_key=hmac.digest(secret, b"portal id-number hash", "sha256"),
                   cipher=AESGCM(hmac.digest(secret, b"portal id-number encryption", "sha256")))

    def hash(self, number: str) -> bytes:
        inner = self._inner.copy()
        inner.update(number.encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def seal(self, data: bytes, nonce: bytes | None = None) -> bytes:
        """Encrypt any bytes that hold ID numbers: one number, or a whole uploaded file listing them."""
        nonce = nonce or os.urandom(self.NONCE)
        return nonce + self.cipher.encrypt(nonce, data, b"id-number")

    def unseal(self, blob: bytes) -> bytes:
        # A memoryview, so a sealed file of a hundred megabytes is not copied once more to skip the nonce.
        return self.cipher.decrypt(blob[:self.NONCE], memoryview(blob)[self.NONCE:], b"id-number")

    def encrypt(self, number: str) -> bytes:
        return self.seal(number.encode())

    def encrypt_all(self, numbers: list[str]) -> list[bytes]:
        """Each number encrypted with its own random nonce, the nonces drawn in one call."""
        size = self.NONCE
        nonces = os.urandom(size * len(numbers))
        seal = self.seal
        return [seal(number.encode(), nonces[i:i + size]) for i, number in zip(range(0, len(nonces), size), numbers)]

    def decrypt(self, blob: bytes) -> str:
        return self.unseal(blob).decode()


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
