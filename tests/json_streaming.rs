//! A JSON string of any length is read in bounded memory: it reaches the detectors in pieces,
//! cut with overlap like a long line. Its own test binary, so that the peak memory of its one
//! scan is not mixed with other tests' scans.

mod util;

use std::fs::File;
use std::io::{BufWriter, Write};

use util::*;

const MIB: usize = 1 << 20;

#[test]
fn a_huge_json_string_is_scanned_whole_in_bounded_memory() {
    let (dir, share) = new_share();
    let filler = vec![b'x'; 40 * MIB];
    let mut file = BufWriter::new(File::create(share.join("export.json")).expect("create"));
    file.write_all(br#"{"id": 7, "blob": ""#).expect("write");
    // Values in the middle and at the end of an 80 MiB string, one across a piece edge.
    file.write_all(&filler[..MIB - 9]).expect("write");
    file.write_all(b" 4539578763621486 ").expect("write");
    file.write_all(&filler).expect("write");
    file.write_all(b" ssn 536-22-5487 ").expect("write");
    file.write_all(&filler[..39 * MIB]).expect("write");
    file.write_all(br#"", "email": "jane.roe@example.com"}"#)
        .expect("write");
    file.write_all(b"\n").expect("write");
    drop(file);
    let report = dir.path().join("report");
    let (output, peak) = scan_with_peak_rss(&share, &report, &["--threads", "2"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        rows_prefix(&report.join("findings.csv"), 4),
        [
            "export.json,$.blob,1,payment_card",
            "export.json,$.blob,1,us_ssn",
            "export.json,$.email,1,email",
        ]
    );
    // The whole string held at once took 246 MB; in pieces the scan stays near its base.
    assert!(peak < 120 * MIB as u64, "peak RSS {peak} bytes");
}
