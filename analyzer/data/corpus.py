"""The compiled corpus: ``datasets/agreements.jsonl`` built from the authoring files, and its splits.

Splits are by document and kept in ``datasets/splits.json``: an agreement's split never changes
once assigned, so a test document can never drift into training when the corpus grows. New
agreements are assigned within their sector to the split furthest below its share (70/15/15),
in a fixed order (sha256 of the id), so the assignment is reproducible.
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from analyzer.data.raw import SECTORS, parse_file

SPLITS = ("train", "dev", "test")
# Agreements written by other hands than the corpus, after the models were trained, to measure how the model
# generalises: never trained on, never used to pick a threshold or an epoch. Kept out of agreements.jsonl.
CHECK = "check"
SHARES = {"train": 0.70, "dev": 0.15, "test": 0.15}


def datasets_dir() -> Path:
    """The corpus folder: ``$TOS_DATASETS_DIR`` or ``datasets/`` at the repository root."""
    env = os.environ.get("TOS_DATASETS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "datasets"


def raw_files(root: Path | None = None) -> list[Path]:
    root = root or datasets_dir()
    return sorted((root / "agreements").glob("*/*.txt"))


def check_records(root: Path | None = None) -> list[dict[str, Any]]:
    """The check set (``datasets/check/<sector>/*.txt``) as records of split ``check``, compiled on the fly."""
    root = root or datasets_dir()
    return [_record(parse_file(p), CHECK) for p in sorted((root / CHECK).glob("*/*.txt"))]


def pending_records(wave: str, root: Path | None = None) -> list[dict[str, Any]]:
    """A pending wave (``datasets/pending/<wave>/<sector>/*.txt``) as records of split ``pending:<wave>``.

    Waves kept out of the corpus are never trained on by ``python -m analyzer.train``, so they can measure how
    a model trained on the corpus alone reads other writers' agreements.
    """
    root = root or datasets_dir()
    files = sorted((root / "pending" / wave).glob("*/*.txt"))
    if not files:
        raise FileNotFoundError(f"no agreements under {root / 'pending' / wave}")
    return [_record(parse_file(p), f"pending:{wave}") for p in files]


def _order(doc_id: str) -> str:
    return hashlib.sha256(doc_id.encode("utf-8")).hexdigest()


def assign_splits(docs: list[dict[str, str]], existing: dict[str, str]) -> dict[str, str]:
    """Keep existing assignments; give each new document the split its sector needs most."""
    splits = {d["id"]: existing[d["id"]] for d in docs if d["id"] in existing}
    by_sector: dict[str, list[str]] = {}
    for d in docs:
        by_sector.setdefault(d["sector"], []).append(d["id"])
    overall = {s: sum(1 for v in splits.values() if v == s) for s in SPLITS}
    for sector in sorted(by_sector):
        ids = by_sector[sector]
        counts = {s: sum(1 for i in ids if splits.get(i) == s) for s in SPLITS}
        for doc_id in sorted((i for i in ids if i not in splits), key=_order):
            total = sum(counts.values()) + 1
            grand = sum(overall.values()) + 1
            # the split with the largest shortfall in this sector; ties go to the largest overall shortfall
            choice = max(
                SPLITS,
                key=lambda s: (round(SHARES[s] * total - counts[s], 6), round(SHARES[s] * grand - overall[s], 6)),
            )
            splits[doc_id] = choice
            counts[choice] += 1
            overall[choice] += 1
    return splits


def build(root: Path | None = None) -> tuple[int, Path]:
    """Compile the authoring files into ``agreements.jsonl`` (and extend ``splits.json``)."""
    root = root or datasets_dir()
    records = build_records(root)
    splits = {r["id"]: r["split"] for r in records}
    out = root / "agreements.jsonl"
    _atomic_write(out, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    _atomic_write(root / "splits.json", json.dumps(dict(sorted(splits.items())), ensure_ascii=False, indent=1) + "\n")
    load_agreements.cache_clear()
    return len(records), out


def build_records(root: Path | None = None) -> list[dict[str, Any]]:
    """The records that ``build`` would write, with splits (existing ones kept, new ones assigned)."""
    root = root or datasets_dir()
    docs = [parse_file(p) for p in raw_files(root)]
    split_path = root / "splits.json"
    existing = json.loads(split_path.read_text(encoding="utf-8")) if split_path.exists() else {}
    splits = assign_splits([d.meta for d in docs], existing)
    records = [_record(d, splits[d.meta["id"]]) for d in docs]
    records.sort(key=lambda r: (SECTORS.index(r["sector"]) if r["sector"] in SECTORS else 99, r["id"]))
    return records


def _record(doc, split: str) -> dict[str, Any]:
    m = doc.meta
    return {
        "id": m["id"],
        "sector": m["sector"],
        "title": m["title"],
        "doc_type": m["doc_type"],
        "script": m["script"],
        "split": split,
        "text": doc.text,
        "spans": [
            {"start": u.start, "end": u.end, "labels": u.labels, "hard_negative": u.hard_negative}
            for u in doc.units
        ],
    }


def _atomic_write(path: Path, content: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(content, encoding="utf-8")
    tmp.replace(path)


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


@lru_cache(maxsize=4)
def _all_agreements(path: str) -> tuple[dict[str, Any], ...]:
    return tuple(_read_jsonl(Path(path)))


def load_agreements(split: str | None = None) -> list[dict[str, Any]]:
    """Whole agreements (``id, sector, title, doc_type, script, split, text, spans``) of one split or all.

    ``split="check"`` gives the independent check set instead; it is never part of "all".
    """
    if split == CHECK:
        return check_records()
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {(*SPLITS, CHECK)}, got {split!r}")
    path = datasets_dir() / "agreements.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; run `python -m analyzer.data build`")
    return [dict(r) for r in _all_agreements(str(path)) if split is None or r["split"] == split]


load_agreements.cache_clear = _all_agreements.cache_clear  # type: ignore[attr-defined]


def clauses_of(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The segmenter's clauses of one agreement, each with the labels of the annotated line it lies in.

    Headings are left out: they are context (``heading``), not clauses to classify.
    """
    from analyzer.segment import segment

    spans = record["spans"]
    out = []
    j = 0
    for c in segment(record["text"]):
        while j < len(spans) and spans[j]["end"] <= c.start:
            j += 1
        span = spans[j] if j < len(spans) and spans[j]["start"] <= c.start and c.end <= spans[j]["end"] else None
        if c.is_heading:
            continue
        out.append(
            {
                "text": c.text,
                "labels": list(span["labels"]) if span else [],
                "hard_negative": bool(span and span["hard_negative"]),
                "heading": c.heading,
                "start": c.start,
                "end": c.end,
                "doc_id": record["id"],
                "sector": record["sector"],
                "script": record["script"],
                "split": record["split"],
            }
        )
    return out


def load_clauses(split: str | None = None) -> list[dict[str, Any]]:
    """Every clause of the split's agreements: ``text, labels, hard_negative, heading, doc_id, sector …``."""
    return [c for r in load_agreements(split) for c in clauses_of(r)]
