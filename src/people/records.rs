//! Which findings of one chunk belong together: a table row, a JSON object, a labelled block
//! (`Name: …` / `SSN: …`) or one line of text.

use std::sync::Arc;

use crate::content::{Placement, RunOrigin, Segment, TextChunk};

/// Longest run of labelled lines looked at on either side of a finding.
const MAX_BLOCK_LINES: usize = 40;

/// The record of every match start in `starts` (sorted ascending), as a label that is unique
/// within the item: `line 7`, `lines 3-5`, `table customers row 17`, `Sheet1!row 5`, `$[2]`.
/// Consecutive findings of one record share one label.
pub fn record_labels(
    chunk: &TextChunk<'_>,
    starts: &[usize],
    record_lines: usize,
) -> Vec<Arc<str>> {
    let text = chunk.text;
    let mut lines = LineIndex::new(text);
    let spans: Vec<(usize, usize, usize)> = starts
        .iter()
        .map(|&start| {
            let line = lines.line_of(start);
            let (first, last) = if chunk.columns.is_some() {
                (line, line)
            } else {
                labelled_block(&mut lines, line)
            };
            (line, first, last)
        })
        .collect();
    let mut labels: Vec<Arc<str>> = Vec::with_capacity(starts.len());
    if chunk.columns.is_some() {
        let mut previous: Option<(usize, Arc<str>)> = None;
        for (i, &(line, ..)) in spans.iter().enumerate() {
            let label = match &previous {
                // A row's cells are one record; Lines rows are named by the line alone.
                Some((at, label))
                    if *at == line && matches!(chunk.placement, Placement::Lines { .. }) =>
                {
                    Arc::clone(label)
                }
                _ => {
                    let text = row_label(chunk, lines.start_of(line), line, starts[i]);
                    match &previous {
                        Some((_, label)) if **label == *text => Arc::clone(label),
                        _ => Arc::from(text),
                    }
                }
            };
            previous = Some((line, Arc::clone(&label)));
            labels.push(label);
        }
        return labels;
    }
    // Unstructured text: findings whose blocks touch (or lie within `record_lines`) join.
    let mut group_start = 0;
    while group_start < spans.len() {
        let (_, first, mut last) = spans[group_start];
        let mut end = group_start + 1;
        while end < spans.len() && spans[end].1 <= last + record_lines {
            last = last.max(spans[end].2);
            end += 1;
        }
        let label: Arc<str> = Arc::from(block_label(
            chunk,
            &lines,
            first,
            last,
            starts[group_start],
            starts[end - 1],
        ));
        for _ in group_start..end {
            labels.push(Arc::clone(&label));
        }
        group_start = end;
    }
    // JSON values are records by their object path, whatever the lines say.
    if let Placement::Segments(segments) = chunk.placement {
        let mut previous: Option<Arc<str>> = None;
        for (label, &start) in labels.iter_mut().zip(starts) {
            if let Some(object) =
                Segment::at(segments, start).and_then(|s| json_object(&s.location))
            {
                *label = match &previous {
                    Some(p) if **p == *object => Arc::clone(p),
                    _ => Arc::from(object),
                };
                previous = Some(Arc::clone(label));
            }
        }
    }
    labels
}

/// Line starts of a chunk, found lazily as positions are asked for in order.
struct LineIndex<'a> {
    text: &'a [u8],
    starts: Vec<usize>,
    scanned_to: usize,
    /// Per line, whether it is `Label: value` (`is_labelled`), once asked: 0 not yet, 1 no,
    /// 2 yes. Every finding in a block of labelled lines looks at the block's lines again
    /// (up to 40 each way), and a share's key-value files hold many findings per block.
    labelled: Vec<u8>,
    /// The line `line_of` found last: findings come in order, so the next is at or after it.
    last_line: usize,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a [u8]) -> Self {
        LineIndex {
            text,
            starts: vec![0],
            scanned_to: 0,
            labelled: Vec::new(),
            last_line: 0,
        }
    }

    fn extend_to(&mut self, pos: usize) {
        let pos = pos.min(self.text.len());
        if pos <= self.scanned_to {
            return;
        }
        let from = self.scanned_to;
        self.starts
            .extend(memchr::memchr_iter(b'\n', &self.text[from..pos]).map(|p| from + p + 1));
        self.scanned_to = pos;
    }

    /// 0-based line of byte `pos`.
    fn line_of(&mut self, pos: usize) -> usize {
        self.extend_to(pos + 1);
        let from = match self.starts.get(self.last_line) {
            Some(&start) if start <= pos => self.last_line,
            _ => 0,
        };
        let line = (from + self.starts[from..].partition_point(|&s| s <= pos)).saturating_sub(1);
        self.last_line = line;
        line
    }

    /// Whether `line` is `Label: value` (`is_labelled`); false past the end of the text.
    fn is_labelled_line(&mut self, line: usize) -> bool {
        match self.labelled.get(line) {
            Some(1) => return false,
            Some(2) => return true,
            _ => {}
        }
        let labelled = self.line(line).is_some_and(is_labelled);
        if self.labelled.len() <= line {
            self.labelled.resize(line + 1, 0);
        }
        self.labelled[line] = 1 + u8::from(labelled);
        labelled
    }

    fn start_of(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(self.text.len())
    }

    /// The bytes of `line` without its newline, or None past the end of the text.
    fn line(&mut self, line: usize) -> Option<&'a [u8]> {
        let mut probe = self.scanned_to;
        while self.starts.len() <= line + 1 && probe < self.text.len() {
            probe = (probe + 4096).min(self.text.len());
            self.extend_to(probe);
        }
        let start = *self.starts.get(line)?;
        if start > self.text.len() || (start == self.text.len() && line > 0) {
            return None;
        }
        let end = self
            .starts
            .get(line + 1)
            .map_or(self.text.len(), |next| next - 1);
        Some(&self.text[start..end.max(start)])
    }
}

