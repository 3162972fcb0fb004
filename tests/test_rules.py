"""Every rule carries examples that must and must not fire (proselint style); they run here."""
from __future__ import annotations

import re

import pytest

from analyzer.normalize import normalize_text
from analyzer.rules import RuleError, RuleSet
from analyzer.taxonomy import LABEL_IDS

RULES = RuleSet.load().rules


def _labels_fired(text: str) -> set[str]:
    return {h.rule.label for h in RuleSet.load().match(normalize_text(text))}


@pytest.mark.parametrize(
    "rule, example", [(r, e) for r in RULES for e in r.examples_fire], ids=lambda x: getattr(x, "id", str(x)[:16])
)
def test_rule_fires_on_its_examples(rule, example):
    assert rule.search(normalize_text(example)), f"{rule.id} should fire on: {example}"


@pytest.mark.parametrize(
    "rule, example", [(r, e) for r in RULES for e in r.examples_silent], ids=lambda x: getattr(x, "id", str(x)[:16])
)
def test_label_stays_silent_on_lawful_examples(rule, example):
    assert rule.label not in _labels_fired(example), f"{rule.label} should not fire on: {example}"


def test_every_rule_has_examples_both_ways_and_every_label_has_rules():
    for r in RULES:
        assert r.examples_fire and r.examples_silent, r.id
    assert {r.label for r in RULES} == set(LABEL_IDS)


def _taxonomy_rows(shared_dir):
    path = shared_dir / "taxonomy.md"
    if not path.exists():
        pytest.skip(f"{path} not found (../shared lives beside the repository)")
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\| `(\w+)` \| [^|]+ \| ([^|]+) \| ([^|]+) \|", line)
        if m:
            rows[m.group(1)] = (m.group(2).strip(), m.group(3).strip())
    return rows


def test_lawful_lookalikes_of_the_shared_taxonomy_stay_silent(shared_dir):
    for label, (_, lookalike) in _taxonomy_rows(shared_dir).items():
        assert label not in _labels_fired(lookalike), f"{label} fired on its lawful look-alike: {lookalike}"


def test_obvious_forms_of_every_label_in_the_shared_taxonomy_fire(shared_dir):
    rows = _taxonomy_rows(shared_dir)
    assert set(rows) == set(LABEL_IDS)
    for label, (substance, _) in rows.items():
        examples = [x.strip() for x in re.split(r"[;；]", substance) if x.strip()]
        fired = [x for x in examples if label in _labels_fired(x)]
        # the table's cells are fragments; most must fire on their own
        assert len(fired) >= max(1, len(examples) // 2), (label, [x for x in examples if x not in fired])


def test_taxonomy_notes(shared_dir):
    assert {"auto_renewal", "no_refund"} <= _labels_fired("自动续费扣款成功后一律不予退还")
    assert "final_interpretation" not in _labels_fired("我们不保留最终解释权")
    assert "final_interpretation" not in _labels_fired("对条款有争议的, 按不利于本公司的解释")
    assert "final_interpretation" in _labels_fired("本公司保留對本協議的最終解釋權")
    assert "auto_renewal" in _labels_fired("購買時系統默認開通自動續費")


def test_bad_rule_files_are_rejected():
    with pytest.raises(RuleError, match="unknown label"):
        RuleSet.from_yaml_texts({"x.yaml": "- {id: a, label: nope, patterns: ['x']}"})
    with pytest.raises(RuleError, match="bad pattern"):
        RuleSet.from_yaml_texts({"x.yaml": "- {id: a, label: no_refund, patterns: ['(']}"})
    with pytest.raises(RuleError, match="duplicate"):
        RuleSet.from_yaml_texts({"x.yaml": "- {id: a, label: no_refund, patterns: ['x']}\n- {id: a, label: no_refund, patterns: ['y']}"})
