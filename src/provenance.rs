//! Where a byte came from: the path shown in reports, relative to its root and losslessly escaped.

use std::path::Path;

/// A report path for `path` below `root`. With several roots the root's own name leads, so two
/// roots' `a.txt` stay apart. Bytes that are not UTF-8 are shown as `\xNN` and a literal
/// backslash as `\\`, so every name is shown and no two names collide.
pub fn display_path(root: &Path, path: &Path, several_roots: bool) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let root_name = root
        .file_name()
        .map(|n| escape_os(n.as_encoded_bytes()))
        .unwrap_or_else(|| escape_os(root.as_os_str().as_encoded_bytes()));
    let rel = escape_os(relative.as_os_str().as_encoded_bytes());
    match (rel.is_empty(), several_roots) {
        // The root is a file (or the root itself): show its name.
        (true, _) => root_name,
        (false, true) => format!("{root_name}/{rel}"),
        (false, false) => rel,
    }
}

/// Lossless text for OS bytes: valid UTF-8 stays as is, other bytes become `\xNN`.
pub fn escape_os(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for ch in chunk.valid().chars() {
            if ch == '\\' {
                out.push_str("\\\\");
            } else if ch.is_control() {
                out.push_str(&format!("\\x{:02x}", ch as u32));
            } else {
                out.push(ch);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn relative_and_escaped() {
        let root = Path::new("/data/share");
        assert_eq!(
            display_path(root, Path::new("/data/share/hr/a.csv"), false),
            "hr/a.csv"
        );
        assert_eq!(
            display_path(root, Path::new("/data/share/hr/a.csv"), true),
            "share/hr/a.csv"
        );
        assert_eq!(
            display_path(
                Path::new("/data/one.txt"),
                Path::new("/data/one.txt"),
                false
            ),
            "one.txt"
        );
        let odd = Path::new(OsStr::from_bytes(b"/data/share/caf\xe9\\x.txt"));
        assert_eq!(display_path(root, odd, false), "caf\\xe9\\\\x.txt");
        assert_eq!(escape_os(b"a\nb"), "a\\x0ab");
    }
}
