//! Person names as identifiers: one normal form, so `ROE, Jane A.` and `Jane Roe` match.

/// Titles and suffixes that say nothing about who someone is.
const NOISE_WORDS: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "herr", "frau", "sr", "jr",
    "ii", "iii", "iv", "phd", "md", "esq",
];

/// The normal form of a person's name: lower case, titles and suffixes dropped, `Last, First`
/// turned round, middle names and initials dropped, so it is `first last`. None when fewer than
/// two name words remain.
pub fn normalize_person_name(raw: &[u8]) -> Option<Vec<u8>> {
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

/// The normal form of a name given in two parts (first-name and last-name columns).
pub fn normalize_name_parts(given: &[u8], family: &[u8]) -> Option<Vec<u8>> {
    let mut joined = given.to_vec();
    joined.push(b' ');
    joined.extend_from_slice(family);
    normalize_person_name(&joined)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_single_word_is_no_full_name() {
        assert_eq!(norm("Jane"), None);
        assert_eq!(norm("Mr. Roe"), None);
        assert_eq!(norm(""), None);
    }
}
