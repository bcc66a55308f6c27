//! Tells a real secret from a placeholder, an example key or a value read from the environment.
//!
//! Every function here is pure and total: any byte string in, a yes or no out, no panics. The
//! engine calls [`validate`] with the validator name from a rule (`name` or `name:argument`),
//! the candidate value (the regex's `value` group) and the whole line it stands on.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};

/// The validator names this module owns, for the rule linter.
pub const VALIDATORS: &[&str] = &[
    "not_placeholder",
    "not_example",
    "entropy",
    "secret_like",
    "jwt",
    "basic_auth_b64",
    "openssh_unencrypted",
    "openssh_encrypted",
    "not_vendor_token",
];

/// Some(pass/fail) for a validator this module owns, None for a name it does not know.
/// `value` is the candidate secret (the regex's `value` group), `line` the whole line it stands on.
pub fn validate(name: &str, arg: Option<&str>, value: &[u8], line: &[u8]) -> Option<bool> {
    let pass = match name {
        "not_placeholder" => !is_placeholder(value, line),
        "not_example" => !is_example(value),
        "entropy" => match parse_bits(arg) {
            Some(min) => shannon_entropy(trim_value(value)) >= min,
            None => false,
        },
        "secret_like" => is_secret_like(value, line),
        "jwt" => is_jwt(value),
        "basic_auth_b64" => is_basic_auth_b64(value),
        // A key whose header cannot be read is reported as unencrypted: missing a key is worse
        // than overstating one.
        "openssh_unencrypted" => openssh_cipher(value).is_none_or(|c| c == b"none"),
        "openssh_encrypted" => openssh_cipher(value).is_some_and(|c| c != b"none"),
        "not_vendor_token" => !is_vendor_token(value, line),
        _ => return None,
    };
    Some(pass)
}

fn parse_bits(arg: Option<&str>) -> Option<f64> {
    arg.and_then(|a| a.trim().parse::<f64>().ok())
        .filter(|bits| bits.is_finite() && *bits >= 0.0)
}

/// The value without surrounding whitespace and one pair of matching quotes.
fn trim_value(value: &[u8]) -> &[u8] {
    let v = value.trim_ascii();
    for quote in [b'"', b'\'', b'`'] {
        if v.len() >= 2 && v[0] == quote && v[v.len() - 1] == quote {
            return v[1..v.len() - 1].trim_ascii();
        }
    }
    v
}

