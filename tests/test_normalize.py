from hypothesis import given
from hypothesis import strategies as st

from analyzer.normalize import normalize


def test_traditional_fullwidth_and_case_are_folded():
    assert normalize("本平臺保留最終解釋權（ＶＩＰ）！１２３").text == "本平台保留最终解释权(vip)!123"


def test_length_changing_compatibility_chars_map_back():
    text = "㈠会员费不退"
    n = normalize(text)
    assert n.text.startswith("(一)")
    i = n.text.index("会员费")
    assert n.to_original(i, i + 3) == (1, 4)
    assert n.to_original(0, 3) == (0, 1)


@given(st.text(max_size=200))
def test_mapping_is_monotonic_and_in_range(text):
    n = normalize(text)
    assert len(n.offsets) == len(n.text) + 1
    assert list(n.offsets) == sorted(n.offsets)
    for s in range(0, len(n.text), 7):
        a, b = n.to_original(s, min(len(n.text), s + 5))
        assert 0 <= a <= b <= len(text)
