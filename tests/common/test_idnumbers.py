"""ID numbers at rest: the keyed hash lookups depend on, and encryption of many numbers at once."""
import hmac
import os

import pytest

from portal.common.idnumbers import IdVault, normalize


@pytest.fixture
def vault_of_a_secret():
    return IdVault.from_secret(os.urandom(32))


def test_the_hash_is_hmac_sha256_so_stored_hashes_keep_matching(vault_of_a_secret, id_number):
    for number in (id_number(), id_number(), "", "X" * 200):
        assert vault_of_a_secret.hash(number) == hmac.digest(vault_of_a_secret.hash_key, number.encode(), "sha256")


def test_numbers_encrypted_together_each_get_their_own_nonce(vault_of_a_secret, id_number):
    number = id_number()
    blobs = vault_of_a_secret.encrypt_all([number, number, "46903020100721024X"])

    assert [vault_of_a_secret.decrypt(blob) for blob in blobs] == [number, number, "46903020100721024X"]
    assert len({blob[:IdVault.NONCE] for blob in blobs}) == 3 and blobs[0] != blobs[1]
    assert vault_of_a_secret.encrypt_all([]) == []


@pytest.mark.parametrize(("raw", "number"), [
    ("46903020100721024x", "46903020100721024X"),
    (" ４６９０３０ ２０１００７２１ ０２４ｘ ", "46903020100721024X"),
    ("469030-20100721-024X", "46903020100721024X"),
    ("469030\u300020100721024X", "46903020100721024X"),
    # As systems export numbers for Excel to keep as text.
    ("'46903020100721024X", "46903020100721024X"),
    ('="46903020100721024X"', "46903020100721024X"),
    ("\t46903020100721024X", "46903020100721024X"),
    (None, ""),
])
def test_typed_numbers_are_normalised(raw, number):
    assert normalize(raw) == number
