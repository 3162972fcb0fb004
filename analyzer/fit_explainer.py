"""Train the evidence explainer of the optimised model: ``python -m analyzer.fit_explainer``.

``python -m analyzer.train`` runs it after fine-tuning; on its own it refits the explainer of a model folder.

The targets are the model's own occlusion: for every training clause that comes near a label
(probability >= ``FLOOR``) or carries it in gold, each run of 1-3 jieba words is deleted and the
clause scored again, alone, on the int8 path that ``analyze()`` runs; the fall of each label's
logit is what the explainer learns to predict from the clause's last hidden states
(``analyzer/model/explainer.py``). The dev split is treated the same way and reports what the
explainer's pick is worth: the real fall when it is deleted, against the best span there was
(``--no-dev-report`` skips it: it only reports, and ``benchmarks/bench_evidence.py --split dev``
measures the same). About 7 minutes on 2 CPU cores; writes ``explainer.safetensors`` and
``explainer.json`` next to the model's weights.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from analyzer.data import load_clauses
from analyzer.model import FAST_MODEL_DIR, MODEL_WEIGHTS
from analyzer.model.explainer import EXPLAINER_CONFIG, EXPLAINER_WEIGHTS, MAX_WORDS, features
from analyzer.model.features import model_input
from analyzer.model.onnx_export import file_sha256

FLOOR = 0.25
# Targets are falls of the label's logit, not of its probability: on a confident clause (0.99) the probability
# hardly moves for any deletion but the decisive one, which squared error on probabilities barely rewards
# finding. On dev the logit targets' picks lowered the score by 0.40 against 0.38 (model card).
LOGIT_CLIP = 8.0
RECIPE = {"hidden": 128, "epochs": 20, "batch_size": 512, "lr": 1e-3, "weight_decay": 1e-2, "seed": 0,
          "floor": FLOOR, "max_words": MAX_WORDS, "target": "logit fall", "logit_clip": LOGIT_CLIP}


def occlusion_targets(model, clauses: list[dict], head_weight: np.ndarray) -> list[dict]:
    """Per clause near a label: candidate spans, their feature rows, and the real fall of every label's probability."""
    pairs = [model_input(c["text"], c["heading"]) for c in clauses]
    base = model.predict(pairs)
    chosen = [i for i, c in enumerate(clauses)
              if np.any(base[i] >= FLOOR) or any(lab in model.labels for lab in c["labels"])]
    states = model.states([pairs[i] for i in chosen])
    recs, variants = [], []
    for i, state in zip(chosen, states):
        c = clauses[i]
        labs = sorted({j for j in np.where(base[i] >= FLOOR)[0]} |
                      {model.labels.index(lab) for lab in c["labels"] if lab in model.labels})
        spans, x = features(c["text"], state, head_weight)
        if not spans:
            continue
        recs.append({"i": i, "labs": labs, "spans": spans, "x": x, "first": len(variants), "base": base[i]})
        variants.extend(model_input(c["text"][:s] + c["text"][e:], c["heading"]) for s, e in spans)
    probs = model.predict(variants)
    for r in recs:
        r["drops"] = r["base"][None, :] - probs[r["first"] : r["first"] + len(r["spans"])]
    return recs


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def logit_falls(r: dict, clip: float = LOGIT_CLIP) -> np.ndarray:
    """The fall of each label's logit for each span of a record of ``occlusion_targets``."""
    after = r["base"][None, :] - r["drops"]
    return np.clip(_logit(r["base"])[None, :] - _logit(after), -clip, clip).astype(np.float32)


def fit(recs: list[dict], n_labels: int, recipe: dict = RECIPE) -> dict[str, np.ndarray]:
    """Masked mean squared error on the labels each clause was chosen for; returns the explainer's tensors."""
    import torch

    torch.manual_seed(recipe["seed"])
    x = np.concatenate([r["x"] for r in recs])
    y = np.concatenate([logit_falls(r, recipe["logit_clip"]) for r in recs])
    m = np.zeros_like(y)
    at = 0
    for r in recs:
        m[at : at + len(r["spans"]), r["labs"]] = 1.0
        at += len(r["spans"])
    mean, scale = x.mean(0), x.std(0) + 1e-4
    xt, yt, mt = torch.tensor((x - mean) / scale), torch.tensor(y), torch.tensor(m)
    net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], recipe["hidden"]), torch.nn.GELU(approximate="tanh"),
                              torch.nn.Linear(recipe["hidden"], n_labels))
    opt = torch.optim.AdamW(net.parameters(), lr=recipe["lr"], weight_decay=recipe["weight_decay"])
    for _ in range(recipe["epochs"]):
        perm = torch.randperm(len(xt))
        for s in range(0, len(xt), recipe["batch_size"]):
            b = perm[s : s + recipe["batch_size"]]
            loss = (((net(xt[b]) - yt[b]) ** 2) * mt[b]).sum() / mt[b].sum().clamp(min=1.0)
            opt.zero_grad()
            loss.backward()
            opt.step()
    state = {k: v.detach().numpy().astype(np.float32) for k, v in net.state_dict().items()}
    return {"mean": mean.astype(np.float32), "scale": scale.astype(np.float32),
            "w1": state["0.weight"], "b1": state["0.bias"], "w2": state["2.weight"], "b2": state["2.bias"]}


