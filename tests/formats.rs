//! End-to-end tests of the document, spreadsheet, PDF, markup and data extractors: every
//! fixture is generated here, scanned by the binary, and its exact findings and accounts checked.

mod util;

use std::fs;
use std::io::Write;
use std::path::Path;

use util::*;

/// Scans `root` and returns (findings as `path,location,line,detector`, files as
/// `path,format,status`, reasons by path).
fn scan_rows(root: &Path) -> (Vec<String>, Vec<String>, Vec<(String, String)>) {
    let out = tempfile::tempdir().expect("tempdir");
    let report = out.path().join("report");
    let output = scan(root, &report, &[]);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        stderr(&output)
    );
    let findings = rows_prefix(&report.join("findings.csv"), 4);
    let files_rows = read_csv(&report.join("files.csv"));
    let files = files_rows
        .iter()
        .skip(1)
        .map(|r| format!("{},{},{}", r[0], r[3], r[4]))
        .collect();
    let reasons = files_rows
        .iter()
        .skip(1)
        .map(|r| (r[0].clone(), r[5].clone()))
        .collect();
    (findings, files, reasons)
}

fn zip_file(path: &Path, members: &[(&str, &[u8])]) {
    let file = fs::File::create(path).expect("create");
    let mut zip = zip::ZipWriter::new(file);
    for (name, data) in members {
        let options = if *name == "mimetype" {
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored)
        } else {
            zip::write::SimpleFileOptions::default()
        };
        zip.start_file(*name, options).expect("member");
        zip.write_all(data).expect("write");
    }
    zip.finish().expect("finish");
}

const CONTENT_TYPES: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#;

fn docx(path: &Path) {
    let document = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>Employee record</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">SSN: 536-</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>22-5487</w:t></w:r></w:p>
<w:p/>
<w:p><w:r><w:t>Contact jane.roe@example.com</w:t></w:r></w:p>
</w:body></w:document>"#;
    zip_file(
        path,
        &[
            ("[Content_Types].xml", CONTENT_TYPES),
            ("word/document.xml", document),
        ],
    );
}

fn pptx(path: &Path) {
    let slide = |text: &str| {
        format!(
            r#"<?xml version="1.0"?><p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>{text}</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>"#
        )
        .into_bytes()
    };
    let one = slide("Quarterly review");
    let two = slide("Card on file 4539 5787 </a:t></a:r><a:r><a:t>6362 1486");
    zip_file(
        path,
        &[
            ("[Content_Types].xml", CONTENT_TYPES),
            ("ppt/presentation.xml", b"<p:presentation/>"),
            ("ppt/slides/slide1.xml", &one),
            ("ppt/slides/slide2.xml", &two),
        ],
    );
}

const MANIFEST: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"#;

fn ods(path: &Path) {
    let content = br#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="Staff">
<table:table-row><table:table-cell office:value-type="string"><text:p>Name</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>SSN</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>Jane Roe</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="536225487"><text:p>536225487</text:p></table:table-cell></table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"#;
    zip_file(
        path,
        &[
            (
                "mimetype",
                b"application/vnd.oasis.opendocument.spreadsheet",
            ),
            ("META-INF/manifest.xml", MANIFEST),
            ("content.xml", content),
        ],
    );
}

fn xlsx(path: &Path) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Employees").expect("name");
    sheet.write_string(0, 0, "Name").expect("cell");
    sheet.write_string(0, 1, "Employee ID").expect("cell");
    sheet.write_string(0, 2, "Notes").expect("cell");
    sheet.write_string(0, 3, "SSN").expect("cell");
    sheet.write_string(0, 4, "Card").expect("cell");
    sheet.write_string(4, 0, "Jane Roe").expect("cell");
    // An employee id that looks like an SSN: its column says it is not one.
    sheet.write_number(4, 1, 536225488.0).expect("cell");
    sheet.write_number(4, 3, 536225487.0).expect("cell");
    sheet.write_number(4, 4, 4539578763621486.0).expect("cell");
    sheet.write_string(5, 0, "John Doe").expect("cell");
    sheet.write_string(5, 4, "5425233430109903").expect("cell");
    book.save(path).expect("save");
}

/// A minimal PDF whose page text is split across `TJ` items and a `Td` move on one line.
fn pdf(path: &Path, content: &str) {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    fs::write(path, out).expect("pdf");
}

fn sqlite(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("db");
    conn.execute_batch(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, ssn INTEGER, card TEXT);
         INSERT INTO customers VALUES (1, 'Jane Roe', 536225487, NULL);
         INSERT INTO customers VALUES (2, 'John Doe', NULL, '4539578763621486');",
    )
    .expect("fill");
}

