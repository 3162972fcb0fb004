from __future__ import annotations

import io
import zipfile

import pytest

from analyzer.readers import LIMITS, ReadError, decode, html_to_text, read_bytes, read_file
from tests.helpers import encrypt_pdf, make_docx, make_pdf

TEXT = "第八条 本平台保留对本协议的最终解释权。\n会员服务一经开通概不退款。"
TRAD = "第八條 本平臺保留對本協議的最終解釋權。會員服務一經開通概不退款。"


@pytest.mark.parametrize(
    "data, expected",
    [
        (TEXT.encode("utf-8"), TEXT),
        (TEXT.encode("utf-8-sig"), TEXT),
        (TEXT.encode("utf-16"), TEXT),  # with BOM
        (TEXT.encode("utf-16-be").join([b"\xfe\xff", b""]), TEXT),
        (TEXT.encode("gb18030"), TEXT),
        (TEXT.encode("gbk"), TEXT),
        (TRAD.encode("big5"), TRAD),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16be-bom", "gb18030", "gbk", "big5"],
)
def test_encodings_are_detected(data, expected):
    assert decode(data) == expected
    assert read_bytes(data, "a.txt") == expected


def test_markdown_is_read_as_text():
    assert read_bytes("# 标题\n不退款。".encode(), "terms.md") == "# 标题\n不退款。"


def test_html_keeps_structure_and_drops_scripts():
    html = (
        "<html><head><title>会员协议</title><style>p{color:red}</style><script>alert('x')</script></head>"
        "<body><h1>一、总则</h1><p>本协议适用于会员。</p><ul><li>不退款；</li><li>不换货。</li></ul>"
        "<p>联系&amp;客服&nbsp;<b>热线</b></p><noscript>开启JS</noscript></body></html>"
    )
    text = read_bytes(html.encode("gbk"), "terms.html")
    assert text.split("\n") == ["会员协议", "一、总则", "本协议适用于会员。", "不退款；", "不换货。", "联系&客服 热线"]
    assert "alert" not in text and "color" not in text and "开启JS" not in text
    assert html_to_text("<div>a<br>b</div>") == "a\nb"


def test_docx_paragraphs_and_tables():
    data = make_docx(["会员服务协议", "1. 会员费一经支付概不退款。"])
    assert read_bytes(data, "terms.docx").split("\n")[:2] == ["会员服务协议", "1. 会员费一经支付概不退款。"]


def test_pdf_text_layer():
    assert "最终解释权" in read_bytes(make_pdf("本平台保留最终解释权。"), "terms.pdf")


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"", "a.txt", "empty"),
        (bytes(range(256)) * 40 + b"\x00" * 4000, "a.txt", "binary"),
        (b"\x81\xff\xfe\x80" * 50 + b"\xc0\xc1\xf5\xff" * 50, "a.txt", "encoding"),
        (b"PK\x03\x04 truncated", "a.docx", "zip"),
        (make_docx(["条款"])[:300], "a.docx", "zip"),
        (b"%PDF-1.4\n garbage", "a.pdf", "PDF"),
        (make_pdf(None), "a.pdf", "no text layer"),
        (encrypt_pdf(make_pdf("会员费不退")), "a.pdf", "encrypted"),
        (b"MZ\x90\x00", "a.exe", "unsupported"),
        (b"abc", "noext", "unsupported"),
    ],
    ids=["zero-bytes", "binary", "unknown-encoding", "truncated-docx", "cut-docx", "broken-pdf", "image-only-pdf",
         "encrypted-pdf", "exe", "no-suffix"],
)
def test_bad_files_raise_a_clear_read_error(data, name, message):
    with pytest.raises(ReadError, match=message):
        read_bytes(data, name)


def test_zip_bomb_docx_is_refused_before_unpacking():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\x00" * (8 * 1024 * 1024))
    with pytest.raises(ReadError, match="zip bomb|unpacks"):
        read_bytes(buf.getvalue(), "bomb.docx")


def test_size_limits(tmp_path):
    with pytest.raises(ReadError, match="over the limit"):
        read_bytes(b"a" * (LIMITS.max_file_bytes + 1), "big.txt")
    with pytest.raises(ReadError, match="characters, over the limit"):
        read_bytes(("条" * (LIMITS.max_chars + 1)).encode(), "long.txt")


def test_read_file_errors(tmp_path, monkeypatch):
    with pytest.raises(ReadError, match="does not exist"):
        read_file(tmp_path / "gone.txt")
    with pytest.raises(ReadError, match="directory"):
        read_file(tmp_path)
    f = tmp_path / "locked.txt"
    f.write_text("条款", encoding="utf-8")

    def deny(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(type(f), "read_bytes", deny)
    with pytest.raises(ReadError, match="permission denied"):
        read_file(f)
