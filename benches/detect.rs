//! Criterion benchmarks: the detector engine per rule family, and the extractors.

use std::hint::black_box;
use std::io::Write;

use aho_corasick::{AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use breachscope::config::Limits;
use breachscope::content::TextChunk;
use breachscope::detect::keywords::KeywordFinder;
use breachscope::detect::{ChunkInput, Engine, Scratch};
use breachscope::extract::{ContentSink, MemberRecord, extract_file};
use breachscope::fingerprint::Fingerprinter;
use breachscope::rules::{RuleSet, load_builtin};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Deterministic filler text with values planted at a low rate, like a real share.
fn corpus(kind: &str, bytes: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes + 256);
    let mut n: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        n ^= n << 13;
        n ^= n >> 7;
        n ^= n << 17;
        n
    };
    let words = [
        "order", "shipped", "customer", "invoice", "the", "payment", "status", "report", "quarter",
        "team",
    ];
    while out.len() < bytes {
        let r = next();
        let line = match (kind, r % 50) {
            ("personal", 0) => "card=4539578763621486 ssn=536-22-5487 call (415) 555-2671 mail jane.roe@example.com".to_string(),
            ("personal", 1) => "iban DE89370400440532013000 dob: 1985-03-14 phone +44 20 7946 0958".to_string(),
            ("personal", _) => format!("2024-03-01T09:14:{:02}Z id={} order {} qty {} total {}.{:02}", r % 60, r % 1_000_000_007, r % 99_991, r % 7, r % 500, r % 100),
            ("credentials", 0) => "AWS_ACCESS_KEY_ID=AKIAQ3EGUWWVYBUXHRDF\nAWS_SECRET_ACCESS_KEY=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".to_string(),
            ("credentials", 1) => "password = \"Tr1cky-Pa55word!\"\ntoken=ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5".to_string(),
            ("credentials", _) => format!("    config.{} = load(\"{}\", retries={})", words[(r % 10) as usize], words[((r >> 8) % 10) as usize], r % 9),
            _ => (0..12).map(|k| words[((r >> (k * 4)) % 10) as usize]).collect::<Vec<_>>().join(" "),
        };
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

fn engine_benches(c: &mut Criterion) {
    let Ok(rules) = load_builtin() else { return };
    let Ok(engine) = Engine::new(&rules) else {
        return;
    };
    let mut group = c.benchmark_group("engine");
    for kind in ["personal", "credentials", "prose"] {
        let text = corpus(kind, 1 << 20);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(kind, |b| {
            let mut scratch = Scratch::default();
            let mut out = Vec::new();
            b.iter(|| {
                out.clear();
                engine.scan(
                    ChunkInput {
                        text: black_box(&text),
                        columns: None,
                        report_limit: text.len(),
                    },
                    &mut scratch,
                    &mut out,
                );
                black_box(out.len())
            });
        });
    }
    // The cost of the credential library on ordinary data: the same corpora without it.
    let mut personal_only = rules.clone();
    personal_only
        .text_rules
        .retain(|r| r.data_class != "credential");
    if let Ok(without) = Engine::new(&personal_only) {
        for kind in ["personal", "prose"] {
            let text = corpus(kind, 1 << 20);
            group.throughput(Throughput::Bytes(text.len() as u64));
            group.bench_function(format!("{kind}_without_credential_rules"), |b| {
                let mut scratch = Scratch::default();
                let mut out = Vec::new();
                b.iter(|| {
                    out.clear();
                    without.scan(
                        ChunkInput {
                            text: black_box(&text),
                            columns: None,
                            report_limit: text.len(),
                        },
                        &mut scratch,
                        &mut out,
                    );
                    black_box(out.len())
                });
            });
        }
    }
    group.finish();
    family_benches(c, &rules);
}

/// Each family alone: the rules of one data class compiled into their own engine.
fn family_benches(c: &mut Criterion, rules: &RuleSet) {
    let text = corpus("personal", 1 << 20);
    let mut creds = corpus("credentials", 1 << 20);
    creds.truncate(text.len());
    let mut group = c.benchmark_group("family");
    for class in [
        "financial",
        "government_id",
        "contact",
        "personal",
        "credential",
    ] {
        let mut subset = rules.clone();
        subset.text_rules.retain(|r| r.data_class == class);
        let Ok(engine) = Engine::new(&subset) else {
            continue;
        };
        let input = if class == "credential" { &creds } else { &text };
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(class, |b| {
            let mut scratch = Scratch::default();
            let mut out = Vec::new();
            b.iter(|| {
                out.clear();
                engine.scan(
                    ChunkInput {
                        text: black_box(input),
                        columns: None,
                        report_limit: input.len(),
                    },
                    &mut scratch,
                    &mut out,
                );
                black_box(out.len())
            });
        });
    }
    group.finish();
}

struct CountingSink(usize);

impl ContentSink for CountingSink {
    fn text(&mut self, _path: &str, chunk: TextChunk<'_>) {
        self.0 += chunk.text.len();
    }
    fn member(&mut self, _record: MemberRecord) {}
}

fn extractor_benches(c: &mut Criterion) {
    let Ok(dir) = tempfile::tempdir() else { return };
    let text = corpus("personal", 8 << 20);
    let plain = dir.path().join("plain.log");
    let utf16 = dir.path().join("utf16.txt");
    let zipped = dir.path().join("logs.zip");
    let gz = dir.path().join("plain.log.gz");
    let ok = std::fs::write(&plain, &text).is_ok()
        && {
            let mut wide = vec![0xff, 0xfe];
            for &b in &text {
                wide.extend_from_slice(&[b, 0]);
            }
            std::fs::write(&utf16, wide).is_ok()
        }
        && write_zip(&zipped, &text).is_ok()
        && write_gz(&gz, &text).is_ok();
    if !ok {
        return;
    }
    let limits = Limits::default();
    let mut group = c.benchmark_group("extract");
    group.sample_size(10);
    for (name, path) in [
        ("utf8", &plain),
        ("utf16", &utf16),
        ("zip_deflate", &zipped),
        ("gzip", &gz),
    ] {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut sink = CountingSink(0);
                let outcome = extract_file(path, "bench", &limits, &mut sink);
                black_box((outcome.status, sink.0))
            });
        });
    }
    group.finish();
}

