//! Streaming: values at chunk edges inside very long lines are found exactly once, line numbers
//! stay right, and memory does not grow with file size.

mod util;

use std::fs::File;
use std::io::{BufWriter, Write};

use util::*;

const MIB: usize = 1 << 20;

#[test]
fn values_straddling_chunk_edges_in_one_long_line_are_found_once() {
    let (dir, share) = new_share();
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
    let (dir, share) = new_share();
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
    let (output, peak) = scan_with_peak_rss(&share, &report, &["--threads", "2"]);
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
    assert!(peak < 200 * MIB as u64, "peak RSS {peak} bytes");
}

/// A customer table of `rows` rows, every row a person with a name, e-mail, phone, SSN and
/// card: findings in every line and records that join across the file.
fn customer_table(rows: usize) -> String {
    const FIRST: [&str; 8] = [
        "Jane", "Robert", "Maria", "Ahmed", "Olga", "Pedro", "Amara", "Kenji",
    ];
    const LAST: [&str; 7] = [
        "Roe", "Miller", "Garcia", "Okafor", "Novak", "Tanaka", "Schmidt",
    ];
    let mut table = String::from("customer_id,first_name,last_name,email,phone,ssn,card\n");
    for row in 0..rows {
        // A person comes back every 997 rows, so records join across chunks.
        let person = row % 997;
        let card = luhn_complete(&format!("453957876{:06}", person));
        table.push_str(&format!(
            "{row},{},{},jane.roe{person}@example.com,(415) 555-{:04},{}-{:02}-{:04},{card}\n",
            FIRST[person % 8],
            LAST[person / 8 % 7],
            person,
            120 + person % 500,
            10 + person % 80,
            1000 + person,
        ));
    }
    table
}

/// `digits` with the Luhn check digit appended.
fn luhn_complete(digits: &str) -> String {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    format!("{digits}{}", (10 - sum % 10) % 10)
}

#[test]
fn big_files_read_on_several_threads_report_exactly_what_one_thread_does() {
    let (dir, share) = new_share();
    // Several 1 MiB chunks each: once the queue is empty, idle threads help with them.
    let table = customer_table(40_000);
    assert!(table.len() > 3 * MIB);
    std::fs::write(share.join("customers.csv"), &table).expect("write");
    let mut zip = zip::ZipWriter::new(File::create(share.join("export.zip")).expect("create"));
    let options = zip::write::SimpleFileOptions::default();
    for name in ["a/customers.csv", "b/customers.txt"] {
        zip.start_file(name, options).expect("member");
        zip.write_all(table.as_bytes()).expect("write");
    }
    // The same rows as JSON objects: findings placed by segment rather than by line.
    zip.start_file("c/customers.ndjson", options)
        .expect("member");
    let mut columns = table.lines();
    let names: Vec<&str> = columns.next().unwrap_or_default().split(',').collect();
    for row in columns {
        let fields: Vec<String> = names
            .iter()
            .zip(row.split(','))
            .map(|(name, value)| format!("\"{name}\":\"{value}\""))
            .collect();
        writeln!(zip, "{{{}}}", fields.join(",")).expect("write");
    }
    zip.finish().expect("zip");
    let mut reports = Vec::new();
    for threads in ["1", "2"] {
        let report = dir.path().join(format!("report-{threads}"));
        let output = scan(&share, &report, &["--threads", threads]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        reports.push(report);
    }
    let findings = read_csv(&reports[0].join("findings.csv"));
    // Five findings a row (name, e-mail, phone, SSN, card) in each of the four copies: also
    // in JSON objects that straddle a chunk edge, whose given and family names still join.
    assert_eq!(findings.len() - 1, 4 * 5 * 40_000);
    for name in [
        "findings.csv",
        "records.csv",
        "individuals.csv",
        "files.csv",
    ] {
        let one = std::fs::read(reports[0].join(name)).expect("read");
        for other in &reports[1..] {
            assert!(
                one == std::fs::read(other.join(name)).expect("read"),
                "{name} differs between 1 thread and {}",
                other.display()
            );
        }
    }
}

/// Order logs of `files` files of `lines` lines, each line a customer's e-mail (one customer
/// per file) and a card: the same card on every line when `one_card`, so that every record
/// joins one person, else one card per file (one person per file).
fn order_logs(share: &std::path::Path, files: usize, lines: usize, one_card: bool) {
    for f in 0..files {
        let card = if one_card {
            luhn_complete("453957876362148")
        } else {
            luhn_complete(&format!("453957876{:06}", f * 7919))
        };
        let mut log =
            BufWriter::new(File::create(share.join(format!("orders_{f:03}.log"))).expect("create"));
        for i in 0..lines {
            writeln!(
                log,
                "2026-03-01T10:{:02}:00Z order={} customer=cust{f:03}@example.org card={card} status=paid",
                i % 60,
                f * lines + i
            )
            .expect("write");
        }
        log.flush().expect("flush");
    }
}

/// The people pass sums a person's records as it reads them, and streams a large person's
/// records from disk: one person of 240,000 records takes about the memory of 40 people of
/// 6,000 records each, holding the same findings. (Holding a person's records whole, the one
/// person took 65 MB more: 121 MB against 57.)
#[test]
fn one_person_of_many_records_takes_the_memory_of_many_people() {
    let peak_of = |one_card: bool| {
        let (dir, share) = new_share();
        order_logs(&share, 40, 6000, one_card);
        let report = dir.path().join("report");
        let (output, peak) = scan_with_peak_rss(&share, &report, &["--threads", "2"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let individuals = read_csv(&report.join("individuals.csv"));
        let people = if one_card { 1 } else { 40 };
        assert_eq!(individuals.len() - 1, people);
        let records: usize = individuals[1..]
            .iter()
            .map(|row| row[3].parse::<usize>().expect("records"))
            .sum();
        assert_eq!(records, 240_000);
        peak
    };
    let (one, many) = (peak_of(true), peak_of(false));
    println!(
        "one person: {} KiB, 40 people: {} KiB",
        one / 1024,
        many / 1024
    );
    assert!(
        one < many + 16 * MIB as u64,
        "one person {one} bytes, 40 people {many} bytes"
    );
}
