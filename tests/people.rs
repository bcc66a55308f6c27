//! From findings to people: a generated HR/CRM/finance share with known people, some in several
//! files and formats, some with only partial identifiers, two different people of one name.

mod util;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use util::*;

// Eight synthetic people (every value below is made up and only checksum-valid):
// Jane Roe      hr/staff.csv, crm JSON (shared e-mail), cards.xlsx (SSN + e-mail), mail attachment
//               (SSN), clinic/patients.csv (name + date of birth + MRN)
// Omar Haddad   hr/staff.csv, mail attachment (SSN), notes/memo.txt block (SSN); cards.xlsx holds
//               an "Omar Haddad" with a card and nothing else in common (same person in truth)
// Maria Garcia  hr/staff.csv: SSN 412-67-1923
// Maria Garcia  crm JSON: a different person of the same name, nothing in common
// Wei Chen      crm JSON and the users table of accounts/users.sql (shared e-mail)
// Ahmed Khan    cards.xlsx only
// Priya Patel   notes/memo.txt: a name and a date of birth only
// Lena Kim      accounts/users.sql only: username, e-mail, password hash
const TRUE_PEOPLE: usize = 8;

const BCRYPT_A: &str = "$2b$12$HvfttBhGCfRMPqlbnJibfP/kwKLJCX2l0zMUSe.NhiCSNKH8aTaMD";
const BCRYPT_B: &str = "$2b$12$hghhd0dHe0SbubBWpsOFE24AUNDJ9gJDsseHEF8V9Q7LJavjNg.TO";

fn base64_lines(data: &[u8]) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    encoded
        .as_bytes()
        .chunks(76)
        .map(|c| format!("{}\r\n", String::from_utf8_lossy(c)))
        .collect()
}

fn cards_xlsx(path: &Path) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Cards").expect("sheet name");
    let rows: [[&str; 6]; 4] = [
        [
            "Cardholder Name",
            "SSN",
            "Card Number",
            "Exp",
            "CVV",
            "Email",
        ],
        [
            "Jane Roe",
            "536-22-5487",
            "4539578763621486",
            "11/27",
            "734",
            "jane.roe@example.com",
        ],
        [
            "Ahmed Khan",
            "",
            "5425233430109903",
            "08/26",
            "",
            "ahmed.khan@example.org",
        ],
        ["Omar Haddad", "", "376364306154226", "03/28", "", ""],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32, c as u16, *cell).expect("cell");
            }
        }
    }
    book.save(path).expect("xlsx saved");
}

fn payroll_mail() -> String {
    let attachment = "name,ssn\nOmar Haddad,219-45-7731\nJane Roe,536-22-5487\n";
    format!(
        "From: Jane Roe <jane.roe@example.com>\r\n\
         To: Omar Haddad <omar.haddad@example.com>\r\n\
         Subject: payroll corrections\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\
         \r\n\
         --b\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         See the attached list.\r\n\
         --b\r\n\
         Content-Type: text/csv; name=\"payroll.csv\"\r\n\
         Content-Disposition: attachment; filename=\"payroll.csv\"\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n\
         {}\
         --b--\r\n",
        base64_lines(attachment.as_bytes())
    )
}

