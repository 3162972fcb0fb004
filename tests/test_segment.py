from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analyzer.segment import MAX_LEN, segment

# Characters that exercise every branch of the segmenter: markers, terminators, closers, spaces.
ALPHABET = st.sampled_from(
    list("第一二三四五六七八九十章节条條（）()【】[]、.．;；。！？!?…“”「」")
    + ["\n", "\r", "\u3000", " ", "\t", "\x00", "\u2028", "\ufeff", "①", "⑳", "•", "-", "#"]
    + list("0123456789abcXYZ退款会员平台最终解释权")
)
TEXT = st.one_of(st.text(ALPHABET, max_size=400), st.text(max_size=300))


@given(TEXT)
def test_clauses_are_exact_ordered_nonempty_and_disjoint(text):
    clauses = segment(text)
    last_end = 0
    for c in clauses:
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start : c.end] == c.text
        assert c.text.strip(), "a clause is never blank"
        assert c.start >= last_end, "clauses never overlap and come in text order"
        last_end = c.end


@given(TEXT)
def test_segmentation_covers_every_visible_character(text):
    covered = set()
    for c in segment(text):
        covered.update(range(c.start, c.end))
    for i, ch in enumerate(text):
        if not ch.isspace() and ch not in "\u200b\ufeff":
            assert i in covered, f"character {ch!r} at {i} was dropped"


def test_long_sentence_is_split_below_the_limit():
    text = "本平台" + "，".join(["有权对会员服务内容进行调整并在页面公示"] * 40) + "。"
    clauses = segment(text)
    assert len(clauses) > 1
    assert all(len(c.text) <= MAX_LEN for c in clauses)
    assert "".join(c.text for c in clauses) == text


def test_non_str_raises_type_error():
    with pytest.raises(TypeError):
        segment(b"bytes")  # type: ignore[arg-type]


def _texts(text):
    return [c.text for c in segment(text)]


@pytest.mark.parametrize(
    "text, heading, clause",
    [
        ("第三章 会员服务\n第十条 会员服务一经开通概不退款。", "第三章 会员服务", "第十条 会员服务一经开通概不退款。"),
        ("五、退款规则\n会员费不退。", "五、退款规则", "会员费不退。"),
        ("（二）退款条件\n会员费不退。", "（二）退款条件", "会员费不退。"),
        ("1. 定义\n本协议所称会员是指付费用户。", "1. 定义", "本协议所称会员是指付费用户。"),
        ("2.1 费用说明\n费用按月收取。", "2.1 费用说明", "费用按月收取。"),
        ("3.1.2 自动续费\n到期自动扣费。", "3.1.2 自动续费", "到期自动扣费。"),
        ("(1) 账号规则\n账号不得转让。", "(1) 账号规则", "账号不得转让。"),
        ("① 个人信息\n我们收集手机号。", "① 个人信息", "我们收集手机号。"),
        ("【特别提示】\n请审慎阅读。", "【特别提示】", "请审慎阅读。"),
        ("## 隐私\n我们收集手机号。", "## 隐私", "我们收集手机号。"),
        ("第三章　附則\n第十條 本協議自發佈之日起生效。", "第三章　附則", "第十條 本協議自發佈之日起生效。"),
    ],
)
def test_numbering_styles_make_headings_with_a_path(text, heading, clause):
    clauses = segment("某某服务协议\n" + text)
    heads = [c for c in clauses if c.is_heading]
    body = [c for c in clauses if not c.is_heading]
    assert heading in [h.text for h in heads]
    assert body[-1].text == clause
    assert body[-1].heading_path[-1] == heading


def test_nested_heading_path_and_closing():
    text = "协议\n第一章 总则\n一、定义\n（一）会员\n会员是付费用户。\n二、费用\n费用按月收取。\n第二章 附则\n本协议自公布之日起生效。"
    by_text = {c.text: c for c in segment(text)}
    assert by_text["会员是付费用户。"].heading_path == ("第一章 总则", "一、定义", "（一）会员")
    assert by_text["费用按月收取。"].heading_path == ("第一章 总则", "二、费用")
    assert by_text["本协议自公布之日起生效。"].heading_path == ("第二章 附则",)


def test_inline_sentences_and_numbers():
    text = "第八条 本平台保留对本协议的最终解释权。会员服务一经开通概不退款。"
    clauses = segment(text)
    assert [c.text for c in clauses] == ["第八条 本平台保留对本协议的最终解释权。", "会员服务一经开通概不退款。"]
    assert clauses[0].number == "第八条"
    assert (clauses[1].start, clauses[1].end) == (20, 33)


def test_sentence_ends_keep_closing_quotes_and_repeated_marks():
    assert _texts("他说：“不退款。”然后离开！！真的吗？是的") == ["他说：“不退款。”", "然后离开！！", "真的吗？", "是的"]


def test_semicolon_before_inline_list_item_splits():
    assert _texts("包括：（一）不退款；（二）不换货；(3)不补偿") == ["包括：（一）不退款；", "（二）不换货；", "(3)不补偿"]


def test_bullets_and_blank_lines_and_fullwidth_spaces():
    text = "• 第一项说明\n\n\n　　- 第二项说明。\r\n· 第三项"
    assert _texts(text) == ["• 第一项说明", "- 第二项说明。", "· 第三项"]


def test_half_width_punctuation_and_crlf():
    assert _texts("不退款!不换货?好的.\r\n下一行") == ["不退款!", "不换货?", "好的.", "下一行"]


def test_traditional_script():
    assert _texts("本公司保留對本協議的最終解釋權。會員服務一經開通，概不退款。") == [
        "本公司保留對本協議的最終解釋權。",
        "會員服務一經開通，概不退款。",
    ]


def test_decimal_numbers_do_not_split():
    assert _texts("会员费为每月19.9元，年费为198.0元。") == ["会员费为每月19.9元，年费为198.0元。"]
