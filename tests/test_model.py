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


def _scores(split: str, model) -> dict:
    """Clause-level figures of ``model`` on ``split``, as ``python -m analyzer.evaluate`` computes them."""
    from analyzer.evaluate import _gold, model_predictions
    from analyzer.data import load_clauses
    from analyzer.metrics import multilabel_report
    from analyzer.taxonomy import LABEL_IDS

    clauses = load_clauses(split)
    return multilabel_report(_gold(clauses), model_predictions(clauses, model), LABEL_IDS)


def test_test_split_macro_f1_matches_the_model_card(model):
    rep = _scores("test", model)
    assert abs(rep["macro_f1"] - _card_value("test_macro_f1")) <= 0.01
    assert abs(rep["fair_fpr"] - _card_value("test_fair_fpr")) <= 0.01
    # the plain fp32 path of the fine-tuned 12-layer model (the reference the optimised path is held to)
    assert abs(_scores("test", ClauseModel())["macro_f1"] - _card_value("test_macro_f1_fp32")) <= 0.01


def test_check_set_figures_match_the_model_card(model):
    """The check set (written by other hands, never trained on) scores as the model card records."""
    rep = _scores("check", model)
    assert abs(rep["macro_f1"] - _card_value("check_macro_f1")) <= 0.01
    assert abs(rep["fair_fpr"] - _card_value("check_fair_fpr")) <= 0.01


def test_readme_example_with_the_default_engine():
    text = "第八条 本平台保留对本协议的最终解释权。会员服务一经开通概不退款。"
    report = analyze(text)
    assert report.engine == "model"
    assert [f.labels for f in report.findings] == [["final_interpretation"], ["no_refund"]]
    assert [(f.start, f.end) for f in report.findings] == [(0, 20), (20, 33)]
    assert all(text[e.start : e.end] == e.cue for f in report.findings for e in f.evidence)


MODEL_ONLY = "运营方认为你的账号存在异常的，可以先行冻结全部功能，冻结期间会员天数照常扣减。"


@pytest.mark.parametrize("how,min_drop", [(True, 0.0), ("occlusion", 0.05)])
def test_model_only_findings_explain_themselves_with_words(model, how, min_drop):
    # No rule matches this phrasing: the evidence must come from the model, and deleting it must lower the score.
    # Occlusion measured that fall (it keeps a single word only if it is at least MIN_DROP); the explainer
    # predicted it, and is held to its measured average by the next-but-one test.
    from analyzer.model.features import model_input

    text = MODEL_ONLY
    report = Analyzer(explain=how).analyze(text)
    assert report.findings
    ev = report.findings[0].evidence
    assert ev and all(e.source == "model" for e in ev)
    assert {e.label for e in ev} <= set(report.findings[0].labels)
    for e in ev:
        assert text[e.start : e.end] == e.cue and e.cue.strip()
        j = model.labels.index(e.label)
        before = model.predict([model_input(text)])[0, j]
        after = model.predict([model_input(text[: e.start] + text[e.end :])])[0, j]
        assert after < before - min_drop, (e.cue, before, after)


def test_explain_per_call_shows_findings_first_and_reuses_the_scores_for_evidence():
    text = "第一条 运营方认为你的账号存在异常的，可以先行冻结全部功能，冻结期间会员天数照常扣减。\n第二条 本平台保留对本协议的最终解释权。"
    analyzer = Analyzer(cache_size=1000)
    quick = analyzer.analyze(text, explain=False)
    misses = analyzer.cache.misses
    full = analyzer.analyze(text)
    assert [(f.start, f.labels, f.score) for f in quick.findings] == [(f.start, f.labels, f.score) for f in full.findings]
    assert not any(e.source == "model" for f in quick.findings for e in f.evidence)
    assert any(e.source == "model" for f in full.findings for e in f.evidence)
    # the second pass ran the model on nothing: scores from the cache, hidden states kept by the scoring pass
    clauses = [c.text for c in full.clauses if not c.is_heading]
    assert analyzer.cache.misses == misses and analyzer.cache.hits >= len(clauses)
    # occlusion instead scores deleted variants
    analyzer.analyze(text, explain="occlusion")
    assert analyzer.cache.misses > misses
    assert not any(e.source == "model" for f in Analyzer(explain=False).analyze(text).findings for e in f.evidence)
    assert any(e.source == "model" for f in Analyzer(explain=False).analyze(text, explain=True).findings for e in f.evidence)