fn ole_doc(path: &Path) {
    let file = fs::File::create(path).expect("create");
    let mut ole = cfb::CompoundFile::create(file).expect("cfb");
    let mut stream = ole.create_stream("/WordDocument").expect("stream");
    let mut data = vec![0u8; 64];
    data.extend_from_slice(b"Applicant SSN 536-22-5487 on file");
    data.extend_from_slice(&[0u8; 64]);
    stream.write_all(&data).expect("write");
    drop(stream);
    ole.flush().expect("flush");
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn msg(path: &Path) {
    let file = fs::File::create(path).expect("create");
    let mut ole = cfb::CompoundFile::create(file).expect("cfb");
    let mut put = |name: &str, data: &[u8]| {
        let mut stream = ole.create_stream(name).expect("stream");
        stream.write_all(data).expect("write");
    };
    put("/__properties_version1.0", &[0u8; 32]);
    put(
        "/__substg1.0_0037001F",
        &utf16("Payroll for jane.roe@example.com"),
    );
    put(
        "/__substg1.0_1000001F",
        &utf16("Hi,\r\nplease update\r\nSSN: 536-22-5487\r\n"),
    );
    let _ = put;
    ole.create_storage("/__attach_version1.0_#00000000")
        .expect("storage");
    let mut put = |name: &str, data: &[u8]| {
        let mut stream = ole.create_stream(name).expect("stream");
        stream.write_all(data).expect("write");
    };
    put(
        "/__attach_version1.0_#00000000/__substg1.0_3707001F",
        &utf16("payroll.csv"),
    );
    put(
        "/__attach_version1.0_#00000000/__substg1.0_37010102",
        b"name,ssn\nJane Roe,536-22-5487\n",
    );
    let _ = put;
    ole.flush().expect("flush");
}

fn write_fixtures(root: &Path) {
    docx(&root.join("letter.docx"));
    pptx(&root.join("deck.pptx"));
    ods(&root.join("staff.ods"));
    xlsx(&root.join("hr.xlsx"));
    pdf(
        &root.join("statement.pdf"),
        "BT /F1 12 Tf 72 720 Td (Statement) Tj 0 -20 Td [(SSN: 536-)-20(22-)] TJ 40 0 Td (5487) Tj ET",
    );
    fs::write(
        root.join("broken.pdf"),
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage without xref",
    )
    .expect("pdf");
    sqlite(&root.join("crm.sqlite"));
    fs::write(
        root.join("dump.sql"),
        "-- MySQL dump 10.13\n\
         CREATE TABLE `people` (\n  `id` int NOT NULL,\n  `name` varchar(64),\n  `ssn` varchar(11),\n  PRIMARY KEY (`id`)\n);\n\
         INSERT INTO `people` VALUES (1,'O\\'Brien','536225487'),(2,'Jane','219-45-7731');\n\
         INSERT INTO `cards` (`id`, `pan`) VALUES\n(1,'4539578763621486');\n",
    )
    .expect("sql");
    fs::write(
        root.join("customers.json"),
        "{\"customers\": [\n  {\"name\": \"Jane\", \"ssn\": 536225487},\n  {\"name\": \"John\", \"card\": \"4539 5787 6362 1486\"}\n]}\n",
    )
    .expect("json");
    fs::write(
        root.join("events.ndjson"),
        "{\"event\": \"signup\", \"email\": \"jane.roe@example.com\"}\n{broken\n{\"event\": \"kyc\", \"user\": {\"ssn\": \"536-22-5487\"}}\n",
    )
    .expect("ndjson");
    fs::write(
        root.join("form.html"),
        "<!DOCTYPE html>\n<html><body>\n<p>Applicant: <b>Jane</b> Roe</p>\n<input type=\"text\" name=\"ssn\" value=\"536-22-5487\">\n<p>Card <span>4539 5787</span> 6362&#32;1486</p>\n</body></html>\n",
    )
    .expect("html");
    fs::write(
        root.join("web.config"),
        "<?xml version=\"1.0\"?>\n<configuration>\n  <connectionStrings>\n    <add name=\"Main\" connectionString=\"Server=db01;Database=erp;User Id=sa;Password=nJgmTa63Mdb4AIJ6S*;\" />\n  </connectionStrings>\n  <employee><ssn>536225487</ssn></employee>\n</configuration>\n",
    )
    .expect("xml");
    fs::write(
        root.join("memo.rtf"),
        "{\\rtf1\\ansi{\\fonttbl{\\f0 Arial;}}\\f0\\fs24 Memo\\par\nSSN \\b 536-22\\b0 -5487\\par\nCaf\\'e9 card 4539578763621486\\par}",
    )
    .expect("rtf");
    ole_doc(&root.join("legacy.doc"));
    msg(&root.join("mail.msg"));
}

#[test]
fn documents_sheets_pdf_markup_and_data_exact_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("share");
    fs::create_dir(&root).expect("root");
    write_fixtures(&root);
    let (findings, files, reasons) = scan_rows(&root);
    let expected_findings = [
        "crm.sqlite,table customers row 1 column name,,person_name",
        "crm.sqlite,table customers row 1 column ssn,,us_ssn",
        "crm.sqlite,table customers row 2 column card,,payment_card",
        "customers.json,$.customers[0].ssn,2,us_ssn",
        "customers.json,$.customers[1].card,3,payment_card",
        "deck.pptx,slide 2,,payment_card",
        "dump.sql,table people row 1 column ssn,8,us_ssn",
        "dump.sql,table people row 2 column ssn,8,us_ssn",
        "dump.sql,table cards row 1 column pan,10,payment_card",
        "events.ndjson,line 1 $.email,1,email",
        "events.ndjson,line 3 $.user.ssn,3,us_ssn",
        "form.html,,4,us_ssn",
        "form.html,,5,payment_card",
        "hr.xlsx,Employees!A5,,person_name",
        "hr.xlsx,Employees!D5,,us_ssn",
        "hr.xlsx,Employees!E5,,payment_card",
        "hr.xlsx,Employees!E6,,payment_card",
        "legacy.doc!WordDocument,offset 78,,us_ssn",
        "letter.docx,paragraph 2,,us_ssn",
        "letter.docx,paragraph 4,,email",
        "mail.msg,subject,,email",
        "mail.msg,body,3,us_ssn",
        "mail.msg!payroll.csv,,2,person_name",
        "mail.msg!payroll.csv,,2,us_ssn",
        "memo.rtf,,2,us_ssn",
        "memo.rtf,,3,payment_card",
        "staff.ods,Staff!A2,,person_name",
        "staff.ods,Staff!B2,,us_ssn",
        "statement.pdf,page 1,2,us_ssn",
        "web.config,,4,connection_string_password",
        "web.config,,6,us_ssn",
    ];
    assert_eq!(findings, expected_findings, "{findings:#?}");
    let expected_files = [
        "broken.pdf,pdf,error",
        "crm.sqlite,sqlite,scanned",
        "customers.json,json,scanned",
        "deck.pptx,pptx,scanned",
        "dump.sql,sql,scanned",
        "events.ndjson,ndjson,truncated",
        "form.html,html,scanned",
        "hr.xlsx,xlsx,scanned",
        "legacy.doc,doc,scanned",
        "legacy.doc!WordDocument,binary,scanned",
        "letter.docx,docx,scanned",
        "mail.msg,msg,scanned",
        "mail.msg!payroll.csv,text/utf-8,scanned",
        "memo.rtf,rtf,scanned",
        "staff.ods,ods,scanned",
        "statement.pdf,pdf,scanned",
        "web.config,xml,scanned",
    ];
    assert_eq!(files, expected_files, "{files:#?}");
    let reason = |path: &str| {
        reasons
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, r)| r.clone())
            .unwrap_or_default()
    };
    assert!(
        reason("broken.pdf").starts_with("not a readable PDF: "),
        "{}",
        reason("broken.pdf")
    );
    assert_eq!(
        reason("events.ndjson"),
        "malformed records skipped: line 2: expected a key"
    );
}