fn lower(v: &[u8]) -> Vec<u8> {
    v.to_ascii_lowercase()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    // Values are short: a plain scan beats building a SIMD searcher; lines can be long.
    if haystack.len() <= 96 {
        let first = needle[0];
        return (0..=haystack.len() - needle.len())
            .find(|&i| haystack[i] == first && &haystack[i..i + needle.len()] == needle);
    }
    memchr::memmem::find(haystack, needle)
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `name`, `_name1`: a programming-language identifier.
fn is_identifier(v: &[u8]) -> bool {
    v.first().is_some_and(|&b| is_ident_start(b)) && v.iter().all(|&b| is_ident_byte(b))
}

// ---------------------------------------------------------------------------------------------
// Shannon entropy

/// Shannon entropy of the bytes of `v`, in bits per byte (0 for an empty value).
pub fn shannon_entropy(v: &[u8]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut counts = [0usize; 256];
    for &b in v {
        counts[b as usize] += 1;
    }
    let n = v.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

// ---------------------------------------------------------------------------------------------
// Placeholders

/// Words that, as the whole value (letters and digits only, lower-cased), mean "no real secret".
const PLACEHOLDER_WORDS: &[&str] = &[
    "changeme",
    "changeit",
    "password",
    "passwd",
    "passw",
    "pass",
    "pwd",
    "secret",
    "secrets",
    "token",
    "apikey",
    "key",
    "example",
    "sample",
    "test",
    "testing",
    "test123",
    "test1234",
    "testtest",
    "dummy",
    "fake",
    "placeholder",
    "redacted",
    "removed",
    "hidden",
    "masked",
    "none",
    "null",
    "nil",
    "undefined",
    "empty",
    "todo",
    "tbd",
    "fixme",
    "na",
    "notset",
    "unset",
    "default",
    "value",
    "string",
    "required",
    "optional",
    "foo",
    "bar",
    "foobar",
    "baz",
    "mypassword",
    "yourpassword",
    "mysecret",
    "yoursecret",
    "mytoken",
    "yourtoken",
    "yourapikey",
    "myapikey",
    "secretkey",
    "secretpassword",
    "supersecret",
    "xxx",
    "abc",
    "xyz",
    "qwe",
    "sensitive",
    "confidential",
    "omitted",
    "snip",
    "snipped",
    "censored",
    "blank",
    "unknown",
];

/// Fragments that mark a documentation or template value wherever they appear.
const PLACEHOLDER_FRAGMENTS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "changethis",
    "change_this",
    "changeit",
    "your_",
    "your-",
    "yourapi",
    "yourkey",
    "yourtoken",
    "yourpass",
    "yoursecret",
    "yourown",
    "_here",
    "-here",
    "here_",
    "placeholder",
    "example",
    "dummy",
    "redacted",
    "replace_me",
    "replaceme",
    "replace-me",
    "replace_with",
    "insert_",
    "insert-",
    "insertyour",
    "enter_your",
    "enter-your",
    "enteryour",
    "notreal",
    "not_real",
    "not-real",
    "not_a_real",
    "fake_",
    "_fake",
    "-fake",
    "xxxx",
    "****",
    "sample_",
    "_sample",
    "...",
    "\u{2026}",
    "*sensitive*data*deleted*",
];

/// Ways code reads a value from the environment, a secret store or a template instead of
/// holding it: a value containing one of these is a reference, not a secret.
const REFERENCE_MARKERS: &[&str] = &[
    "os.environ",
    "getenv",
    "process.env",
    "env[",
    "env.fetch",
    "env(",
    "env::var",
    "$env:",
    "environment.getenvironmentvariable",
    "system.getenv",
    "environ.get",
    "environ[",
    "secrets.",
    "vault(",
    "lookup(",
    "!vault",
    "$ansible_vault",
    "enc(",
    "op://",
    "ref+",
    "keyvault",
    "arn:aws:secretsmanager",
    "arn:aws:ssm",
    "{{",
    "}}",
    "${",
    "$(",
    "#{",
    "<%",
    "%>",
    "@microsoft.keyvault",
    "file://",
    "credentials(",
    "config(",
    "settings.",
    "parameters(",
];

/// How the text right before a value reads an environment variable named by that value.
const ENV_READ_PREFIXES: &[&str] = &[
    "getenv",
    "os.environ",
    "environ",
    "environ.get",
    "process.env",
    "env",
    "env.fetch",
    "getenvironmentvariable",
    "$env:",
    "env::var",
    "env::var_os",
    "os.getenv",
    "system.getenv",
];

/// True for a template, mask, documentation placeholder, empty value or a value read from the
/// environment (judged from `value` and the text before it on `line`).
pub fn is_placeholder(value: &[u8], line: &[u8]) -> bool {
    let v = trim_value(value);
    if v.is_empty() {
        return true;
    }
    is_template(v)
        || is_mask(v)
        || has_placeholder_words(v)
        || is_reference(v)
        || is_env_name_read(v, line)
}

/// `$VAR`, `%VAR%`, `{VAR}`, `<password>`, `[TOKEN]`, `__VAR__`, `@VAR@`, `%s`, `%(name)s`.
fn is_template(v: &[u8]) -> bool {
    if has_format_field(v) {
        return true;
    }
    let n = v.len();
    let inner = |open: usize, close: usize| -> &[u8] {
        if n >= open + close {
            &v[open..n - close]
        } else {
            &[]
        }
    };
    let first = v[0];
    let last = v[n - 1];
    // Shell, PHP, Perl or PowerShell variable.
    if first == b'$' && n >= 2 && is_identifier(&v[1..]) {
        return true;
    }
    if first == b'%' {
        if n >= 3 && last == b'%' && is_identifier(inner(1, 1)) {
            return true;
        }
        if n <= 3 || v.starts_with(b"%(") {
            return true;
        }
    }
    if (first == b'<' && last == b'>') || (first == b'[' && last == b']' && is_wordish(inner(1, 1)))
    {
        return true;
    }
    if first == b'{' && last == b'}' && n <= 42 && is_wordish(inner(1, 1)) {
        return true;
    }
    if n >= 5 && v.starts_with(b"__") && v.ends_with(b"__") {
        return true;
    }
    if n >= 3 && first == b'@' && last == b'@' && is_identifier(inner(1, 1)) {
        return true;
    }
    false
}

/// `{self.password}'`, `{password!r}`, `pre{name}post`: a format field naming a variable.
fn has_format_field(v: &[u8]) -> bool {
    let mut start = None;
    for (i, &b) in v.iter().enumerate() {
        match b {
            b'{' => start = Some(i),
            b'}' => {
                if let Some(s) = start.take() {
                    let inner = &v[s + 1..i];
                    let head_len = inner
                        .iter()
                        .take_while(|&&c| c != b'!' && c != b':')
                        .count();
                    let (head, rest) = inner.split_at(head_len);
                    // Python conversions `!r`/`!s`/`!a`, or a `:format` spec.
                    let rest_ok = rest.is_empty()
                        || rest.starts_with(b":")
                        || (rest.len() >= 2
                            && rest[0] == b'!'
                            && matches!(rest[1], b'r' | b's' | b'a'));
                    if rest_ok
                        && !head.is_empty()
                        && head.len() <= 40
                        && is_ident_start(head[0])
                        && head.iter().all(|&c| is_ident_byte(c) || c == b'.')
                    {
                        return true;
                    }
                }
            }
            _ => {}
        }
    }
    false
}

/// Letters, digits, `_`, `-`, `.`, space: a label such as `YOUR TOKEN` or `db.password`.
fn is_wordish(v: &[u8]) -> bool {
    !v.is_empty()
        && v.iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b' '))
}

/// `****`, `xxxxxxxx`, `••••`, `########`, `--------`, or one character repeated.
fn is_mask(v: &[u8]) -> bool {
    let text = String::from_utf8_lossy(v);
    let all_mask = text.chars().all(|c| {
        matches!(
            c,
            '*' | 'x' | 'X' | '#' | '.' | '?' | '-' | '_' | '•' | '●' | '·' | '='
        )
    });
    if all_mask {
        return true;
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => chars.all(|c| c == first),
        None => true,
    }
}

fn has_placeholder_words(v: &[u8]) -> bool {
    let lowered = lower(v);
    // `owner-secret`, `my_password`, `test-token`: words around a credential word, no digits.
    let words_only = lowered
        .iter()
        .all(|&b| b.is_ascii_lowercase() || matches!(b, b'-' | b'_' | b'.'));
    if words_only
        && ["secret", "password", "passwd", "token"]
            .iter()
            .any(|w| contains(&lowered, w.as_bytes()))
    {
        return true;
    }
    let letters: Vec<u8> = lowered
        .iter()
        .copied()
        .filter(u8::is_ascii_alphanumeric)
        .collect();
    if letters.is_empty() {
        // Only punctuation: a mask or separator, never a password worth reporting.
        return v.len() < 6;
    }
    if PLACEHOLDER_WORDS.iter().any(|w| letters == w.as_bytes()) {
        return true;
    }
    PLACEHOLDER_FRAGMENTS
        .iter()
        .any(|f| contains(&lowered, f.as_bytes()))
}

