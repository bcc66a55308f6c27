//! Every extractor (zip, tar, 7z, gzip/bzip2/xz/zstd, OOXML/ODF, spreadsheets, PDF, mail, OLE,
//! SQLite, SQL dump, JSON, markup) through `extract_bytes`; the first byte picks the name hint,
//! the rest is the file (magic bytes still win over the hint, as in a scan).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

const HINTS: &[&str] = &[
    "a.zip", "a.tar", "a.7z", "a.gz", "a.tar.gz", "a.bz2", "a.xz", "a.zst", "a.docx", "a.pptx",
    "a.odt", "a.xlsx", "a.xlsb", "a.ods", "a.xls", "a.doc", "a.msg", "a.pdf", "a.eml", "a.mbox",
    "a.pst", "a.sqlite", "a.sql", "a.json", "a.ndjson", "a.html", "a.xml", "a.rtf", "a.csv",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    thread_local!(static ENGINE: breachscope::detect::Engine = common::engine());
    ENGINE.with(|engine| {
        let mut sink = common::EngineSink {
            engine,
            scratch: Default::default(),
            matches: Vec::new(),
        };
        let hint = HINTS[usize::from(pick) % HINTS.len()];
        breachscope::extract::extract_bytes(hint, rest, &common::limits(), &mut sink);
    });
});