/// Encrypts `plain` with RC4 (V2, 128-bit) under `user_password`.
fn encrypt_pdf(plain: &Path, out: &Path, user_password: &str) {
    let mut doc = lopdf::Document::load(plain).expect("load");
    doc.trailer.set(
        "ID",
        lopdf::Object::Array(vec![
            lopdf::Object::string_literal(b"0123456789abcdef".to_vec()),
            lopdf::Object::string_literal(b"0123456789abcdef".to_vec()),
        ]),
    );
    let version = lopdf::EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner-secret",
        user_password,
        key_length: 128,
        permissions: lopdf::Permissions::all(),
    };
    let state = lopdf::EncryptionState::try_from(version).expect("state");
    doc.encrypt(&state).expect("encrypt");
    doc.save(out).expect("save");
}

#[test]
fn encrypted_pdfs_open_with_the_empty_password_or_are_listed_as_encrypted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("share");
    fs::create_dir(&root).expect("root");
    let plain = dir.path().join("plain.pdf");
    pdf(&plain, "BT /F1 12 Tf 72 720 Td (SSN: 536-22-5487) Tj ET");
    encrypt_pdf(&plain, &root.join("open.pdf"), "");
    encrypt_pdf(&plain, &root.join("locked.pdf"), "user-secret");
    let (findings, files, reasons) = scan_rows(&root);
    assert_eq!(findings, vec!["open.pdf,page 1,1,us_ssn"]);
    assert_eq!(
        files,
        vec!["locked.pdf,pdf,encrypted", "open.pdf,pdf,scanned"]
    );
    assert_eq!(
        reasons,
        vec![
            (
                "locked.pdf".to_string(),
                "encrypted PDF: the empty user password does not open it".to_string()
            ),
            (
                "open.pdf".to_string(),
                "encrypted with an empty user password: decrypted".to_string()
            ),
        ]
    );
}