fn is_reference(v: &[u8]) -> bool {
    let lowered = lower(v);
    REFERENCE_MARKERS
        .iter()
        .any(|m| contains(&lowered, m.as_bytes()))
}

/// `os.environ["DB_PASSWORD"]`, `getenv("API_TOKEN")`, `process.env.SECRET`: when the value is
/// the variable's name, it is not the secret.
fn is_env_name_read(v: &[u8], line: &[u8]) -> bool {
    let Some(pos) = find(line, v) else {
        return false;
    };
    let before = lower(&line[..pos]);
    let mut end = before.len();
    while end > 0
        && matches!(
            before[end - 1],
            b' ' | b'\t' | b'"' | b'\'' | b'(' | b'[' | b'.' | b'{'
        )
    {
        end -= 1;
    }
    let before = &before[..end];
    ENV_READ_PREFIXES
        .iter()
        .any(|p| before.ends_with(p.as_bytes()))
        || (is_constant_name(v) && line_reads_env(line))
}

/// `DB_PASSWORD`: an upper-case constant name.
fn is_constant_name(v: &[u8]) -> bool {
    v.first().is_some_and(u8::is_ascii_uppercase)
        && v.iter()
            .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && v.contains(&b'_')
}

fn line_reads_env(line: &[u8]) -> bool {
    let lowered = lower(line);
    [
        "getenv",
        "environ",
        "process.env",
        "env[",
        "env(",
        "env.fetch",
        "$env:",
        "env::var",
    ]
    .iter()
    .any(|m| contains(&lowered, m.as_bytes()))
}

// ---------------------------------------------------------------------------------------------
// Vendor example keys

/// Keys printed in vendors' documentation and samples, and hashes of the empty password.
const EXAMPLE_VALUES: &[&str] = &[
    // AWS IAM documentation.
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AKIAI44QH8DHBEXAMPLE",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    // Slack API documentation (bot token sample).
    "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
    // Mailgun API documentation.
    "key-3ax6xnjp29jd6fds4gc373sgvjxteol0",
    // Stripe documentation test key.
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    // Azurite storage emulator account key (Microsoft documentation).
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    // OAuth RFC 6749 and RFC 5849 sample credentials and tokens.
    "czZCaGRSa3F0MzpnWDFmQmF0M2JW",
    "2YotnFZFEjr1zCsicMWpAA",
    "tGzv3JOkF0XG5Qx2TlKWIA",
    "SplxlOBeZQQYbYS6WxSbIA",
    "dpf43f3p2l4k3l03",
    "kd94hf93k423kf44",
    "nnch734d00sl2jdk",
    "pfkkdhi9sl3r4s00",
    "hh5s93j4hdidpola",
    "ad180jjd733klru7",
    // Empty-password hashes: NTLM, LM, MD5, SHA-1, SHA-256.
    "31d6cfe0d16ae931b73c59d7e0c089c0",
    "aad3b435b51404eeaad3b435b51404ee",
    "d41d8cd98f00b204e9800998ecf8427e",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
];

/// Fragments of well-known samples: the jwt.io default token's signature, sequential runs.
const EXAMPLE_FRAGMENTS: &[&str] = &[
    "sflkxwrjsmekkf2qt4fwpmejf36pok6yjv_adqssw5c",
    // PyJWT documentation token ({"some": "payload"} signed with "secret").
    "4twft5niznn84awoo1d7ko1t_yoc0z6xopovswacpzg",
    "0123456789",
    "1234567890",
    "abcdefghij",
    "deadbeef",
    "example",
];

/// True for a vendor-documented example key, the hash of an empty password, or a value built
/// from an obvious sequence (`0123456789`, `abcdefghij`).
pub fn is_example(value: &[u8]) -> bool {
    let v = trim_value(value);
    let lowered = lower(v);
    EXAMPLE_VALUES
        .iter()
        .any(|e| lowered == e.to_ascii_lowercase().as_bytes())
        || EXAMPLE_FRAGMENTS
            .iter()
            .any(|f| contains(&lowered, f.as_bytes()))
}

// ---------------------------------------------------------------------------------------------
// Generic "looks like a real password"

/// Whole values that are configuration words or type names, not passwords.
const NON_SECRET_WORDS: &[&str] = &[
    "true",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "enabled",
    "disabled",
    "enable",
    "disable",
    "str",
    "int",
    "integer",
    "bool",
    "boolean",
    "object",
    "any",
    "text",
    "char",
    "varchar",
    "bytes",
    "byte",
    "hash",
    "plain",
    "plaintext",
    "md5",
    "sha1",
    "sha256",
    "bcrypt",
    "auto",
    "prompt",
    "ask",
    "always",
    "never",
    "inherit",
    "file",
    "env",
    "environment",
    "vault",
    "keyring",
    "keychain",
    "stdin",
    "random",
    "generated",
    "expired",
    "invalid",
    "incorrect",
    "forgot",
    "scram-sha-256",
    "sha-256",
    "sha-512",
    "sha512",
    "argon2id",
    "argon2",
    "pbkdf2",
    "aes-256-cbc",
    "aes256",
    "reset",
    "length",
    "minlength",
    "maxlength",
];

/// Fragments that make an identifier a variable name for a credential (`db_password`).
const CREDENTIAL_WORDS: &[&str] = &["pass", "pwd", "secret", "token", "key", "auth", "cred"];

