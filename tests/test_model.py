"""The committed fine-tuned model: offline loading, the figures of its model card, wiring into analyze()."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer import Analyzer, analyze
from analyzer.model import DEFAULT_MODEL_DIR, FAST_MODEL_DIR, ClauseModel, ModelUnavailable

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model():
    from analyzer.model.fast import FastClauseModel

    return FastClauseModel()  # the optimised path analyze() uses


def _card_value(name: str) -> float:
    card = (ROOT / "models" / "README.md").read_text(encoding="utf-8")
    m = re.search(rf"<!-- {name}: ([0-9.]+) -->", card)
    assert m, f"models/README.md does not record {name}"
    return float(m.group(1))


def test_test_split_macro_f1_matches_the_model_card(model):
    from analyzer.evaluate import _gold, model_predictions
    from analyzer.data import load_clauses
    from analyzer.metrics import multilabel_report
    from analyzer.taxonomy import LABEL_IDS

    clauses = load_clauses("test")
    rep = multilabel_report(_gold(clauses), model_predictions(clauses, model), LABEL_IDS)
    assert abs(rep["macro_f1"] - _card_value("test_macro_f1")) <= 0.01
    assert abs(rep["fair_fpr"] - _card_value("test_fair_fpr")) <= 0.01
    # the plain fp32 path of the fine-tuned 12-layer model (the reference the optimised path is held to)
    fp32 = multilabel_report(_gold(clauses), model_predictions(clauses, ClauseModel()), LABEL_IDS)
    assert abs(fp32["macro_f1"] - _card_value("test_macro_f1_fp32")) <= 0.01


def test_readme_example_with_the_default_engine():
    text = "第八条 本平台保留对本协议的最终解释权。会员服务一经开通概不退款。"
    report = analyze(text)
    assert report.engine == "model"
    assert [f.labels for f in report.findings] == [["final_interpretation"], ["no_refund"]]
    assert [(f.start, f.end) for f in report.findings] == [(0, 20), (20, 33)]
    assert all(text[e.start : e.end] == e.cue for f in report.findings for e in f.evidence)


def test_model_only_findings_explain_themselves_with_words():
    # no rule matches this phrasing: the evidence must come from occlusion over jieba words
    text = "运营方认为你的账号存在异常的，可以先行冻结全部功能，冻结期间会员天数照常扣减。"
    report = Analyzer().analyze(text)
    assert report.findings
    ev = report.findings[0].evidence
    assert ev and all(e.source == "model" for e in ev)
    assert {e.label for e in ev} <= set(report.findings[0].labels)
    for e in ev:
        assert text[e.start : e.end] == e.cue and e.cue.strip()


def test_explain_per_call_shows_findings_first_and_reuses_the_scores_for_evidence():
    text = "第一条 运营方认为你的账号存在异常的，可以先行冻结全部功能，冻结期间会员天数照常扣减。\n第二条 本平台保留对本协议的最终解释权。"
    analyzer = Analyzer(cache_size=1000)
    quick = analyzer.analyze(text, explain=False)
    misses = analyzer.cache.misses
    full = analyzer.analyze(text)
    assert [(f.start, f.labels, f.score) for f in quick.findings] == [(f.start, f.labels, f.score) for f in full.findings]
    assert not any(e.source == "model" for f in quick.findings for e in f.evidence)
    assert any(e.source == "model" for f in full.findings for e in f.evidence)
    # the second pass scored only occlusion variants: every clause itself was a cache hit
    clauses = [c.text for c in full.clauses if not c.is_heading]
    assert analyzer.cache.misses - misses > 0 and analyzer.cache.hits >= len(clauses)
    assert not any(e.source == "model" for f in Analyzer(explain=False).analyze(text).findings for e in f.evidence)
    assert any(e.source == "model" for f in Analyzer(explain=False).analyze(text, explain=True).findings for e in f.evidence)


def test_missing_model_says_what_and_how(tmp_path):
    with pytest.raises(ModelUnavailable, match=r"missing.*python -m analyzer.train"):
        ClauseModel(tmp_path)
    with pytest.raises(ModelUnavailable):
        Analyzer(model_dir=str(tmp_path))


def test_loading_is_offline():
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "NO_PROXY": "*",
           "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    code = "from analyzer import analyze; print(len(analyze('本平台保留对本协议的最终解释权。').findings))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("1")


@pytest.mark.parametrize("model_dir,record", [(DEFAULT_MODEL_DIR, "training"), (FAST_MODEL_DIR, "distillation")])
def test_config_records_thresholds_chosen_on_dev(model_dir, record):
    cfg = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    assert set(cfg["thresholds"]) == set(cfg["labels"])
    assert all(0.0 < t < 1.0 for t in cfg["thresholds"].values())
    assert cfg[record]["dev_macro_f1"] > 0.5
    assert (model_dir / "weights.safetensors").stat().st_size < 50 * 1024 * 1024


def test_student_was_distilled_from_the_committed_model():
    """A retrained 12-layer model must be followed by a new distillation, or the two paths disagree."""
    import hashlib

    cfg = json.loads((FAST_MODEL_DIR / "config.json").read_text(encoding="utf-8"))
    teacher = hashlib.sha256((DEFAULT_MODEL_DIR / "weights.safetensors").read_bytes()).hexdigest()
    assert cfg["distillation"]["teacher_weights_sha256"] == teacher, "run `python -m analyzer.distill`"
    assert cfg["layers"] == len(cfg["distillation"]["keep_layers"]) < 12


@pytest.mark.parametrize("module,line,layers", [("analyzer.train", "dev after epoch 1", 12),
                                                 ("analyzer.distill", "student dev after epoch 1", 6)])
def test_training_smoke_run(tmp_path, module, line, layers):
    """A few optimiser steps on a handful of clauses keep the training and distillation code alive."""
    out = subprocess.run(
        [sys.executable, "-m", module, "--limit", "24", "--max-steps", "2", "--epochs", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert line in out.stdout
    model = ClauseModel(tmp_path)
    assert model.layers == layers
    probs = model.predict([("会员费概不退款。", "")])
    assert probs.shape == (1, 9) and ((probs >= 0) & (probs <= 1)).all()


def test_optimised_scores_do_not_depend_on_the_other_clauses(model):
    """Dynamic int8 quantisation must not let a clause's neighbours change its score."""
    from analyzer.data import load_clauses
    from analyzer.model.features import model_input

    pairs = [model_input(c["text"], c["heading"]) for c in load_clauses("dev")[:40]]
    together = model.predict(pairs)
    reversed_ = model.predict(pairs[::-1])[::-1]
    alone = [model.predict([p])[0] for p in pairs[:5]]
    assert (together == reversed_).all()
    assert all((a == t).all() for a, t in zip(alone, together[:5]))


def test_optimised_path_takes_thresholds_from_models_not_from_its_cache(tmp_path):
    import json
    import shutil

    from analyzer.model.fast import FastClauseModel

    for name in ("config.json", "weights.safetensors"):
        shutil.copy(FAST_MODEL_DIR / name, tmp_path / name)
    cfg = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    cfg["thresholds"]["no_refund"] = 0.93
    (tmp_path / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    model = FastClauseModel(tmp_path)  # same weights: the cached export is reused
    assert model.thresholds[model.labels.index("no_refund")] == pytest.approx(0.93)
