//! Pure checks for numbers that carry a checksum or follow issuing rules (Luhn, card issuer
//! ranges, SSA, ITIN, IBAN mod-97, ABA routing, NPI, Medicare MBI, calendar dates) and the
//! normal forms of addresses.

/// Luhn (mod 10) over ASCII digits; false for anything else or fewer than two digits.
pub fn luhn(digits: &[u8]) -> bool {
    if digits.len() < 2 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut sum = 0u32;
    for (i, &b) in digits.iter().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// Card brands with the issuer ranges and lengths they use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardBrand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Jcb,
    Diners,
    UnionPay,
    Maestro,
}

impl CardBrand {
    pub fn as_str(self) -> &'static str {
        match self {
            CardBrand::Visa => "Visa",
            CardBrand::Mastercard => "Mastercard",
            CardBrand::Amex => "Amex",
            CardBrand::Discover => "Discover",
            CardBrand::Jcb => "JCB",
            CardBrand::Diners => "Diners",
            CardBrand::UnionPay => "UnionPay",
            CardBrand::Maestro => "Maestro",
        }
    }

    /// The label for a documented test number of this brand.
    pub fn test_label(self) -> &'static str {
        match self {
            CardBrand::Visa => "Visa test number",
            CardBrand::Mastercard => "Mastercard test number",
            CardBrand::Amex => "Amex test number",
            CardBrand::Discover => "Discover test number",
            CardBrand::Jcb => "JCB test number",
            CardBrand::Diners => "Diners test number",
            CardBrand::UnionPay => "UnionPay test number",
            CardBrand::Maestro => "Maestro test number",
        }
    }
}

fn prefix_number(digits: &[u8], len: usize) -> u32 {
    digits
        .iter()
        .take(len)
        .fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0'))
}

/// The brand whose issuer range and length fit `digits`, if any. Ranges follow the brands'
/// published IIN tables; the more specific range wins where two overlap.
pub fn card_brand(digits: &[u8]) -> Option<CardBrand> {
    if digits.len() < 12 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let len = digits.len();
    let p2 = prefix_number(digits, 2);
    let p3 = prefix_number(digits, 3);
    let p4 = prefix_number(digits, 4);
    let p6 = prefix_number(digits, 6);
    if p2 == 34 || p2 == 37 {
        (len == 15).then_some(CardBrand::Amex)
    } else if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) {
        (len == 16).then_some(CardBrand::Mastercard)
    } else if [5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763].contains(&p4) {
        (13..=19).contains(&len).then_some(CardBrand::Maestro)
    } else if p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || (622126..=622925).contains(&p6)
    {
        (16..=19).contains(&len).then_some(CardBrand::Discover)
    } else if p2 == 62 {
        (16..=19).contains(&len).then_some(CardBrand::UnionPay)
    } else if (3528..=3589).contains(&p4) {
        (16..=19).contains(&len).then_some(CardBrand::Jcb)
    } else if (300..=305).contains(&p3) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39 {
        (14..=19).contains(&len).then_some(CardBrand::Diners)
    } else if digits[0] == b'4' {
        matches!(len, 13 | 16 | 19).then_some(CardBrand::Visa)
    } else {
        None
    }
}

/// True when every digit is the same or the digits count up or down (`1234567890123456`):
/// keyboard filler, never an issued number.
pub fn is_filler_digits(digits: &[u8]) -> bool {
    let Some(&first) = digits.first() else {
        return true;
    };
    if !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if digits.iter().all(|&b| b == first) {
        return true;
    }
    let ascending = digits
        .windows(2)
        .all(|w| (w[0] - b'0' + 1) % 10 == w[1] - b'0');
    let descending = digits
        .windows(2)
        .all(|w| (w[1] - b'0' + 1) % 10 == w[0] - b'0');
    ascending || descending
}

/// SSA rules for a 9-digit SSN: area not 000, 666 or 900-999; group not 00; serial not 0000;
/// and not one of the numbers the SSA lists as invalid because they were published.
pub fn ssa_valid(digits: &[u8]) -> bool {
    if digits.len() != 9 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let area = prefix_number(digits, 3);
    let group = prefix_number(&digits[3..], 2);
    let serial = prefix_number(&digits[5..], 4);
    if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
        return false;
    }
    // Published on wallet inserts and in advertising (SSA "Misuse of the SSN" list), plus the
    // canonical filler numbers.
    const PUBLISHED: &[&[u8]] = &[
        b"078051120",
        b"219099999",
        b"123456789",
        b"111111111",
        b"333333333",
        b"457555462",
    ];
    !PUBLISHED.contains(&digits) && !is_filler_digits(digits)
}

