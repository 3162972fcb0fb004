"""Scores of clauses seen before, so that repeated text is scored once.

Agreements repeat themselves (the same boilerplate under several headings), versions of one
agreement share most clauses, occlusion scores the same variants for each label of a clause,
and a batch of saved terms files from one platform is mostly the same text. The cache is exact,
not approximate: the optimised path scores every clause on its own (see ``fast.py``), so a
clause's score is a function of the clause and its heading alone.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Protocol, Sequence

import numpy as np


class _Scorer(Protocol):
    labels: list[str]

    def predict(
        self, pairs: Sequence[tuple[str, str]], batch_size: int = ..., progress: Callable[[float], None] | None = ...
    ) -> np.ndarray: ...


class ScoreCache:
    """A least-recently-used map from (clause, context) to the model's probabilities.

    ``size`` is the number of inputs kept (0 turns the cache off); each costs well under a
    kilobyte. Safe to share between threads.
    """

    def __init__(self, size: int = 20_000) -> None:
        if size < 0:
            raise ValueError(f"cache size must be >= 0, got {size}")
        self.size = size
        self.hits = 0
        self.misses = 0
        self._rows: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()
            self.hits = self.misses = 0

    def predict(
        self, model: _Scorer, pairs: Sequence[tuple[str, str]], progress: Callable[[float], None] | None = None
    ) -> np.ndarray:
        """``model.predict(pairs)``, scoring each distinct pair not seen before exactly once."""
        out = np.zeros((len(pairs), len(model.labels)), dtype=np.float32)
        todo: dict[tuple[str, str], list[int]] = {}
        with self._lock:
            for k, pair in enumerate(pairs):
                pair = (pair[0], pair[1])
                row = self._rows.get(pair) if self.size else None
                if row is None:
                    todo.setdefault(pair, []).append(k)
                    continue
                self._rows.move_to_end(pair)
                out[k] = row
            self.hits += len(pairs) - len(todo)  # lookups the model is spared
            self.misses += len(todo)
        if todo:
            fresh = list(todo)
            probs = model.predict(fresh, progress=progress)
            for pair, row in zip(fresh, probs):
                out[todo[pair]] = row
            if self.size:
                with self._lock:
                    for pair, row in zip(fresh, probs):
                        self._rows[pair] = row.copy()
                        self._rows.move_to_end(pair)
                    while len(self._rows) > self.size:
                        self._rows.popitem(last=False)
        return out
