"""Turn a saved terms file into text: .txt, .md, .html/.htm, .docx, .pdf.

Every failure is a ``ReadError`` with a reason a user can act on; nothing here hangs or
allocates without bound: file size, the unpacked size of a .docx and the extracted text are
all capped (``LIMITS``).
"""
from __future__ import annotations

import codecs
import io
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from analyzer.engine import MAX_CHARS


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 20 * 1024 * 1024  # a 300-page PDF agreement is ~5 MB
    max_unpacked_bytes: int = 100 * 1024 * 1024  # a .docx is a zip: refuse bombs before opening
    max_ratio: int = 200  # compression ratio of any zip member
    max_pdf_pages: int = 500
    max_chars: int = MAX_CHARS


LIMITS = Limits()
SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")


class ReadError(ValueError):
    """The file cannot be read as an agreement; the message says why."""


# -- text and encodings ------------------------------------------------------------------------
_BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
# Tried in order after UTF-8: the encodings Chinese agreements are actually saved in.
_LEGACY = ("gb18030", "big5")


def decode(data: bytes) -> str:
    """Detect the encoding of ``data`` (BOM, UTF-8, GB18030/GBK, Big5) and decode it."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc)
            except UnicodeDecodeError as e:
                raise ReadError(f"the file starts with a {enc} byte-order mark but is not valid {enc}: {e}") from e
    if b"\x00" in data[:4096] and data.count(b"\x00") > len(data) // 8:
        # UTF-16 without a BOM is rare; binary files are not
        raise ReadError("the file looks binary (many NUL bytes), not a text document")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["gb18030", "big5", "utf_16", "cp1252"]).best()
    if best is not None and best.encoding in ("gb18030", "big5"):
        return str(best)
    for enc in _LEGACY:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _mostly_chinese(text):
            return text
    raise ReadError("unknown text encoding: the file is not UTF-8, UTF-16, GB18030/GBK or Big5")


def _mostly_chinese(text: str) -> bool:
    letters = [c for c in text if not c.isspace()]
    if not letters:
        return False
    cjk = sum("\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef" for c in letters)
    return cjk / len(letters) > 0.3


# -- HTML ----------------------------------------------------------------------------------------
_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header",
          "footer", "ul", "ol", "table", "blockquote", "pre", "dt", "dd", "hr", "title", "main", "nav"}
_DROP = {"script", "style", "noscript", "template", "svg", "iframe", "object"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in _DROP:
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _DROP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML page: headings, paragraphs and list items on their own lines."""
    p = _TextExtractor()
    p.feed(html)
    p.close()
    lines = [" ".join(line.split()) for line in "".join(p.parts).split("\n")]
    return "\n".join(line for line in lines if line)


# -- docx and pdf --------------------------------------------------------------------------------
def _check_zip(data: bytes, limits: Limits) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise ReadError(f"not a valid .docx (broken or truncated zip): {e}") from e
    total = 0
    for info in zf.infolist():
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > limits.max_ratio and info.file_size > 1_000_000:
            raise ReadError(f"refused: .docx member {info.filename} decompresses {info.file_size // info.compress_size}x (zip bomb?)")
    if total > limits.max_unpacked_bytes:
        raise ReadError(f"refused: .docx unpacks to {total:,} bytes, over the limit of {limits.max_unpacked_bytes:,}")
    if "word/document.xml" not in zf.namelist():
        raise ReadError("not a .docx document (no word/document.xml inside)")


def docx_to_text(data: bytes, limits: Limits = LIMITS) -> str:
    _check_zip(data, limits)
    import docx

    try:
        doc = docx.Document(io.BytesIO(data))
    except Exception as e:  # python-docx raises many kinds on malformed parts
        raise ReadError(f"the .docx could not be parsed: {type(e).__name__}: {e}") from e
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines.append(" ".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def pdf_to_text(data: bytes, limits: Limits = LIMITS) -> str:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:
                ok = 0
            if not ok:
                raise ReadError("the PDF is encrypted with a password")
        if len(reader.pages) > limits.max_pdf_pages:
            raise ReadError(f"the PDF has {len(reader.pages)} pages, over the limit of {limits.max_pdf_pages}")
        texts = []
        for page in reader.pages:
            texts.append(page.extract_text() or "")
            if sum(map(len, texts)) > limits.max_chars:
                break
    except ReadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as e:
        raise ReadError(f"the PDF could not be parsed: {type(e).__name__}: {e}") from e
    text = "\n".join(texts)
    if not text.strip():
        raise ReadError("the PDF has no text layer (scanned images?); run OCR first")
    return text


# -- entry points --------------------------------------------------------------------------------
def read_bytes(data: bytes, name: str, limits: Limits = LIMITS) -> str:
    """The text of a document given as bytes; ``name`` (its file name) decides the format."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ReadError(f"unsupported file type {suffix or '(none)'}; supported: {', '.join(SUFFIXES)}")
    if len(data) > limits.max_file_bytes:
        raise ReadError(f"the file has {len(data):,} bytes, over the limit of {limits.max_file_bytes:,}")
    if not data:
        raise ReadError("the file is empty (0 bytes)")
    if suffix == ".docx":
        text = docx_to_text(data, limits)
    elif suffix == ".pdf":
        text = pdf_to_text(data, limits)
    else:
        text = decode(data)
        if suffix in (".html", ".htm"):
            text = html_to_text(text)
    text = text.replace("\r\n", "\n").replace("\x00", "")
    if len(text) > limits.max_chars:
        raise ReadError(f"the document has {len(text):,} characters, over the limit of {limits.max_chars:,}")
    return text


def read_file(path: str | Path, limits: Limits = LIMITS) -> str:
    """The text of a saved terms file. Raises ``ReadError`` with the reason when it cannot."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise ReadError(f"the file has {size:,} bytes, over the limit of {limits.max_file_bytes:,}")
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise ReadError("the file does not exist (removed during the run?)") from e
    except PermissionError as e:
        raise ReadError("permission denied") from e
    except IsADirectoryError as e:
        raise ReadError("a directory, not a file") from e
    except OSError as e:
        raise ReadError(f"cannot read the file: {e.strerror or e}") from e
    return read_bytes(data, path.name, limits)