/// IBAN lengths by country (SWIFT IBAN registry).
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NL", 18),
    (b"NO", 15),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"SA", 24),
    (b"SC", 31),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
];

/// Expected IBAN length for a country code.
pub fn iban_length(country: &[u8]) -> Option<usize> {
    IBAN_LENGTHS
        .iter()
        .find(|(cc, _)| cc.as_slice() == country)
        .map(|(_, len)| *len)
}

/// ISO 13616 check: known country, its exact length, check digits 02-98, mod 97 == 1.
/// `iban` is compact and upper-case.
pub fn iban_valid(iban: &[u8]) -> bool {
    if iban.len() < 15 || !iban.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    if !iban[..2].iter().all(u8::is_ascii_uppercase) || !iban[2..4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    if iban_length(&iban[..2]) != Some(iban.len()) {
        return false;
    }
    let check = prefix_number(&iban[2..], 2);
    if !(2..=98).contains(&check) {
        return false;
    }
    let mut remainder = 0u32;
    for &b in iban[4..].iter().chain(&iban[..4]) {
        let value = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

/// ABA routing number: 9 digits, weights 3-7-1, valid Federal Reserve prefix.
pub fn aba_valid(digits: &[u8]) -> bool {
    if digits.len() != 9 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let prefix = prefix_number(digits, 2);
    let prefix_ok = matches!(prefix, 0..=12 | 21..=32 | 61..=72 | 80);
    let weights = [3u32, 7, 1, 3, 7, 1, 3, 7, 1];
    let sum: u32 = digits
        .iter()
        .zip(weights)
        .map(|(&b, w)| u32::from(b - b'0') * w)
        .sum();
    prefix_ok && sum.is_multiple_of(10) && !is_filler_digits(digits)
}

/// IRS ITIN: 9 digits, area 9XX, group 50-65, 70-88, 90-92 or 94-99 (IRS ITIN ranges), serial
/// not 0000.
pub fn itin_valid(digits: &[u8]) -> bool {
    if digits.len() != 9 || !digits.iter().all(u8::is_ascii_digit) || digits[0] != b'9' {
        return false;
    }
    let group = prefix_number(&digits[3..], 2);
    let group_ok = matches!(group, 50..=65 | 70..=88 | 90..=92 | 94..=99);
    group_ok && prefix_number(&digits[5..], 4) != 0 && !is_filler_digits(digits)
}

/// NPI: 10 digits starting 1 or 2 whose Luhn check holds over the `80840` prefix (CMS NPI
/// check digit, ISO 7812 issuer prefix for US health).
pub fn npi_valid(digits: &[u8]) -> bool {
    if digits.len() != 10 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if !matches!(digits[0], b'1' | b'2') || is_filler_digits(digits) {
        return false;
    }
    let mut prefixed = *b"80840__________";
    prefixed[5..].copy_from_slice(digits);
    luhn(&prefixed)
}

/// The example MBI that CMS prints in its own format specification.
const MBI_EXAMPLES: &[&[u8]] = &[b"1EG4TE5MK73"];

/// Medicare Beneficiary Identifier (CMS format): 11 characters, compact and upper case.
/// Positions: 1 digit 1-9; 2, 5, 8, 9 letter; 3, 6 letter or digit; 4, 7, 10, 11 digit. Letters
/// never S, L, O, I, B or Z.
pub fn mbi_valid(value: &[u8]) -> bool {
    if value.len() != 11 || MBI_EXAMPLES.contains(&value) {
        return false;
    }
    let letter = |b: u8| b.is_ascii_uppercase() && !b"SLOIBZ".contains(&b);
    let ok = |i: usize, b: u8| match i {
        0 => (b'1'..=b'9').contains(&b),
        1 | 4 | 7 | 8 => letter(b),
        2 | 5 => letter(b) || b.is_ascii_digit(),
        _ => b.is_ascii_digit(),
    };
    value.iter().enumerate().all(|(i, &b)| ok(i, b))
}

/// A card expiry date (`MM/YY`, `M/YY`, `MM-YYYY`, `YYYY-MM`) as `YYYY-MM`; None for a month
/// outside 1-12 or any other shape.
pub fn normalize_card_expiry(raw: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(raw).ok()?.trim();
    let (a, b) = text.split_once(['/', '-'])?;
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(a) || !all_digits(b) {
        return None;
    }
    let (year, month) = if a.len() == 4 { (a, b) } else { (b, a) };
    let month: u32 = month.parse().ok()?;
    let year: u32 = match year.len() {
        2 => 2000 + year.parse::<u32>().ok()?,
        4 => year.parse().ok()?,
        _ => return None,
    };
    ((1..=12).contains(&month) && (2000..=2099).contains(&year))
        .then(|| format!("{year:04}-{month:02}").into_bytes())
}

/// Street-address words and the word they abbreviate (USPS Publication 28, Appendix C).
const ADDRESS_WORDS: &[(&str, &str)] = &[
    ("st", "street"),
    ("str", "street"),
    ("ave", "avenue"),
    ("av", "avenue"),
    ("rd", "road"),
    ("blvd", "boulevard"),
    ("ln", "lane"),
    ("dr", "drive"),
    ("ct", "court"),
    ("pl", "place"),
    ("ter", "terrace"),
    ("pkwy", "parkway"),
    ("hwy", "highway"),
    ("cir", "circle"),
    ("sq", "square"),
    ("trl", "trail"),
    ("apt", "apartment"),
    ("ste", "suite"),
    ("fl", "floor"),
    ("n", "north"),
    ("s", "south"),
    ("e", "east"),
    ("w", "west"),
    ("ne", "northeast"),
    ("nw", "northwest"),
    ("se", "southeast"),
    ("sw", "southwest"),
];

/// The normal form of a postal address: lower case, punctuation (but `-` and `/`) dropped,
/// spaces collapsed, street types, units and directions spelled out, so `12 Main St., Apt 4`
/// and `12 main street apartment 4` fingerprint the same.
pub fn normalize_address(raw: &[u8]) -> Vec<u8> {
    if raw.is_ascii() {
        return ascii_address(raw);
    }
    unicode_address(raw)
}

/// Whether an ASCII byte is a space as `char::is_whitespace` has it: tab, line feed, vertical
/// tab, form feed, carriage return and space (`u8::is_ascii_whitespace` leaves out the vertical
/// tab). The ASCII forms of the normalisers split where their Unicode forms do.
pub fn is_ascii_text_space(b: u8) -> bool {
    b == b' ' || (b'\t'..=b'\r').contains(&b)
}

/// `piece` without the non-alphanumeric bytes at its ends (`str::trim_matches` with
/// `!char::is_alphanumeric`, for ASCII), or None when nothing is left.
pub fn ascii_alphanumeric_core(piece: &[u8]) -> Option<&[u8]> {
    let start = piece.iter().position(u8::is_ascii_alphanumeric)?;
    let end = piece.iter().rposition(u8::is_ascii_alphanumeric)?;
    Some(&piece[start..=end])
}

/// `normalize_address` of ASCII text, in one allocation (it runs for every address found).
fn ascii_address(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 16);
    let pieces = raw.split(|&b| is_ascii_text_space(b) || b == b',' || b == b'#');
    for word in pieces.filter_map(ascii_alphanumeric_core) {
        if !out.is_empty() {
            out.push(b' ');
        }
        let start = out.len();
        out.extend(
            word.iter()
                .filter(|&&b| b != b'.')
                .map(u8::to_ascii_lowercase),
        );
        if let Some((_, long)) = ADDRESS_WORDS
            .iter()
            .find(|(short, _)| short.as_bytes() == &out[start..])
        {
            out.truncate(start);
            out.extend_from_slice(long.as_bytes());
        }
    }
    out
}

/// `normalize_address` of any text: the reference the ASCII form must equal.
fn unicode_address(raw: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw).to_lowercase();
    let mut out = String::with_capacity(text.len() + 16);
    for word in text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '#')
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        let word: String = word.chars().filter(|c| *c != '.').collect();
        match ADDRESS_WORDS.iter().find(|(short, _)| *short == word) {
            Some((_, long)) => out.push_str(long),
            None => out.push_str(&word),
        }
    }
    out.into_bytes()
}