@pytest.mark.parametrize("text", [
    "㈠" + MODEL_ONLY,  # NFKC makes one character three: the model's offsets must be mapped back
    "運營方認為你的賬號存在異常的，可以先行凍結全部功能，凍結期間會員天數照常扣減。",  # read as Simplified
    "说明：" + "本服务的各项内容以页面展示为准，" * 30 + MODEL_ONLY,  # past the model's 128 tokens
])
def test_explainer_evidence_points_into_the_text_as_written(text):
    report = Analyzer().analyze(text)
    model_ev = [(f, e) for f in report.findings for e in f.evidence if e.source == "model"]
    assert model_ev
    for f, e in model_ev:
        assert text[e.start : e.end] == e.cue and f.start <= e.start < e.end <= f.end and e.cue.strip()


def test_explainer_belongs_to_the_committed_student():
    """A re-distilled student must be followed by a new explainer, or its evidence would be another model's."""
    from analyzer.model.explainer import EXPLAINER_CONFIG
    from analyzer.model.onnx_export import file_sha256

    cfg = json.loads((FAST_MODEL_DIR / EXPLAINER_CONFIG).read_text(encoding="utf-8"))
    assert cfg["model_weights_sha256"] == file_sha256(FAST_MODEL_DIR / "weights.safetensors"), \
        "run `python -m analyzer.fit_explainer`"


def test_explainer_evidence_lowers_the_score_as_the_model_card_says(model):
    """Delete the explainer's evidence from every test clause the model flags, and score again."""
    from analyzer.data import load_clauses
    from analyzer.model.features import model_input

    pairs = [model_input(c["text"], c["heading"]) for c in load_clauses("test")]
    base = model.predict(pairs)
    items = [(i, j) for i in range(len(pairs)) for j in range(len(model.labels)) if base[i, j] >= model.thresholds[j]]
    states = model.states([pairs[i] for i, _j in items])
    variants, chars = [], []
    for (i, j), state in zip(items, states):
        spans = model.explainer.explain(pairs[i][0], state, [j])[0]
        text = pairs[i][0]
        for s, e, _drop in spans:
            text = text[:s] + text[e:]
        variants.append((text, pairs[i][1]))
        chars.append(len(pairs[i][0]) - len(text))
    after = model.predict(variants)
    drop = sum(base[i, j] - after[k, j] for k, (i, j) in enumerate(items)) / len(items)
    assert abs(drop - _card_value("test_evidence_drop")) <= 0.02
    assert sum(chars) / len(chars) <= 8  # short enough to point at, not a whole clause


def test_a_model_without_its_explainer_falls_back_to_occlusion(tmp_path):
    import shutil

    for name in ("config.json", "weights.safetensors"):
        shutil.copy(FAST_MODEL_DIR / name, tmp_path / name)
    analyzer = Analyzer(model_dir=str(tmp_path), cache_size=1000)  # same weights: the cached export is reused
    assert analyzer.model.explainer is None
    report = analyzer.analyze(MODEL_ONLY)
    assert any(e.source == "model" for f in report.findings for e in f.evidence)
    assert analyzer.cache.misses > 1  # the occlusion variants


