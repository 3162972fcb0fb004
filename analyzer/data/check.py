"""Validation of the compiled corpus: schema, labels, spans, splits, and leakage across splits.

Near-duplicates are found with character 3-gram Jaccard similarity through an inverted index,
so that a train clause reworded by a few characters is still caught next to a test clause.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from analyzer.data.corpus import CHECK, SPLITS, _read_jsonl, build_records, check_records, clauses_of, datasets_dir
from analyzer.data.raw import LABEL_IDS, REQUIRED_META, SCRIPTS, SECTORS
from analyzer.segment import _marker

NEAR_DUP = 0.7  # Jaccard similarity of character 3-grams at which two clauses count as the same
# Clauses with fewer letters than this ("联系我们", "更新日期：2026年3月5日", signature lines) repeat
# legitimately across agreements and carry nothing a model could memorise.
MIN_CONTENT = 10
_N = 3


def _content(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())


def _grams(text: str) -> set[str]:
    # numbering ("8.1", "(c)") differs between copies of the same sentence, so it is left out
    text = text[len(_marker(text)[1]) :]
    t = "".join(ch for ch in text if not ch.isspace())
    return {t[i : i + _N] for i in range(max(0, len(t) - _N + 1))}


def near_duplicates(
    queries: list[dict[str, Any]], pool: list[dict[str, Any]], threshold: float = NEAR_DUP
) -> list[tuple[dict[str, Any], dict[str, Any], float]]:
    """Pairs (query, pool clause, similarity) at or above ``threshold``."""
    pool = [c for c in pool if _content(c["text"]) >= MIN_CONTENT]
    grams = [_grams(c["text"]) for c in pool]
    index: dict[str, list[int]] = {}
    for i, g in enumerate(grams):
        for x in g:
            index.setdefault(x, []).append(i)
    out = []
    for q in queries:
        if _content(q["text"]) < MIN_CONTENT:
            continue
        qg = _grams(q["text"])
        if not qg:
            continue
        shared: Counter[int] = Counter()
        for x in qg:
            shared.update(index.get(x, ()))
        for i, n in shared.items():
            # Jaccard >= t needs |A∩B| >= t*|A| as |A∪B| >= |A|: prune before computing it
            if n < threshold * len(qg):
                continue
            sim = n / len(qg | grams[i])
            if sim >= threshold:
                out.append((q, pool[i], round(sim, 3)))
    return out


def check(root: Path | None = None) -> list[str]:
    """Every violation found in the corpus, as readable lines (empty when the corpus is sound)."""
    root = root or datasets_dir()
    errors: list[str] = []
    path = root / "agreements.jsonl"
    if not path.exists():
        return [f"{path} is missing; run `python -m analyzer.data build`"]
    records = list(_read_jsonl(path))
    try:
        fresh = build_records(root)
    except ValueError as e:  # a malformed authoring file
        return [str(e)]
    if records != fresh:
        errors.append("agreements.jsonl is out of date with datasets/agreements/; run `python -m analyzer.data build`")
    splits = json.loads((root / "splits.json").read_text(encoding="utf-8")) if (root / "splits.json").exists() else {}
    ids = Counter(r.get("id") for r in records)
    errors += [f"duplicate agreement id {i}" for i, n in ids.items() if n > 1]
    for r in records:
        rid = r.get("id", "?")
        for key in (*REQUIRED_META, "split", "text", "spans"):
            if key not in r:
                errors.append(f"{rid}: missing field {key}")
        if r.get("sector") not in SECTORS:
            errors.append(f"{rid}: unknown sector {r.get('sector')!r}")
        if r.get("script") not in SCRIPTS:
            errors.append(f"{rid}: unknown script {r.get('script')!r}")
        if r.get("split") not in SPLITS or splits.get(rid) != r.get("split"):
            errors.append(f"{rid}: split {r.get('split')!r} disagrees with splits.json ({splits.get(rid)!r})")
        text = r.get("text", "")
        last = 0
        for s in r.get("spans", []):
            if not (last <= s["start"] < s["end"] <= len(text)):
                errors.append(f"{rid}: span {s['start']}-{s['end']} out of order or outside the text")
            elif not text[s["start"] : s["end"]].strip():
                errors.append(f"{rid}: empty span at {s['start']}")
            last = s["end"]
            for lab in s["labels"]:
                if lab not in LABEL_IDS:
                    errors.append(f"{rid}: unknown label {lab!r}")
            if s["hard_negative"] and s["labels"]:
                errors.append(f"{rid}: span at {s['start']} is both hard negative and labelled")
        errors += _segmenter_agreement(r)
    by_split = {s: [c for r in records if r["split"] == s for c in clauses_of(r)] for s in SPLITS}
    errors += _leakage(by_split)
    errors += _check_set(root, records, by_split)
    return errors


def _check_set(root: Path, records: list[dict[str, Any]], by_split: dict[str, list[dict[str, Any]]]) -> list[str]:
    """The check set must parse, use known sectors, and share no near-duplicate clause with the corpus."""
    try:
        check = check_records(root)
    except ValueError as e:
        return [str(e)]
    errors = [f"check/{r['id']}: unknown sector {r['sector']!r}" for r in check if r["sector"] not in SECTORS]
    ids = {r["id"] for r in records}
    errors += [f"check/{r['id']}: id also used in the corpus" for r in check if r["id"] in ids]
    corpus = [c for s in SPLITS for c in by_split[s]]
    for q, p, sim in near_duplicates([c for r in check for c in clauses_of(r)], corpus):
        errors.append(f"{CHECK}/{p['split']} near-duplicate ({sim}): {q['doc_id']} {q['text'][:40]!r} ~ {p['doc_id']} {p['text'][:40]!r}")
    return errors


def _segmenter_agreement(record: dict[str, Any]) -> list[str]:
    """Every labelled line must reach the model as at least one non-heading clause."""
    from analyzer.segment import segment

    heads = {(c.start, c.end) for c in segment(record["text"]) if c.is_heading}
    return [
        f"{record['id']}: labelled line is read as a heading by the segmenter: {record['text'][s['start']:s['end']]!r}"
        for s in record["spans"]
        if s["labels"] and (s["start"], s["end"]) in heads
    ]


def _leakage(by_split: dict[str, list[dict[str, Any]]]) -> list[str]:
    errors = []
    for a, b in (("dev", "train"), ("test", "train"), ("test", "dev")):
        for q, p, sim in near_duplicates(by_split[a], by_split[b]):
            errors.append(
                f"{a}/{b} near-duplicate ({sim}): {q['doc_id']} {q['text'][:40]!r} ~ {p['doc_id']} {p['text'][:40]!r}"
            )
    return errors


def stats(records: list[dict[str, Any]]) -> str:
    """Counts per split, label, sector and script, as a printable table."""
    lines = []
    clauses = {s: [c for r in records if r["split"] == s for c in clauses_of(r)] for s in SPLITS}
    everything = [c for s in SPLITS for c in clauses[s]]
    head = f"{'':26s}" + "".join(f"{s:>8s}" for s in (*SPLITS, "all"))
    lines.append(head)

    def row(name: str, f) -> None:
        vals = [f([r for r in records if r["split"] == s], clauses[s]) for s in SPLITS]
        vals.append(f(records, everything))
        lines.append(f"{name:26s}" + "".join(f"{v:>8d}" for v in vals))

    row("agreements", lambda rs, cs: len(rs))
    row("clauses", lambda rs, cs: len(cs))
    row("unfair clauses", lambda rs, cs: sum(1 for c in cs if c["labels"]))
    row("multi-label clauses", lambda rs, cs: sum(1 for c in cs if len(c["labels"]) > 1))
    row("hard negatives", lambda rs, cs: sum(1 for c in cs if c["hard_negative"]))
    lines.append("labels (clauses)")
    for lab in LABEL_IDS:
        row(f"  {lab}", lambda rs, cs, lab=lab: sum(1 for c in cs if lab in c["labels"]))
    lines.append("sectors (agreements)")
    for sec in SECTORS:
        row(f"  {sec}", lambda rs, cs, sec=sec: sum(1 for r in rs if r["sector"] == sec))
    lines.append("scripts (agreements)")
    for sc in SCRIPTS:
        row(f"  {sc}", lambda rs, cs, sc=sc: sum(1 for r in rs if r["script"] == sc))
    return "\n".join(lines)