/// Writes the share and returns its root.
fn people_share(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("share");
    for folder in [
        "hr", "crm", "finance", "mail", "notes", "accounts", "clinic",
    ] {
        fs::create_dir_all(root.join(folder)).expect("folder");
    }
    fs::write(
        root.join("hr/staff.csv"),
        "employee_id,first_name,last_name,ssn,date_of_birth,email,phone\n\
         E-1001,Jane,Roe,536-22-5487,1985-03-14,jane.roe@example.com,(415) 555-2671\n\
         E-1002,Omar,Haddad,219-45-7731,1979-07-22,omar.haddad@example.com,212-555-0187\n\
         E-1003,Maria,Garcia,412-67-1923,1991-02-14,maria.garcia@example.org,646-555-0142\n",
    )
    .expect("csv");
    fs::write(
        root.join("crm/customers.json"),
        r#"[
  {"name": "Maria Garcia", "email": "m.garcia@globex.com", "phone": "+44 20 7946 0958"},
  {"name": "Wei Chen", "email": "wei.chen@example.net", "dob": "1988-03-03"},
  {"name": "Jane Roe", "email": "jane.roe@example.com"}
]
"#,
    )
    .expect("json");
    cards_xlsx(&root.join("finance/cards.xlsx"));
    fs::write(root.join("mail/payroll.eml"), payroll_mail()).expect("eml");
    fs::write(
        root.join("notes/memo.txt"),
        "Incident follow-up (synthetic)\n\
         \n\
         Name: Omar Haddad\n\
         SSN: 219-45-7731\n\
         DOB: 07/22/1979\n\
         \n\
         Name: Priya Patel\n\
         DOB: 02/14/1991\n",
    )
    .expect("memo");
    fs::write(
        root.join("accounts/users.sql"),
        format!(
            "CREATE TABLE users (id int, username varchar(40), email varchar(80), password_hash varchar(80));\n\
             INSERT INTO users (id, username, email, password_hash) VALUES\n\
             (1, 'wchen', 'wei.chen@example.net', '{BCRYPT_A}'),\n\
             (2, 'lkim', 'lena.kim@example.com', '{BCRYPT_B}');\n"
        ),
    )
    .expect("sql");
    fs::write(
        root.join("clinic/patients.csv"),
        "patient_name,mrn,date_of_birth,diagnosis_code\n\
         Jane Roe,MRN00482913,1985-03-14,E11.9\n",
    )
    .expect("patients");
    root
}

struct Report {
    records: Vec<Vec<String>>,
    individuals: Vec<Vec<String>>,
    impact: Vec<Vec<String>>,
    summary: serde_json::Value,
}

/// Scans a fresh people share; returns the folder (kept alive) and the report folder.
fn scan_people_share(extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = people_share(dir.path());
    let out = dir.path().join("report");
    let output = scan(&root, &out, extra);
    assert!(output.status.success(), "scan failed: {}", stderr(&output));
    (dir, out)
}

fn scan_people(extra: &[&str]) -> (tempfile::TempDir, Report) {
    let (dir, out) = scan_people_share(extra);
    let summary = serde_json::from_slice(&fs::read(out.join("summary.json")).expect("summary"))
        .expect("summary json");
    let report = Report {
        records: read_csv(&out.join("records.csv")),
        individuals: read_csv(&out.join("individuals.csv")),
        impact: read_csv(&out.join("impact.csv")),
        summary,
    };
    (dir, report)
}

#[test]
fn records_csv_has_one_row_per_record_with_its_elements_and_combinations() {
    let (_dir, report) = scan_people(&[]);
    assert_eq!(
        report.records[0],
        [
            "path",
            "location",
            "record",
            "data_elements",
            "combination",
            "severity",
            "individual"
        ]
    );
    let rows: Vec<String> = report.records[1..]
        .iter()
        .map(|r| format!("{} | {} | {} | {} | {}", r[0], r[2], r[3], r[4], r[5]))
        .collect();
    let expected = EXPECTED_RECORDS;
    assert_eq!(rows, expected, "records.csv rows:\n{}", rows.join("\n"));
}

const EXPECTED_RECORDS: &[&str] = &[
    "accounts/users.sql | table users row 1 | bcrypt_hash;email;username | account_login | high",
    "accounts/users.sql | table users row 2 | bcrypt_hash;email;username | account_login | high",
    "clinic/patients.csv | line 2 | date_of_birth;icd10_diagnosis;medical_record_number;person_name | name_health;name_dob | critical",
    "crm/customers.json | $[0] | email;person_name;phone |  | low",
    "crm/customers.json | $[1] | date_of_birth;email;person_name | name_dob | medium",
    "crm/customers.json | $[2] | email;person_name |  | low",
    "finance/cards.xlsx | Cards!row 2 | card_expiry;card_security_code;email;payment_card;person_name;us_ssn | name_ssn;card_with_security_code;card_with_expiry;name_card | critical",
    "finance/cards.xlsx | Cards!row 3 | card_expiry;email;payment_card;person_name | card_with_expiry;name_card | high",
    "finance/cards.xlsx | Cards!row 4 | card_expiry;payment_card;person_name | card_with_expiry;name_card | high",
    "hr/staff.csv | line 2 | date_of_birth;email;person_name;phone;us_ssn | name_ssn_dob;name_ssn;name_dob | critical",
    "hr/staff.csv | line 3 | date_of_birth;email;person_name;phone;us_ssn | name_ssn_dob;name_ssn;name_dob | critical",
    "hr/staff.csv | line 4 | date_of_birth;email;person_name;phone;us_ssn | name_ssn_dob;name_ssn;name_dob | critical",
    "mail/payroll.eml | header From – header To #1 | email |  | low",
    "mail/payroll.eml | header From – header To #2 | email |  | low",
    "mail/payroll.eml!payroll.csv | line 2 | person_name;us_ssn | name_ssn | high",
    "mail/payroll.eml!payroll.csv | line 3 | person_name;us_ssn | name_ssn | high",
    "notes/memo.txt | lines 3-5 | date_of_birth;person_name;us_ssn | name_ssn_dob;name_ssn;name_dob | critical",
    "notes/memo.txt | lines 7-8 | date_of_birth;person_name | name_dob | medium",
];

