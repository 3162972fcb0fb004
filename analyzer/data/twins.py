"""Minimal-pair twins of training clauses (``datasets/pending/twins/*.tsv``).

A twin is a training clause rewritten by a few words so that its verdict flips: an unfair clause made lawful
(a hard negative, label-free) or a lawful look-alike made unfair. Pairs that differ only in what decides
fairness are meant to teach substance where the model has learnt vocabulary (model card). Each row names its
source clause by ``<doc_id>:<start>``; a twin inherits the source's agreement, heading and split, and a source
outside the split asked for is an error, so training twins can never carry dev or test text into training.

Format: tab-separated, a header ``src_id  labels  text``; ``labels`` is ``fair`` or comma-separated label ids.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from analyzer.taxonomy import LABEL_IDS

FAIR = "fair"


def source_id(clause: dict[str, Any]) -> str:
    """How a twins row names its source clause: ``<doc_id>:<start>``."""
    return f"{clause['doc_id']}:{clause['start']}"


def read_twins(path: Path) -> list[tuple[str, list[str], str]]:
    """``(src_id, labels, text)`` rows of one twins file or of every ``*.tsv`` in a folder, in file order."""
    files = sorted(path.glob("*.tsv")) if path.is_dir() else [path]
    if not files:
        raise FileNotFoundError(f"no twins files under {path}")
    rows = []
    for f in files:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines()[1:], start=2):
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) != 3 or not parts[2].strip():
                raise ValueError(f"{f} line {n}: expected src_id, labels and a non-empty text, got {len(parts)} fields")
            src, labels, text = parts
            labs = [] if labels == FAIR else [x for x in labels.split(",") if x]
            unknown = [x for x in labs if x not in LABEL_IDS]
            if unknown or (labels != FAIR and not labs):
                raise ValueError(f"{f} line {n}: labels must be {FAIR!r} or label ids, got {labels!r}")
            rows.append((src, labs, text.strip()))
    return rows


def twin_clauses(path: Path, clauses: list[dict[str, Any]], split: str = "train") -> list[dict[str, Any]]:
    """The twins as clauses of ``split``, for sources among ``clauses`` (others are skipped).

    Raises if a row's source is not a clause of ``split`` at all, or if a twin repeats its source. Training
    reads train twins; twins of dev clauses are a contrast set for evaluation only (``datasets/review/contrast/``).
    """
    from analyzer.data.corpus import load_clauses

    known = {source_id(c): c for c in load_clauses(split)}
    chosen = {source_id(c) for c in clauses}
    out = []
    for src, labels, text in read_twins(path):
        source = known.get(src)
        if source is None:
            raise ValueError(f"twin source {src} is not a clause of the {split} split")
        if text == source["text"]:
            raise ValueError(f"the twin of {src} repeats its source")
        if src not in chosen:
            continue
        out.append({**source, "text": text, "labels": labels, "hard_negative": not labels, "twin_of": src})
    return out
