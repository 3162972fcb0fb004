"""The explainable rule layer: cue patterns kept as data, one YAML file per label.

Each rule names its label, the patterns that fire it, the exceptions that describe lawful
look-alikes, and examples that must and must not fire (run as tests). The rules find evidence
phrases inside clauses, give a baseline for the model to beat, and back ``engine="rules"``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

import yaml

from analyzer.taxonomy import labels

DEFAULT_RULE_SCORE = 0.9


@dataclass(frozen=True)
class Rule:
    id: str
    label: str
    description: str
    patterns: tuple[re.Pattern[str], ...]
    exceptions: tuple[re.Pattern[str], ...] = ()
    severity: str | None = None
    score: float = DEFAULT_RULE_SCORE
    examples_fire: tuple[str, ...] = ()
    examples_silent: tuple[str, ...] = ()
    source: str = field(default="", compare=False)

    def search(self, normalized: str) -> re.Match[str] | None:
        """The first pattern match in a normalised clause, unless an exception applies."""
        for pat in self.patterns:
            m = pat.search(normalized)
            if m:
                if any(exc.search(normalized) for exc in self.exceptions):
                    return None
                return m
        return None


class RuleHit(NamedTuple):
    rule: Rule
    start: int  # offsets into the normalised clause text
    end: int


class RuleError(ValueError):
    pass


def _compile(rule_id: str, patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    out = []
    for p in patterns or ():
        try:
            out.append(re.compile(p))
        except re.error as e:
            raise RuleError(f"rule {rule_id}: bad pattern {p!r}: {e}") from e
    return tuple(out)


class RuleSet:
    """All rules, loaded once; ``match`` is pure and safe to call from several threads."""

    def __init__(self, rules: list[Rule]):
        self.rules = tuple(rules)

    @classmethod
    def load(cls) -> "RuleSet":
        return _default_ruleset()

    @classmethod
    def from_yaml_texts(cls, texts: dict[str, str]) -> "RuleSet":
        known = labels()
        rules: list[Rule] = []
        seen: set[str] = set()
        for source, text in sorted(texts.items()):
            for raw in yaml.safe_load(text) or []:
                rid = raw.get("id")
                if not rid or rid in seen:
                    raise RuleError(f"{source}: missing or duplicate rule id {rid!r}")
                seen.add(rid)
                if raw.get("label") not in known:
                    raise RuleError(f"rule {rid}: unknown label {raw.get('label')!r}")
                if raw.get("severity") not in (None, "高", "中"):
                    raise RuleError(f"rule {rid}: severity must be 高 or 中")
                if not raw.get("patterns"):
                    raise RuleError(f"rule {rid}: no patterns")
                rules.append(
                    Rule(
                        id=rid,
                        label=raw["label"],
                        description=raw.get("description", ""),
                        patterns=_compile(rid, raw["patterns"]),
                        exceptions=_compile(rid, raw.get("exceptions", [])),
                        severity=raw.get("severity"),
                        score=float(raw.get("score", DEFAULT_RULE_SCORE)),
                        examples_fire=tuple(raw.get("examples_fire", ())),
                        examples_silent=tuple(raw.get("examples_silent", ())),
                        source=source,
                    )
                )
        return cls(rules)

    def match(self, normalized: str) -> list[RuleHit]:
        """Every rule that fires on one normalised clause, in rule order."""
        hits = []
        for rule in self.rules:
            m = rule.search(normalized)
            if m:
                hits.append(RuleHit(rule, m.start(), m.end()))
        return hits


@lru_cache(maxsize=1)
def _default_ruleset() -> RuleSet:
    folder = resources.files(__package__)
    texts = {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    }
    return RuleSet.from_yaml_texts(texts)