#[test]
fn individuals_are_counted_once_across_files_and_formats_with_bounds() {
    let (_dir, report) = scan_people(&[]);
    let people = &report.summary["people"];
    let count = |key: &str| people[key].as_u64().unwrap_or(u64::MAX) as usize;
    let (estimate, lower, upper) = (
        count("individuals"),
        count("individuals_lower_bound"),
        count("individuals_upper_bound"),
    );
    assert!(lower <= TRUE_PEOPLE && TRUE_PEOPLE <= upper);
    assert_eq!((lower, estimate, upper), (7, 9, 10));
    assert_eq!(count("possible_same_person_clusters"), 2);
    assert_eq!(report.individuals.len() - 1, estimate);
    assert!(
        people["method"]
            .as_str()
            .unwrap_or("")
            .contains("Lower bound")
    );

    // Jane Roe's SSN stands in a CSV, a spreadsheet and a mail attachment: one person.
    let rows_with = |element: &str, masked: &str| -> Vec<&Vec<String>> {
        report.individuals[1..]
            .iter()
            .filter(|r| r[1].contains(&format!("{element} {masked}")))
            .collect()
    };
    let jane = rows_with("us_ssn", "***-**-5487");
    assert_eq!(jane.len(), 1);
    // hr, crm, cards.xlsx, the mail's From header, its attachment, the clinic list.
    assert_eq!(jane[0][3], "6", "Jane's records: {:?}", jane[0]);
    assert_eq!(jane[0][4], "6", "Jane's files: {:?}", jane[0]);
    assert_eq!(
        jane[0][6],
        "card_with_security_code;name_health;name_ssn;name_ssn_dob"
    );
    // Two different people named Maria Garcia, nothing in common: counted twice.
    let marias: Vec<_> = report.individuals[1..]
        .iter()
        .filter(|r| r[1].contains("person_name M. G."))
        .collect();
    assert_eq!(marias.len(), 2);
}

#[test]
fn impact_counts_records_individuals_and_combinations() {
    let (_dir, report) = scan_people(&[]);
    let header = &report.impact[0];
    assert_eq!(&header[8..], ["records", "individuals"]);
    let rows: BTreeMap<&str, (&str, &str, &str)> = report.impact[1..]
        .iter()
        .map(|r| (r[0].as_str(), (r[1].as_str(), r[8].as_str(), r[9].as_str())))
        .collect();
    let expected: BTreeMap<&str, (&str, &str, &str)> = EXPECTED_IMPACT.iter().copied().collect();
    assert_eq!(rows, expected);
}

/// (severity, records, individuals) per data class and combination.
const EXPECTED_IMPACT: &[(&str, (&str, &str, &str))] = &[
    ("combination:account_login", ("high", "2", "2")),
    ("combination:card_with_expiry", ("high", "3", "3")),
    (
        "combination:card_with_security_code",
        ("critical", "1", "1"),
    ),
    ("combination:name_card", ("high", "3", "3")),
    ("combination:name_dob", ("medium", "7", "5")),
    ("combination:name_health", ("critical", "1", "1")),
    ("combination:name_ssn", ("high", "7", "3")),
    ("combination:name_ssn_dob", ("critical", "4", "3")),
    ("contact", ("low", "12", "7")),
    ("credential", ("medium", "2", "2")),
    ("financial", ("critical", "3", "3")),
    ("government_id", ("high", "7", "3")),
    ("health", ("high", "1", "1")),
    ("personal", ("medium", "14", "8")),
];

