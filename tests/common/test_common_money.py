"""Money crosses from typed yuan to stored fen and back without losing a fen."""
from decimal import Decimal

import pytest

from portal.common.money import fen_to_yuan, yuan_to_fen


@pytest.mark.parametrize("yuan, fen", [("0", 0), ("3000", 300000), ("2800.5", 280050), ("0.01", 1),
                                       (Decimal("1234.56"), 123456), (15, 1500)])
def test_yuan_to_fen(yuan, fen):
    assert yuan_to_fen(yuan) == fen


@pytest.mark.parametrize("bad", ["10.005", "abc", "", "1e-3"])
def test_amounts_with_fractions_of_a_fen_or_no_number_are_refused(bad):
    with pytest.raises(ValueError):
        yuan_to_fen(bad)


def test_every_fen_amount_round_trips():
    for fen in list(range(0, 1000)) + [99_999, 100_000_000]:
        assert yuan_to_fen(fen_to_yuan(fen)) == fen
