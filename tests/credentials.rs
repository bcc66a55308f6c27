//! Credentials end to end: a generated share with configs, source files, a home-directory backup
//! and key files; exact findings, and the placeholders and documented example keys that must not
//! be reported.

mod util;

use std::fs;
use std::path::Path;

use util::*;

fn write(root: &Path, path: &str, content: &str) {
    let full = root.join(path);
    fs::create_dir_all(full.parent().expect("parent")).expect("dirs");
    fs::write(full, content).expect("write");
}

/// A deterministic string of `n` characters from `alphabet`, so no value is a real key.
fn synthetic(seed: u64, alphabet: &[u8], n: usize) -> String {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            alphabet[(state % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const AWS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn build_share(root: &Path) {
    let aws_id = format!("AKIA{}", synthetic(1, AWS, 16));
    let aws_secret = synthetic(2, B64, 40);
    let ghp = format!("ghp_{}", synthetic(3, ALNUM, 36));
    let glpat = format!("glpat-{}", synthetic(4, ALNUM, 20));
    let slack = format!(
        "xoxb-{}-{}-{}",
        "284719365021",
        "5038127746915",
        synthetic(5, ALNUM, 24)
    );
    let stripe = format!("sk_live_{}", synthetic(6, ALNUM, 24));
    write(
        root,
        "app/config/.env",
        &format!(
            "# production settings\nDB_PASSWORD=Xq7!vR2#pL9sWd\nAWS_ACCESS_KEY_ID={aws_id}\nAWS_SECRET_ACCESS_KEY={aws_secret}\n\
             # placeholders and examples: none of these is a secret\nAPI_KEY=${{API_KEY}}\nSMTP_PASSWORD=changeme\n\
             REDIS_PASSWORD=<password>\nEXAMPLE_ID=AKIAIOSFODNN7EXAMPLE\nEMPTY_PASSWORD=\nMASKED_TOKEN=********\n"
        ),
    );
    write(
        root,
        "app/src/deploy.py",
        &format!(
            "import os\n\nGITHUB_TOKEN = \"{ghp}\"\nDB_PASSWORD = os.environ[\"DB_PASSWORD\"]\napi_key = os.getenv(\"API_KEY\")\nSTRIPE_KEY = \"{stripe}\"\n"
        ),
    );
    write(
        root,
        "app/src/Settings.java",
        "class Settings {\n    String password = System.getenv(\"APP_PASSWORD\");\n    String token = \"YOUR_API_KEY_HERE\";\n}\n",
    );
    write(
        root,
        "app/config/database.yml",
        "production:\n  adapter: postgresql\n  url: postgres://app:S3cr3t-Pg-2024!@db.internal:5432/prod\n",
    );
    write(
        root,
        "ci/gitlab.env",
        &format!("GITLAB_TOKEN={glpat}\nSLACK_BOT_TOKEN={slack}\n"),
    );
    write(
        root,
        "backup/home/alice/.git-credentials",
        "https://alice:Gh0stRider-77x@github.example.com\n",
    );
    let key_body = synthetic(7, B64, 64 * 10);
    let lines: Vec<&str> = key_body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect();
    write(
        root,
        "backup/home/alice/.ssh/id_rsa",
        &format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
            lines.join("\n")
        ),
    );
    write(
        root,
        "backup/home/alice/.ssh/id_rsa.pub",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 alice@laptop\n",
    );
    write(
        root,
        "backup/home/alice/notes.txt",
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ1xVZ\n-----END CERTIFICATE-----\n",
    );
    write(root, "keys/server.pfx", "binary keystore stand-in");
    write(root, "keys/vault.kdbx", "binary password database stand-in");
}

#[test]
fn generated_share_exact_credential_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let share = dir.path().join("share");
    build_share(&share);
    let report = dir.path().join("report");
    let output = scan(&share, &report, &[]);
    assert!(
        matches!(output.status.code(), Some(0)),
        "{}",
        stderr(&output)
    );
    let findings: Vec<String> = rows_prefix(&report.join("findings.csv"), 4)
        .into_iter()
        .filter(|row| row.split(',').nth(3).is_some())
        .collect();
    assert_eq!(
        findings,
        [
            "app/config/.env,,2,password_assignment",
            "app/config/.env,,3,aws_access_key_id",
            "app/config/.env,,4,aws_secret_access_key",
            "app/config/database.yml,,3,database_url_with_credentials",
            "app/src/deploy.py,,3,github_classic_pat",
            "app/src/deploy.py,,6,stripe_live_key",
            "backup/home/alice/.git-credentials,,,credential_config_file",
            "backup/home/alice/.git-credentials,,1,url_with_credentials",
            "backup/home/alice/.ssh/id_rsa,,,ssh_private_key_file",
            "backup/home/alice/.ssh/id_rsa,,2,pem_private_key",
            "ci/gitlab.env,,1,gitlab_pat",
            "ci/gitlab.env,,2,slack_bot_token",
            "keys/server.pfx,,,keystore_file",
            "keys/vault.kdbx,,,password_database_file",
        ]
    );
}

#[test]
fn masked_secrets_keep_at_most_the_prefix_and_last_four() {
    let dir = tempfile::tempdir().expect("tempdir");
    let share = dir.path().join("share");
    build_share(&share);
    let report = dir.path().join("report");
    scan(&share, &report, &[]);
    let rows = read_csv(&report.join("findings.csv"));
    let ghp = format!("ghp_{}", synthetic(3, ALNUM, 36));
    let masked: Vec<&str> = rows
        .iter()
        .filter(|r| r[3] == "github_classic_pat")
        .map(|r| r[6].as_str())
        .collect();
    assert_eq!(masked, [format!("ghp_…{}", &ghp[ghp.len() - 4..])]);
    let text = fs::read_to_string(report.join("findings.csv")).expect("findings");
    for secret in [
        ghp,
        synthetic(2, B64, 40),
        "Xq7!vR2#pL9sWd".to_string(),
        "S3cr3t-Pg-2024!".to_string(),
    ] {
        assert!(!text.contains(&secret), "raw secret in findings.csv");
    }
    let impact = rows_prefix(&report.join("impact.csv"), 2);
    assert_eq!(impact, ["credential,critical"]);
}
