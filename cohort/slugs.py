"""The one slug rule: names and titles become stable ASCII keys (mentors, streams and scholars alike). Pure."""

from __future__ import annotations

import hashlib
import re
import unicodedata

SLUG_MAX_CHARS = 100
# Letters NFKD does not decompose to ASCII, so slugs keep a trace of them instead of dropping them.
_TRANSLITERATIONS = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d"}
    | {"Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ı": "i"}
)


def slugify_ascii(text: str) -> str:
    """A stable ASCII slug: ``Adrià Garriga Alonso`` → ``adria-garriga-alonso``."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATIONS)).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.decode().lower()).strip("-")
    if not slug:
        # A name with no Latin letters still needs a stable key; derive it from the name itself.
        return "x-" + hashlib.sha256(text.encode()).hexdigest()[:12]
    return slug[:SLUG_MAX_CHARS].rstrip("-")