/// The labelled block around `line`: the run of adjacent `Label: value` lines holding it, or
/// the line alone.
fn labelled_block(lines: &mut LineIndex<'_>, line: usize) -> (usize, usize) {
    if !lines.is_labelled_line(line) {
        return (line, line);
    }
    let mut first = line;
    while first > 0 && line - first < MAX_BLOCK_LINES && lines.is_labelled_line(first - 1) {
        first -= 1;
    }
    let mut last = line;
    while last - line < MAX_BLOCK_LINES && lines.is_labelled_line(last + 1) {
        last += 1;
    }
    (first, last)
}

/// `Name: Jane Roe`, `ssn = 536-22-5487`, `Dear Jane Roe,`: a short label, then a value.
pub fn is_labelled(line: &[u8]) -> bool {
    let line = line.trim_ascii();
    if line.len() >= 5 && line[..5].eq_ignore_ascii_case(b"dear ") {
        return true;
    }
    if !line.first().is_some_and(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    let mut spaces = 0;
    for (i, &b) in line.iter().enumerate().take(33) {
        match b {
            b' ' if spaces == 3 => return false,
            b' ' => spaces += 1,
            b':' | b'=' => {
                let value = &line[i + 1..];
                // `https://…` is no label.
                return !value.starts_with(b"//") && !value.trim_ascii().is_empty();
            }
            b if b.is_ascii_alphanumeric() || b" _.#/()'-".contains(&b) || b >= 0x80 => {}
            _ => return false,
        }
    }
    false
}

/// The record of a table row: the cell's place with the column dropped.
fn row_label(chunk: &TextChunk<'_>, line_start: usize, line: usize, start: usize) -> String {
    match chunk.placement {
        Placement::Lines { first_line, .. } => format!("line {}", first_line + line as u64),
        Placement::Offsets(runs) => {
            format!(
                "offset {}",
                RunOrigin::file_offset_of(runs, line_start).unwrap_or(0)
            )
        }
        Placement::Segments(segments) => {
            let location = Segment::at(segments, start)
                .or_else(|| Segment::at(segments, line_start))
                .map_or("", |s| s.location.as_str());
            row_of_cell(location)
        }
    }
}

/// `table t row 17 column ssn` → `table t row 17`; `Sheet1!C5` → `Sheet1!row 5`.
pub fn row_of_cell(location: &str) -> String {
    if let Some(at) = location.rfind(" column ") {
        return location[..at].to_string();
    }
    if let Some((sheet, cell)) = location.rsplit_once('!') {
        let row = cell.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        if !row.is_empty() && row.len() < cell.len() && row.bytes().all(|b| b.is_ascii_digit()) {
            return format!("{sheet}!row {row}");
        }
    }
    location.to_string()
}

/// The object a JSON value belongs to: the element of the outermost array, so `$[0].email` →
/// `$[0]`, `$.staff[2].phones[1]` → `$.staff[2]`, `line 3 $.name` → `line 3 $` (one NDJSON line).
/// None for places that are not JSON paths.
pub fn json_object(location: &str) -> Option<&str> {
    let dollar = location.find('$')?;
    let head = &location[..dollar];
    let is_json = head.is_empty()
        || (head.starts_with("line ") && head[5..].trim_end().bytes().all(|b| b.is_ascii_digit()));
    if !is_json {
        return None;
    }
    let path = &location[dollar..];
    Some(match path.find(']') {
        Some(end) => &location[..dollar + end + 1],
        None => &location[..dollar + 1],
    })
}

fn block_label(
    chunk: &TextChunk<'_>,
    lines: &LineIndex<'_>,
    first: usize,
    last: usize,
    first_start: usize,
    last_start: usize,
) -> String {
    let span = |a: u64, b: u64| {
        if a == b {
            format!("line {a}")
        } else {
            format!("lines {a}-{b}")
        }
    };
    match chunk.placement {
        Placement::Lines { first_line, .. } => {
            span(first_line + first as u64, first_line + last as u64)
        }
        Placement::Offsets(runs) => format!(
            "offset {}",
            RunOrigin::file_offset_of(runs, lines.start_of(first)).unwrap_or(0)
        ),
        Placement::Segments(segments) => {
            let place = |pos: usize| Segment::at(segments, pos);
            let (Some(a), Some(b)) = (place(first_start), place(last_start)) else {
                return span(first as u64 + 1, last as u64 + 1);
            };
            match (a.first_line, b.first_line) {
                // Lines within one place (a PDF page, a mail body).
                (Some(_), Some(_)) if a.location == b.location => {
                    let line_in = |s: &Segment, pos: usize| {
                        s.first_line.unwrap_or(1)
                            + memchr::memchr_iter(b'\n', &chunk.text[s.text_start..pos]).count()
                                as u64
                    };
                    let from = line_in(a, lines.start_of(first).max(a.text_start));
                    let to = line_in(b, lines.start_of(last).max(b.text_start));
                    let lines = span(from, to);
                    if a.location.is_empty() {
                        lines
                    } else {
                        format!("{} {lines}", a.location)
                    }
                }
                _ if a.location == b.location => a.location.clone(),
                _ => format!("{} – {}", a.location, b.location),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_chunk(text: &[u8]) -> TextChunk<'_> {
        TextChunk {
            text,
            placement: Placement::Lines {
                first_line: 1,
                first_offset: 0,
            },
            report_limit: text.len(),
            columns: None,
        }
    }

    fn texts(labels: Vec<Arc<str>>) -> Vec<String> {
        labels.iter().map(|l| l.to_string()).collect()
    }

    fn starts_of(text: &str, needles: &[&str]) -> Vec<usize> {
        needles
            .iter()
            .map(|n| text.find(n).unwrap_or(usize::MAX))
            .collect()
    }

    #[test]
    fn labelled_blocks_are_one_record() {
        let text = "Employee file\nName: Jane Roe\nSSN: 536-22-5487\nDOB: 1985-03-14\n\nName: Omar Haddad\nSSN: 219-45-7731\n";
        let starts = starts_of(text, &["Jane", "536-", "1985", "Omar", "219-"]);
        let labels = texts(record_labels(&lines_chunk(text.as_bytes()), &starts, 0));
        assert_eq!(
            labels,
            [
                "lines 2-4",
                "lines 2-4",
                "lines 2-4",
                "lines 6-7",
                "lines 6-7"
            ]
        );
    }

    #[test]
    fn prose_lines_are_separate_unless_within_the_window() {
        let text = "paid twice: SSN 219-45-7731 born 07/22/1979.\nCall 212.555.0187 or mail a@b.com.\n\n\nlater 646-555-0142\n";
        let starts = starts_of(text, &["219-", "07/22", "212.", "a@b", "646-"]);
        let chunk = lines_chunk(text.as_bytes());
        assert_eq!(
            texts(record_labels(&chunk, &starts, 0)),
            ["line 1", "line 1", "line 2", "line 2", "line 5"]
        );
        assert_eq!(
            texts(record_labels(&chunk, &starts, 1)),
            ["lines 1-2", "lines 1-2", "lines 1-2", "lines 1-2", "line 5"]
        );
    }

    #[test]
    fn places_of_rows_and_objects() {
        assert_eq!(
            row_of_cell("table staff row 17 column ssn"),
            "table staff row 17"
        );
        assert_eq!(row_of_cell("HR!C5"), "HR!row 5");
        assert_eq!(row_of_cell("page 3"), "page 3");
        assert_eq!(json_object("$[0].email"), Some("$[0]"));
        assert_eq!(json_object("$.staff[2].home.phone"), Some("$.staff[2]"));
        assert_eq!(json_object("$.staff[2].phones[1]"), Some("$.staff[2]"));
        assert_eq!(json_object("line 3 $.name"), Some("line 3 $"));
        assert_eq!(json_object("$.name"), Some("$"));
        assert_eq!(json_object("page 3"), None);
    }

    #[test]
    fn label_lines() {
        assert!(is_labelled(b"Name: Jane Roe"));
        assert!(is_labelled(b"  ssn = 536-22-5487"));
        assert!(is_labelled(b"Dear Jane Roe,"));
        assert!(!is_labelled(b"see https://example.com"));
        assert!(!is_labelled(b"Name:"));
        assert!(!is_labelled(
            b"This is a long sentence that mentions a value: 5"
        ));
    }
}
