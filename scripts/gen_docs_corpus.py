#!/usr/bin/env python3
"""Archive- and document-heavy benchmark corpus: zip, docx, xlsx, PDF and mail, with values
planted at a known rate. Python standard library only; same --size and --seed give the same bytes.

    python3 scripts/gen_docs_corpus.py --size 200M --out /tmp/docs_corpus --seed 42
"""
import argparse, base64, io, json, os, random, zipfile
from email.message import EmailMessage

WORDS = ("order shipped customer invoice payment status report quarter team account review "
         "meeting budget travel policy update schedule contract renewal audit").split()


def luhn_digit(partial):
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return str((10 - total % 10) % 10)


def card(rng):
    partial = "4" + "".join(rng.choice("0123456789") for _ in range(14))
    return partial + luhn_digit(partial)


def ssn(rng):
    return "%03d-%02d-%04d" % (rng.choice([a for a in range(1, 900) if a != 666]), rng.randint(1, 99), rng.randint(1, 9999))


def paragraph(rng, planted):
    words = " ".join(rng.choices(WORDS, k=rng.randint(8, 30)))
    if rng.random() < 0.05:
        planted["ssn"] += 1
        words += " SSN " + ssn(rng)
    if rng.random() < 0.05:
        planted["card"] += 1
        words += " card " + card(rng)
    if rng.random() < 0.05:
        planted["email"] += 1
        words += " mail %s.%s@example.com" % (rng.choice(WORDS), rng.choice(WORDS))
    return words


def text_blob(rng, planted, size):
    out, n = [], 0
    while n < size:
        p = paragraph(rng, planted)
        out.append(p)
        n += len(p) + 1
    return "\n".join(out)


def docx(rng, planted, size):
    paras = text_blob(rng, planted, size).split("\n")
    body = "".join("<w:p><w:r><w:t>%s</w:t></w:r></w:p>" % p for p in paras)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>%s</w:body></w:document>' % body)
    return buf.getvalue()


def xlsx(rng, planted, rows):
    cells = []
    for r in range(1, rows + 1):
        planted["ssn"] += 1
        cells.append('<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c><c r="B%d" t="inlineStr"><is><t>%s</t></is></c></row>'
                     % (r, r, rng.choice(WORDS), r, ssn(rng)))
    sheet = '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>%s</sheetData></worksheet>' % "".join(cells)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Staff" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return buf.getvalue()


def pdf(rng, planted, lines):
    content = "BT /F1 10 Tf 40 800 Td " + " ".join("(%s) Tj 0 -12 Td" % paragraph(rng, planted)[:90].replace("(", "").replace(")", "") for _ in range(lines)) + " ET"
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for i, o in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (i, o.encode()))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def eml(rng, planted, size):
    msg = EmailMessage()
    msg["From"] = "hr@example.com"
    msg["To"] = "payroll@example.com"
    msg["Subject"] = "payroll export"
    msg.set_content(paragraph(rng, planted))
    msg.add_attachment(text_blob(rng, planted, size).encode(), maintype="text", subtype="csv", filename="export.csv")
    return msg.as_bytes()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="200M")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    unit = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    total = int(a.size[:-1]) * unit[a.size[-1].upper()] if a.size[-1].upper() in unit else int(a.size)
    rng = random.Random(a.seed)
    planted = {"ssn": 0, "card": 0, "email": 0}
    written, i = 0, 0
    os.makedirs(a.out, exist_ok=True)
    while written < total:
        kind = ["zip", "docx", "xlsx", "pdf", "eml"][i % 5]
        if kind == "zip":
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                for k in range(4):
                    z.writestr("export/part%d.log" % k, text_blob(rng, planted, 256 << 10))
                z.writestr("nested/inner.zip", docx(rng, planted, 64 << 10))
            data = buf.getvalue()
        elif kind == "docx":
            data = docx(rng, planted, 256 << 10)
        elif kind == "xlsx":
            data = xlsx(rng, planted, 2000)
        elif kind == "pdf":
            data = pdf(rng, planted, 60)
        else:
            data = eml(rng, planted, 256 << 10)
        path = os.path.join(a.out, "dept%02d" % (i % 7), "file%05d.%s" % (i, kind))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        written += len(data)
        i += 1
    with open(a.out.rstrip("/") + ".manifest.json", "w") as f:
        json.dump({"files": i, "bytes": written, "planted": planted}, f, indent=1)
    print("wrote %d files, %d bytes -> %s" % (i, written, a.out))


if __name__ == "__main__":
    main()
