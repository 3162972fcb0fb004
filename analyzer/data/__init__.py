"""The labelled agreement corpus: authoring format, compiled records, splits by document, loaders, checks.

``load_agreements(split)`` and ``load_clauses(split)`` read ``datasets/agreements.jsonl``;
``python -m analyzer.data build|stats|check`` maintains it.
"""
from __future__ import annotations

from typing import Any

__all__ = ["CHECK", "SPLITS", "build", "clauses_of", "datasets_dir", "load_agreements", "load_clauses"]


def __getattr__(name: str) -> Any:
    # lazy, so that `python -m analyzer.data.raw lint` runs the linter without importing the rest
    if name in __all__:
        from analyzer.data import corpus

        return getattr(corpus, name)
    raise AttributeError(f"module 'analyzer.data' has no attribute {name!r}")