/// The generic judgement for password and secret assignments.
///
/// A value counts as a secret when, with quotes and surrounding spaces removed, it
/// * is 6 to 256 bytes long and has no whitespace;
/// * is not a placeholder (see [`is_placeholder`]), a configuration word (`true`, `null`,
///   `required`, type names), a number or version, a path or URL, or a password hash (those
///   have their own rules);
/// * is not code: a variable (`$pw`, `@pw`), a call (`getpass()`), a member or index
///   expression (`self.password`, `args[1]`, `Config::PASSWORD`), a constant name
///   (`DB_PASSWORD`), or an identifier naming a credential (`db_password`, `userPassword`);
/// * and mixes at least two character classes (lower case, upper case, digits, symbols), or is
///   at least 12 bytes of one class with at least 3 bits of entropy per byte.
pub fn is_secret_like(value: &[u8], line: &[u8]) -> bool {
    let v = trim_value(value);
    if v.len() < 6
        || v.len() > 256
        || v.iter()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return false;
    }
    if is_placeholder(v, line) {
        return false;
    }
    // `Label:` is a heading or a log field name, not a value.
    if v.ends_with(b":") {
        return false;
    }
    let lowered = lower(v);
    if NON_SECRET_WORDS.iter().any(|w| lowered == w.as_bytes()) {
        return false;
    }
    if is_code_like(v)
        || is_path_or_url(v)
        || is_number_like(v)
        || is_crypt_hash(v)
        || is_prose_word(v)
        || is_plain_word(v)
        || is_unquoted_code_reference(v, line)
    {
        return false;
    }
    let has_lower = v.iter().any(u8::is_ascii_lowercase);
    let has_upper = v.iter().any(u8::is_ascii_uppercase);
    let has_digit = v.iter().any(u8::is_ascii_digit);
    let has_symbol = v.iter().any(|b| !b.is_ascii_alphanumeric());
    let classes = [has_lower, has_upper, has_digit, has_symbol]
        .iter()
        .filter(|&&c| c)
        .count();
    if classes >= 2 {
        return true;
    }
    (has_lower || has_upper) && v.len() >= 12 && shannon_entropy(v) >= 3.0
}

fn is_code_like(v: &[u8]) -> bool {
    let first = v[0];
    let lowered = lower(v);
    if ["self.", "this.", "cls.", "@this."]
        .iter()
        .any(|p| lowered.starts_with(p.as_bytes()))
    {
        return true;
    }
    // `bare-quoted-string`, `always-impersonate`: lower-case words joined by `-` are names.
    let words: Vec<&[u8]> = v.split(|&b| b == b'-' || b == b'_').collect();
    if words.len() >= 2
        && words
            .iter()
            .all(|w| !w.is_empty() && w.iter().all(u8::is_ascii_lowercase))
    {
        return true;
    }
    // `true|false`, `md5|scram`: an enumeration of choices.
    let choices: Vec<&[u8]> = v.split(|&b| b == b'|').collect();
    if choices.len() >= 2
        && choices
            .iter()
            .all(|w| !w.is_empty() && w.iter().all(u8::is_ascii_alphanumeric))
    {
        return true;
    }
    // String escapes (`\u{FB01}`, `\x41`) belong to source code, not to a stored secret.
    if contains(v, b"\\u{") || contains(v, b"\\x") {
        return true;
    }
    // `$password`, `$this->pw`, `$_POST['pw']`, `@password`.
    if first == b'$'
        && v.get(1)
            .is_some_and(|&b| is_ident_start(b) || b == b'{' || b == b'(')
    {
        return true;
    }
    if first == b'@' && v.len() > 1 && v[1..].iter().all(|&b| b.is_ascii_alphabetic() || b == b'_')
    {
        return true;
    }
    // Identifier or dotted path followed by a call, index or path: `getpass.getpass()`,
    // `args[1]`, `a.b`, `A::B`, `a->b`.
    let head = v
        .iter()
        .take_while(|&&b| is_ident_byte(b) || b == b'.')
        .count();
    if head > 0 && is_ident_start(first) {
        let rest = &v[head..];
        if rest.starts_with(b"(")
            || rest.starts_with(b"[")
            || rest.starts_with(b"::")
            || rest.starts_with(b"->")
            || rest.starts_with(b"!(")
            || rest.starts_with(b"![")
            || rest.starts_with(b"!{")
        {
            return true;
        }
        if is_dotted_path(v) {
            return true;
        }
    }
    if is_identifier(v) {
        if is_constant_name(v) {
            return true;
        }
        let lowered = lower(v);
        let names_credential = CREDENTIAL_WORDS
            .iter()
            .any(|w| contains(&lowered, w.as_bytes()));
        let snake = v.contains(&b'_');
        let camel = v
            .windows(2)
            .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase());
        let all_lower_letters = v.iter().all(u8::is_ascii_lowercase);
        if names_credential && (snake || camel || all_lower_letters) {
            return true;
        }
        // `user_input`, `form_data`: lower-case snake_case is a variable name.
        if snake
            && v.iter()
                .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && v.split(|&b| b == b'_')
                .all(|part| part.first().is_some_and(u8::is_ascii_lowercase))
        {
            return true;
        }
    }
    false
}

/// `Option`, `Owner`, `bOnerow`, `userInput`: letters only, either one capitalised word or a
/// camelCase identifier; in code these are type and variable names, not literals.
fn is_plain_word(v: &[u8]) -> bool {
    if v.is_empty() || !v.iter().all(u8::is_ascii_alphabetic) {
        return false;
    }
    let titlecase = v[0].is_ascii_uppercase() && v[1..].iter().all(u8::is_ascii_lowercase);
    let camel = v[0].is_ascii_lowercase()
        && v.windows(2)
            .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase());
    titlecase || camel
}

