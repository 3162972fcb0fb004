"""The authoring format of the corpus: one agreement per ``.txt`` file.

A file is a front-matter block followed by the agreement text, one clause per line.
A line may end with a tag that is not part of the text::

    1.2 会员服务一经开通，概不退款。 {{no_refund}}
    1.3 数字内容依法不适用七日无理由退货，但因平台原因无法使用的可退还未使用部分。 {{hn}}

``{{a,b}}`` gives the line's labels (ids of the taxonomy); ``{{hn}}`` marks a fair
line written on purpose to resemble an unfair one (a hard negative). Untagged lines
are fair. Labels apply to every sentence of the line.

This module uses the standard library only, so that writers can lint drafts without
installing the project.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

LABEL_IDS = (
    "no_refund",
    "auto_renewal",
    "final_interpretation",
    "unilateral_change",
    "unilateral_termination",
    "liability_exclusion",
    "excessive_penalty",
    "dispute_restriction",
    "data_overreach",
)
SECTORS = (
    "video_music",
    "cloud_storage",
    "games",
    "education",
    "fitness_beauty",
    "social_dating",
    "saas",
    "ecommerce",
    "delivery_ride",
    "telecom",
    "travel",
    "paid_content",
    "smart_device",
    "fintech",
)
SCRIPTS = ("simplified", "traditional")
REQUIRED_META = ("id", "sector", "title", "doc_type", "script")

_TAG = re.compile(r"[ \t\u3000]*\{\{([^{}]*)\}\}[ \t\u3000]*$")


@dataclass
class Unit:
    """One annotated line: a span of the agreement text with its labels."""

    start: int
    end: int
    labels: list[str]
    hard_negative: bool = False


@dataclass
class RawAgreement:
    meta: dict[str, str]
    text: str
    units: list[Unit] = field(default_factory=list)


class RawFormatError(ValueError):
    pass


def parse(source: str, *, name: str = "<string>") -> RawAgreement:
    """Parse one authoring file into text and labelled line spans."""
    lines = source.split("\n")
    if not lines or lines[0].strip() != "---":
        raise RawFormatError(f"{name}: must start with a '---' front-matter line")
    meta: dict[str, str] = {}
    i = 1
    while i < len(lines) and lines[i].strip() != "---":
        key, sep, value = lines[i].partition(":")
        if not sep:
            raise RawFormatError(f"{name}:{i + 1}: front matter line without ':'")
        meta[key.strip()] = value.strip()
        i += 1
    if i >= len(lines):
        raise RawFormatError(f"{name}: front matter is not closed with '---'")
    body = lines[i + 1 :]
    while body and not body[-1].strip():
        body.pop()
    errors: list[str] = []
    for key in REQUIRED_META:
        if not meta.get(key):
            errors.append(f"{name}: front matter lacks '{key}'")
    if meta.get("sector") and meta["sector"] not in SECTORS:
        errors.append(f"{name}: unknown sector {meta['sector']!r}")
    if meta.get("script") and meta["script"] not in SCRIPTS:
        errors.append(f"{name}: script must be one of {SCRIPTS}")

    out: list[str] = []
    units: list[Unit] = []
    pos = 0
    for n, line in enumerate(body, start=i + 2):
        labels: list[str] = []
        hard = False
        m = _TAG.search(line)
        if m:
            line = line[: m.start()]
            tags = [t.strip() for t in m.group(1).split(",") if t.strip()]
            if not tags:
                errors.append(f"{name}:{n}: empty tag")
            for t in tags:
                if t == "hn":
                    hard = True
                elif t in LABEL_IDS:
                    if t not in labels:
                        labels.append(t)
                else:
                    errors.append(f"{name}:{n}: unknown label {t!r}")
            if hard and labels:
                errors.append(f"{name}:{n}: 'hn' marks a fair line and cannot carry labels")
            if not line.strip():
                errors.append(f"{name}:{n}: tag on an empty line")
        if "{{" in line or "}}" in line:
            errors.append(f"{name}:{n}: stray '{{{{' or '}}}}' inside the text")
        if line.strip():
            units.append(Unit(pos, pos + len(line), labels, hard))
        out.append(line)
        pos += len(line) + 1
    if errors:
        raise RawFormatError("\n".join(errors))
    return RawAgreement(meta=meta, text="\n".join(out), units=units)


def parse_file(path: Path) -> RawAgreement:
    return parse(path.read_text(encoding="utf-8"), name=str(path))


def _lint(paths: list[str]) -> int:
    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(p.rglob("*.txt")) if p.is_dir() else [p])
    counts = {label: 0 for label in LABEL_IDS}
    n_units = n_pos = n_hn = n_multi = n_docs = 0
    bad = 0
    ids: dict[str, Path] = {}
    for f in files:
        try:
            doc = parse_file(f)
        except (RawFormatError, UnicodeDecodeError) as e:
            print(e)
            bad += 1
            continue
        if doc.meta["id"] != f.stem:
            print(f"{f}: id {doc.meta['id']!r} differs from the file name")
            bad += 1
        if doc.meta["id"] in ids:
            print(f"{f}: id also used by {ids[doc.meta['id']]}")
            bad += 1
        ids[doc.meta["id"]] = f
        n_docs += 1
        for u in doc.units:
            n_units += 1
            n_hn += u.hard_negative
            n_pos += bool(u.labels)
            n_multi += len(u.labels) > 1
            for label in u.labels:
                counts[label] += 1
    print(f"docs {n_docs}  lines {n_units}  unfair {n_pos}  multi-label {n_multi}  hard-negative {n_hn}")
    for label, c in counts.items():
        print(f"  {label:24s} {c}")
    print("OK" if not bad else f"{bad} file(s) with errors")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "lint":
        print("usage: python -m analyzer.data.raw lint PATH...")
        sys.exit(2)
    sys.exit(_lint(sys.argv[2:]))
