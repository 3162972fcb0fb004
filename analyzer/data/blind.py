"""The blind second annotation of dev and test (``datasets/review/blind/<split>.tsv``).

Another annotator labelled every clause of the dev and test agreements from the writers' brief alone, without
seeing the gold labels or any model output (``datasets/review/blind/README.md``). Rows carry the clause's
character offsets, so they are matched to the segmenter's clauses by position; if the segmenter changes, the
mismatch is an error here, never a silent misalignment.
"""
from __future__ import annotations

from pathlib import Path

from analyzer.data.corpus import clauses_of, datasets_dir, load_agreements
from analyzer.taxonomy import LABEL_IDS

BLIND_SPLITS = ("dev", "test")


def blind_path(split: str) -> Path:
    if split not in BLIND_SPLITS:
        raise ValueError(f"the blind annotation covers {BLIND_SPLITS}, not {split!r}")
    return datasets_dir() / "review" / "blind" / f"{split}.tsv"


def load_blind(split: str) -> tuple[list[dict], list[list[str]]]:
    """The split's clauses (as ``load_clauses`` gives them) and, for each, the blind annotator's labels."""
    rows: dict[tuple[str, int, int], list[str]] = {}
    lines = blind_path(split).read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines[1:], start=2):
        doc_id, start, end, labels = line.split("\t")[:4]
        labs = [x for x in labels.split(",") if x]
        unknown = [x for x in labs if x not in LABEL_IDS]
        if unknown:
            raise ValueError(f"{blind_path(split)} line {n}: unknown label(s) {unknown}")
        rows[(doc_id, int(start), int(end))] = labs
    clauses = [c for r in load_agreements(split) for c in clauses_of(r)]
    missing = [c for c in clauses if (c["doc_id"], c["start"], c["end"]) not in rows]
    if missing or len(rows) != len(clauses):
        raise ValueError(
            f"{blind_path(split)} does not match the segmenter's {len(clauses)} clauses ({len(rows)} rows, "
            f"{len(missing)} clauses without a row, e.g. {missing[0]['doc_id']} {missing[0]['start']}–{missing[0]['end']})"
            if missing else f"{blind_path(split)} has {len(rows)} rows for {len(clauses)} clauses"
        )
    return clauses, [rows[(c["doc_id"], c["start"], c["end"])] for c in clauses]
