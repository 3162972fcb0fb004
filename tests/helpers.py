"""Builders of test documents: .docx via python-docx, and small PDFs written by hand."""
from __future__ import annotations

import io


def make_docx(lines: list[str]) -> bytes:
    import docx

    d = docx.Document()
    for line in lines:
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def make_pdf(text: str | None) -> bytes:
    """A one-page PDF whose text layer holds ``text`` (any Unicode, via a ToUnicode CMap); None: no text."""
    objs: list[bytes] = []
    if text is None:
        content = b""
        resources = b"<< >>"
    else:
        chars = sorted(set(text))
        cid = {c: i + 1 for i, c in enumerate(chars)}
        hexs = "".join(f"{cid[c]:04X}" for c in text)
        content = f"BT /F1 12 Tf 50 700 Td <{hexs}> Tj ET".encode()
        bf = "\n".join(f"<{cid[c]:04X}> <{ord(c):04X}>" for c in chars if ord(c) < 0x10000)
        cmap = (
            "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /T def /CMapType 2 def\n"
            "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
            f"{len(chars)} beginbfchar\n{bf}\nendbfchar endcmap CMapName currentdict /CMap defineresource pop end end"
        ).encode()
        resources = b"<< /Font << /F1 5 0 R >> >>"
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources " + resources + b" >>")
    objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    if text is not None:
        objs.append(b"<< /Type /Font /Subtype /Type0 /BaseFont /Dummy /Encoding /Identity-H "
                    b"/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>")
        objs.append(b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Dummy "
                    b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R >>")
        objs.append(b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream")
        objs.append(b"<< /Type /FontDescriptor /FontName /Dummy /Flags 4 /FontBBox [0 0 1000 1000] /ItalicAngle 0 "
                    b"/Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def encrypt_pdf(data: bytes, password: str = "secret") -> bytes:
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter()
    for page in PdfReader(io.BytesIO(data)).pages:
        w.add_page(page)
    w.encrypt(password)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


