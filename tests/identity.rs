//! End-to-end tests of the identity and health detectors: tables whose columns `columns.toml`
//! maps (snake_case and Title Case headers), labelled fields in text, and decoys that look like
//! the real thing but are placeholders or fail a checksum. Every value is synthetic.

mod util;

use std::fs;

use util::*;

/// Snake-case headers; row 2 is a person, row 3 a decoy of placeholders and bad check digits.
const PEOPLE_CSV: &str = r#"full_name,first_name,last_name,ssn,date_of_birth,email,phone,card_number,exp_date,cvv,account_number,routing_number,dl_number,passport_number,itin,address,username,mrn,medicare_id,npi,diagnosis_code,password
Jane Roe,Jane,Roe,536-22-5487,1985-03-14,jane.roe@example.com,(415) 555-2671,4539578763621486,11/27,482,004417283960,081860913,D4417283,531287640,912-70-4831,"1847 Larkspur Ave, Springfield, IL 62704",jroe42,00417283,2DF7-HJ3-KM42,1544992070,E11.9,Xk9#mQ2vLp7!
John Doe,Test,Doe,078-05-1120,1990-13-01,test@localhost,555-12-345,4539578763621487,13/27,123,12345678,081860914,12345678,123456789,912-66-4831,123 Main Street,admin,12345678,1EG4-TE5-MK73,1544992071,pending,changeme
"#;

/// Title Case headers, tab-delimited, `FAMILY, Given` name order.
const PEOPLE_TSV: &str = "Full Name\tFirst Name\tLast Name\tSSN\tDate of Birth\tE-Mail\tPhone Number\tCard Number\tExpiry\tCVV\tAccount Number\tRouting Number\tDriver License Number\tPassport Number\tITIN\tStreet Address\tUser Name\tMRN\tMedicare Number\tNPI\tDiagnosis\tPassword\nROE, Omar\tOmar\tHaddad\t219-45-7731\t07/22/1979\tomar.haddad@acme-corp.com\t212-555-0187\t5555555555554444\t2029-03\t7391\t88412093\t023340187\tF255-921-50-094-0\tC03915862\t934781295\t77 N Oak Blvd Apt 4B\tohaddad\tA0091745\t5KJ2N74HN93\t2003761436\tM54.5\tTr0ub4dor&3x\n";

/// Labelled fields, one per line.
const NOTES: &str = r#"Name: Maria Garcia
First name: Maria
Last name: Garcia
Card: 4111111111111111 Exp: 03/29 CVV: 517
Account number: 7730194521
Routing number: 048263304
Driver's license: B4901752
Passport No: A60412375
ITIN: 955-94-1872
Ship to: 2210 Westmoreland Dr, Dayton, OH 45402.
username: mgarcia
MRN: MR4417290
Medicare ID: 4TP9-XR1-WQ86
NPI: 1817180023
Diagnosis: J45.909
"#;

/// Labelled decoys: placeholders, test values and failed checksums.
const DECOYS: &str = r#"Name: John Doe
Customer: Customer Service
First name: Test
Card: 4539578763621487 Exp: 13/29 CVV: 123
Account number: 12345678
Routing number: 081860914
Driver's license: 12345678
Passport No: 123456789
ITIN: 912-66-4831
Ship to: 123 Main Street, Anytown, CA 90210.
username: admin
user: ${USER}
MRN: 12345678
Medicare ID: 1EG4-TE5-MK73
NPI: 1544992071
Diagnosis: pending
Dear Valued Customer,
we met Jane Roe at 10:00 and talked about account 2023.
"#;

fn findings(files: &[(&str, &str)]) -> Vec<String> {
    let root = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        fs::write(root.path().join(name), text).expect("write");
    }
    let out = tempfile::tempdir().expect("tempdir");
    let report = out.path().join("report");
    let output = scan(root.path(), &report, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    read_csv(&report.join("findings.csv"))
        .into_iter()
        .skip(1)
        .map(|r| format!("{},{},{},{}", r[0], r[2], r[3], r[6]))
        .collect()
}

