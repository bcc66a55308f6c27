//! Person names as identifiers: one normal form, so `ROE, Jane A.` and `Jane Roe` match.

use crate::detect::validators::{ascii_alphanumeric_core, is_ascii_text_space};

/// Titles and suffixes that say nothing about who someone is.
const NOISE_WORDS: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "herr", "frau", "sr", "jr",
    "ii", "iii", "iv", "phd", "md", "esq",
];

/// The normal form of a person's name: lower case, titles and suffixes dropped, `Last, First`
/// turned round, middle names and initials dropped, so it is `first last`. None when fewer than
/// two name words remain.
pub fn normalize_person_name(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.is_ascii() {
        return ascii_person_name(raw);
    }
    unicode_person_name(raw)
}

/// `normalize_person_name` of any text: the reference the ASCII form must equal.
fn unicode_person_name(raw: &[u8]) -> Option<Vec<u8>> {
    let text = String::from_utf8_lossy(raw);
    let text = text.trim();
    // `Roe, Jane` (one comma, name words on both sides) is family name first.
    let ordered = match text.split_once(',') {
        Some((family, given)) if !given.contains(',') && !given.trim().is_empty() => {
            format!("{} {}", given.trim(), family.trim())
        }
        _ => text.to_string(),
    };
    let words: Vec<String> = ordered
        .split(|c: char| c.is_whitespace() || c == '.' || c == ',')
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty() && !NOISE_WORDS.contains(&w.as_str()))
        .collect();
    // Initials are middle names here unless they are all there is.
    let full: Vec<&String> = words.iter().filter(|w| w.chars().count() > 1).collect();
    let (first, last) = match full.as_slice() {
        [first, .., last] => (*first, *last),
        _ => return None,
    };
    Some(format!("{first} {last}").into_bytes())
}

/// `normalize_person_name` of ASCII text, with no allocation but the result's (it runs for
/// every name found, and for every row of a table with first-name and last-name columns).
fn ascii_person_name(raw: &[u8]) -> Option<Vec<u8>> {
    let text = &raw[..raw.len()
        - raw
            .iter()
            .rev()
            .take_while(|&&b| is_ascii_text_space(b))
            .count()];
    let text = &text[text.iter().take_while(|&&b| is_ascii_text_space(b)).count()..];
    // `Roe, Jane` (one comma, name words on both sides) is family name first.
    let (first_part, second_part): (&[u8], &[u8]) = match memchr::memchr(b',', text) {
        Some(comma)
            if !text[comma + 1..].contains(&b',')
                && text[comma + 1..].iter().any(|&b| !is_ascii_text_space(b)) =>
        {
            (&text[comma + 1..], &text[..comma])
        }
        _ => (text, &[]),
    };
    let mut first: Option<&[u8]> = None;
    let mut last: Option<&[u8]> = None;
    let pieces = first_part
        .split(|&b| is_ascii_text_space(b) || b == b'.' || b == b',')
        .chain(second_part.split(|&b| is_ascii_text_space(b) || b == b'.' || b == b','));
    for word in pieces.filter_map(ascii_alphanumeric_core) {
        // Initials are middle names here unless they are all there is.
        if word.len() < 2
            || NOISE_WORDS
                .iter()
                .any(|noise| word.eq_ignore_ascii_case(noise.as_bytes()))
        {
            continue;
        }
        if first.is_none() {
            first = Some(word);
        } else {
            last = Some(word);
        }
    }
    let (first, last) = (first?, last?);
    let mut name = Vec::with_capacity(first.len() + 1 + last.len());
    name.extend(first.iter().map(u8::to_ascii_lowercase));
    name.push(b' ');
    name.extend(last.iter().map(u8::to_ascii_lowercase));
    Some(name)
}

/// The normal form of a name given in two parts (first-name and last-name columns).
pub fn normalize_name_parts(given: &[u8], family: &[u8]) -> Option<Vec<u8>> {
    let mut on_stack = [0u8; 128];
    let joined_len = given.len() + 1 + family.len();
    if let Some(joined) = on_stack.get_mut(..joined_len) {
        joined[..given.len()].copy_from_slice(given);
        joined[given.len()] = b' ';
        joined[given.len() + 1..].copy_from_slice(family);
        return normalize_person_name(joined);
    }
    let mut joined = given.to_vec();
    joined.push(b' ');
    joined.extend_from_slice(family);
    normalize_person_name(&joined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn norm(text: &str) -> Option<String> {
        normalize_person_name(text.as_bytes()).map(|v| String::from_utf8(v).unwrap_or_default())
    }

    #[test]
    fn one_form_for_common_spellings() {
        assert_eq!(norm("Jane Roe").as_deref(), Some("jane roe"));
        assert_eq!(norm("  JANE   ROE ").as_deref(), Some("jane roe"));
        assert_eq!(norm("Roe, Jane").as_deref(), Some("jane roe"));
        assert_eq!(norm("Dr. Jane A. Roe Jr.").as_deref(), Some("jane roe"));
        assert_eq!(norm("Jane Alice Roe").as_deref(), Some("jane roe"));
        assert_eq!(norm("José Núñez").as_deref(), Some("josé núñez"));
        assert_eq!(norm("Mary-Ann O'Neil").as_deref(), Some("mary-ann o'neil"));
        assert_eq!(
            normalize_name_parts(b"Jane", b"Roe").as_deref(),
            Some(&b"jane roe"[..])
        );
    }

    /// Words that exercise every branch: noise words in any case, initials, commas, dots,
    /// apostrophes and every kind of ASCII space.
    fn name_like() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[A-Za-z]{1,6}",
            Just("Mr".to_string()),
            Just("DR.".to_string()),
            Just("jr".to_string()),
            Just("PhD".to_string()),
            "[A-Z]\\.",
            "[ ,.'\t\n\r\x0b\x0c-]{1,3}",
            "[!-~]",
        ];
        proptest::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn the_ascii_form_equals_the_reference(text in name_like()) {
            prop_assert_eq!(
                ascii_person_name(text.as_bytes()),
                unicode_person_name(text.as_bytes())
            );
        }

        #[test]
        fn name_parts_join_as_one_name(given in name_like(), family in name_like()) {
            prop_assert_eq!(
                normalize_name_parts(given.as_bytes(), family.as_bytes()),
                unicode_person_name(format!("{given} {family}").as_bytes())
            );
        }
    }

    #[test]
    fn a_single_word_is_no_full_name() {
        assert_eq!(norm("Jane"), None);
        assert_eq!(norm("Mr. Roe"), None);
        assert_eq!(norm(""), None);
    }
}
