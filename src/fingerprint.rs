//! Keyed fingerprints and masking of normalised values; raw values go no further than here.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::detect::MaskStyle;

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 over the normalised value, truncated to 128 bits (reports show it as hex).
pub fn fingerprint(key: &[u8], normalized: &[u8]) -> [u8; 16] {
    Fingerprinter::new(key).fingerprint(normalized)
}

/// A key with its HMAC pads already hashed, so each fingerprint costs two compressions, not four.
#[derive(Clone)]
pub struct Fingerprinter {
    prepared: HmacSha256,
}

impl Fingerprinter {
    pub fn new(key: &[u8]) -> Self {
        Fingerprinter {
            prepared: keyed(key),
        }
    }

    pub fn fingerprint(&self, normalized: &[u8]) -> [u8; 16] {
        let mut mac = self.prepared.clone();
        mac.update(normalized);
        let mut out = [0u8; 16];
        out.copy_from_slice(&mac.finalize().into_bytes()[..16]);
        out
    }
}

fn keyed(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; an empty key is still a key (fingerprints then are plain
    // hashes, which is why the CLI never builds one).
    match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable_hmac(),
    }
}

#[cold]
fn unreachable_hmac() -> HmacSha256 {
    // `new_from_slice` for HMAC never fails (any key length is valid); keep a defined fallback.
    <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default())
}

/// An identifier for the key that reveals nothing about it: the keyed hash of a fixed label.
pub fn key_id(key: &[u8]) -> String {
    let mut mac = keyed(key);
    mac.update(b"breachscope fingerprint key id v1");
    hex::encode(&mac.finalize().into_bytes()[..8])
}

/// The masked form of a normalised value for reports. Runs once per finding, so it slices the
/// text instead of collecting characters (a test pins it to the plain character-vector form), and
/// joins its parts with `concat` (one exact allocation) rather than `format!`.
pub fn mask(style: MaskStyle, normalized: &[u8], label: Option<&str>) -> String {
    let text = String::from_utf8_lossy(normalized);
    let text: &str = &text;
    let count = text.chars().count();
    match style {
        MaskStyle::Card => {
            let mut out = String::with_capacity(text.len() + 24);
            if let Some(brand) = label {
                out.push_str(brand);
                out.push(' ');
            }
            push_stars(&mut out, count.saturating_sub(4));
            out.push_str(last_chars(text, 4));
            out
        }
        MaskStyle::Ssn => ["***-**-", last_chars(text, 4)].concat(),
        MaskStyle::Tail => {
            let keep = if count >= 8 { 4 } else { 0 };
            let mut out = String::with_capacity(text.len());
            for c in first_chars(text, count - keep).chars() {
                out.push(if c.is_ascii_alphanumeric() { '*' } else { c });
            }
            out.push_str(last_chars(text, keep));
            out
        }
        MaskStyle::Email => match text.rsplit_once('@') {
            Some((_, domain)) => ["***@", domain].concat(),
            None => "***".to_string(),
        },
        MaskStyle::Full => {
            if text.len() == 10 && text.as_bytes().get(4) == Some(&b'-') {
                "****-**-**".to_string()
            } else {
                "*".repeat(count.min(12))
            }
        }
        MaskStyle::Secret { keep_prefix } => {
            // A prefix that is most of the value would reveal it: keep it only on long values.
            let prefix = if count >= keep_prefix + 8 {
                first_chars(text, keep_prefix)
            } else {
                ""
            };
            let end = if count >= 16 { last_chars(text, 4) } else { "" };
            [prefix, "…", end].concat()
        }
        MaskStyle::Name => {
            let mut out = String::new();
            for initial in text
                .split_whitespace()
                .filter_map(|word| word.chars().next())
            {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.extend(initial.to_uppercase());
                out.push('.');
            }
            out
        }
    }
}

fn push_stars(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n('*', n));
}

/// The first `n` characters (all of them when there are fewer).
fn first_chars(text: &str, n: usize) -> &str {
    text.char_indices().nth(n).map_or(text, |(i, _)| &text[..i])
}

