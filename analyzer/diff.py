"""Compare two versions of an agreement: which unfair clauses the new one adds, removes or keeps.

Clauses are matched by content, not position (agreements get renumbered and reordered):
exact match of the normalised text without its numbering first, then character 3-gram
Jaccard similarity of at least ``MATCH``.
"""
from __future__ import annotations

from typing import Any

from analyzer.normalize import normalize_text
from analyzer.report import Finding, Report
from analyzer.segment import _marker
from analyzer.taxonomy import labels

MATCH = 0.6


def _key(text: str) -> str:
    text = text[len(_marker(text)[1]) :]
    return "".join(normalize_text(text).split())


def _grams(s: str) -> set[str]:
    return {s[i : i + 3] for i in range(max(1, len(s) - 2))}


def _similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    ga, gb = _grams(a), _grams(b)
    return len(ga & gb) / len(ga | gb) if ga and gb else 0.0


def _best(text: str, candidates: list[tuple[int, str]], taken: set[int]) -> tuple[int, float]:
    key = _key(text)
    best = (-1, 0.0)
    for i, other in candidates:
        if i in taken:
            continue
        s = _similarity(key, other)
        if s > best[1]:
            best = (i, s)
    return best if best[1] >= MATCH else (-1, best[1])


def _item(f: Finding) -> dict[str, Any]:
    return {"text": f.text, "labels": f.labels, "severity": f.severity, "score": f.score, "start": f.start, "end": f.end}


def diff_reports(old: Report, new: Report) -> dict[str, Any]:
    old_keys = [(i, _key(f.text)) for i, f in enumerate(old.findings)]
    taken: set[int] = set()
    kept, added = [], []
    # exact matches first, so a near match never steals a clause that has an exact twin
    order = sorted(range(len(new.findings)), key=lambda j: _key(new.findings[j].text) not in {k for _, k in old_keys})
    matched: dict[int, tuple[int, float]] = {}
    for j in order:
        i, s = _best(new.findings[j].text, old_keys, taken)
        if i >= 0:
            taken.add(i)
            matched[j] = (i, s)
    old_clauses = [(c.index, _key(c.text)) for c in old.clauses if not c.is_heading]
    new_clauses = [(c.index, _key(c.text)) for c in new.clauses if not c.is_heading]
    for j, f in enumerate(new.findings):
        if j in matched:
            i, s = matched[j]
            o = old.findings[i]
            kept.append({"old": _item(o), "new": _item(f), "similarity": round(s, 3),
                         "labels_added": [x for x in f.labels if x not in o.labels],
                         "labels_removed": [x for x in o.labels if x not in f.labels]})
        else:
            item = _item(f)
            i, s = _best(f.text, old_clauses, set())
            item["previous_wording"] = old.clauses[i].text if i >= 0 else None
            added.append(item)
    removed = []
    for i, f in enumerate(old.findings):
        if i not in taken:
            item = _item(f)
            j, s = _best(f.text, new_clauses, set())
            item["new_wording"] = new.clauses[j].text if j >= 0 else None
            removed.append(item)
    return {
        "summary": {"added": len(added), "removed": len(removed), "kept": len(kept),
                    "old_grade": old.grade, "new_grade": new.grade},
        "added": added,
        "removed": removed,
        "kept": kept,
    }


def format_diff(result: dict[str, Any], old_name: str = "旧版", new_name: str = "新版") -> str:
    names = labels()

    def tags(labs: list[str]) -> str:
        return "、".join(names[x].name for x in labs)

    s = result["summary"]
    lines = [f"旧版 {old_name}（等级 {s['old_grade']}） → 新版 {new_name}（等级 {s['new_grade']}）",
             f"新增问题条款 {s['added']}，移除 {s['removed']}，保留 {s['kept']}", ""]
    for a in result["added"]:
        lines.append(f"+ [{tags(a['labels'])}，{a['severity']}] {a['text']}")
        if a.get("previous_wording"):
            lines.append(f"    旧版对应条款：{a['previous_wording']}")
    for r in result["removed"]:
        lines.append(f"- [{tags(r['labels'])}，{r['severity']}] {r['text']}")
        if r.get("new_wording"):
            lines.append(f"    新版对应条款：{r['new_wording']}")
    for k in result["kept"]:
        change = ""
        if k["labels_added"] or k["labels_removed"]:
            change = f"（新增：{tags(k['labels_added']) or '无'}；去除：{tags(k['labels_removed']) or '无'}）"
        lines.append(f"= [{tags(k['new']['labels'])}] {k['new']['text']}{change}")
    return "\n".join(lines)
