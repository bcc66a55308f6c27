//! The client documents end to end: the sample share's report.html rendered in headless
//! Chromium shows the headline numbers of impact.csv and summary.json, without console errors.

mod util;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use util::*;

/// Chromium, or None when it is not installed.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Runs headless Chromium on `page` with `extra` arguments; returns stdout and stderr.
fn run_chromium(chromium: &Path, page: &Path, profile: &Path, extra: &[&str]) -> (String, String) {
    let output = Command::new("timeout")
        .arg("120")
        .arg(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "chromium failed: {stderr}");
    (stdout, stderr)
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The `data-value` and the shown text of the headline with `id` in the rendered DOM.
fn headline(dom: &str, id: &str) -> (String, String) {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("{id} missing from the rendered page"));
    let rest = &dom[start..];
    let value = rest
        .split("data-value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("{id} has no data-value"));
    let shown = rest
        .split('>')
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap_or_else(|| panic!("{id} has no text"));
    (value.to_string(), shown.to_string())
}

#[test]
fn report_html_renders_in_chromium_with_the_headline_numbers() {
    let Some(chromium) = chromium() else {
        assert!(
            !in_ci(),
            "CI is set but chromium is missing: .ci/run installs it (apt-get install chromium)"
        );
        println!("skipped: chromium is not installed (apt-get install chromium)");
        return;
    };
    let out = tempfile::tempdir().expect("tempdir");
    let report = out.path().join("report");
    // The root as the README's command names it, so the screenshot shows no local path.
    let output = breachscope()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["scan", "examples/sample-share", "--quiet", "--out"])
        .arg(&report)
        .output()
        .expect("breachscope runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page = report.join("report.html");

    let profile = tempfile::tempdir().expect("profile dir");
    let (dom, log) = run_chromium(&chromium, &page, profile.path(), &["--dump-dom"]);
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");

    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(report.join("summary.json")).expect("summary.json"))
            .expect("json");
    let all_rows = read_csv(&report.join("impact.csv"));
    let header = &all_rows[0];
    // Data-class rows; combination rows (`combination:…`) follow them.
    let impact: Vec<Vec<String>> = all_rows
        .iter()
        .filter(|r| !r[0].starts_with("combination:"))
        .cloned()
        .collect();
    let classes = impact.len() - 1;
    assert!(classes > 0, "the sample share has findings");

    let (value, shown) = headline(&dom, "headline-classes");
    assert_eq!(value, classes.to_string());
    assert_eq!(shown, classes.to_string());

    let worst = summary["max_severity"].as_str().expect("max_severity");
    assert_eq!(headline(&dom, "headline-severity").0, worst);
    assert_eq!(
        headline(&dom, "headline-severity").1.to_lowercase(),
        worst,
        "shown in words"
    );
    // impact.csv is ordered worst first.
    assert_eq!(impact[1][1], worst);

    let unique = summary["counts"]["unique_values"].as_u64().expect("count");
    let column = |name: &str| header.iter().position(|h| h == name);
    let unique_sum: u64 = impact[1..]
        .iter()
        .map(|r| {
            r[column("unique_values").expect("column")]
                .parse::<u64>()
                .expect("number")
        })
        .sum();
    assert_eq!(unique, unique_sum);
    assert_eq!(
        headline(&dom, "headline-values"),
        (unique.to_string(), thousands(unique))
    );

    // People and records: summary.json's estimate, which bounds every per-class count.
    for (id, key) in [
        ("headline-individuals", "individuals"),
        ("headline-records", "records"),
    ] {
        let (value, shown) = headline(&dom, id);
        let value: u64 = value.parse().expect("number");
        assert_eq!(shown, thousands(value));
        let expected = summary["people"][key].as_u64().expect("people estimate");
        assert_eq!(value, expected, "{id}");
        let per_class = column(key).expect("column");
        for row in &impact[1..] {
            let count: u64 = row[per_class].parse().expect("number");
            assert!(count <= value, "{id}: class {} has {count}", row[0]);
        }
    }

    for section in [
        "summary",
        "scope",
        "exposure",
        "groups",
        "combinations",
        "plan",
        "meaning",
    ] {
        assert!(dom.contains(&format!("id=\"{section}\"")), "{section}");
    }
    assert!(dom.contains("<svg"), "inline charts");
    let plan = read_csv(&report.join("countermeasures.csv"));
    assert_eq!(
        plan[0].join(","),
        "priority,action,affected,data_classes,deadline,source"
    );
    assert!(plan.len() > 1, "a plan for the sample share");

    // The screenshot: checked into docs/ when asked for, else only proven to render.
    let shot = if std::env::var_os("BREACHSCOPE_UPDATE_SCREENSHOT").is_some() {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.png")
    } else {
        out.path().join("report.png")
    };
    let profile = tempfile::tempdir().expect("profile dir");
    run_chromium(
        &chromium,
        &page,
        profile.path(),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000",
        ],
    );
    let png = fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
}

#[test]
fn documents_have_their_contract_columns() {
    let out = tempfile::tempdir().expect("tempdir");
    let report = out.path().join("report");
    let output = scan(&sample_share(), &report, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let impact = read_csv(&report.join("impact.csv"));
    let by_group = read_csv(&report.join("impact_by_group.csv"));
    assert_eq!(by_group[0][0], "group");
    assert_eq!(
        by_group[0][1..],
        impact[0][..],
        "group + impact.csv's columns"
    );
    let plan = read_csv(&report.join("countermeasures.csv"));
    assert_eq!(
        plan[0],
        [
            "priority",
            "action",
            "affected",
            "data_classes",
            "deadline",
            "source"
        ]
    );
    for (i, row) in plan[1..].iter().enumerate() {
        assert_eq!(row[0], (i + 1).to_string());
        row[2].parse::<u64>().expect("affected is a number");
    }
    let md = fs::read_to_string(report.join("report.md")).expect("report.md");
    assert!(md.contains("| Headline | Number | Note |"));
    let html = fs::read_to_string(report.join("report.html")).expect("report.html");
    for external in ["<script", "<link", "<img", "src=", "href=", "url("] {
        assert!(!html.contains(external), "self-contained: {external}");
    }
}