/// The last `n` characters (all of them when there are fewer).
fn last_chars(text: &str, n: usize) -> &str {
    if n == 0 {
        return "";
    }
    text.char_indices()
        .rev()
        .nth(n - 1)
        .map_or(text, |(i, _)| &text[i..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The earlier, character-vector form of `mask`: the reference the faster one must equal.
    fn mask_by_chars(style: MaskStyle, normalized: &[u8], label: Option<&str>) -> String {
        let text = String::from_utf8_lossy(normalized);
        let chars: Vec<char> = text.chars().collect();
        let tail = |n: usize| -> String { chars[chars.len().saturating_sub(n)..].iter().collect() };
        match style {
            MaskStyle::Card => {
                let stars = "*".repeat(chars.len().saturating_sub(4));
                match label {
                    Some(brand) => format!("{brand} {stars}{}", tail(4)),
                    None => format!("{stars}{}", tail(4)),
                }
            }
            MaskStyle::Ssn => format!("***-**-{}", tail(4)),
            MaskStyle::Tail => {
                let keep = if chars.len() >= 8 { 4 } else { 0 };
                let masked: String = chars[..chars.len() - keep]
                    .iter()
                    .map(|c| if c.is_ascii_alphanumeric() { '*' } else { *c })
                    .collect();
                format!("{masked}{}", tail(keep))
            }
            MaskStyle::Email => match text.rsplit_once('@') {
                Some((_, domain)) => format!("***@{domain}"),
                None => "***".to_string(),
            },
            MaskStyle::Full => {
                if text.len() == 10 && text.as_bytes().get(4) == Some(&b'-') {
                    "****-**-**".to_string()
                } else {
                    "*".repeat(chars.len().min(12))
                }
            }
            MaskStyle::Secret { keep_prefix } => {
                // A prefix that is most of the value would reveal it: keep it only on long values.
                let prefix: String = if chars.len() >= keep_prefix + 8 {
                    chars[..keep_prefix].iter().collect()
                } else {
                    String::new()
                };
                let end = if chars.len() >= 16 {
                    tail(4)
                } else {
                    String::new()
                };
                format!("{prefix}…{end}")
            }
            MaskStyle::Name => text
                .split_whitespace()
                .filter_map(|word| word.chars().next())
                .map(|initial| format!("{}.", initial.to_uppercase()))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    proptest! {
        #[test]
        fn mask_equals_the_character_vector_form(
            text in "[a-zA-Z0-9 @.+\\-_éßÅ€]{0,40}",
            brand in proptest::option::of("[A-Za-z]{1,8}"),
            keep_prefix in 0usize..8,
        ) {
            for style in [
                MaskStyle::Card,
                MaskStyle::Ssn,
                MaskStyle::Tail,
                MaskStyle::Email,
                MaskStyle::Full,
                MaskStyle::Secret { keep_prefix },
                MaskStyle::Name,
            ] {
                prop_assert_eq!(
                    mask(style, text.as_bytes(), brand.as_deref()),
                    mask_by_chars(style, text.as_bytes(), brand.as_deref())
                );
            }
        }
    }

    #[test]
    fn same_key_same_fingerprint_other_key_other() {
        let a = fingerprint(b"k1", b"536225487");
        assert_eq!(a, fingerprint(b"k1", b"536225487"));
        assert_ne!(a, fingerprint(b"k2", b"536225487"));
        assert_eq!(hex::encode(a).len(), 32);
        assert_eq!(Fingerprinter::new(b"k1").fingerprint(b"536225487"), a);
        assert_ne!(key_id(b"k1"), key_id(b"k2"));
    }

    #[test]
    fn masks_show_at_most_the_last_four() {
        assert_eq!(
            mask(MaskStyle::Card, b"4539578763621486", Some("Visa")),
            "Visa ************1486"
        );
        assert_eq!(mask(MaskStyle::Ssn, b"536225487", None), "***-**-5487");
        assert_eq!(mask(MaskStyle::Name, b"jane roe", None), "J. R.");
        assert_eq!(mask(MaskStyle::Name, "émile".as_bytes(), None), "É.");
        assert_eq!(
            mask(MaskStyle::Email, b"jane.doe@example.com", None),
            "***@example.com"
        );
        assert_eq!(mask(MaskStyle::Tail, b"+14155552671", None), "+*******2671");
        assert_eq!(
            mask(MaskStyle::Tail, b"DE89370400440532013000", None),
            "******************3000"
        );
        assert_eq!(mask(MaskStyle::Full, b"1985-03-14", None), "****-**-**");
        assert_eq!(
            mask(
                MaskStyle::Secret { keep_prefix: 4 },
                b"ghp_abcdefghijklmnopqrstuvwxyz0123456789",
                None
            ),
            "ghp_…6789"
        );
        assert_eq!(
            mask(MaskStyle::Secret { keep_prefix: 0 }, b"Summer2023!", None),
            "…"
        );
    }
}
