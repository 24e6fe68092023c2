"""Public tokens printed as QR codes on walls.

A token is random (from `secrets`), never derived from a database id, so printed codes
cannot be enumerated and survive any renumbering of rows. The 32-symbol alphabet is the
upper-case letters and digits without the look-alikes 0/O and 1/I (upper-case, so there
is no l either); lookups accept lower case too.
"""

import secrets

TOKEN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# 32**10 = 2**50 ≈ 1.1 × 10**15 tokens: against 200,000 live codes, a million guesses
# find one with a chance of about 2 in 10**4 — and failed lookups are rate-limited.
TOKEN_LENGTH = 10


def new_public_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def normalise_token(text: str) -> str:
    """A token as typed or scanned, in its stored (upper-case) form."""
    return text.strip().upper()