def test_explainer_smoke_run(tmp_path):
    """Fitting the explainer on a handful of clauses keeps its training code alive; the one command skips the dev
    report to save time, which must not change what it writes."""
    from analyzer.fit_explainer import fit_explainer
    from analyzer.model.explainer import EXPLAINER_WEIGHTS, Explainer
    from analyzer.model.onnx_export import file_sha256

    out = subprocess.run([sys.executable, "-m", "analyzer.fit_explainer", "--limit", "30", "--epochs", "1",
                          "--out", str(tmp_path / "with")], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "explainer written to" in out.stdout and "dev: on" in out.stdout
    explainer = Explainer.load(tmp_path / "with", file_sha256(FAST_MODEL_DIR / "weights.safetensors"))
    assert explainer is not None and explainer.w2.shape[0] == 9

    lines = []
    fit_explainer(FAST_MODEL_DIR, tmp_path / "without", limit=30, epochs=1, dev_report=False, log=lines.append)
    assert not any(s.startswith("dev") for s in lines)
    assert (tmp_path / "with" / EXPLAINER_WEIGHTS).read_bytes() == (tmp_path / "without" / EXPLAINER_WEIGHTS).read_bytes()


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


# each module once in each precision, whichever is the default
@pytest.mark.parametrize("module,line,layers,record,precision", [
    ("analyzer.train", "dev after epoch 1", 12, "training", "fp32"),
    ("analyzer.distill", "student dev after epoch 1", 6, "distillation", "bf16"),
])
def test_training_smoke_run(tmp_path, module, line, layers, record, precision):
    """A few optimiser steps on a handful of clauses keep the training and distillation code alive."""
    out = subprocess.run(
        [sys.executable, "-m", module, "--limit", "24", "--max-steps", "2", "--epochs", "1", "--precision", precision,
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert line in out.stdout
    model = ClauseModel(tmp_path)
    assert model.layers == layers
    assert model.config[record]["precision"] == precision
    probs = model.predict([("会员费概不退款。", "")])
    assert probs.shape == (1, 9) and ((probs >= 0) & (probs <= 1)).all()


def test_frozen_layers_leave_the_base_weights_as_they_were(tmp_path):
    """`--freeze-layers N` must stop the optimiser (weight decay included) below layer N and nowhere else."""
    from safetensors.torch import load_file

    from analyzer.encoder import load_base_encoder

    out = subprocess.run(
        [sys.executable, "-m", "analyzer.train", "--limit", "24", "--max-steps", "2", "--epochs", "1",
         "--freeze-layers", "2", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    saved = load_file(str(tmp_path / "weights.safetensors"))
    base = {k: v.half() for k, v in load_base_encoder(prune_vocab=True)[0].state_dict().items()}
    same = lambda name: (saved[f"encoder.{name}"] == base[name]).all().item()  # noqa: E731
    assert same("embeddings.position_embeddings.weight") and same("embeddings.LayerNorm.weight")
    assert same("encoder.layer.0.attention.self.query.weight") and same("encoder.layer.1.output.dense.bias")
    assert not same("encoder.layer.2.attention.self.query.weight")
    assert ClauseModel(tmp_path).config["training"]["freeze_layers"] == 2


def test_bf16_precision_is_autocast_of_the_forward_pass_only():
    import torch

    from analyzer.train import autocast

    layer, x = torch.nn.Linear(4, 3), torch.randn(2, 4)
    with autocast("bf16"):
        assert layer(x).dtype == torch.bfloat16
    with autocast("fp32"):
        assert layer(x).dtype == torch.float32
    assert layer.weight.dtype == torch.float32  # the weights the optimiser updates stay fp32
    with pytest.raises(ValueError, match="precision"):
        autocast("fp16")


def test_label_smoothing_moves_targets_off_0_and_1():
    import numpy as np

    from analyzer.train import smooth_targets

    y = np.array([[0.0, 1.0, 1.0]], dtype=np.float32)
    assert np.allclose(smooth_targets(y, 0.1), [[0.05, 0.95, 0.95]])
    assert smooth_targets(y, 0.1).dtype == np.float32
    assert smooth_targets(y, 0.0) is y  # the committed recipe trains on the plain targets
    with pytest.raises(ValueError, match="label smoothing"):
        smooth_targets(y, 1.0)


def test_train_fraction_draws_whole_agreements_per_sector():
    from analyzer.data import load_clauses
    from analyzer.train import subset_agreements

    train = load_clauses("train")
    half = subset_agreements(train, 0.5, 13)
    docs = {c["doc_id"] for c in half}
    assert all(c["doc_id"] in docs for c in train if c["doc_id"] in docs)  # every clause of a drawn agreement
    per_sector = lambda cs: {s: len({c["doc_id"] for c in cs if c["sector"] == s}) for s in {c["sector"] for c in train}}  # noqa: E731
    assert {s: round(n / 2) for s, n in per_sector(train).items()} == per_sector(half)
    assert half == subset_agreements(train, 0.5, 13) and half != subset_agreements(train, 0.5, 14)
    assert subset_agreements(train, 1.0, 13) is train
    with pytest.raises(ValueError, match="train fraction"):
        subset_agreements(train, 0.0, 13)


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


def test_one_command_rebuilds_the_model_the_student_and_its_explainer(tmp_path):
    """`python -m analyzer.train` alone leaves a teacher, its student and the student's explainer that fit together."""
    from analyzer.model.explainer import EXPLAINER_CONFIG
    from analyzer.model.onnx_export import file_sha256

    out = tmp_path / "clause-classifier"
    env = {**os.environ, "TOS_ANALYZER_CACHE": str(tmp_path / "cache")}
    run = subprocess.run([sys.executable, "-m", "analyzer.train", "--limit", "16", "--epochs", "1", "--out", str(out)],
                         capture_output=True, text=True, timeout=900, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "student dev after epoch 1" in run.stdout and "explainer written to" in run.stdout
    student = tmp_path / "clause-classifier-6l"
    cfg = json.loads((student / "config.json").read_text(encoding="utf-8"))
    assert cfg["distillation"]["teacher_weights_sha256"] == file_sha256(out / "weights.safetensors")
    explainer = json.loads((student / EXPLAINER_CONFIG).read_text(encoding="utf-8"))
    assert explainer["model_weights_sha256"] == file_sha256(student / "weights.safetensors")
