//! Context: keywords near a match and the column header above a delimited cell.

/// Case-insensitive keyword search in running text. A keyword must begin a word (`ss no` is not
/// in `access no`); short keywords must also end one, so `dob` is found in `user_dob:` but not
/// in `adobe`, while `birth` is still found in `birthdate`.
pub fn contains_keyword(haystack: &[u8], keyword: &[u8]) -> bool {
    find_keyword(haystack, keyword, true).is_some()
}

/// Where the keyword stands nearest to the end (`from_end`) or the start of `haystack`.
pub fn keyword_position(haystack: &[u8], keyword: &[u8], from_end: bool) -> Option<usize> {
    if from_end {
        let mut last = None;
        let mut from = 0;
        while let Some(pos) = find_keyword(&haystack[from..], keyword, true) {
            last = Some(from + pos);
            from += pos + 1;
            if from >= haystack.len() {
                break;
            }
        }
        // `find_keyword` on a suffix loses the byte before it; re-check the edge on the whole.
        last.filter(|&p| {
            p == 0 || !haystack[p - 1].is_ascii_alphabetic() || !keyword[0].is_ascii_alphanumeric()
        })
    } else {
        find_keyword(haystack, keyword, true)
    }
}

/// True when `gap` holds a number of at least `min` digits (single `-`, space or `.` between
/// digit groups count as one number): another value stands there and a keyword next to it
/// belongs to it.
pub fn holds_other_value(gap: &[u8], min: usize) -> bool {
    let mut digits = 0;
    let mut previous_digit = false;
    for (i, &b) in gap.iter().enumerate() {
        if b.is_ascii_digit() {
            digits += 1;
            if digits >= min {
                return true;
            }
            previous_digit = true;
        } else {
            let joins = previous_digit
                && matches!(b, b'-' | b' ' | b'.')
                && gap.get(i + 1).is_some_and(u8::is_ascii_digit);
            if !joins {
                digits = 0;
            }
            previous_digit = false;
        }
    }
    false
}

/// Case-insensitive keyword search in a column header: headers run words together
/// (`homephone`, `customerssn`), so only short keywords need word edges.
pub fn header_contains_keyword(header: &[u8], keyword: &[u8]) -> bool {
    find_keyword(header, keyword, false).is_some()
}

fn find_keyword(haystack: &[u8], keyword: &[u8], must_begin_word: bool) -> Option<usize> {
    if keyword.is_empty() || haystack.len() < keyword.len() {
        return None;
    }
    let short = keyword.len() < 4;
    let first = keyword[0].to_ascii_lowercase();
    let last_start = haystack.len() - keyword.len();
    let mut i = 0;
    while i <= last_start {
        if haystack[i].to_ascii_lowercase() == first
            && haystack[i..i + keyword.len()].eq_ignore_ascii_case(keyword)
        {
            let begins = i == 0
                || !haystack[i - 1].is_ascii_alphabetic()
                || !keyword[0].is_ascii_alphanumeric();
            let end = i + keyword.len();
            let ends = end >= haystack.len()
                || !haystack[end].is_ascii_alphabetic()
                || !keyword[keyword.len() - 1].is_ascii_alphanumeric();
            let ok = if short {
                begins && ends
            } else {
                begins || !must_begin_word
            };
            if ok {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

/// The header row of a delimited file, lower-cased, with the delimiter it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    pub delimiter: u8,
    pub headers: Vec<String>,
}

impl Columns {
    /// Reads a header row if `line` looks like one: at least two delimited cells, each a short
    /// label (letters first, no `@`, few digits), so a data row is never mistaken for a header.
    pub fn from_header_line(line: &[u8]) -> Option<Columns> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
        if line.len() > 8192 {
            return None;
        }
        let delimiter = [b',', b'\t', b';', b'|']
            .into_iter()
            .map(|d| (d, line.iter().filter(|&&b| b == d).count()))
            .filter(|&(_, count)| count >= 1)
            .max_by_key(|&(_, count)| count)?
            .0;
        let headers: Vec<String> = split_cells(line, delimiter)
            .map(|cell| {
                let cell = trim_cell(cell);
                String::from_utf8_lossy(cell).to_ascii_lowercase()
            })
            .collect();
        let looks_like_labels = headers.iter().all(|h| {
            let digits = h.bytes().filter(u8::is_ascii_digit).count();
            h.len() <= 64
                && !h.contains('@')
                && digits * 3 <= h.len()
                && h.bytes()
                    .next()
                    .is_none_or(|b| b.is_ascii_alphabetic() || b == b'_' || b >= 0x80)
        });
        let labelled = headers.iter().filter(|h| !h.is_empty()).count() >= 2;
        (looks_like_labels && labelled).then_some(Columns { delimiter, headers })
    }

    /// The header of the cell that contains byte `pos` of `line`.
    pub fn header_at(&self, line: &[u8], pos: usize) -> Option<&str> {
        self.column_at(line, pos)
            .and_then(|column| self.headers.get(column))
            .map(String::as_str)
    }

    /// The index of the column whose cell contains byte `pos` of `line`; quoted cells may hold
    /// the delimiter.
    pub fn column_at(&self, line: &[u8], pos: usize) -> Option<usize> {
        let mut column = 0usize;
        let mut quoted = false;
        for &b in line.iter().take(pos) {
            if b == b'"' {
                quoted = !quoted;
            } else if b == self.delimiter && !quoted {
                column += 1;
            }
        }
        (column < self.headers.len()).then_some(column)
    }
}

fn split_cells(line: &[u8], delimiter: u8) -> impl Iterator<Item = &[u8]> {
    line.split(move |&b| b == delimiter)
}

fn trim_cell(cell: &[u8]) -> &[u8] {
    let cell = cell.trim_ascii();
    let cell = cell.strip_prefix(b"\"").unwrap_or(cell);
    cell.strip_suffix(b"\"").unwrap_or(cell).trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keywords_need_word_edges() {
        assert!(contains_keyword(b"user_dob: 1990", b"dob"));
        assert!(!contains_keyword(b"adobe reader", b"dob"));
        assert!(contains_keyword(b"BirthDate", b"birth"));
        assert!(contains_keyword(b"SSN#123", b"ssn"));
        assert!(!contains_keyword(b"classname", b"ssn"));
        assert!(!contains_keyword(b"access no 12", b"ss no"));
        assert!(header_contains_keyword(b"homephone", b"phone"));
        assert_eq!(keyword_position(b"ssn 1 ssn 2", b"ssn", true), Some(6));
        assert_eq!(keyword_position(b"ssn 1 ssn 2", b"ssn", false), Some(0));
        assert!(holds_other_value(b"#052888899',1603736810396),(", 6));
        assert!(!holds_other_value(b": ", 6));
        assert!(holds_other_value(b"=793-29-3548'", 6));
        assert!(!contains_keyword(b"homephone", b"phone"));
    }

    #[test]
    fn header_rows_and_cells() {
        let cols = Columns::from_header_line(b"id,Name,\"SSN\",dob\r").expect("header");
        assert_eq!(cols.headers, vec!["id", "name", "ssn", "dob"]);
        let row = b"7,\"Doe, Jane\",536-22-5487,1990-01-02";
        let pos = row.windows(3).position(|w| w == b"536").expect("pos");
        assert_eq!(cols.header_at(row, pos), Some("ssn"));
        assert!(Columns::from_header_line(b"7,Jane,536225487").is_none());
        assert!(Columns::from_header_line(b"just prose here").is_none());
    }
}
