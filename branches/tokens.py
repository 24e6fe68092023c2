"""Public tokens printed as QR codes on walls.

A token is random, never derived from a database id, so printed codes cannot be
enumerated and survive any renumbering of rows. The alphabet leaves out the
characters people confuse when they read a code aloud (0/o, 1/l/i).
"""

import secrets

TOKEN_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
TOKEN_LENGTH = 10  # 31**10 ≈ 8 × 10**14 possible tokens


def new_public_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))