#[test]
fn individual_ids_are_stable_for_the_same_key() {
    let (_a, first) = scan_people(&[]);
    let (_b, second) = scan_people(&["--threads", "1"]);
    assert_eq!(first.individuals, second.individuals);
    assert_eq!(first.records, second.records);
    // No raw value in either file.
    for row in first.records.iter().chain(&first.individuals) {
        let line = row.join(",");
        for raw in [
            "536-22-5487",
            "jane.roe@",
            "4539578763621486",
            "Jane Roe",
            "wchen",
        ] {
            assert!(!line.contains(raw), "raw value {raw} in {line}");
        }
    }
}

#[test]
fn a_wider_proximity_window_joins_neighbouring_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("share");
    fs::create_dir_all(&root).expect("root");
    fs::write(
        root.join("notes.txt"),
        "Payroll issue: SSN 219-45-7731 was paid twice.\nCall 212-555-0187 about it.\n",
    )
    .expect("notes");
    let records = |extra: &[&str]| {
        let out = dir.path().join(format!("out{}", extra.len()));
        let output = scan(&root, &out, extra);
        assert!(output.status.success(), "{}", stderr(&output));
        rows_prefix(&out.join("records.csv"), 4)
    };
    assert_eq!(
        records(&[]),
        ["notes.txt,,line 1,us_ssn", "notes.txt,,line 2,phone"]
    );
    assert_eq!(
        records(&["--record-lines", "1"]),
        ["notes.txt,,lines 1-2,phone;us_ssn"]
    );
}

#[test]
fn shared_mailboxes_are_findings_but_no_ones_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("share");
    fs::create_dir_all(&root).expect("root");
    fs::write(
        root.join("mail.log"),
        "sent from noreply@example.com\nticket by Support+7@Example.com\nreply to jane.roe@example.com\n",
    )
    .expect("log");
    let out = dir.path().join("out");
    let output = scan(&root, &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(rows_prefix(&out.join("findings.csv"), 4).len(), 3);
    assert_eq!(
        rows_prefix(&out.join("records.csv"), 4),
        ["mail.log,,line 3,email"]
    );
}

#[test]
fn countermeasure_plan_counts_the_people_and_values_of_the_fixture() {
    let (_dir, out) = scan_people_share(&[]);
    let plan = read_csv(&out.join("countermeasures.csv"));
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
    let rows: Vec<String> = plan[1..]
        .iter()
        .map(|r| format!("{} | {} | {} | {}", r[1], r[2], r[3], r[4]))
        .collect();
    let expected: Vec<String> = EXPECTED_PLAN.iter().map(|s| s.to_string()).collect();
    assert_eq!(rows, expected, "plan:\n{}", rows.join("\n"));
    // Priorities run 1..n.
    for (i, row) in plan[1..].iter().enumerate() {
        assert_eq!(row[0], (i + 1).to_string());
    }
}

