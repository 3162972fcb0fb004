"""The score cache: repeated text is scored once, and caching never changes a result."""
from __future__ import annotations

import numpy as np
import pytest

from analyzer.model.score_cache import ScoreCache


class CountingModel:
    labels = ["a", "b"]

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def predict(self, pairs, batch_size=1, progress=None):
        self.seen.extend(pairs)
        return np.array([[len(t) / 100, len(h) / 100] for t, h in pairs], dtype=np.float32)


def test_each_distinct_input_is_scored_once_and_rows_keep_their_order():
    model, cache = CountingModel(), ScoreCache(100)
    pairs = [("甲条款", "一、"), ("乙条款较长一些", ""), ("甲条款", "一、"), ("甲条款", "二、")]
    first = cache.predict(model, pairs)
    assert model.seen == [("甲条款", "一、"), ("乙条款较长一些", ""), ("甲条款", "二、")]
    again = cache.predict(model, pairs[::-1])
    assert len(model.seen) == 3, "a second look at the same text must not call the model"
    assert np.array_equal(again, first[::-1])
    assert np.array_equal(first, model.predict(pairs))
    assert (cache.hits, cache.misses) == (5, 3)


def test_least_recently_used_inputs_are_evicted_at_the_size_limit():
    model, cache = CountingModel(), ScoreCache(2)
    cache.predict(model, [("一", ""), ("二", "")])
    cache.predict(model, [("一", "")])  # 一 is now the most recent
    cache.predict(model, [("三", "")])  # evicts 二
    assert len(cache) == 2
    model.seen.clear()
    cache.predict(model, [("一", ""), ("二", ""), ("三", "")])
    assert model.seen == [("二", "")]


def test_size_zero_turns_the_cache_off_and_negative_sizes_are_refused():
    model, cache = CountingModel(), ScoreCache(0)
    cache.predict(model, [("一", "")])
    cache.predict(model, [("一", "")])
    assert model.seen == [("一", ""), ("一", "")] and len(cache) == 0
    with pytest.raises(ValueError):
        ScoreCache(-1)


def test_the_cache_does_not_change_any_report():
    from analyzer import Analyzer

    text = ("一、会员服务\n会员费一经支付概不退款。\n本公司有权随时修改本协议，无需另行通知。\n"
            "二、其他\n会员费一经支付概不退款。\n本协议的最终解释权归本公司所有。\n")
    cached, uncached = Analyzer(), Analyzer(cache_size=0)
    first = cached.analyze(text).to_dict()
    assert cached.analyze(text).to_dict() == first == uncached.analyze(text).to_dict()
    assert cached.cache.hits > 0 and len(uncached.cache) == 0


def test_the_environment_sets_the_default_size(monkeypatch):
    from analyzer import Analyzer

    monkeypatch.setenv("TOS_SCORE_CACHE", "0")
    assert Analyzer(engine="rules").cache.size == 0
    monkeypatch.setenv("TOS_SCORE_CACHE", "many")
    with pytest.raises(ValueError, match="TOS_SCORE_CACHE"):
        Analyzer(engine="rules")
    monkeypatch.delenv("TOS_SCORE_CACHE")
    assert Analyzer(engine="rules").cache.size == 20_000
