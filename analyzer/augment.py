"""Training-time augmentation: variants of a training clause that keep its labels.

Used only on the train split and only while training (never written to ``datasets/``), so
nothing crosses splits. Script conversion is not needed: the model reads normalised text,
in which Traditional has already become Simplified.
"""
from __future__ import annotations

import random
import re

from analyzer.segment import _marker

_MARKERS = ["", "1. ", "2.3 ", "第五条 ", "（三）", "(2) ", "③ ", "• ", "4.1.2 ", "十、", "【重要】"]
_OPERATOR = re.compile(r"本平台|本公司|我们|我方|本站|本应用|本中心|本机构|本店")
_OPERATORS = ["本平台", "本公司", "我们", "本站", "本应用", "云帆", "星桥", "青禾", "极屿", "乙方", "运营方"]
_USER = re.compile(r"您|用户|会员|甲方|学员|消费者")
_USERS = ["您", "用户", "会员", "你", "消费者"]
_COMPANY = re.compile(r"[\u4e00-\u9fff]{2,12}(?:股份)?有限(?:责任)?公司")
_COMPANIES = ["杭州云帆数字科技有限公司", "深圳星桥网络有限公司", "成都青禾文化传媒有限公司", "北京极屿信息技术有限公司",
              "南京澄江互动娱乐有限公司", "厦门白鹭在线服务有限公司"]


def augment(text: str, rng: random.Random) -> str:
    """One random label-preserving variant of ``text`` (sometimes ``text`` itself)."""
    if rng.random() < 0.35:
        _, mark = _marker(text)
        text = rng.choice(_MARKERS) + text[len(mark) :]
    if rng.random() < 0.3:
        text = _OPERATOR.sub(lambda m: rng.choice(_OPERATORS), text)
    if rng.random() < 0.2:
        text = _USER.sub(lambda m: rng.choice(_USERS), text)
    if rng.random() < 0.3:
        text = _COMPANY.sub(lambda m: rng.choice(_COMPANIES), text)
    if rng.random() < 0.1:
        # the doubled spaces and dropped commas of pasted pages
        text = text.replace("，", rng.choice(["，", " ", ",", "，  "]), 1)
    return text