def pick_quality(recs: list[dict], predict, thresholds: np.ndarray) -> dict:
    """On the (clause, label) pairs the model flags: real fall of the picked span, of the best span, and span length."""
    picked, best, chars = [], [], []
    for r in recs:
        pred = predict(r["x"])
        for j in r["labs"]:
            if r["base"][j] < thresholds[j]:
                continue
            k = int(np.argmax(pred[:, j]))
            picked.append(float(r["drops"][k, j]))
            best.append(float(r["drops"][:, j].max()))
            chars.append(r["spans"][k][1] - r["spans"][k][0])
    return {"pairs": len(picked), "mean_drop": round(float(np.mean(picked)), 4) if picked else None,
            "best_span_drop": round(float(np.mean(best)), 4) if best else None,
            "mean_chars": round(float(np.mean(chars)), 2) if chars else None}


def fit_explainer(model_dir: Path, out: Path | None = None, *, limit: int | None = None,
                  epochs: int = RECIPE["epochs"], dev_report: bool = True, log=print) -> dict:
    """Fit the explainer of the weights in ``model_dir`` and write it to ``out`` (default: beside them).

    ``dev_report=False`` skips scoring the dev split's deleted variants, which only reports figures: the
    fit reads the training clauses alone, so the written explainer is the same either way.
    """
    from safetensors.numpy import load_file, save_file

    from analyzer.model.explainer import Explainer
    from analyzer.model.fast import FastClauseModel

    t0 = time.perf_counter()
    model_dir = Path(model_dir)
    model = FastClauseModel(model_dir)
    head_weight = load_file(str(model_dir / MODEL_WEIGHTS))["head.weight"].astype(np.float32)
    recipe = dict(RECIPE, epochs=epochs)
    data = {}
    for split in ("train", "dev") if dev_report else ("train",):
        clauses = load_clauses(split)[:limit]
        data[split] = occlusion_targets(model, clauses, head_weight)
        rows = sum(len(r["spans"]) for r in data[split])
        log(f"{split}: {len(data[split])} clauses near a label, {rows} spans deleted and scored "
            f"({time.perf_counter() - t0:.0f} s)")
    tensors = fit(data["train"], len(model.labels), recipe)
    tensors["head_weight"] = head_weight
    sha = file_sha256(model_dir / MODEL_WEIGHTS)
    explainer = Explainer(tensors, {})
    figures = {split: pick_quality(recs, explainer.predict, model.thresholds) for split, recs in data.items()}
    for split, f in figures.items():
        log(f"{split}: on {f['pairs']} flagged (clause, label) pairs, deleting the explainer's span lowers the "
            f"score by {f['mean_drop']} on average (the best span of 1-{MAX_WORDS} words: {f['best_span_drop']}); "
            f"{f['mean_chars']} characters")
    config = {"model_weights_sha256": sha, "recipe": recipe, "features": "mean hidden of the span's tokens, clause mean, "
              "their product, per-label logit share, token share, words, characters",
              "train_clauses": len(data["train"]), "train_spans": sum(len(r["spans"]) for r in data["train"]),
              "figures": figures, "seconds": round(time.perf_counter() - t0, 1)}
    out = Path(out) if out else model_dir
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(out / EXPLAINER_WEIGHTS))
    (out / EXPLAINER_CONFIG).write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log(f"explainer written to {out} ({config['seconds']} s)")
    return config


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", default=str(FAST_MODEL_DIR), help="the model to explain (default: the optimised path's)")
    ap.add_argument("--out", default=None, help="where to write the explainer (default: the model folder)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N clauses of each split (smoke runs)")
    ap.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    ap.add_argument("--no-dev-report", action="store_true",
                    help="do not score dev's deleted variants (figures only; the explainer written is the same)")
    args = ap.parse_args(argv)
    fit_explainer(Path(args.model_dir), Path(args.out) if args.out else None, limit=args.limit, epochs=args.epochs,
                  dev_report=not args.no_dev_report, log=lambda s: print(s, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
