//! End-to-end tests of the `breachscope` binary: exact findings on the sample share, the output
//! contract, determinism, exit codes and the output folder rules.

mod util;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use util::*;

const FINDINGS_HEADER: &str =
    "path,location,line,detector,data_class,confidence,masked_value,fingerprint";
const FILES_HEADER: &str = "path,size,modified,format,status,reason,findings,sha256";
const IMPACT_HEADER: &str = "data_class,severity,findings,unique_values,files,potential_misuse,regulations,countermeasures,records,individuals";

/// Every finding on the sample share: path, location, line, detector, class, confidence, masked value.
const SAMPLE_FINDINGS: &str = include_str!("data/sample-share-findings.txt");

#[test]
fn sample_share_exact_findings() {
    let out = tempfile::tempdir().expect("tempdir");
    let report = out.path().join("report");
    let output = scan(&sample_share(), &report, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let actual = rows_prefix(&report.join("findings.csv"), 7);
    let expected: Vec<String> = SAMPLE_FINDINGS
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(actual, expected);
}

#[test]
fn sample_share_decoys_are_not_reported() {
    let out = tempfile::tempdir().expect("tempdir");
    let report = out.path().join("report");
    scan(&sample_share(), &report, &[]);
    let findings = fs::read_to_string(report.join("findings.csv")).expect("findings");
    // Luhn failures, numbers without an issuer, longer digit runs and embedded digits on the
    // decoy lines of payments.log (lines 8 and 9), bad IBANs (line 11), the unlabelled 9-digit
    // employee ids, and every line of the notes' decoy list (lines 7-11).
    for line in [
        "payments.log,,8,",
        "payments.log,,9,",
        "payments.log,,11,",
        "meeting-notes.txt,,7,",
        "meeting-notes.txt,,8,",
        "meeting-notes.txt,,9,",
        "meeting-notes.txt,,10,",
        "meeting-notes.txt,,11,",
    ] {
        assert!(!findings.contains(line), "decoy reported: {line}");
    }
    assert!(
        !findings.contains("***-**-4871"),
        "employee id reported as an SSN"
    );
    let rows = rows_prefix(&report.join("findings.csv"), 4);
    assert!(
        !rows.contains(&"hr/employees.csv,,5,date_of_birth".to_string()),
        "1990-13-01 is no date"
    );
    assert!(
        !rows.contains(&"hr/employees.csv,,5,us_ssn".to_string()),
        "666-12-3456 is no SSN"
    );
}

#[test]
fn output_files_have_exactly_the_contract_columns_and_are_private() {
    let out = tempfile::tempdir().expect("tempdir");
    let report = out.path().join("report");
    scan(&sample_share(), &report, &[]);
    let header = |name: &str| {
        fs::read_to_string(report.join(name))
            .expect(name)
            .lines()
            .next()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(header("findings.csv"), FINDINGS_HEADER);
    assert_eq!(header("files.csv"), FILES_HEADER);
    assert_eq!(header("impact.csv"), IMPACT_HEADER);
    assert_eq!(
        header("records.csv"),
        "path,location,record,data_elements,combination,severity,individual"
    );
    assert_eq!(
        header("individuals.csv"),
        "individual,identifiers,data_elements,records,files,severity,notification_trigger"
    );
    let names = file_names(&report);
    assert_eq!(names, REPORT_FILE_NAMES);
    assert_eq!(
        fs::metadata(&report).expect("meta").permissions().mode() & 0o777,
        0o700
    );
    for name in &names {
        assert_eq!(
            fs::metadata(report.join(name))
                .expect("meta")
                .permissions()
                .mode()
                & 0o777,
            0o600,
            "{name}"
        );
    }
}

#[test]
fn files_csv_accounts_for_every_file() {
    let out = tempfile::tempdir().expect("tempdir");
    let report = out.path().join("report");
    scan(&sample_share(), &report, &[]);
    let rows = read_csv(&report.join("files.csv"));
    let listed: Vec<(String, String, String, String)> = rows
        .iter()
        .skip(1)
        .map(|r| (r[0].clone(), r[3].clone(), r[4].clone(), r[6].clone()))
        .collect();
    let expect = |p: &str, f: &str, s: &str, n: &str| {
        (p.to_string(), f.to_string(), s.to_string(), n.to_string())
    };
    assert_eq!(
        listed,
        vec![
            expect("README.txt", "text/utf-8", "scanned", "0"),
            expect("app/cache.bin", "binary", "scanned", "3"),
            expect("config/app.env", "text/utf-8", "scanned", "4"),
            expect("crm/customers.json", "json", "scanned", "11"),
            expect(
                "exports/contacts-utf16.txt",
                "text/utf-16le",
                "scanned",
                "5"
            ),
            expect("finance/payments.log", "text/utf-8", "scanned", "14"),
            expect("home/alice/.ssh/id_rsa", "text/utf-8", "scanned", "2"),
            expect("home/alice/.ssh/id_rsa.pub", "text/utf-8", "scanned", "0"),
            expect("hr/employees.csv", "text/utf-8", "scanned", "22"),
            expect(
                "legacy/kunden-1252.txt",
                "text/windows-1252",
                "scanned",
                "4"
            ),
            expect("notes/meeting-notes.txt", "text/utf-8", "scanned", "4"),
        ]
    );
    // Files with findings carry their SHA-256, the others none.
    for row in rows.iter().skip(1) {
        assert_eq!(row[7].len() == 64, row[6] != "0", "{row:?}");
    }
}

#[test]
fn impact_counts_unique_values_across_files() {
    let out = tempfile::tempdir().expect("tempdir");
    let report = out.path().join("report");
    scan(&sample_share(), &report, &[]);
    let impact: Vec<String> = rows_prefix(&report.join("impact.csv"), 5);
    assert_eq!(
        impact,
        [
            "credential,critical,6,6,2",
            "financial,high,17,16,4",
            "government_id,high,7,4,4",
            "personal,medium,18,15,5",
            "contact,low,21,17,6",
            "combination:name_ssn_dob,critical,5,4,2",
            "combination:name_bank_account,high,2,2,2",
            "combination:name_ssn,high,5,4,2",
            "combination:name_dob,medium,7,6,3",
        ]
    );
    // The same SSN in the CSV (as 536225487 and 536-22-5487) has one fingerprint.
    let findings = read_csv(&report.join("findings.csv"));
    let ssn_prints: Vec<&str> = findings
        .iter()
        .filter(|r| r[0] == "hr/employees.csv" && r[6] == "***-**-5487")
        .map(|r| r[7].as_str())
        .collect();
    assert_eq!(ssn_prints.len(), 2);
    assert_eq!(ssn_prints[0], ssn_prints[1]);
}

#[test]
fn same_key_gives_identical_reports_and_a_second_run_replaces_the_first() {
    let out = tempfile::tempdir().expect("tempdir");
    let first = out.path().join("first");
    let second = out.path().join("second");
    assert_eq!(
        scan(&sample_share(), &first, &["--threads", "1"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        scan(&sample_share(), &second, &["--threads", "2"])
            .status
            .code(),
        Some(0)
    );
    for name in [
        "findings.csv",
        "files.csv",
        "impact.csv",
        "records.csv",
        "individuals.csv",
    ] {
        assert_eq!(
            fs::read(first.join(name)).expect(name),
            fs::read(second.join(name)).expect(name),
            "{name}"
        );
    }
    let strip_times = |path: &std::path::Path| {
        let mut json: serde_json::Value =
            serde_json::from_slice(&fs::read(path).expect("summary")).expect("json");
        let object = json.as_object_mut().expect("object");
        for key in ["started", "finished", "duration_seconds", "options"] {
            object.remove(key);
        }
        json
    };
    assert_eq!(
        strip_times(&first.join("summary.json")),
        strip_times(&second.join("summary.json"))
    );
    // A second run into the same folder replaces the earlier report without --force.
    let again = scan(&sample_share(), &first, &[]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(
        fs::read(first.join("findings.csv")).expect("findings"),
        fs::read(second.join("findings.csv")).expect("findings")
    );
}

#[test]
fn summary_records_key_source_and_comparability() {
    let out = tempfile::tempdir().expect("tempdir");
    let keyed = out.path().join("keyed");
    scan(&sample_share(), &keyed, &[]);
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(keyed.join("summary.json")).expect("summary"))
            .expect("json");
    assert_eq!(summary["tool"], "breachscope");
    assert_eq!(summary["status"], "complete");
    assert_eq!(summary["fingerprint"]["key_source"], "env");
    assert_eq!(summary["fingerprint"]["comparable_across_runs"], true);
    assert_eq!(summary["counts"]["items"], 11);
    assert!(
        !fs::read_to_string(keyed.join("summary.json"))
            .expect("text")
            .contains(KEY),
        "the key leaked"
    );

    let random = out.path().join("random");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_breachscope"))
        .env_remove("BREACHSCOPE_FINGERPRINT_KEY")
        .args(["scan", "--quiet", "--out"])
        .arg(&random)
        .arg(sample_share())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(random.join("summary.json")).expect("summary"))
            .expect("json");
    assert_eq!(summary["fingerprint"]["key_source"], "random");
    assert_eq!(summary["fingerprint"]["comparable_across_runs"], false);
    // Different key, different fingerprints for the same values.
    assert_ne!(
        fs::read(random.join("findings.csv")).expect("a"),
        fs::read(keyed.join("findings.csv")).expect("b")
    );
}

#[test]
fn key_file_takes_precedence_and_short_keys_are_refused() {
    let out = tempfile::tempdir().expect("tempdir");
    let key_file = out.path().join("key");
    fs::write(&key_file, format!("{KEY}\n")).expect("key");
    let via_file = out.path().join("via-file");
    let output = breachscope()
        .env(
            "BREACHSCOPE_FINGERPRINT_KEY",
            "some-other-key-that-is-long-enough",
        )
        .args(["scan", "--quiet", "--fingerprint-key-file"])
        .arg(&key_file)
        .arg("--out")
        .arg(&via_file)
        .arg(sample_share())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let via_env = out.path().join("via-env");
    scan(&sample_share(), &via_env, &[]);
    assert_eq!(
        fs::read(via_file.join("findings.csv")).expect("a"),
        fs::read(via_env.join("findings.csv")).expect("b")
    );

    fs::write(&key_file, "short").expect("key");
    let output = breachscope()
        .args(["scan", "--quiet", "--fingerprint-key-file"])
        .arg(&key_file)
        .arg("--out")
        .arg(out.path().join("x"))
        .arg(sample_share())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("at least 16"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn fail_on_sets_exit_code_one() {
    let out = tempfile::tempdir().expect("tempdir");
    let output = scan(
        &sample_share(),
        &out.path().join("a"),
        &["--fail-on", "high"],
    );
    assert_eq!(output.status.code(), Some(1));
    let output = scan(
        &sample_share(),
        &out.path().join("b"),
        &["--fail-on", "critical"],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "the sample share holds a private key: critical"
    );
    let output = scan(
        &sample_share(),
        &out.path().join("b2"),
        &[
            "--fail-on",
            "critical",
            "--exclude",
            "home",
            "--exclude",
            "config",
            "--exclude",
            "hr",
            "--exclude",
            "exports",
        ],
    );
    // Without the key files and the name + SSN + date-of-birth records, nothing is critical.
    assert_eq!(output.status.code(), Some(0));
    let output = scan(
        &sample_share(),
        &out.path().join("c"),
        &["--fail-on", "severe"],
    );
    assert_eq!(output.status.code(), Some(2));
}

/// A run into an earlier report's folder leaves the new report and nothing else: the earlier
/// report's files (moved aside, then deleted while the scan ran) and the temporaries of a scan
/// that was cut short are gone.
#[test]
fn a_replaced_report_leaves_nothing_of_the_earlier_one() {
    let out = tempfile::tempdir().expect("tempdir");
    let target = out.path().join("report");
    assert_eq!(scan(&sample_share(), &target, &[]).status.code(), Some(0));
    let names = |dir: &std::path::Path| -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("report folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let first = names(&target);
    assert_eq!(first.len(), 10, "{first:?}");
    fs::write(target.join(".findings.csv.partial"), "cut short").expect("write");
    fs::write(target.join(".1.replaced.partial"), "left over").expect("write");
    fs::write(target.join("findings.csv"), "the earlier findings").expect("write");
    let again = scan(&sample_share(), &target, &[]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(names(&target), first);
    assert!(
        fs::read_to_string(target.join("findings.csv"))
            .expect("findings")
            .starts_with("path,location,line,")
    );
}

#[test]
fn foreign_output_folder_is_refused_unless_forced() {
    let out = tempfile::tempdir().expect("tempdir");
    let target = out.path().join("busy");
    fs::create_dir(&target).expect("dir");
    fs::write(target.join("notes.txt"), "mine").expect("write");
    let output = scan(&sample_share(), &target, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not an earlier breachscope report"),
        "{}",
        stderr(&output)
    );
    let output = scan(&sample_share(), &target, &["--force"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        fs::read_to_string(target.join("notes.txt")).expect("kept"),
        "mine"
    );
}

#[test]
fn output_inside_a_scanned_root_is_refused() {
    let share = tempfile::tempdir().expect("tempdir");
    fs::write(share.path().join("a.txt"), "ssn 536-22-5487\n").expect("write");
    let output = scan(share.path(), &share.path().join("report"), &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("inside the scanned root"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn missing_root_is_a_usage_error() {
    let out = tempfile::tempdir().expect("tempdir");
    let output = scan(&out.path().join("nope"), &out.path().join("r"), &[]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn bad_rule_file_names_the_file_and_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let patterns = dir.path().join("patterns");
    fs::create_dir(&patterns).expect("dir");
    fs::write(
        patterns.join("mine.toml"),
        "[[rule]]\nid = \"broken_rule\"\ndata_class = \"credential\"\ndescription = \"x\"\nconfidence = \"high\"\npattern = \"(unclosed\"\nkeywords = [\"x\"]\n",
    )
    .expect("write");
    let output = breachscope()
        .args(["scan", "--quiet", "--patterns"])
        .arg(&patterns)
        .arg("--out")
        .arg(dir.path().join("r"))
        .arg(sample_share())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("broken_rule") && message.contains("mine.toml"),
        "{message}"
    );
    let output = breachscope()
        .args(["rules", "check", "--patterns"])
        .arg(&patterns)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn override_rule_replaces_builtin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let patterns = dir.path().join("patterns");
    fs::create_dir(&patterns).expect("dir");
    // An email rule that only accepts one domain.
    fs::write(
        patterns.join("email.toml"),
        r#"[[rule]]
id = "email"
data_class = "contact"
description = "Only acme-corp addresses"
confidence = "high"
pattern = '''[a-z.]+@acme-corp\.com'''
keywords = ["@acme-corp.com"]
mask = "email"
"#,
    )
    .expect("write");
    let report = dir.path().join("r");
    let output = breachscope()
        .args(["scan", "--quiet", "--patterns"])
        .arg(&patterns)
        .arg("--out")
        .arg(&report)
        .arg(sample_share())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let emails: Vec<Vec<String>> = read_csv(&report.join("findings.csv"))
        .into_iter()
        .filter(|r| r[3] == "email")
        .collect();
    assert_eq!(emails.len(), 2);
    assert!(
        emails.iter().all(|r| r[6] == "***@acme-corp.com"),
        "{emails:?}"
    );
}

#[test]
fn rules_check_passes_and_list_shows_every_rule() {
    let output = run(&["rules", "check"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(text.contains("0 problems"), "{text}");
    let list = String::from_utf8_lossy(&run(&["rules", "list"]).stdout).into_owned();
    for id in [
        "payment_card",
        "us_ssn",
        "email",
        "phone",
        "iban",
        "date_of_birth",
    ] {
        assert!(list.lines().any(|l| l.starts_with(id)), "{id} missing");
    }
}

#[test]
fn special_files_links_and_unreadable_files_are_listed_not_opened() {
    let share = tempfile::tempdir().expect("tempdir");
    let root = share.path().join("share");
    fs::create_dir(&root).expect("dir");
    fs::write(root.join("a.txt"), "ssn 536-22-5487\n").expect("write");
    std::os::unix::fs::symlink("a.txt", root.join("link.txt")).expect("link");
    std::os::unix::fs::symlink("/etc/passwd", root.join("outside")).expect("link");
    let fifo = root.join("pipe");
    let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("cstring");
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    fs::write(root.join("=cmd.txt"), "nothing\n").expect("write");
    fs::write(root.join("excluded.log"), "ssn 536-22-5487\n").expect("write");
    let report = share.path().join("report");
    let output = scan(&root, &report, &["--exclude", "*.log"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let rows: Vec<String> = read_csv(&report.join("files.csv"))
        .into_iter()
        .skip(1)
        .map(|r| format!("{}|{}|{}", r[0], r[4], r[5]))
        .collect();
    assert_eq!(
        rows,
        [
            "'=cmd.txt|scanned|",
            "a.txt|scanned|",
            "excluded.log|skipped|excluded by --exclude *.log",
            "link.txt|skipped|symbolic link to a.txt not followed (use --follow-links)",
            "outside|skipped|symbolic link to /etc/passwd not followed (use --follow-links)",
            "pipe|skipped|FIFO (named pipe): never opened",
        ]
    );
    let findings = rows_prefix(&report.join("findings.csv"), 4);
    assert_eq!(findings, ["a.txt,,1,us_ssn"]);
}

#[test]
fn placeholders_and_documented_example_keys_are_not_reported() {
    let out = tempfile::tempdir().expect("tempdir");
    let report = out.path().join("report");
    scan(&sample_share(), &report, &[]);
    let lines: Vec<String> = rows_prefix(&report.join("findings.csv"), 4)
        .into_iter()
        .filter(|r| r.starts_with("config/app.env"))
        .collect();
    // Lines 10-13 hold ${API_KEY}, changeme, <password> and AWS's documented example key.
    assert_eq!(
        lines,
        [
            "config/app.env,,5,password_assignment",
            "config/app.env,,6,aws_access_key_id",
            "config/app.env,,7,aws_secret_access_key",
            "config/app.env,,8,github_classic_pat",
        ]
    );
}
