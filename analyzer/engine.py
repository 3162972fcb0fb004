"""The single-text and batch engines behind ``analyze()``.

An ``Analyzer`` loads its resources once (rules, law catalog, and the model when it is used)
and is safe to share between threads: ``analyze`` keeps no state between calls.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from analyzer.laws import citations_for
from analyzer.model.features import model_input
from analyzer.model.score_cache import ScoreCache
from analyzer.normalize import normalize
from analyzer.report import ClauseResult, Evidence, Finding, LabelDetail, Report
from analyzer.rules import RuleHit, RuleSet
from analyzer.segment import Clause, segment
from analyzer.taxonomy import LABEL_IDS, labels

# Large enough for any real agreement (the longest seen are ~100k characters), small enough
# that one request cannot hold a server for minutes.
MAX_CHARS = 500_000
ENGINES = ("model", "rules")
_SURROGATE = re.compile("[\ud800-\udfff]")
DEFAULT_THRESHOLD = 0.5
# Below this score a model finding is shown as potentially unfair (中), whatever its label.
CONFIDENT = 0.75
DEFAULT_CACHE_SIZE = 20_000


@dataclass(frozen=True)
class _Scored:
    clause: Clause
    scores: dict[str, float]
    hits: list[RuleHit]
    offsets: "object"  # Normalized of the clause text, to map rule matches back
    pair: tuple[str, str] | None = None  # what the model read (``model_input``), kept for the explainer


class Analyzer:
    """Analyse Chinese agreements for unfair format clauses.

    ``engine``: ``"model"`` (the fine-tuned classifier, default) or ``"rules"`` (the explainable
    rule layer alone). ``threshold``: one score every label needs to be flagged; by default the
    model uses its per-label thresholds chosen on dev, the rules 0.5. ``labels``: only report
    these label ids. ``explain``: find the words behind model-only findings: ``True`` (default) asks
    the model's explainer, which predicts them from the scoring pass at no extra model runs, or
    occlusion where the model has no explainer (the fp32 12-layer path); ``"occlusion"`` always
    measures them by deleting words and scoring again (about eleven runs a finding); ``False``: none.
    ``backend``: ``"onnx"`` (the optimised default: the 6-layer student distilled from the fine-tuned
    model, int8 on ONNX Runtime) or ``"torch"`` (the fine-tuned 12-layer model in plain fp32 PyTorch).
    ``model_dir``: another model folder for either backend.
    ``allow_list``: phrases that mark a clause as acceptable to this user (e.g. a clause their
    lawyers approved); a clause containing one is never flagged. ``cache_size``: how many
    recently scored clauses to remember, so repeated text is scored once (0: off); the scores
    are the same either way. By default the environment variable ``TOS_SCORE_CACHE`` sets it
    (so batch workers follow it too), else 20,000. ``threads``: CPU threads for the model (default:
    the number of cores, at most 4).
    """

    def __init__(
        self,
        *,
        engine: str = "model",
        threshold: float | None = None,
        labels: Iterable[str] | None = None,
        allow_list: Iterable[str] = (),
        max_chars: int = MAX_CHARS,
        explain: bool | str = True,
        model_dir: str | None = None,
        backend: str = "onnx",
        cache_size: int | None = None,
        threads: int | None = None,
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
        self.engine = engine
        self.threshold = None if threshold is None else _check_threshold(threshold)
        wanted = tuple(labels) if labels is not None else LABEL_IDS
        unknown = [x for x in wanted if x not in LABEL_IDS]
        if unknown:
            raise ValueError(f"unknown label id(s): {', '.join(unknown)}; known: {', '.join(LABEL_IDS)}")
        self.labels = wanted
        self.allow_list = tuple(normalize(p).text for p in allow_list if p and p.strip())
        self.max_chars = max_chars
        self.explain = _check_explain(explain)
        self.rules = RuleSet.load()
        self.model = None
        self.cache = ScoreCache(_cache_size() if cache_size is None else cache_size)
        if engine == "model":
            # both raise ModelUnavailable saying what is missing and how to fix it
            if backend == "onnx":
                from analyzer.model.fast import FastClauseModel

                self.model = FastClauseModel(model_dir, threads=threads)
            elif backend == "torch":
                from analyzer.model import ClauseModel

                self.model = ClauseModel(model_dir)
                if threads:
                    import torch

                    torch.set_num_threads(threads)
            else:
                raise ValueError(f"unknown backend {backend!r}; choose 'onnx' (optimised, default) or 'torch' (fp32)")

    # -- public API -------------------------------------------------------------------------
    def analyze(
        self,
        text: str,
        *,
        threshold: float | None = None,
        progress: Callable[[float], None] | None = None,
        explain: bool | str | None = None,
    ) -> Report:
        """Segment ``text``, score every clause, and return the report.

        ``progress``, if given, is called with the fraction of clauses scored so far (0–1).
        ``explain`` overrides the analyzer's setting for this call: a caller can show the findings
        at once (``explain=False``) and then ask again with word evidence, whose scores the
        score cache already holds.
        """
        self._check_text(text)
        thr = self.threshold if threshold is None else _check_threshold(threshold)
        # Lone surrogates (from broken decoders) cannot be written out as UTF-8; replacing them
        # one for one keeps every offset valid.
        text = _SURROGATE.sub("\ufffd", text)
        explain = self.explain if explain is None else _check_explain(explain)
        report = self._report(text, self._score_many([text], progress)[0], thr, explain)
        if progress:
            progress(1.0)
        return report

    def analyze_many(self, texts: Sequence[str], *, threshold: float | None = None) -> list[Report]:
        """Analyse several texts, scoring the clauses of all of them in shared model batches."""
        for t in texts:
            self._check_text(t)
        thr = self.threshold if threshold is None else _check_threshold(threshold)
        texts = [_SURROGATE.sub("\ufffd", t) for t in texts]
        scored = self._score_many(texts)
        return [self._report(t, sc, thr, self.explain) for t, sc in zip(texts, scored)]

    # -- internals --------------------------------------------------------------------------
    def _check_text(self, text: object) -> None:
        if not isinstance(text, str):
            raise TypeError(f"analyze() expects the agreement as str, got {type(text).__name__}")
        if len(text) > self.max_chars:
            raise ValueError(
                f"text has {len(text):,} characters, over the limit of {self.max_chars:,} (MAX_CHARS); "
                "split the document or raise max_chars"
            )

    def _score_many(
        self, texts: Sequence[str], progress: Callable[[float], None] | None = None
    ) -> list[list[_Scored]]:
        docs: list[list[_Scored]] = []
        todo: list[tuple[int, int]] = []  # (doc, clause) of every clause the model must score
        for d, text in enumerate(texts):
            out = []
            for clause in segment(text):
                if clause.is_heading:
                    out.append(_Scored(clause, {}, [], None))
                    continue
                norm = normalize(clause.text)
                hits = self.rules.match(norm.text)
                scores: dict[str, float] = {}
                if self.model is None:
                    for h in hits:
                        scores[h.rule.label] = max(scores.get(h.rule.label, 0.0), h.rule.score)
                    pair = None
                else:
                    todo.append((d, len(out)))
                    pair = model_input(clause.text, clause.heading)
                out.append(_Scored(clause, scores, hits, norm, pair))
            docs.append(out)
        if self.model is not None and todo:
            pairs = [docs[d][i].pair for d, i in todo]
            probs = self.cache.predict(self.model, pairs, progress)
            for (d, i), row in zip(todo, probs):
                docs[d][i].scores.update({lab: float(p) for lab, p in zip(self.model.labels, row)})
        return docs

    def _thresholds(self, thr: float | None) -> dict[str, float]:
        if thr is not None:
            return {lab: thr for lab in LABEL_IDS}
        if self.model is not None:
            return {lab: float(t) for lab, t in zip(self.model.labels, self.model.thresholds)}
        return {lab: DEFAULT_THRESHOLD for lab in LABEL_IDS}

    def _report(self, text: str, scored: list[_Scored], thr: float | None, explain: bool | str) -> Report:
        cut = self._thresholds(thr)
        report = Report(text_length=len(text), engine=self.engine, threshold=thr, thresholds=cut, text=text)
        table = labels()
        flagged_of: dict[int, list[str]] = {}
        for i, s in enumerate(scored):
            c = s.clause
            flagged = [lab for lab in self.labels if s.scores.get(lab, 0.0) >= cut[lab]]
            if flagged and self.allow_list:
                norm_text = s.offsets.text if s.offsets else normalize(c.text).text
                if any(p in norm_text for p in self.allow_list):
                    flagged = []
            report.clauses.append(
                ClauseResult(i, c.start, c.end, c.text, c.heading, c.is_heading, flagged,
                             {k: round(v, 4) for k, v in s.scores.items()})
            )
            if flagged:
                flagged_of[i] = flagged
        words = self._explain_all(scored, flagged_of, explain) if explain else {}
        for i, flagged in flagged_of.items():
            report.findings.append(self._finding(i, scored[i], flagged, table, words))
        return report

    def _explain_all(self, scored: list[_Scored], flagged_of: dict[int, list[str]], how: bool | str) -> dict:
        """Word evidence for every (clause, label) the model flagged without a rule cue.

        From the model's explainer (no extra model runs) where it has one and ``how`` does not ask for
        occlusion; else by occlusion, batched over the document.
        """
        if self.model is None:
            return {}
        todo = [(i, lab) for i, labs in flagged_of.items() for lab in labs
                if not any(h.rule.label == lab for h in scored[i].hits)]
        if not todo:
            return {}
        explainer = getattr(self.model, "explainer", None)
        if explainer is not None and how != "occlusion":
            labels_of: dict[int, list[str]] = {}
            for i, lab in todo:
                labels_of.setdefault(i, []).append(lab)
            order = list(labels_of)
            states = self.model.states([scored[i].pair for i in order])
            out = {}
            for i, state in zip(order, states):
                spans = explainer.explain(scored[i].clause.text, state,
                                          [self.model.labels.index(lab) for lab in labels_of[i]], scored[i].offsets)
                out.update({(i, lab): sp for lab, sp in zip(labels_of[i], spans)})
            return out
        from analyzer.explain import occlusion_many

        items = [(scored[i].clause.text, scored[i].clause.heading, self.model.labels.index(lab)) for i, lab in todo]
        spans = occlusion_many(items, lambda pairs: self.cache.predict(self.model, [model_input(t, h) for t, h in pairs]))
        return dict(zip(todo, spans))

    def _finding(self, index: int, s: _Scored, flagged: list[str], table, words: dict) -> Finding:
        c = s.clause
        evidence: list[Evidence] = []
        details: list[LabelDetail] = []
        for lab in flagged:
            lab_hits = [h for h in s.hits if h.rule.label == lab]
            for h in lab_hits:
                a, b = s.offsets.to_original(h.start, h.end)
                evidence.append(Evidence(c.start + a, c.start + b, c.text[a:b], lab, h.rule.id))
            for a, b, _drop in words.get((index, lab), ()):
                evidence.append(Evidence(c.start + a, c.start + b, c.text[a:b], lab, "model"))
            severity = next((h.rule.severity for h in lab_hits if h.rule.severity), table[lab].severity)
            if not lab_hits and s.scores[lab] < CONFIDENT:
                severity = "中"
            details.append(
                LabelDetail(lab, table[lab].name, round(s.scores[lab], 4), severity,
                            table[lab].explanation, [h.rule.id for h in lab_hits])
            )
        evidence.sort(key=lambda e: (e.start, e.end, e.label))
        severity = "高" if any(d.severity == "高" for d in details) else "中"
        explanation = "\n".join(f"【{d.name}】{d.explanation}" for d in details)
        suggestion = "\n".join(f"【{d.name}】{table[d.label].suggestion}" for d in details)
        return Finding(
            clause_index=index,
            start=c.start,
            end=c.end,
            text=c.text,
            heading=c.heading,
            labels=flagged,
            score=round(max(s.scores[lab] for lab in flagged), 4),
            severity=severity,
            evidence=evidence,
            laws=citations_for(flagged),
            explanation=explanation,
            suggestion=suggestion,
            details=details,
        )


def _cache_size() -> int:
    raw = os.environ.get("TOS_SCORE_CACHE", "").strip()
    try:
        return int(raw) if raw else DEFAULT_CACHE_SIZE
    except ValueError:
        raise ValueError(f"TOS_SCORE_CACHE must be a whole number of clauses (0 turns the cache off), got {raw!r}") from None


def _check_explain(explain: object) -> bool | str:
    if explain is True or explain is False or explain == "occlusion":
        return explain  # type: ignore[return-value]
    raise ValueError(f"explain must be True, False or 'occlusion', got {explain!r}")


def _check_threshold(threshold: float) -> float:
    if not isinstance(threshold, (int, float)) or not 0.0 < float(threshold) <= 1.0:
        raise ValueError(f"threshold must be a number in (0, 1], got {threshold!r}")
    return float(threshold)


_DEFAULT: Analyzer | None = None


def analyze(text: str, *, threshold: float | None = None) -> Report:
    """Analyse one agreement with a shared default ``Analyzer``."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Analyzer()
    return _DEFAULT.analyze(text, threshold=threshold)
