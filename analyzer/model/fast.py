"""The optimised inference path: the distilled 6-layer student in int8 ONNX, on ONNX Runtime.

Tokenised by ``tokenizers`` alone: neither torch nor transformers is imported here, which keeps
cold start and memory small.
The artifact is built from ``models/`` by ``analyzer.model.onnx_export`` at set-up (or on first
use, once); predictions match ``ClauseModel`` of the same model folder up to int8 rounding.
"""
from __future__ import annotations

import json
import os
import sys
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from analyzer.model import FAST_MODEL_DIR, MODEL_CONFIG, ModelUnavailable, predict_in_batches
from analyzer.model.explainer import Explainer, State
from analyzer.model.onnx_export import META_FILE, ONNX_FILE, TOKENIZER_FILE, build, onnx_dir


# Last hidden states kept for clauses that come near a threshold, for the explainer; float16 and at
# most 128 tokens each, so at most ~200 MB, and much less for clauses of usual length.
STATES_KEPT = 2048
# kept when some label's probability reaches this fraction of its threshold
NEAR_THRESHOLD = 0.5


class FastClauseModel:
    """Same interface as ``ClauseModel``: ``labels``, ``thresholds``, ``max_len``, ``predict``.

    By default it runs the 6-layer student distilled from the fine-tuned model (``FAST_MODEL_DIR``);
    ``model_dir`` may name any model folder in the same format, the 12-layer model included.
    """

    def __init__(self, model_dir: Path | str | None = None, *, threads: int | None = None) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as e:
            raise ModelUnavailable(f"the optimised path needs {e.name}; run `make setup` or `pip install -e .`") from e
        model_dir = Path(model_dir) if model_dir else FAST_MODEL_DIR
        try:
            path = onnx_dir(model_dir)
        except FileNotFoundError as e:
            raise ModelUnavailable(
                f"the fine-tuned model file {e.filename} is missing; restore models/ with `git checkout -- models/` "
                "or rebuild it (`python -m analyzer.train` for models/clause-classifier, then "
                "`python -m analyzer.distill` for the student in models/clause-classifier-6l)"
            ) from e
        if not (path / META_FILE).exists():
            print(f"building the optimised model in {path} (once, about a minute)…", file=sys.stderr)
            build(model_dir)
        meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
        self.labels: list[str] = meta["labels"]
        # thresholds from models/, not from the cached export: the cache is keyed by the weights, so an
        # edit of the thresholds alone would otherwise be ignored until the cache was rebuilt
        config = json.loads((model_dir / MODEL_CONFIG).read_text(encoding="utf-8"))
        self.thresholds = np.array([config["thresholds"][lab] for lab in self.labels], dtype=np.float32)
        self.max_len: int = meta["max_len"]
        self.layers: int = int(config.get("layers") or 12)
        self.tokenizer = Tokenizer.from_file(str(path / TOKENIZER_FILE))
        self.tokenizer.enable_truncation(self.max_len, strategy="only_first")
        self.tokenizer.no_padding()
        self._pad = int(meta["pad_id"])
        # One thread per run and one run per core: a single clause is too small a job to split
        # across cores (2 threads on one run: 121-141 clauses/s; 2 runs of 1 thread: 226/s)
        self.workers = threads or min(4, os.cpu_count() or 2)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # batches vary in shape; an arena sized for the largest one would stay allocated
        opts.enable_cpu_mem_arena = False
        self.session = ort.InferenceSession(str(path / ONNX_FILE), opts, providers=["CPUExecutionProvider"])
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        # word evidence from the scoring pass's hidden states, if an explainer was trained for these weights
        self.explainer = Explainer.load(model_dir, meta["weights_sha256"])
        self._states: OrderedDict[tuple[str, str], State] = OrderedDict()
        self._states_lock = threading.Lock()

    def _encode(self, pairs: Sequence[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray, list]:
        encs = self.tokenizer.encode_batch([(a, b) for a, b in pairs])
        width = max(len(e.ids) for e in encs)
        ids = np.full((len(encs), width), self._pad, dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        for i, e in enumerate(encs):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
        return ids, mask, encs

    def states(self, pairs: Sequence[tuple[str, str]]) -> list[State]:
        """The last hidden states of each pair's scoring run: kept from it if near a threshold, else run again."""
        with self._states_lock:
            found = {p: self._states[p] for p in pairs if p in self._states}
        missing = [p for p in dict.fromkeys(pairs) if p not in found]
        if missing:
            found.update(zip(missing, self._threads().map(self._run_state, missing)))
        return [found[p] for p in pairs]

    def predict(
        self, pairs: Sequence[tuple[str, str]], batch_size: int = 1, progress: Callable[[float], None] | None = None
    ) -> np.ndarray:
        """Probabilities, shape (len(pairs), n_labels), for (clause, context) pairs from ``model_input``."""
        # One clause per run by default: dynamic int8 quantisation scales activations over the whole
        # input tensor, so in a batch a clause's score depended on its neighbours and their padding
        # (up to 0.57 apart on the test split). Alone, a clause always gets the same score; the
        # runs go to ``workers`` threads (ONNX Runtime releases the GIL), which gives them back
        # the speed of batching and more.
        with self._lock:
            if batch_size != 1 or self.workers == 1:
                return predict_in_batches(pairs, len(self.labels), self._run, batch_size, progress)
            # chunks of 64 only pace the progress reports: each clause still runs alone
            return predict_in_batches(pairs, len(self.labels), self._run_each, 64, progress)

    def _run_each(self, batch: Sequence[tuple[str, str]]) -> np.ndarray:
        """Every pair in a run of its own, ``workers`` runs at a time."""
        return np.stack(list(self._threads().map(lambda p: self._run([p])[0], batch)))

    def _threads(self) -> ThreadPoolExecutor:
        with self._states_lock:  # states() runs outside the scoring lock
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="clause-model")
        return self._pool

    def _run(self, batch: Sequence[tuple[str, str]]) -> np.ndarray:
        ids, mask, encs = self._encode(batch)
        if len(batch) > 1:
            logits = self.session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]
            return 1.0 / (1.0 + np.exp(-logits))
        logits, hidden = self.session.run(["logits", "hidden"], {"input_ids": ids, "attention_mask": mask})
        probs = 1.0 / (1.0 + np.exp(-logits))
        if np.any(probs[0] >= NEAR_THRESHOLD * self.thresholds):
            self._keep_state(batch[0], _state(hidden[0], encs[0]))
        return probs

    def _run_state(self, pair: tuple[str, str]) -> State:
        ids, mask, encs = self._encode([pair])
        hidden = self.session.run(["hidden"], {"input_ids": ids, "attention_mask": mask})[0]
        return _state(hidden[0], encs[0])

    def clear_states(self) -> None:
        """Forget the kept hidden states (benchmarks: every run as for a text never seen)."""
        with self._states_lock:
            self._states.clear()

    def _keep_state(self, pair: tuple[str, str], state: State) -> None:
        with self._states_lock:
            self._states[pair] = state
            self._states.move_to_end(pair)
            while len(self._states) > STATES_KEPT:
                self._states.popitem(last=False)


def _state(hidden: np.ndarray, enc) -> State:
    return State(hidden.astype(np.float16), tuple(enc.offsets), tuple(enc.sequence_ids))
