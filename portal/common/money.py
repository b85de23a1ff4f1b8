"""Money is integer fen (分) everywhere; these convert at the edges, where people type yuan."""
from decimal import Decimal, InvalidOperation


def yuan_to_fen(yuan: Decimal | str | int) -> int:
    """Yuan with at most two decimals to integer fen; ValueError for anything else."""
    try:
        amount = Decimal(str(yuan))
    except InvalidOperation:
        raise ValueError(f"not an amount: {yuan!r}") from None
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"more than two decimals: {yuan!r}")
    return int(fen)


def fen_to_yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100