/// An unquoted identifier that the line goes on to use as code: followed by a call, type
/// arguments, an operator or a statement end (`= userInput;`, `: PROCESSINFOCLASS = 9`,
/// `= ZSTD_size(`), as opposed to `PASSWORD=hunter2` in a `.env` file.
fn is_unquoted_code_reference(v: &[u8], line: &[u8]) -> bool {
    if !v.first().is_some_and(|&b| is_ident_start(b)) || !v.iter().all(|&b| is_ident_byte(b)) {
        return false;
    }
    let Some(pos) = find(line, v) else {
        return false;
    };
    if pos > 0 && matches!(line[pos - 1], b'"' | b'\'' | b'`') {
        return false;
    }
    // `Pwd=x9Kq2;` in a connection string: a `key=value;` list, not a statement.
    let tight_pair =
        pos > 0 && matches!(line[pos - 1], b'=' | b':') && line.get(pos + v.len()) == Some(&b';');
    if tight_pair {
        return false;
    }
    let after = line[pos + v.len()..].trim_ascii_start();
    let continues = after.first().is_some_and(|b| {
        matches!(
            b,
            b';' | b')'
                | b','
                | b'<'
                | b'('
                | b'.'
                | b'?'
                | b'{'
                | b'['
                | b'='
                | b'&'
                | b'|'
                | b'+'
                | b'*'
        )
    });
    let statement = line.trim_ascii_end().ends_with(b";");
    continues || statement
}

/// `update.`, `their',`: a word of one letter case followed by sentence punctuation, as when a
/// key word is followed by prose.
fn is_prose_word(v: &[u8]) -> bool {
    let letters = v.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let word = &v[..letters];
    let rest = &v[letters..];
    letters > 0
        && !rest.is_empty()
        && (word.iter().all(u8::is_ascii_lowercase)
            || word.iter().skip(1).all(u8::is_ascii_lowercase))
        && rest
            .iter()
            .all(|b| matches!(b, b'.' | b',' | b';' | b':' | b')' | b'\'' | b'"' | b']'))
}

/// `self.password`, `config.db.pwd`: identifiers joined by dots.
fn is_dotted_path(v: &[u8]) -> bool {
    let mut parts = 0;
    for part in v.split(|&b| b == b'.') {
        if !is_identifier(part) {
            return false;
        }
        parts += 1;
    }
    parts >= 2
}

fn is_path_or_url(v: &[u8]) -> bool {
    let lowered = lower(v);
    if lowered.starts_with(b"http://")
        || lowered.starts_with(b"https://")
        || lowered.starts_with(b"file:")
    {
        return true;
    }
    if lowered.starts_with(b"./") || lowered.starts_with(b"../") || lowered.starts_with(b"~/") {
        return true;
    }
    if lowered.starts_with(b"/") && lowered[1..].contains(&b'/') {
        return true;
    }
    if lowered.len() > 3
        && lowered[0].is_ascii_alphabetic()
        && lowered[1] == b':'
        && lowered[2] == b'\\'
    {
        return true;
    }
    const EXTENSIONS: &[&str] = &[
        ".txt",
        ".pem",
        ".key",
        ".json",
        ".yml",
        ".yaml",
        ".xml",
        ".properties",
        ".conf",
        ".cfg",
        ".ini",
        ".env",
        ".crt",
        ".p12",
        ".pfx",
        ".jks",
        ".kdbx",
        ".gpg",
        ".asc",
        ".html",
        ".o",
        ".c",
        ".h",
        ".exe",
        ".dll",
        ".so",
        ".py",
        ".js",
        ".java",
        ".rs",
        ".go",
        ".sh",
        ".rb",
        ".php",
    ];
    EXTENSIONS.iter().any(|e| lowered.ends_with(e.as_bytes()))
}

/// Digits only, or digits with `.`, `-`, `:` and `,` (numbers, versions, times, dates).
fn is_number_like(v: &[u8]) -> bool {
    v.iter()
        .all(|&b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b':' | b',' | b'+'))
}

/// Modular-crypt and LDAP-style password hashes, which the hash rules report.
fn is_crypt_hash(v: &[u8]) -> bool {
    let lowered = lower(v);
    const PREFIXES: &[&str] = &[
        "$1$",
        "$2a$",
        "$2b$",
        "$2y$",
        "$2x$",
        "$5$",
        "$6$",
        "$y$",
        "$7$",
        "$gy$",
        "$apr1$",
        "$argon2",
        "$pbkdf2",
        "pbkdf2_",
        "pbkdf2:",
        "$krb5",
        "{sha}",
        "{ssha}",
        "{sha256}",
        "{ssha256}",
        "{sha512}",
        "{ssha512}",
        "{md5}",
        "{smd5}",
        "{crypt}",
        "{bcrypt}",
        "{noop}",
    ];
    PREFIXES.iter().any(|p| lowered.starts_with(p.as_bytes()))
}

// ---------------------------------------------------------------------------------------------
// JWT, Basic auth, OpenSSH keys

/// Decodes base64 in either alphabet, with or without padding.
fn decode_base64_any(text: &[u8]) -> Option<Vec<u8>> {
    let unpadded = text
        .strip_suffix(b"==")
        .or_else(|| text.strip_suffix(b"="))
        .unwrap_or(text);
    URL_SAFE_NO_PAD
        .decode(unpadded)
        .ok()
        .or_else(|| STANDARD_NO_PAD.decode(unpadded).ok())
}

/// A JSON Web Token: at least three dot-separated parts whose first decodes (base64url) to a
/// JSON object with a string `alg` member.
pub fn is_jwt(value: &[u8]) -> bool {
    let v = trim_value(value);
    let parts: Vec<&[u8]> = v.split(|&b| b == b'.').collect();
    if parts.len() < 3 || parts.len() > 5 || parts[0].is_empty() || parts[1].is_empty() {
        return false;
    }
    let Some(header) = decode_base64_any(parts[0]) else {
        return false;
    };
    match serde_json::from_slice::<serde_json::Value>(&header) {
        Ok(serde_json::Value::Object(map)) => {
            map.get("alg").is_some_and(serde_json::Value::is_string)
        }
        _ => false,
    }
}