fn write_zip(path: &std::path::Path, text: &[u8]) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("logs/app.log", options)
        .map_err(std::io::Error::other)?;
    zip.write_all(text)?;
    zip.finish().map_err(std::io::Error::other)?;
    Ok(())
}

fn write_gz(path: &std::path::Path, text: &[u8]) -> std::io::Result<()> {
    let mut encoder =
        flate2::write::GzEncoder::new(std::fs::File::create(path)?, flate2::Compression::default());
    encoder.write_all(text)?;
    encoder.finish()?;
    Ok(())
}

/// The prefilter's walk over a chunk, against aho-corasick's own overlapping search over the
/// same keywords (the walk it replaced): both find the same hits.
fn keyword_benches(c: &mut Criterion) {
    let Ok(rules) = load_builtin() else { return };
    let Ok(engine) = Engine::new(&rules) else {
        return;
    };
    let keywords = engine.keywords();
    let Ok(Some(finder)) = KeywordFinder::new(keywords) else {
        return;
    };
    let Ok(reference) = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(keywords)
    else {
        return;
    };
    let text = corpus("credentials", 1 << 20);
    let mut group = c.benchmark_group("keywords");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("interleaved_table", |b| {
        let mut hits = Vec::new();
        let mut spare = Default::default();
        b.iter(|| {
            hits.clear();
            finder.find_all(black_box(&text), &mut hits, &mut spare);
            hits.len()
        });
    });
    group.bench_function("aho_corasick_overlapping", |b| {
        b.iter(|| reference.find_overlapping_iter(black_box(&text)).count());
    });
    group.finish();
}

/// What a scan pays before its first file (the rule files parsed, the engine built, regexes
/// left to first use), and what `rules check` pays: every rule compiled into an engine of its
/// own, regexes included.
fn startup_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("startup");
    group.bench_function("load_rules_and_build_engine", |b| {
        b.iter(|| {
            let rules = load_builtin().ok()?;
            let engine = Engine::new(&rules).ok()?;
            Some(black_box(engine.rules().len()))
        });
    });
    if let Ok(rules) = load_builtin() {
        group.sample_size(10);
        group.bench_function("compile_every_rule", |b| {
            b.iter(|| {
                rules
                    .text_rules
                    .iter()
                    .filter_map(|rule| Engine::single(&rules, rule).ok())
                    .count()
            });
        });
    }
    group.finish();
}

/// Keyed fingerprints, once per finding: the hand-written HMAC against the `hmac` crate's, on
/// values as long as the usual ones (card digits, an e-mail address, a name).
fn fingerprint_benches(c: &mut Criterion) {
    use hmac::{Hmac, Mac};
    let key = b"bench-fingerprint-key-0123456789";
    let values: [&[u8]; 3] = [b"4539578763621486", b"jane.roe@example.com", b"jane roe"];
    let fingerprinter = Fingerprinter::new(key);
    let mut group = c.benchmark_group("fingerprint");
    group.throughput(Throughput::Elements(values.len() as u64));
    group.bench_function("hand_written", |b| {
        b.iter(|| {
            for value in values {
                black_box(fingerprinter.fingerprint(black_box(value)));
            }
        });
    });
    let prepared = Hmac::<sha2::Sha256>::new_from_slice(key);
    if let Ok(prepared) = prepared {
        group.bench_function("hmac_crate", |b| {
            b.iter(|| {
                for value in values {
                    let mut mac = prepared.clone();
                    mac.update(black_box(value));
                    black_box(mac.finalize().into_bytes());
                }
            });
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    startup_benches,
    fingerprint_benches,
    keyword_benches,
    engine_benches,
    extractor_benches
);
criterion_main!(benches);
