//! Keyed fingerprints and masking of normalised values; raw values go no further than here.

use sha2::digest::generic_array::GenericArray;
use sha2::{Digest, Sha256};

use crate::detect::MaskStyle;

/// HMAC-SHA256 over the normalised value, truncated to 128 bits (reports show it as hex).
pub fn fingerprint(key: &[u8], normalized: &[u8]) -> [u8; 16] {
    Fingerprinter::new(key).fingerprint(normalized)
}

/// SHA-256's block, in bytes.
const BLOCK: usize = 64;

/// SHA-256's starting state.
const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// HMAC-SHA256 under one key, its two padded key blocks already hashed. Written on SHA-256's
/// compression function, because it runs once per finding (6.9 million on the 1 GiB bench
/// share): a short value costs two compressions and nothing else, where the `hmac` crate's
/// state (two hashers and their block buffers) was copied and padded anew for each value. A
/// test holds it to the `hmac` crate on keys and values of every length around a block.
#[derive(Clone)]
pub struct Fingerprinter {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl Fingerprinter {
    pub fn new(key: &[u8]) -> Self {
        // RFC 2104: a key longer than a block is hashed first; a shorter one is zero-padded.
        let mut padded = [0u8; BLOCK];
        if key.len() > BLOCK {
            padded[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            padded[..key.len()].copy_from_slice(key);
        }
        let keyed = |pad: u8| {
            let mut state = SHA256_IV;
            let block = padded.map(|b| b ^ pad);
            compress(&mut state, &block);
            state
        };
        Fingerprinter {
            inner: keyed(0x36),
            outer: keyed(0x5c),
        }
    }

    pub fn fingerprint(&self, normalized: &[u8]) -> [u8; 16] {
        let mac = self.mac(normalized);
        let mut out = [0u8; 16];
        out.copy_from_slice(&mac[..16]);
        out
    }

    /// The whole HMAC-SHA256 of `message`.
    fn mac(&self, message: &[u8]) -> [u8; 32] {
        let inner = finish(self.inner, BLOCK as u64, message);
        finish(self.outer, BLOCK as u64, &inner)
    }
}

/// SHA-256 of a message whose first `before` bytes (whole blocks) left `state`, given the rest.
fn finish(mut state: [u32; 8], before: u64, rest: &[u8]) -> [u8; 32] {
    let mut blocks = rest.chunks_exact(BLOCK);
    for block in blocks.by_ref() {
        compress(&mut state, block);
    }
    let tail = blocks.remainder();
    let bits = (before + rest.len() as u64).wrapping_mul(8);
    // The tail, the 0x80 marker and the 8-byte length fit one block, or spill into a second.
    let mut last = [0u8; 2 * BLOCK];
    last[..tail.len()].copy_from_slice(tail);
    last[tail.len()] = 0x80;
    let end = if tail.len() + 9 <= BLOCK {
        BLOCK
    } else {
        2 * BLOCK
    };
    last[end - 8..end].copy_from_slice(&bits.to_be_bytes());
    for block in last[..end].chunks_exact(BLOCK) {
        compress(&mut state, block);
    }
    let mut digest = [0u8; 32];
    for (out, word) in digest.chunks_exact_mut(4).zip(state) {
        out.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

/// One compression of `block`, which callers cut to exactly `BLOCK` bytes (`chunks_exact`).
fn compress(state: &mut [u32; 8], block: &[u8]) {
    sha2::compress256(state, std::slice::from_ref(GenericArray::from_slice(block)));
}

/// An identifier for the key that reveals nothing about it: the keyed hash of a fixed label.
pub fn key_id(key: &[u8]) -> String {
    let mac = Fingerprinter::new(key).mac(b"breachscope fingerprint key id v1");
    hex::encode(&mac[..8])
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

    /// The fingerprint is HMAC-SHA256 as the `hmac` crate computes it, for keys and values of
    /// every length around SHA-256's block and its padding's limits.
    #[test]
    fn fingerprints_are_hmac_sha256() {
        use hmac::{Hmac, Mac};
        let bytes: Vec<u8> = (0..300u32).map(|i| (i * 167 + 13) as u8).collect();
        for key_len in [0, 1, 16, 32, 55, 63, 64, 65, 100, 200] {
            let key = &bytes[..key_len];
            let fingerprinter = Fingerprinter::new(key);
            for value_len in (0..=140).chain([191, 192, 255, 256, 300]) {
                let value = &bytes[300 - value_len..];
                let mut oracle = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
                oracle.update(value);
                let expected = oracle.finalize().into_bytes();
                assert_eq!(
                    fingerprinter.mac(value)[..],
                    expected[..],
                    "key of {key_len} bytes, value of {value_len}"
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