/// Base64 of `user:password` (HTTP Basic, Docker `auths`): decodes to printable text with a
/// colon and a non-placeholder password, or a long token as the user name (`sk_live_...:`).
pub fn is_basic_auth_b64(value: &[u8]) -> bool {
    let v = trim_value(value);
    let Some(decoded) = decode_base64_any(v) else {
        return false;
    };
    if decoded.is_empty() || decoded.iter().any(|&b| b < 0x20 || b == 0x7f) {
        return false;
    }
    let Some(colon) = decoded.iter().position(|&b| b == b':') else {
        return false;
    };
    let (user, password) = (&decoded[..colon], &decoded[colon + 1..]);
    let password_ok = !password.is_empty() && !is_placeholder(password, password);
    let token_user = user.len() >= 16 && !is_placeholder(user, user);
    password_ok || token_user
}

/// The cipher name in an OpenSSH private key (`none` when unencrypted), read from the start of
/// the base64 body; None when the body is not an `openssh-key-v1` key.
fn openssh_cipher(value: &[u8]) -> Option<Vec<u8>> {
    let mut b64 = Vec::with_capacity(128);
    let mut i = 0;
    while i < value.len() && b64.len() < 96 {
        let b = value[i];
        if b == b'\\' && matches!(value.get(i + 1), Some(b'n' | b'r')) {
            i += 2;
            continue;
        }
        if b.is_ascii_alphanumeric() || b == b'+' || b == b'/' {
            b64.push(b);
        } else if !b.is_ascii_whitespace() {
            break;
        }
        i += 1;
    }
    b64.truncate(b64.len() / 4 * 4);
    let decoded = STANDARD.decode(&b64).ok()?;
    const MAGIC: &[u8] = b"openssh-key-v1\0";
    let rest = decoded.strip_prefix(MAGIC)?;
    let len_bytes: [u8; 4] = rest.get(..4)?.try_into().ok()?;
    let len = u32::from_be_bytes(len_bytes) as usize;
    let name = rest.get(4..4usize.checked_add(len)?)?;
    (!name.is_empty() && name.len() <= 64).then(|| name.to_vec())
}

/// Prefixes of tokens that have their own vendor rule, so generic rules do not report them twice.
const VENDOR_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "glptt-",
    "glrt-",
    "gldt-",
    "glft-",
    "glcbt-",
    "glsoat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxr-",
    "xoxs-",
    "xoxe",
    "xapp-",
    "sk_live_",
    "rk_live_",
    "whsec_",
    "AKIA",
    "ASIA",
    "AIza",
    "GOCSPX-",
    "ya29.",
    "1//0",
    "npm_",
    "pypi-AgE",
    "GR1348941",
    "cmVmdGtu",
    "IQoJb3JpZ2lu",
    "FwoGZXIvYXdz",
    "FQoGZXIvYXdz",
    "hvs.",
    "hvb.",
    "hvr.",
    "SG.",
    "shpat_",
    "shpca_",
    "shppa_",
    "shpss_",
    "sk-ant-",
    "dop_v1_",
    "doo_v1_",
    "dor_v1_",
    "dapi",
    "eyJ",
    "AGE-SECRET-KEY-",
    "PMAK-",
    "lin_api_",
    "NRAK-",
    "sntrys_",
    "glsa_",
    "glc_",
    "hf_",
    "gsk_",
    "r8_",
    "xai-",
    "ATATT3",
    "ATBB",
    "AKCp",
    "sq0atp-",
    "sq0csp-",
    "EAAA",
    "dp.pt.",
    "pul-",
    "rubygems_",
    "LS0tLS1CRUdJTi",
];

