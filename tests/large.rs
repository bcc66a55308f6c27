//! Streaming: values at chunk edges inside very long lines are found exactly once, line numbers
//! stay right, and memory does not grow with file size.

mod util;

use std::fs::File;
use std::io::{BufWriter, Write};

use util::*;

const MIB: usize = 1 << 20;

#[test]
fn values_straddling_chunk_edges_in_one_long_line_are_found_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let share = dir.path().join("share");
    std::fs::create_dir(&share).expect("dir");
    let mut line = vec![b'x'; 5 * MIB];
    // The reader cuts long lines every 1 MiB (with an overlap): plant values across each cut.
    let planted: [(usize, &[u8]); 4] = [
        (MIB - 7, b" 4539578763621486 "),
        (2 * MIB - 3, b" ssn 536-22-5487 "),
        (3 * MIB - 4096 - 5, b" jane.roe@example.com "),
        (4 * MIB - 20, b" DE89370400440532013000 "),
    ];
    for (at, value) in planted {
        line[at..at + value.len()].copy_from_slice(value);
    }
    let mut file = BufWriter::new(File::create(share.join("one-line.txt")).expect("create"));
    file.write_all(b"header line\n").expect("write");
    file.write_all(&line).expect("write");
    file.write_all(b"\nlast line 219-45-7731\n").expect("write");
    drop(file);
    let report = dir.path().join("report");
    let output = scan(&share, &report, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        rows_prefix(&report.join("findings.csv"), 4),
        [
            "one-line.txt,,2,payment_card",
            "one-line.txt,,2,us_ssn",
            "one-line.txt,,2,email",
            "one-line.txt,,2,iban",
            "one-line.txt,,3,us_ssn",
        ]
    );
}

#[test]
fn memory_stays_flat_on_a_large_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let share = dir.path().join("share");
    std::fs::create_dir(&share).expect("dir");
    let mut file = BufWriter::new(File::create(share.join("big.log")).expect("create"));
    let filler = b"2024-03-01T09:14:22Z INFO request served path=/api/v1/orders status=200 bytes=5120 user=anonymous\n";
    let mut planted = 0;
    let total = 192 * MIB;
    let mut written = 0;
    let mut line = 0u64;
    while written < total {
        line += 1;
        if line.is_multiple_of(20_000) {
            let text =
                format!("2024-03-01T09:14:22Z WARN payment card=4539578763621486 line {line}\n");
            file.write_all(text.as_bytes()).expect("write");
            written += text.len();
            planted += 1;
        } else {
            file.write_all(filler).expect("write");
            written += filler.len();
        }
    }
    drop(file);
    let report = dir.path().join("report");
    let output = scan(&share, &report, &["--threads", "2"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let findings = read_csv(&report.join("findings.csv"));
    assert_eq!(findings.len() - 1, planted);
    // Line numbers stay exact across chunks: every planted line is a multiple of 20,000.
    assert!(
        findings
            .iter()
            .skip(1)
            .all(|row| row[2].parse::<u64>().is_ok_and(|l| l % 20_000 == 0))
    );
    let peak = children_peak_rss_bytes();
    assert!(peak < 200 * MIB as u64, "peak RSS {peak} bytes");
}