const EXPECTED_PLAN: &[&str] = &[
    "Card brand rules (Visa What To Do If Compromised): notify the acquirer and the brand immediately, incident report within 3 business days, all at-risk account numbers within 10 business days; a PCI Forensic Investigator (PFI) may be required, for an estimated 3 people whose card or bank account number was exposed. | 3 | financial | immediately to the acquirer and card brands; incident report within 3 business days; account numbers within 10 business days",
    "Notify the acquiring bank and the card brands; send the list of exposed card numbers to the acquirer so issuers can reissue or monitor them, for an estimated 3 people whose card or bank account number was exposed. | 3 | financial | immediately; account numbers within 10 business days",
    "GDPR Art. 33: notify the supervisory authority within 72 hours of awareness unless the breach is unlikely to result in a risk; Art. 34: tell data subjects without undue delay when the risk is high, for at least 8 people whose personal data was exposed. | 8 | financial;health;personal;contact;account_login | 72 hours to the supervisory authority",
    "Card brands: notify the acquirer and the brand immediately; incident report within 3 business days; all at-risk account numbers within 10 business days, for an estimated 1 person whose records hold card number with its security code. | 1 | card_with_security_code | 3 business days (incident report)",
    "HIPAA Breach Notification Rule (covered entities and business associates): notify individuals without unreasonable delay and within 60 calendar days of discovery; HHS within 60 days when 500 or more are affected (else the annual log); media when more than 500 residents of one state, for at least 1 person whose personal data was exposed. | 1 | health | 60 days after discovery",
    "Give credit-freeze and fraud-alert instructions and advise an IRS Identity Protection PIN, for an estimated 3 people whose records hold name with ssn and date of birth (a complete identity, \"fullz\"). | 3 | name_ssn_dob | ",
    "Have every affected card reissued, not only monitored, for an estimated 3 people whose card or bank account number was exposed. | 3 | financial | ",
    "Have issuers cancel and reissue the exposed cards; run fraud monitoring on them meanwhile, for an estimated 3 people whose card or bank account number was exposed. | 3 | financial | ",
    "Notify each affected person and offer at least 24 months of credit monitoring and identity restoration, for at least 3 people whose personal data was exposed. | 3 | name_ssn_dob;name_ssn | ",
    "Purge or tokenise stored card numbers and re-scope the PCI cardholder data environment, for an estimated 3 people whose card or bank account number was exposed. | 3 | financial | ",
    "Purge stored security codes and fix the logging or storage path that captured them, for at least 3 people whose personal data was exposed. | 3 | financial;card_with_security_code | ",
    "Tell affected customers to review statements and report unknown transactions, for an estimated 3 people whose card or bank account number was exposed. | 3 | financial | ",
    "Have every exposed card reissued (monitoring alone is not enough when the code leaked); send the card list to the acquirer, for an estimated 1 person whose records hold card number with its security code. | 1 | card_with_security_code | ",
    "Notify each affected person; advise them to review explanation-of-benefits statements and report unknown treatments, for an estimated 1 person whose records hold name with health information. | 1 | health | ",
    "Notify the health plans and insurers whose member numbers were exposed, for an estimated 1 person whose records hold name with health information. | 1 | health | ",
    "Card brands: notify the acquirer and the brand immediately; all at-risk account numbers within 10 business days, for an estimated 3 people whose records hold card number with expiry date. | 3 | card_with_expiry | 10 business days (account numbers)",
    "Advise affected people to request an IRS Identity Protection PIN and file taxes early, for an estimated 3 people whose Social Security number was exposed. | 3 | government_id | ",
    "Give credit-freeze and fraud-alert instructions for the three credit bureaus, for an estimated 3 people whose Social Security number was exposed. | 3 | government_id | ",
    "Offer at least 24 months of credit monitoring and identity restoration (covers CT, MA, DC and DE minimums), for an estimated 3 people whose Social Security number was exposed. | 3 | government_id | ",
    "Send the exposed card numbers to the acquirer so issuers can reissue or monitor them, for at least 3 people whose personal data was exposed. | 3 | card_with_expiry;name_card | ",
    "Force a password reset for every exposed account, revoke sessions and refresh tokens, and enforce MFA, for an estimated 2 people whose records hold username or e-mail with password or password hash. | 2 | account_login | ",
    "Tell the account holders to change the password wherever they reused it, for an estimated 2 people whose records hold username or e-mail with password or password hash. | 2 | account_login | ",
    "Notify the health plans and insurers whose member or Medicare identifiers were exposed; request new Medicare numbers from CMS where misuse is suspected, for an estimated 1 person with health information exposed. | 1 | health | ",
    "Tell affected people to review explanation-of-benefits statements and medical records for care they did not receive, for an estimated 1 person with health information exposed. | 1 | health | ",
    "Stop using date of birth as an identity check for the affected people, for at least 8 people whose personal data was exposed. | 8 | personal;name_dob | ",
    "Ask or force users to change their passwords, prioritising privileged accounts, for 2 password hashes found in 1 file. | 2 | credential | ",
    "Check the hash parameters meet current guidance (work factor, memory cost), for 2 password hashes found in 1 file. | 2 | credential | ",
    "Enforce multi-factor authentication, for 2 password hashes found in 1 file. | 2 | credential | ",
    "Force password resets and invalidate sessions and refresh tokens for exposed accounts, for an estimated 2 people whose password or login was exposed. | 2 | credential | ",
    "Review provider audit logs for use of each credential since the exposure date; enforce MFA, for an estimated 2 people whose password or login was exposed. | 2 | credential | ",
    "Revoke or rotate every exposed key and token at its provider (deactivate, then delete and replace), for an estimated 2 people whose password or login was exposed. | 2 | credential | ",
    "Tighten inbound mail filtering and watch for look-alike domains, for an estimated 7 people whose e-mail address or phone number was exposed. | 7 | contact | ",
    "Warn affected people about phishing and text-message scams that refer to the breach, for an estimated 7 people whose e-mail address or phone number was exposed. | 7 | contact | ",
    "Watch authentication logs for credential stuffing against the exposed accounts, for 2 usernames found in 1 file. | 2 | credential | ",
    "Where the password was exposed too, force a reset and change the username if it is reused as a login elsewhere, for 2 usernames found in 1 file. | 2 | credential | ",
];