#[test]
fn mapped_columns_and_labelled_fields_give_exactly_these_findings() {
    let mut actual = findings(&[
        ("people.csv", PEOPLE_CSV),
        ("people-title.tsv", PEOPLE_TSV),
        ("notes.txt", NOTES),
    ]);
    actual.sort();
    let mut expected = vec![
        "notes.txt,1,person_name,M. G.",
        "notes.txt,2,given_name,M.",
        "notes.txt,3,family_name,G.",
        "notes.txt,4,payment_card,Visa test number ************1111",
        "notes.txt,4,card_expiry,*******",
        "notes.txt,4,card_security_code,***",
        "notes.txt,5,us_bank_account,******4521",
        "notes.txt,6,aba_routing,*****3304",
        "notes.txt,7,us_drivers_license,****1752",
        "notes.txt,8,us_passport,*****2375",
        "notes.txt,9,us_itin,***-**-1872",
        "notes.txt,10,postal_address,************",
        "notes.txt,11,username,*******",
        "notes.txt,12,medical_record_number,*****7290",
        "notes.txt,13,health_insurance_id,*******WQ86",
        "notes.txt,14,npi,******0023",
        "notes.txt,15,icd10_diagnosis,******",
        "people-title.tsv,2,person_name,O. R.",
        "people-title.tsv,2,given_name,O.",
        "people-title.tsv,2,family_name,H.",
        "people-title.tsv,2,us_ssn,***-**-7731",
        "people-title.tsv,2,date_of_birth,****-**-**",
        "people-title.tsv,2,email,***@acme-corp.com",
        "people-title.tsv,2,phone,'+*******0187",
        "people-title.tsv,2,payment_card,Mastercard test number ************4444",
        "people-title.tsv,2,card_expiry,*******",
        "people-title.tsv,2,card_security_code,****",
        "people-title.tsv,2,us_bank_account,****2093",
        "people-title.tsv,2,aba_routing,*****0187",
        "people-title.tsv,2,us_drivers_license,*********0940",
        "people-title.tsv,2,us_passport,*****5862",
        "people-title.tsv,2,us_itin,***-**-1295",
        "people-title.tsv,2,postal_address,************",
        "people-title.tsv,2,username,*******",
        "people-title.tsv,2,medical_record_number,****1745",
        "people-title.tsv,2,health_insurance_id,*******HN93",
        "people-title.tsv,2,npi,******1436",
        "people-title.tsv,2,icd10_diagnosis,****",
        "people-title.tsv,2,password_assignment,…",
        "people.csv,2,person_name,J. R.",
        "people.csv,2,given_name,J.",
        "people.csv,2,family_name,R.",
        "people.csv,2,us_ssn,***-**-5487",
        "people.csv,2,date_of_birth,****-**-**",
        "people.csv,2,email,***@example.com",
        "people.csv,2,phone,'+*******2671",
        "people.csv,2,payment_card,Visa ************1486",
        "people.csv,2,card_expiry,*******",
        "people.csv,2,card_security_code,***",
        "people.csv,2,us_bank_account,********3960",
        "people.csv,2,aba_routing,*****0913",
        "people.csv,2,us_drivers_license,****7283",
        "people.csv,2,us_passport,*****7640",
        "people.csv,2,us_itin,***-**-4831",
        "people.csv,2,postal_address,************",
        "people.csv,2,username,******",
        "people.csv,2,medical_record_number,****7283",
        "people.csv,2,health_insurance_id,*******KM42",
        "people.csv,2,npi,******2070",
        "people.csv,2,icd10_diagnosis,****",
        "people.csv,2,password_assignment,…",
    ];
    expected.sort();
    assert_eq!(actual, expected);
}

#[test]
fn decoy_rows_and_labels_yield_nothing() {
    let actual = findings(&[("people.csv", PEOPLE_CSV), ("decoys.txt", DECOYS)]);
    let decoys: Vec<&String> = actual
        .iter()
        .filter(|f| f.starts_with("decoys.txt") || f.starts_with("people.csv,3,"))
        .collect();
    assert!(decoys.is_empty(), "decoys reported: {decoys:?}");
}

#[test]
fn one_person_written_two_ways_has_one_name_fingerprint() {
    let root = tempfile::tempdir().expect("tempdir");
    fs::write(root.path().join("a.txt"), "Patient: ROE, Jane\n").expect("write");
    fs::write(
        root.path().join("b.csv"),
        "full_name,city\nJane Roe,Springfield\n",
    )
    .expect("write");
    let out = tempfile::tempdir().expect("tempdir");
    let report = out.path().join("report");
    scan(root.path(), &report, &[]);
    let prints: Vec<String> = read_csv(&report.join("findings.csv"))
        .into_iter()
        .filter(|r| r[3] == "person_name")
        .map(|r| r[7].clone())
        .collect();
    assert_eq!(prints.len(), 2, "{prints:?}");
    assert_eq!(prints[0], prints[1]);
}