/// True when a vendor rule reports the value, so a generic rule should not: it starts with a
/// vendor token prefix or has a vendor's fixed shape (`…Q~…`, `….atlasv1.…`), or the line names a
/// vendor whose rule takes that shape (a 40-character secret next to `aws_secret_access_key`, a
/// 32-hex token next to `twilio`, `00…` next to `okta`, `.npmrc` `_authToken`, `private_key_id`).
pub fn is_vendor_token(value: &[u8], line: &[u8]) -> bool {
    let v = trim_value(value);
    if VENDOR_PREFIXES.iter().any(|p| v.starts_with(p.as_bytes()))
        || contains(v, b"T3BlbkFJ")
        || contains(v, b".atlasv1.")
    {
        return true;
    }
    // Entra ID client secret: three characters, a digit, then `Q~`.
    if v.len() >= 6 && v[3].is_ascii_digit() && &v[4..6] == b"Q~" {
        return true;
    }
    let lowered = lower(line);
    let line_has = |words: &[&str]| words.iter().any(|w| contains(&lowered, w.as_bytes()));
    let all = |f: fn(&u8) -> bool| v.iter().all(f);
    let b64 = |b: &u8| b.is_ascii_alphanumeric() || *b == b'/' || *b == b'+';
    (v.len() == 40 && all(b64) && line_has(&["aws_secret", "secret_access_key", "secretaccesskey"]))
        || (line_has(&["twilio"])
            && (v.len() == 32 || v.len() == 34)
            && v.iter().skip(v.len() - 32).all(u8::is_ascii_hexdigit))
        || (line_has(&["okta", "ssws"]) && v.len() == 42 && v.starts_with(b"00"))
        || (line_has(&["vault_token", "vault-token"]) && v.starts_with(b"s."))
        || line_has(&["_authtoken", "_auth=", "npmauth", "\"private_key_id\""])
        || (v.len() == 36 && v.starts_with(b"key-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, arg: Option<&str>, value: &str, line: &str) -> bool {
        validate(name, arg, value.as_bytes(), line.as_bytes()).expect("known validator")
    }

    #[test]
    fn unknown_names_are_not_ours() {
        assert_eq!(validate("luhn", None, b"4111", b"4111"), None);
        for name in VALIDATORS {
            assert!(validate(name, Some("3.0"), b"x", b"x").is_some(), "{name}");
        }
    }

    #[test]
    fn placeholders_are_dropped() {
        for v in [
            "${DB_PASSWORD}",
            "%DB_PASSWORD%",
            "<password>",
            "<YOUR-TOKEN>",
            "changeme",
            "CHANGE_ME",
            "YOUR_API_KEY_HERE",
            "your-token-here",
            "****",
            "********",
            "xxxxxxxx",
            "XXXXXXXXXXXX",
            "",
            "   ",
            "\"\"",
            "$password",
            "{{ db_password }}",
            "{password}",
            "[REDACTED]",
            "__PASSWORD__",
            "@DB_PASS@",
            "%s",
            "%(password)s",
            "<%= ENV['X'] %>",
            "aaaaaaaa",
            "00000000",
            "••••••",
            "replace_me",
            "!vault",
            "ENC(abc123==)",
            "op://vault/item/pw",
            "null",
            "None",
            "example-secret",
            "dummy_token_123",
            "...",
            "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
        ] {
            assert!(!check("not_placeholder", None, v, v), "should drop {v:?}");
        }
    }

    #[test]
    fn env_reads_are_dropped() {
        let cases = [
            ("os.environ[", "password = os.environ[\"DB_PASSWORD\"]"),
            ("DB_PASSWORD", "password = os.environ[\"DB_PASSWORD\"]"),
            (
                "process.env.DB_PASSWORD",
                "const password = process.env.DB_PASSWORD;",
            ),
            ("getenv(", "pw = os.getenv(\"PW\")"),
            ("API_TOKEN", "token := os.Getenv(\"API_TOKEN\")"),
            ("SECRET_KEY", "SECRET_KEY = env('SECRET_KEY')"),
            ("System.getenv", "String pw = System.getenv(\"PW\");"),
            ("$env:ADMIN_PW", "$pw = $env:ADMIN_PW"),
        ];
        for (value, line) in cases {
            assert!(
                !check("not_placeholder", None, value, line),
                "should drop {value:?} in {line:?}"
            );
        }
    }

    #[test]
    fn real_values_are_kept() {
        for v in [
            "Xk9#mQ2vLp7!",
            "hunter2",
            "Summer2023!",
            "ghp_Q3bV7nK2LmX9pR4tW8yZ1cD5fH6jA0sE2gU4",
            "s3cr3t",
            "wQ8vT1kR3nP6",
            "P@ssw0rd",
        ] {
            assert!(
                check("not_placeholder", None, v, &format!("password={v}")),
                "should keep {v:?}"
            );
        }
    }

    #[test]
    fn vendor_examples_are_dropped() {
        for v in [
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "AKIAI44QH8DHBEXAMPLE",
            "31D6CFE0D16AE931B73C59D7E0C089C0",
            "dapi0123456789abcdef0123456789abcdef",
            "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
        ] {
            assert!(!check("not_example", None, v, v), "should drop {v:?}");
        }
        assert!(check(
            "not_example",
            None,
            "AKIAQ3VJ7K2LMX4RT6WZ",
            "AKIAQ3VJ7K2LMX4RT6WZ"
        ));
    }

    #[test]
    fn entropy_needs_a_valid_argument() {
        let v = "aB3dE5gH7jK9mN1pQ3sT";
        assert!(check("entropy", Some("3.5"), v, v));
        assert!(!check("entropy", Some("5.0"), v, v));
        assert!(!check("entropy", None, v, v));
        assert!(!check("entropy", Some("lots"), v, v));
        assert!(!check("entropy", Some("NaN"), v, v));
        assert!(!check("entropy", Some("3.0"), "aaaaaaaaaaaaaaaaaaaa", "x"));
        assert!(check("entropy", Some("0"), "", ""));
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert_eq!(shannon_entropy(b""), 0.0);
    }

    #[test]
    fn jwt_header_must_be_json_with_alg() {
        // {"alg":"HS256","typ":"JWT"} . {"sub":"42"} . signature
        let good =
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLXN5bnRoZXRpYw";
        assert!(check("jwt", None, good, good));
        // {"typ":"JWT"} has no alg.
        let no_alg = "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiI0MiJ9.c2ln";
        assert!(!check("jwt", None, no_alg, no_alg));
        // {"alg":5} is not a string.
        let bad_alg = "eyJhbGciOjV9.eyJzdWIiOiI0MiJ9.c2ln";
        assert!(!check("jwt", None, bad_alg, bad_alg));
        for v in [
            "eyJhbGciOiJIUzI1NiJ9",
            "eyJ!!!.eyJ.x",
            "....",
            "",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..x",
        ] {
            assert!(!check("jwt", None, v, v), "{v:?}");
        }
    }

    #[test]
    fn secret_like_decisions() {
        for v in [
            "hunter2",
            "Summer2023!",
            "P@ssw0rd",
            "Welcome1",
            "letmein123",
            "Tr0ub4dor&3",
            "s3cr3t",
            "'Xk9#mQ2vLp7!'",
            "qzxkvmwtpljrbfhd",
            "Zq8!",
        ]
        .iter()
        .filter(|v| v.len() >= 6)
        {
            assert!(
                check("secret_like", None, v, &format!("password = {v}")),
                "should accept {v:?}"
            );
        }
        for v in [
            "",
            "abc",
            "true",
            "null",
            "required",
            "changeme",
            "${PW}",
            "getpass()",
            "self.password",
            "args[1]",
            "getpass.getpass()",
            "$password",
            "@password",
            "db_password",
            "userPassword",
            "DB_PASSWORD",
            "user_input",
            "123456789",
            "1.2.3.4",
            "/run/secrets/db_pw",
            "https://example.org/reset",
            "secrets.json",
            "$2y$10$abcdefghijklmnopqrstuv",
            "sunshine",
            "Config::PASSWORD",
            "with space",
            "os.environ[",
            "update.",
            "their',",
            "Thanks.",
            "Option",
            "bOnerow",
            "write!(f",
            "vec![0",
            "user-\\u{FB01}le",
            "owner-secret",
            "always-impersonate",
            "true|false",
            "scram-sha-256",
            "self.tokens_taken+len",
            "git-credential-osxkeychain.o",
            "{self.password}'",
            "{password!r}",
        ] {
            assert!(
                !check("secret_like", None, v, &format!("password = {v}")),
                "should reject {v:?}"
            );
        }
    }

    #[test]
    fn code_references_are_not_secrets() {
        for (v, line) in [
            (
                "sqlite3Strlen30NN",
                "nToken = sqlite3Strlen30NN(p->u.zToken)+1;",
            ),
            (
                "PROCESSINFOCLASS",
                "pub const ProcessAccessToken: PROCESSINFOCLASS = 9i32;",
            ),
            (
                "ZSTD_cwksp_alloc_size",
                "size_t const tokenSpace = ZSTD_cwksp_alloc_size(x)",
            ),
            ("newPwd1", "password = newPwd1;"),
            ("form1", "if (password == form1) {"),
        ] {
            assert!(
                !check("secret_like", None, v, line),
                "should reject {v:?} in {line:?}"
            );
        }
        for (v, line) in [
            ("hunter2", "passwd = hunter2"),
            ("Xk9mQ2vLp7", "password = \"Xk9mQ2vLp7\";"),
            ("Welcome1", "DB_PASSWORD=Welcome1"),
            (
                "gIxu7neyLG5Mx",
                "Server=db;User Id=hr;Pwd=gIxu7neyLG5Mx;Encrypt=True;",
            ),
        ] {
            assert!(
                check("secret_like", None, v, line),
                "should accept {v:?} in {line:?}"
            );
        }
    }

    #[test]
    fn basic_auth_payloads() {
        // alice:Xk9#mQ2v
        let good = STANDARD.encode("alice:Xk9#mQ2v");
        assert!(check("basic_auth_b64", None, &good, &good));
        let empty_pw = STANDARD.encode("alice:");
        assert!(!check("basic_auth_b64", None, &empty_pw, &empty_pw));
        let placeholder = STANDARD.encode("user:<password>");
        assert!(!check("basic_auth_b64", None, &placeholder, &placeholder));
        let no_colon = STANDARD.encode("just-some-text");
        assert!(!check("basic_auth_b64", None, &no_colon, &no_colon));
        assert!(!check("basic_auth_b64", None, "!!notbase64!!", "x"));
        let token_user = STANDARD.encode("sk_live_4f9QzT2mW8xR1vB6nK3pL7dY:");
        assert!(check("basic_auth_b64", None, &token_user, &token_user));
    }

    #[test]
    fn openssh_cipher_is_read() {
        let mut plain = b"openssh-key-v1\0".to_vec();
        plain.extend_from_slice(&4u32.to_be_bytes());
        plain.extend_from_slice(b"none\0\0\0\x04none");
        plain.extend_from_slice(&[7u8; 40]);
        let body = STANDARD.encode(&plain);
        assert!(check("openssh_unencrypted", None, &body, ""));
        assert!(!check("openssh_encrypted", None, &body, ""));

        let mut enc = b"openssh-key-v1\0".to_vec();
        enc.extend_from_slice(&10u32.to_be_bytes());
        enc.extend_from_slice(b"aes256-ctr\0\0\0\x06bcrypt");
        enc.extend_from_slice(&[9u8; 40]);
        let body = STANDARD.encode(&enc);
        let wrapped = format!("{}\n{}", &body[..40], &body[40..]);
        assert!(!check("openssh_unencrypted", None, &wrapped, ""));
        assert!(check("openssh_encrypted", None, &wrapped, ""));
        // Unreadable bodies count as unencrypted, never as encrypted.
        assert!(check("openssh_unencrypted", None, "!!!", ""));
        assert!(!check("openssh_encrypted", None, "!!!", ""));
        // A huge length field must not panic.
        let mut huge = b"openssh-key-v1\0".to_vec();
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        let body = STANDARD.encode(&huge);
        assert!(!check("openssh_encrypted", None, &body, ""));
    }

    #[test]
    fn vendor_tokens_are_left_to_vendor_rules() {
        assert!(!check(
            "not_vendor_token",
            None,
            "ghp_Q3bV7nK2LmX9pR4tW8yZ1cD5fH6jA0sE2gU4",
            ""
        ));
        assert!(!check(
            "not_vendor_token",
            None,
            "sk-proj-abcT3BlbkFJxyz",
            ""
        ));
        assert!(check("not_vendor_token", None, "Xk9#mQ2vLp7!", ""));
    }

    proptest::proptest! {
        #[test]
        fn validators_are_total(value in proptest::collection::vec(proptest::num::u8::ANY, 0..80),
                                line in proptest::collection::vec(proptest::num::u8::ANY, 0..120),
                                arg in proptest::option::of("[0-9.a-z]{0,4}")) {
            for name in VALIDATORS {
                proptest::prop_assert!(validate(name, arg.as_deref(), &value, &line).is_some());
            }
        }
    }

    #[test]
    fn no_panics_on_odd_input() {
        let odd: [&[u8]; 8] = [b"", b"\xff\xfe\x00", b"$", b"%", b"{", b"<", b"\"", b"'x"];
        for v in odd {
            for name in VALIDATORS {
                let _ = validate(name, Some("3"), v, v);
                let _ = validate(name, None, v, b"");
            }
        }
    }
}