/// A calendar date that a living person could be born on: year 1900..=2026, real month/day.
pub fn plausible_birth_date(year: u32, month: u32, day: u32) -> bool {
    if !(1900..=2026).contains(&year) || !(1..=12).contains(&month) || day == 0 {
        return false;
    }
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    day <= days
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn luhn_accepts_known_valid_and_rejects_off_by_one() {
        assert!(luhn(b"4539578763621486"));
        assert!(!luhn(b"4539578763621487"));
        assert!(luhn(b"378282246310005"));
        assert!(!luhn(b"1"));
        assert!(!luhn(b"45395787636214a6"));
    }

    #[test]
    fn brands_follow_issuer_ranges_and_lengths() {
        assert_eq!(card_brand(b"4539578763621486"), Some(CardBrand::Visa));
        assert_eq!(card_brand(b"2221000000000009"), Some(CardBrand::Mastercard));
        assert_eq!(card_brand(b"2721000000000004"), None);
        assert_eq!(card_brand(b"5105105105105100"), Some(CardBrand::Mastercard));
        assert_eq!(card_brand(b"378282246310005"), Some(CardBrand::Amex));
        assert_eq!(card_brand(b"37828224631000"), None);
        assert_eq!(card_brand(b"6011000990139424"), Some(CardBrand::Discover));
        assert_eq!(card_brand(b"3530111333300000"), Some(CardBrand::Jcb));
        assert_eq!(card_brand(b"30569309025904"), Some(CardBrand::Diners));
        assert_eq!(card_brand(b"6200000000000005"), Some(CardBrand::UnionPay));
        assert_eq!(card_brand(b"6759649826438453"), Some(CardBrand::Maestro));
        assert_eq!(card_brand(b"1234567812345670"), None);
        assert_eq!(
            card_brand(b"453957876362148"),
            None,
            "15-digit Visa does not exist"
        );
    }

    #[test]
    fn ssa_rules() {
        assert!(ssa_valid(b"536225487"));
        for bad in [
            &b"000123456"[..],
            b"666123456",
            b"900123456",
            b"999123456",
            b"123001234",
            b"123450000",
        ] {
            assert!(!ssa_valid(bad), "{}", String::from_utf8_lossy(bad));
        }
        assert!(!ssa_valid(b"078051120"));
        assert!(!ssa_valid(b"123456789"));
        assert!(!ssa_valid(b"12345678"));
    }

    #[test]
    fn iban_mod97() {
        assert!(iban_valid(b"DE89370400440532013000"));
        assert!(iban_valid(b"GB82WEST12345698765432"));
        assert!(!iban_valid(b"DE89370400440532013001"));
        assert!(!iban_valid(b"DE8937040044053201300"), "wrong length");
        assert!(!iban_valid(b"XX89370400440532013000"), "unknown country");
    }

    #[test]
    fn aba_checksum() {
        assert!(aba_valid(b"011000015"));
        assert!(aba_valid(b"021000021"));
        assert!(!aba_valid(b"021000022"));
        assert!(!aba_valid(b"991000021"), "no such Federal Reserve prefix");
    }

    #[test]
    fn itin_ranges() {
        assert!(itin_valid(b"912701234"));
        assert!(itin_valid(b"900501234"));
        assert!(itin_valid(b"999991234"));
        assert!(!itin_valid(b"912661234"), "66-69 are not ITIN groups");
        assert!(!itin_valid(b"912891234"), "89 is not an ITIN group");
        assert!(!itin_valid(b"912931234"), "93 is not an ITIN group");
        assert!(!itin_valid(b"812701234"), "ITINs begin with 9");
        assert!(!itin_valid(b"912700000"));
        assert!(!itin_valid(b"91270123"));
        assert!(!ssa_valid(b"912701234"), "an ITIN is never an SSN");
    }

    #[test]
    fn npi_check_digit() {
        // CMS's worked example: 123456789 with check digit 3.
        assert!(npi_valid(b"1234567893"));
        assert!(npi_valid(b"1245319599"));
        assert!(!npi_valid(b"1234567890"));
        assert!(!npi_valid(b"3234567893"), "NPIs begin with 1 or 2");
        assert!(!npi_valid(b"123456789"));
        assert!(!npi_valid(b"12345678a3"));
    }

    #[test]
    fn mbi_format() {
        assert!(mbi_valid(b"2DF7HJ3KM42"));
        assert!(mbi_valid(b"9A07C00TT11"));
        assert!(
            !mbi_valid(b"1EG4TE5MK73"),
            "the CMS example is no one's MBI"
        );
        assert!(!mbi_valid(b"0DF7HJ3KM42"), "first digit 1-9");
        assert!(!mbi_valid(b"2SF7HJ3KM42"), "S is never used");
        assert!(!mbi_valid(b"2DF73J3KM42"), "position 5 is a letter");
        assert!(!mbi_valid(b"2DF7HJ3KM4"));
        assert!(!mbi_valid(b"2df7hj3km42"), "compact upper case only");
    }

    #[test]
    fn card_expiry_forms() {
        let form = |s: &str| normalize_card_expiry(s.as_bytes());
        assert_eq!(form("11/27"), Some(b"2027-11".to_vec()));
        assert_eq!(form("3/2029"), Some(b"2029-03".to_vec()));
        assert_eq!(form("2028-09"), Some(b"2028-09".to_vec()));
        assert_eq!(form("13/27"), None);
        assert_eq!(form("11/2"), None);
        assert_eq!(form("soon"), None);
    }

    #[test]
    fn addresses_have_one_form() {
        let a = normalize_address(b"1234  Elm St., Apt #4B, Springfield, IL 62704");
        let b = normalize_address(b"1234 elm street apartment 4b springfield il 62704");
        assert_eq!(a, b);
        assert_eq!(
            normalize_address(b"77 N. Oak Blvd"),
            b"77 north oak boulevard".to_vec()
        );
        assert_eq!(normalize_address(b"  "), Vec::<u8>::new());
    }

    #[test]
    fn birth_dates() {
        assert!(plausible_birth_date(1984, 2, 29));
        assert!(!plausible_birth_date(1985, 2, 29));
        assert!(!plausible_birth_date(1850, 1, 1));
        assert!(!plausible_birth_date(1990, 13, 1));
    }

    fn with_luhn_digit(body: &[u8]) -> Vec<u8> {
        (b'0'..=b'9')
            .map(|d| {
                let mut v = body.to_vec();
                v.push(d);
                v
            })
            .find(|v| luhn(v))
            .unwrap_or_default()
    }

    proptest! {
        #[test]
        fn exactly_one_check_digit_completes_luhn(body in proptest::collection::vec(b'0'..=b'9', 11..18)) {
            let valid = (b'0'..=b'9').filter(|&d| { let mut v = body.clone(); v.push(d); luhn(&v) }).count();
            prop_assert_eq!(valid, 1);
        }

        #[test]
        fn changing_one_digit_breaks_luhn(body in proptest::collection::vec(b'0'..=b'9', 12..18), pos in 0usize..12, delta in 1u8..10) {
            let card = with_luhn_digit(&body);
            let mut broken = card.clone();
            broken[pos] = b'0' + (broken[pos] - b'0' + delta) % 10;
            prop_assert!(luhn(&card));
            prop_assert!(!luhn(&broken));
        }

        #[test]
        fn ssa_area_rule(area in 0u32..1000, group in 1u32..100, serial in 1u32..10000) {
            let text = format!("{area:03}{group:02}{serial:04}");
            let expected_reject = area == 0 || area == 666 || area >= 900;
            if expected_reject {
                prop_assert!(!ssa_valid(text.as_bytes()));
            }
        }

        #[test]
        fn iban_single_digit_change_fails(pos in 4usize..22, delta in 1u8..10) {
            let mut iban = b"DE89370400440532013000".to_vec();
            iban[pos] = b'0' + (iban[pos] - b'0' + delta) % 10;
            prop_assert!(!iban_valid(&iban));
        }

        #[test]
        fn the_ascii_address_equals_the_reference(
            pieces in proptest::collection::vec(
                prop_oneof![
                    "[A-Za-z0-9]{1,6}",
                    Just("St.".to_string()),
                    Just("AVE".to_string()),
                    Just("p.kwy".to_string()),
                    "[ ,.#'\t\n\r\x0b\x0c-]{1,3}",
                    "[!-~]",
                ],
                0..8,
            )
        ) {
            let text = pieces.concat();
            prop_assert_eq!(ascii_address(text.as_bytes()), unicode_address(text.as_bytes()));
        }

        #[test]
        fn validators_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = luhn(&bytes);
            let _ = card_brand(&bytes);
            let _ = ssa_valid(&bytes);
            let _ = iban_valid(&bytes);
            let _ = aba_valid(&bytes);
            let _ = is_filler_digits(&bytes);
            let _ = itin_valid(&bytes);
            let _ = npi_valid(&bytes);
            let _ = mbi_valid(&bytes);
            let _ = normalize_address(&bytes);
            let _ = normalize_card_expiry(&bytes);
        }
    }
}
