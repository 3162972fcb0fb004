"""What an analysis returns: clauses, findings with evidence and law, and a document grade.

Everything here is plain data that serialises to JSON deterministically (``to_dict``/``to_json``).

Grade (ToS;DR-style, A best, E worst), from the findings: each 高 finding weighs 3 points, each
中 finding 1 point.

- A: no finding
- B: at most 2 points (one or two 中 findings, no 高)
- C: at most 6 points
- D: at most 12 points
- E: more than 12 points, or 高 findings under 4 or more different labels

A document with no clauses (empty input) has grade ``None``.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Iterable, NamedTuple

from analyzer.laws import Citation

SEVERITY_POINTS = {"高": 3, "中": 1}


class Evidence(NamedTuple):
    """A phrase inside a clause that makes it unfair; offsets into the whole document."""

    start: int
    end: int
    cue: str
    label: str
    source: str  # a rule id, or "model" for a word found by attribution


@dataclass
class ClauseResult:
    index: int
    start: int
    end: int
    text: str
    heading: str
    is_heading: bool
    labels: list[str]
    scores: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LabelDetail:
    label: str
    name: str
    score: float
    severity: str
    explanation: str
    rules: list[str]


@dataclass
class Finding:
    clause_index: int
    start: int
    end: int
    text: str
    heading: str
    labels: list[str]
    score: float
    severity: str
    evidence: list[Evidence]
    laws: list[Citation]
    explanation: str
    suggestion: str
    details: list[LabelDetail]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["evidence"] = [e._asdict() for e in self.evidence]
        d["laws"] = [c.to_dict() for c in self.laws]
        return d


def grade(findings: list[Finding], n_clauses: int) -> str | None:
    """The document grade A–E (see the module docstring for the formula)."""
    if n_clauses == 0:
        return None
    points = sum(SEVERITY_POINTS[f.severity] for f in findings)
    high_labels = {d.label for f in findings for d in f.details if d.severity == "高"}
    if points == 0:
        return "A"
    if len(high_labels) >= 4 or points > 12:
        return "E"
    if points <= 2:
        return "B"
    if points <= 6:
        return "C"
    return "D"


@dataclass
class Report:
    text_length: int
    engine: str
    threshold: float | None  # the global override given, or None for the engine's own thresholds
    thresholds: dict[str, float] = field(default_factory=dict)  # what each label needed to be flagged
    clauses: list[ClauseResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    text: str = field(default="", repr=False)  # the analysed text, for renderers; not serialised

    @property
    def grade(self) -> str | None:
        return grade(self.findings, len(self.clauses))

    def filtered(self, keep: Iterable[str]) -> "Report":
        """A copy that reports only the labels in ``keep`` (the page's label filter)."""
        keep = set(keep)
        findings = []
        for f in self.findings:
            labs = [x for x in f.labels if x in keep]
            if labs:
                findings.append(
                    replace(
                        f,
                        labels=labs,
                        details=[d for d in f.details if d.label in keep],
                        evidence=[e for e in f.evidence if e.label in keep],
                        laws=[c for c in f.laws if c.label in keep],
                        explanation="\n".join(x for x in f.explanation.split("\n") if any(
                            x.startswith(f"【{d.name}】") for d in f.details if d.label in keep)),
                        suggestion="\n".join(x for x in f.suggestion.split("\n") if any(
                            x.startswith(f"【{d.name}】") for d in f.details if d.label in keep)),
                        severity="高" if any(d.severity == "高" for d in f.details if d.label in keep) else "中",
                    )
                )
        return replace(self, findings=findings)

    def label_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for f in self.findings:
            for label in f.labels:
                counts[label] = counts.get(label, 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "text_length": self.text_length,
            "engine": self.engine,
            "threshold": self.threshold,
            "thresholds": self.thresholds,
            "grade": self.grade,
            "clause_count": len(self.clauses),
            "label_counts": self.label_counts(),
            "findings": [f.to_dict() for f in self.findings],
            "clauses": [c.to_dict() for c in self.clauses],
        }

    def to_json(self, *, indent: int | None = 2, include_clauses: bool = True) -> str:
        d = self.to_dict()
        if not include_clauses:
            d.pop("clauses")
        return json.dumps(d, ensure_ascii=False, indent=indent)
