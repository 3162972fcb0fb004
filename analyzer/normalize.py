"""One mapping of text for matching and for the model, with a way back to the original.

NFKC (which also folds full-width letters, digits and punctuation to half-width),
Traditional to Simplified with OpenCC, ASCII lower-case. The result has the same length
as its input whenever possible, so that positions found in normalised text point into
the original; where a conversion changes length, ``Normalized.to_original`` maps back.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _nfkc_char(ch: str) -> str:
    if "\ud800" <= ch <= "\udfff":
        return "\ufffd"  # a lone surrogate cannot be encoded, and OpenCC works on UTF-8
    out = unicodedata.normalize("NFKC", ch)
    # NFKC turns an ideographic space into a plain space, but keeps some compatibility forms longer
    # than one char (e.g. "㈠" -> "(一)"); both are fine for matching, and the offset map handles them.
    return out.lower() if out.isascii() else out


@dataclass(frozen=True)
class Normalized:
    text: str
    # offsets[i] is the index in the original text of normalised char i; one extra entry for the end.
    offsets: tuple[int, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the normalised text to the span of the original text it came from."""
        if start >= end:
            o = self.offsets[start]
            return o, o
        s = self.offsets[start]
        e = self.offsets[end - 1]
        # the original char that produced normalised char end-1 ends where the next original char begins
        nxt = next((o for o in self.offsets[end:] if o > e), None)
        return s, (nxt if nxt is not None else self.offsets[-1])


def normalize(text: str) -> Normalized:
    """Normalise ``text`` for matching and for the model, keeping a map to the original offsets."""
    pieces: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        n = _nfkc_char(ch)
        pieces.append(n)
        offsets.extend([i] * len(n))
    folded = "".join(pieces)
    simplified = _t2s().convert(folded)
    if len(simplified) != len(folded):
        # Phrase conversions rarely change length; fall back to char-by-char so offsets stay aligned.
        simplified = "".join(_t2s().convert(c) if len(_t2s().convert(c)) == 1 else c for c in folded)
    offsets.append(len(text))
    return Normalized(simplified, tuple(offsets))


def normalize_text(text: str) -> str:
    """The normalised string alone (for the model and for data tooling)."""
    return normalize(text).text
