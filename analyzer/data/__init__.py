"""The labelled agreement corpus: authoring format, compiled records, splits by document, loaders, checks.

``load_agreements(split)`` and ``load_clauses(split)`` read ``datasets/agreements.jsonl``;
``python -m analyzer.data build|stats|check`` maintains it.
"""
from analyzer.data.corpus import SPLITS, build, clauses_of, datasets_dir, load_agreements, load_clauses

__all__ = ["SPLITS", "build", "clauses_of", "datasets_dir", "load_agreements", "load_clauses"]