#[test]
fn impact_by_group_counts_each_top_level_folder_apart() {
    let (_dir, out) = scan_people_share(&[]);
    let rows = read_csv(&out.join("impact_by_group.csv"));
    assert_eq!(rows[0][..3], ["group", "data_class", "severity"]);
    assert_eq!(rows[0][9..], ["records", "individuals"]);
    let cells: Vec<String> = rows[1..]
        .iter()
        .map(|r| format!("{} {} {} {} {}", r[0], r[1], r[3], r[9], r[10]))
        .collect();
    assert_eq!(cells, EXPECTED_GROUPS, "{cells:#?}");
}

/// group, class, findings, records, individuals.
const EXPECTED_GROUPS: &[&str] = &[
    "accounts credential 4 2 2",
    "accounts contact 2 2 2",
    "clinic health 2 1 1",
    "clinic personal 2 1 1",
    "crm personal 4 3 3",
    "crm contact 4 3 3",
    "finance financial 7 3 3",
    "finance government_id 1 1 1",
    "finance contact 2 2 2",
    "finance personal 3 3 3",
    "hr government_id 3 3 3",
    "hr personal 6 3 3",
    "hr contact 6 3 3",
    "mail government_id 2 2 2",
    "mail contact 2 2 2",
    "mail personal 2 2 2",
    "notes government_id 1 1 1",
    "notes personal 4 2 2",
];

#[test]
fn rules_check_refuses_combinations_and_people_roles_that_name_unknown_elements() {
    let dir = tempfile::tempdir().expect("tempdir");
    let patterns = dir.path().join("patterns");
    fs::create_dir(&patterns).expect("dir");
    fs::write(
        patterns.join("impact-extra.toml"),
        r#"[people]
linking = ["loyalty_card_number"]

[[combination]]
id = "name_pet"
name = "Name with the pet's name"
requires = [["person_name"], ["pet_name"]]
severity = "low"
regulations = [{ text = "none", source = "" }]
"#,
    )
    .expect("write");
    let output = breachscope()
        .args(["rules", "check", "--patterns"])
        .arg(&patterns)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    for expected in [
        "combination name_pet",
        "names unknown element `pet_name`",
        "`none` has no source",
        "names unknown element `loyalty_card_number`",
    ] {
        assert!(text.contains(expected), "{expected} missing in:\n{text}");
    }
}

/// A person with more identifiers than individuals.csv lists shows the six strongest (the name
/// first, then primary, then linking ones) and how many more there are. Masked e-mails keep
/// only the domain, so the six addresses have six domains.
#[test]
fn individuals_list_six_identifiers_and_count_the_rest() {
    let (dir, share) = new_share();
    fs::write(
        share.join("contacts.csv"),
        "full_name,ssn,email,email2,email3,email4,email5,email6\n\
         Jane Roe,536-22-5487,jane.roe@example.com,j.roe@example.org,jroe@example.net,\
         jane@roe.example.com,roe.jane@mail.example.com,jr@corp.example.org\n",
    )
    .expect("write share");
    let out = dir.path().join("report");
    let output = scan(&share, &out, &[]);
    assert!(output.status.success(), "scan failed: {}", stderr(&output));
    let individuals = read_csv(&out.join("individuals.csv"));
    assert_eq!(individuals.len(), 2, "{individuals:?}");
    let listed: Vec<&str> = individuals[1][1].split("; ").collect();
    assert_eq!(listed.len(), 7, "{listed:?}");
    assert!(listed[0].starts_with("person_name "), "{listed:?}");
    assert!(listed[1].starts_with("us_ssn "), "{listed:?}");
    assert!(
        listed[2..6].iter().all(|l| l.starts_with("email ")),
        "{listed:?}"
    );
    assert_eq!(listed[6], "(+2 more)");
    assert_eq!(individuals[1][3], "1");
    assert_eq!(individuals[1][4], "1");
}
