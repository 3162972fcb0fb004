"""What the classifier reads for one clause: the normalised clause, and its nearest heading as context."""
from __future__ import annotations

from analyzer.normalize import normalize_text

HEADING_CHARS = 32


def model_input(text: str, heading: str = "") -> tuple[str, str]:
    """(clause, context) as the model sees them; ``heading`` is a ``" > "``-joined heading path."""
    last = heading.rsplit(" > ", 1)[-1] if heading else ""
    return normalize_text(text), normalize_text(last)[:HEADING_CHARS]
