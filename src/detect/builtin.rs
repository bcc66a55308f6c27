//! Hand-written matchers for numbers and addresses whose validity a regex cannot judge:
//! payment cards, SSNs, phone numbers, IBANs, e-mail addresses and dates of birth.

use super::validators::{
    card_brand, iban_length, iban_valid, is_filler_digits, luhn, plausible_birth_date, ssa_valid,
};

/// A value a built-in matcher found and validated, before context is weighed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub start: usize,
    pub end: usize,
    pub normalized: Vec<u8>,
    pub label: Option<&'static str>,
    /// This form of the value is only reported with a context keyword or column header.
    pub needs_context: bool,
    /// A vendor-documented test value: reported, but with low confidence.
    pub test_value: bool,
}

/// The built-in matchers a rule can name with `matcher = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    PaymentCard,
    UsSsn,
    Phone,
    Iban,
    Email,
    DateOfBirth,
}

impl Builtin {
    pub const NAMES: &[&str] = &[
        "payment_card",
        "us_ssn",
        "phone",
        "iban",
        "email",
        "date_of_birth",
    ];

    pub fn from_name(name: &str) -> Option<Builtin> {
        Some(match name {
            "payment_card" => Builtin::PaymentCard,
            "us_ssn" => Builtin::UsSsn,
            "phone" => Builtin::Phone,
            "iban" => Builtin::Iban,
            "email" => Builtin::Email,
            "date_of_birth" => Builtin::DateOfBirth,
            _ => return None,
        })
    }
}

/// Appends every candidate of built-in matcher `which` inside `text[start..end]` (offsets are into
/// `text`, so boundaries can look one byte outside the region).
pub fn find(which: Builtin, text: &[u8], start: usize, end: usize, out: &mut Vec<Candidate>) {
    match which {
        Builtin::Email => emails(text, start, end, out),
        Builtin::DateOfBirth => dates(text, start, end, out),
        digits => {
            let mut tagged = Vec::new();
            digit_family(text, start, end, DigitWants::only(digits), &mut tagged);
            out.extend(tagged.into_iter().map(|(_, c)| c));
        }
    }
}

/// Every plausible birth date in `text[start..end]`, in these forms, tried in this order at each
/// position (the first that fits wins, as in a regex alternation):
/// 1. ISO: `(19|20)YY` `-`/`/`/`.` `M` or `MM` (same separator) `D` or `DD`;
/// 2. numeric day and month either way round, then `(19|20)YY` or `YY`: `03/14/1985`, `14.03.85`;
/// 3. month name first: `March 14, 1985`, `Sept. 3rd 1990`;
/// 4. day first: `14 Mar 1985`, `3rd of September, 1990`;
/// 5. compact: `19850314`.
///
/// A month name is its first three letters (any case) and any letters after them. Dates under a
/// birth-date column are a whole column of them (1.2 million on the 1 GiB bench share), so the
/// forms are read by hand: a regex with capture groups cost about a microsecond a date.
fn dates(text: &[u8], start: usize, end: usize, out: &mut Vec<Candidate>) {
    let haystack = &text[..end];
    let mut at = start;
    while let Some(date) = next_date(haystack, at) {
        at = date.end.max(date.start + 1);
        if !free_standing_number(text, date.start, date.end) {
            continue;
        }
        let Some((year, month, day)) = date.ymd else {
            continue;
        };
        if plausible_birth_date(year, month, day) {
            out.push(Candidate {
                start: date.start,
                end: date.end,
                normalized: iso_date(year, month, day),
                label: None,
                needs_context: true,
                test_value: false,
            });
        }
    }
}

/// Where a date form fits, and what it reads as (`None` when its two separators differ).
#[derive(Debug, PartialEq, Eq)]
struct DateMatch {
    start: usize,
    end: usize,
    ymd: Option<(u32, u32, u32)>,
}

/// The leftmost date form in `haystack[at..]`. Every form holds a digit, and before its first
/// digit only a month name, a dot and spaces: so the search jumps from digit to digit, and tries
/// a month name only in the word just before one.
fn next_date(haystack: &[u8], mut at: usize) -> Option<DateMatch> {
    loop {
        let digit = skip_to_digit(haystack, at, haystack.len());
        if digit >= haystack.len() {
            return None;
        }
        if let Some(date) = month_first_before(haystack, at, digit) {
            return Some(date);
        }
        let mut p = digit;
        while haystack.get(p).is_some_and(u8::is_ascii_digit) {
            if let Some(date) = date_at(haystack, p) {
                return Some(date);
            }
            p += 1;
        }
        at = p;
    }
}

/// A month-first date (`March 14, 1985`) starting at or after `at` whose day is the digit at
/// `digit`: its month name begins the word before the spaces (and dot) before that digit, or a
/// later part of that word (`xmar 14 1985` is read from `mar`, as a regex would).
fn month_first_before(h: &[u8], at: usize, digit: usize) -> Option<DateMatch> {
    let mut word_end = digit;
    while word_end > at && h[word_end - 1] == b' ' {
        word_end -= 1;
    }
    if word_end == digit {
        return None;
    }
    if word_end > at && h[word_end - 1] == b'.' {
        word_end -= 1;
    }
    let mut word_start = word_end;
    while word_start > at && h[word_start - 1].is_ascii_alphabetic() {
        word_start -= 1;
    }
    // Every start in the word shares what follows it, so the first month name is the only try.
    let month_at = (word_start..word_end.saturating_sub(2))
        .find(|&p| month_number(h.get(p..p + 3)).is_some())?;
    month_first_date_at(h, month_at).map(|(end, ymd)| DateMatch {
        start: month_at,
        end,
        ymd,
    })
}

/// The first date form that fits at `p`, a digit: every form but the month-first one.
fn date_at(h: &[u8], p: usize) -> Option<DateMatch> {
    iso_date_at(h, p)
        .or_else(|| numeric_date_at(h, p))
        .or_else(|| day_first_date_at(h, p))
        .or_else(|| compact_date_at(h, p))
        .map(|(end, ymd)| DateMatch { start: p, end, ymd })
}

type FormFit = Option<(usize, Option<(u32, u32, u32)>)>;

/// Up to `max` digits at `p`: how many, and their value.
fn digits_at(h: &[u8], p: usize, max: usize) -> (usize, u32) {
    let mut n = 0;
    let mut value = 0u32;
    while n < max {
        match h.get(p + n) {
            Some(b) if b.is_ascii_digit() => {
                value = value * 10 + u32::from(b - b'0');
                n += 1;
            }
            _ => break,
        }
    }
    (n, value)
}

/// `(19|20)` and two more digits at `p`.
fn century_year_at(h: &[u8], p: usize) -> Option<u32> {
    let (n, year) = digits_at(h, p, 4);
    (n == 4 && matches!(year / 100, 19 | 20)).then_some(year)
}

fn date_separator_at(h: &[u8], p: usize) -> Option<u8> {
    h.get(p)
        .copied()
        .filter(|b| matches!(b, b'-' | b'/' | b'.'))
}

/// One or two digits at `p` (two when there are two: a greedy `[0-9]{1,2}` gives no more ways
/// to fit, since what follows it is never a digit).
fn one_or_two_digits_at(h: &[u8], p: usize) -> Option<(usize, u32)> {
    let (n, value) = digits_at(h, p, 2);
    (n > 0).then_some((p + n, value))
}

fn iso_date_at(h: &[u8], p: usize) -> FormFit {
    let year = century_year_at(h, p)?;
    let first = date_separator_at(h, p + 4)?;
    let (after_month, month) = one_or_two_digits_at(h, p + 5)?;
    let second = date_separator_at(h, after_month)?;
    let (end, day) = one_or_two_digits_at(h, after_month + 1)?;
    Some((end, (first == second).then_some((year, month, day))))
}

fn numeric_date_at(h: &[u8], p: usize) -> FormFit {
    let (after_a, a) = one_or_two_digits_at(h, p)?;
    let first = date_separator_at(h, after_a)?;
    let (after_b, b) = one_or_two_digits_at(h, after_a + 1)?;
    let second = date_separator_at(h, after_b)?;
    let year_at = after_b + 1;
    let (end, year) = match century_year_at(h, year_at) {
        Some(year) => (year_at + 4, year),
        None => match digits_at(h, year_at, 2) {
            (2, short) if short > 26 => (year_at + 2, 1900 + short),
            (2, short) => (year_at + 2, 2000 + short),
            _ => return None,
        },
    };
    if first != second {
        return Some((end, None));
    }
    // Month first (US) unless the first number cannot be a month.
    let ymd = if a > 12 { (year, b, a) } else { (year, a, b) };
    Some((end, Some(ymd)))
}

fn month_first_date_at(h: &[u8], p: usize) -> FormFit {
    let (after_month, month) = month_name_at(h, p)?;
    let at = spaces_at(h, skip_byte(h, after_month, b'.'))?;
    let (after_day, day) = one_or_two_digits_at(h, at)?;
    let at = skip_byte(h, ordinal_suffix_end(h, after_day), b',');
    let (end, year) = spaced_year_at(h, at)?;
    Some((end, Some((year, month, day))))
}

fn day_first_date_at(h: &[u8], p: usize) -> FormFit {
    let (after_day, day) = one_or_two_digits_at(h, p)?;
    let mut at = spaces_at(h, ordinal_suffix_end(h, after_day))?;
    if h.get(at..at + 2)
        .is_some_and(|of| of.eq_ignore_ascii_case(b"of"))
        && let Some(after_of) = spaces_at(h, at + 2)
    {
        at = after_of;
    }
    let (after_month, month) = month_name_at(h, at)?;
    let at = skip_byte(h, skip_byte(h, after_month, b'.'), b',');
    let (end, year) = spaced_year_at(h, at)?;
    Some((end, Some((year, month, day))))
}

/// One or more spaces, then `(19|20)YY`: where the year ends, and the year.
fn spaced_year_at(h: &[u8], p: usize) -> Option<(usize, u32)> {
    let at = spaces_at(h, p)?;
    Some((at + 4, century_year_at(h, at)?))
}

/// Past `byte` when it stands at `p`.
fn skip_byte(h: &[u8], p: usize, byte: u8) -> usize {
    if h.get(p) == Some(&byte) { p + 1 } else { p }
}

fn compact_date_at(h: &[u8], p: usize) -> FormFit {
    let year = century_year_at(h, p)?;
    let (months, month) = digits_at(h, p + 4, 2);
    let (days, day) = digits_at(h, p + 6, 2);
    (months == 2 && days == 2).then_some((p + 8, Some((year, month, day))))
}

/// A month's first three letters (any case) and the letters after them: where they end, and the
/// month's number.
fn month_name_at(h: &[u8], p: usize) -> Option<(usize, u32)> {
    let month = month_number(h.get(p..p + 3))?;
    Some((skip_while(h, p + 3, |b| b.is_ascii_alphabetic()), month))
}

/// `st`, `nd`, `rd` or `th` (any case) at `p`: where it ends, or `p` when there is none.
fn ordinal_suffix_end(h: &[u8], p: usize) -> usize {
    match h.get(p..p + 2) {
        Some(suffix)
            if [b"st", b"nd", b"rd", b"th"]
                .iter()
                .any(|s| suffix.eq_ignore_ascii_case(*s)) =>
        {
            p + 2
        }
        _ => p,
    }
}

/// One or more spaces at `p`: where they end.
fn spaces_at(h: &[u8], p: usize) -> Option<usize> {
    let end = skip_while(h, p, |b| b == b' ');
    (end > p).then_some(end)
}

fn skip_while(h: &[u8], mut p: usize, keep: impl Fn(u8) -> bool) -> usize {
    while h.get(p).is_some_and(|&b| keep(b)) {
        p += 1;
    }
    p
}

/// `YYYY-MM-DD`, as `format!("{year:04}-{month:02}-{day:02}")` writes it, without its cost
/// (one per date found).
fn iso_date(year: u32, month: u32, day: u32) -> Vec<u8> {
    if year > 9999 || month > 99 || day > 99 {
        return format!("{year:04}-{month:02}-{day:02}").into_bytes();
    }
    let digit = |n: u32| b'0' + (n % 10) as u8;
    vec![
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(day / 10),
        digit(day),
    ]
}

/// The month whose first three letters (any case) begin `name`.
fn month_number(name: Option<&[u8]>) -> Option<u32> {
    let name = name?.get(..3)?;
    const MONTHS: [&[u8]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    MONTHS
        .iter()
        .position(|m| name.eq_ignore_ascii_case(m))
        .map(|i| i as u32 + 1)
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A number that is not a slice of a longer token: no letter, digit or underscore touching it,
/// and no `.`/`-`/`:`/`/` joining it to a further digit (decimals, versions, IPs, times).
fn free_standing_number(text: &[u8], start: usize, end: usize) -> bool {
    if start > 0 {
        let before = text[start - 1];
        if is_word_byte(before) {
            return false;
        }
        if matches!(before, b'.' | b'-' | b':' | b'/')
            && start >= 2
            && text[start - 2].is_ascii_digit()
        {
            return false;
        }
    }
    if let Some(&after) = text.get(end) {
        if is_word_byte(after) {
            return false;
        }
        if matches!(after, b'.' | b'-' | b':' | b'/')
            && text.get(end + 1).is_some_and(u8::is_ascii_digit)
        {
            return false;
        }
    }
    true
}

/// A maximal run of digit groups joined by single spaces, dashes or dots.
#[derive(Debug, Default)]
pub struct DigitRun {
    /// (start, end) of each digit group.
    pub groups: Vec<(usize, usize)>,
}

impl DigitRun {
    /// The separator between group `i` and `i + 1`.
    fn separator(&self, text: &[u8], i: usize) -> u8 {
        text[self.groups[i].1]
    }
}

/// Calls `each` for every digit run that starts inside `text[start..end]`.
fn digit_runs(text: &[u8], start: usize, end: usize, mut each: impl FnMut(&DigitRun)) {
    let mut run = DigitRun::default();
    let mut i = start;
    // Do not begin inside a run that started before the region.
    while i < end && i > 0 && text[i - 1].is_ascii_digit() && text[i].is_ascii_digit() {
        i += 1;
    }
    while i < end {
        if !text[i].is_ascii_digit() {
            i = skip_to_digit(text, i + 1, end);
            continue;
        }
        run.groups.clear();
        let mut group_start = i;
        loop {
            while i < end && text[i].is_ascii_digit() {
                i += 1;
            }
            run.groups.push((group_start, i));
            if i + 1 < end && matches!(text[i], b' ' | b'-' | b'.') && text[i + 1].is_ascii_digit()
            {
                i += 1;
                group_start = i;
            } else {
                break;
            }
        }
        each(&run);
    }
}

/// Which digit-run matchers a pass feeds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DigitWants {
    pub card: bool,
    pub ssn: bool,
    pub phone: bool,
    pub iban: bool,
}

impl DigitWants {
    pub fn only(which: Builtin) -> DigitWants {
        let mut wants = DigitWants::default();
        match which {
            Builtin::PaymentCard => wants.card = true,
            Builtin::UsSsn => wants.ssn = true,
            Builtin::Phone => wants.phone = true,
            Builtin::Iban => wants.iban = true,
            Builtin::Email | Builtin::DateOfBirth => {}
        }
        wants
    }

    pub fn add(&mut self, which: Builtin) {
        let more = DigitWants::only(which);
        self.card |= more.card;
        self.ssn |= more.ssn;
        self.phone |= more.phone;
        self.iban |= more.iban;
    }

    pub fn any(self) -> bool {
        self.card || self.ssn || self.phone || self.iban
    }
}

/// One pass over the digit runs of `text[start..end]` for cards, SSNs, phone numbers and IBANs
/// together: the text is tokenised once, however many of them run.
pub fn digit_family(
    text: &[u8],
    start: usize,
    end: usize,
    wants: DigitWants,
    out: &mut Vec<(Builtin, Candidate)>,
) {
    let mut found = Vec::new();
    digit_runs(text, start, end, |run| {
        // Most runs give nothing: an empty drain still cost a call per matcher per run.
        let mut take = |which: Builtin, found: &mut Vec<Candidate>| {
            if !found.is_empty() {
                out.extend(found.drain(..).map(|c| (which, c)))
            }
        };
        if wants.card {
            cards_in_run(text, run, &mut found);
            take(Builtin::PaymentCard, &mut found);
        }
        if wants.ssn {
            ssns_in_run(text, run, &mut found);
            take(Builtin::UsSsn, &mut found);
        }
        if wants.phone {
            phones_in_run(text, run, &mut found);
            take(Builtin::Phone, &mut found);
        }
        if wants.iban {
            iban_at_run(text, run, end, &mut found);
            take(Builtin::Iban, &mut found);
        }
    });
}

/// An IBAN starts with two capital letters right before its check digits, which begin a run.
fn iban_at_run(text: &[u8], run: &DigitRun, end: usize, out: &mut Vec<Candidate>) {
    let Some(&(digits_start, _)) = run.groups.first() else {
        return;
    };
    if digits_start < 2 {
        return;
    }
    let start = digits_start - 2;
    if !text[start].is_ascii_uppercase()
        || !text[start + 1].is_ascii_uppercase()
        || (start > 0 && is_word_byte(text[start - 1]))
    {
        return;
    }
    let Some(expected) = iban_length(&text[start..start + 2]) else {
        return;
    };
    if let Some((value_end, compact)) = read_iban(text, start, end, expected)
        && iban_valid(&compact)
    {
        out.push(Candidate {
            start,
            end: value_end,
            normalized: compact,
            label: None,
            needs_context: false,
            test_value: false,
        });
    }
}

/// Phone numbers from digit runs: `+CC …` international numbers, NANP `415-555-2671`,
/// `415.555.2671`, `415 555 2671`, `1-415-555-2671`, `(415) 555-2671`, and ten contiguous digits
/// (the last only with a keyword or column).
fn phones_in_run(text: &[u8], run: &DigitRun, out: &mut Vec<Candidate>) {
    let groups = &run.groups;
    let last = groups.len() - 1;
    let first_start = groups[0].0;
    let digits_of = |a: usize, b: usize| -> Vec<u8> {
        groups[a..=b]
            .iter()
            .flat_map(|g| text[g.0..g.1].iter().copied())
            .collect()
    };
    // International: the run follows a `+` that stands on its own.
    if first_start > 0 && text[first_start - 1] == b'+' {
        let plus = first_start - 1;
        let standing = plus == 0 || !(is_word_byte(text[plus - 1]) || text[plus - 1] == b'+');
        let end = groups[last].1;
        if standing && boundary_after_ok(text, end) {
            let digits = digits_of(0, last);
            let normalized = if digits.first() == Some(&b'1') && digits.len() == 11 {
                nanp_digits(&digits[1..])
            } else if digits.first() != Some(&b'1') {
                international_phone(&digits)
            } else {
                None
            };
            if let Some(normalized) = normalized {
                out.push(Candidate {
                    start: plus,
                    end,
                    normalized,
                    label: None,
                    needs_context: false,
                    test_value: false,
                });
            }
        }
        return;
    }
    // Parenthesised area code: `(415) 555-2671`, `(415)555-2671`, optionally after `1 `/`+1 `.
    if groups.len() >= 2
        && group_len(groups[0]) == 3
        && group_len(groups[1]) == 4
        && run.separator(text, 0) != b' '
    {
        let extends = last >= 2 && run.separator(text, 1) == run.separator(text, 0);
        let mut open = first_start;
        if open > 0 && text[open - 1] == b' ' {
            open -= 1;
        }
        let has_area = open >= 5
            && text[open - 1] == b')'
            && text[open - 5] == b'('
            && text[open - 4..open - 1].iter().all(u8::is_ascii_digit);
        if has_area && !extends && boundary_after_ok(text, groups[1].1) {
            let mut start = open - 5;
            // A leading `1 ` or `+1 ` belongs to the number.
            if start >= 2
                && text[start - 1] == b' '
                && text[start - 2] == b'1'
                && (start < 3 || !text[start - 3].is_ascii_digit())
            {
                start -= 2;
                if start >= 1 && text[start - 1] == b'+' {
                    start -= 1;
                }
            }
            if boundary_before_ok(text, start)
                || text[start] == b'+'
                || text[start] == b'(' && (start == 0 || !is_word_byte(text[start - 1]))
            {
                let mut ten = text[open - 4..open - 1].to_vec();
                ten.extend(digits_of(0, 1));
                if let Some(normalized) = nanp_digits(&ten) {
                    out.push(Candidate {
                        start,
                        end: groups[1].1,
                        normalized,
                        label: None,
                        needs_context: false,
                        test_value: false,
                    });
                }
            }
            return;
        }
    }
    // NANP groups 3-3-4 with one separator, optionally after a `1` group.
    for a in 0..groups.len() {
        if a + 2 > last {
            break;
        }
        if [
            group_len(groups[a]),
            group_len(groups[a + 1]),
            group_len(groups[a + 2]),
        ] != [3, 3, 4]
        {
            continue;
        }
        let sep = run.separator(text, a);
        if run.separator(text, a + 1) != sep {
            continue;
        }
        let leading_one = a > 0 && group_len(groups[a - 1]) == 1 && text[groups[a - 1].0] == b'1';
        let first = if leading_one { a - 1 } else { a };
        // A short group joined the same way continues the number; a long one (a timestamp
        // before `296 741 8464`) is a different number.
        let extends_before =
            first > 0 && run.separator(text, first - 1) == sep && group_len(groups[first - 1]) <= 4;
        let extends_after =
            a + 2 < last && run.separator(text, a + 2) == sep && group_len(groups[a + 3]) <= 4;
        let (start, end) = (groups[first].0, groups[a + 2].1);
        if extends_before
            || extends_after
            || (first == 0 && !boundary_before_ok(text, start))
            || (a + 2 == last && !boundary_after_ok(text, end))
            || (first > 0 && run.separator(text, first - 1) == b'.')
            || (a + 2 < last && run.separator(text, a + 2) == b'.')
        {
            continue;
        }
        if let Some(normalized) = nanp_digits(&digits_of(a, a + 2)) {
            out.push(Candidate {
                start,
                end,
                normalized,
                label: None,
                needs_context: false,
                test_value: false,
            });
        }
    }
    // Ten contiguous digits are only a phone number when a keyword or column says so.
    if let [group] = groups.as_slice() {
        let digits = &text[group.0..group.1];
        let ten = match digits.len() {
            10 => Some(digits),
            11 if digits[0] == b'1' => Some(&digits[1..]),
            _ => None,
        };
        if let Some(ten) = ten
            && boundary_before_ok(text, group.0)
            && boundary_after_ok(text, group.1)
            && let Some(normalized) = nanp_digits(ten)
        {
            out.push(Candidate {
                start: group.0,
                end: group.1,
                normalized,
                label: None,
                needs_context: true,
                test_value: false,
            });
        }
    }
}

/// A valid NANP number (area code and exchange begin with 2-9) as `+1` and ten digits.
fn nanp_digits(ten: &[u8]) -> Option<Vec<u8>> {
    if ten.len() != 10 || ten[0] < b'2' || ten[3] < b'2' || is_filler_digits(ten) {
        return None;
    }
    let mut normalized = b"+1".to_vec();
    normalized.extend_from_slice(ten);
    Some(normalized)
}

/// The first position at or after `i` (and before `end`) holding an ASCII digit, else `end`.
/// Eight bytes at a time: most text has long stretches without digits.
fn skip_to_digit(text: &[u8], mut i: usize, end: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    while i + 8 <= end {
        let mut word = [0u8; 8];
        word.copy_from_slice(&text[i..i + 8]);
        // Digits become bytes 0..=9; "some byte below 10" is the classic has-less-than test.
        let shifted = u64::from_le_bytes(word) ^ (0x30 * ONES);
        let digits = shifted.wrapping_sub(10 * ONES) & !shifted & HIGHS;
        if digits != 0 {
            // Borrows only run upwards, so the lowest flag is exact: the first digit.
            return i + (digits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < end && !text[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// Group lengths that card numbers are printed in (besides contiguous 13-19 digits).
const CARD_GROUPINGS: &[&[usize]] = &[
    &[4, 4, 4, 4],
    &[4, 6, 5],
    &[4, 6, 4],
    &[4, 4, 5],
    &[4, 4, 4, 3],
    &[4, 4, 4, 2],
    &[4, 4, 4, 4, 3],
    &[4, 4, 4, 4, 2],
    &[4, 4, 4, 4, 1],
    &[6, 13],
];

// `cards_in_run` tries the groupings only where one can start: pinned here, at compile time.
const _: () = {
    let mut i = 0;
    while i < CARD_GROUPINGS.len() {
        let grouping = CARD_GROUPINGS[i];
        assert!(grouping.len() >= 2 && (grouping[0] == 4 || grouping[0] == 6));
        i += 1;
    }
};

fn group_len(g: (usize, usize)) -> usize {
    g.1 - g.0
}

fn cards_in_run(text: &[u8], run: &DigitRun, out: &mut Vec<Candidate>) {
    let groups = &run.groups;
    let last = groups.len() - 1;
    // Dots join decimals, versions and addresses, never card digits.
    let dot_before = |a: usize| a > 0 && run.separator(text, a - 1) == b'.';
    let dot_after = |b: usize| b < last && run.separator(text, b) == b'.';
    let mut a = 0;
    while a < groups.len() {
        let mut matched = None;
        let first = group_len(groups[a]);
        // A single group of 13-19 digits.
        if (13..=19).contains(&first) {
            matched = Some(a);
        } else if a < last && (first == 4 || first == 6) {
            // Every grouping has two groups or more and starts with 4 or 6 digits: most runs
            // (a lone number, a date) skip the loop.
            for grouping in CARD_GROUPINGS {
                let b = a + grouping.len() - 1;
                if b > last {
                    continue;
                }
                let lengths_fit = grouping
                    .iter()
                    .enumerate()
                    .all(|(k, &len)| group_len(groups[a + k]) == len);
                if !lengths_fit {
                    continue;
                }
                let sep = run.separator(text, a);
                let consistent = sep != b'.' && (a..b).all(|k| run.separator(text, k) == sep);
                // A 4-digit group joined on either side with the same separator means the
                // number is longer than this grouping: a slice, not a card.
                let extends_before =
                    a > 0 && run.separator(text, a - 1) == sep && group_len(groups[a - 1]) == 4;
                let extends_after =
                    b < last && run.separator(text, b) == sep && group_len(groups[b + 1]) == 4;
                if consistent && !extends_before && !extends_after {
                    matched = Some(b);
                    break;
                }
            }
        }
        let Some(b) = matched else {
            a += 1;
            continue;
        };
        let (start, end) = (groups[a].0, groups[b].1);
        let edge_ok = (a > 0 || boundary_before_ok(text, start))
            && (b < last || boundary_after_ok(text, end));
        if edge_ok && !dot_before(a) && !dot_after(b) {
            // Gathered on the stack: most long runs (13-digit epoch milliseconds in logs) fail
            // Luhn or the brand ranges, and then nothing is allocated.
            let mut gathered = [0u8; 19];
            let mut len = 0;
            for &byte in text[start..end].iter().filter(|b| b.is_ascii_digit()) {
                if let Some(slot) = gathered.get_mut(len) {
                    *slot = byte;
                }
                len += 1;
            }
            let digits = &gathered[..len.min(gathered.len())];
            if len == digits.len()
                && luhn(digits)
                && !is_filler_digits(digits)
                && let Some(brand) = card_brand(digits)
            {
                let test_value = KNOWN_TEST_PANS.contains(&digits);
                let label = if test_value {
                    brand.test_label()
                } else {
                    brand.as_str()
                };
                out.push(Candidate {
                    start,
                    end,
                    normalized: digits.to_vec(),
                    label: Some(label),
                    needs_context: false,
                    test_value,
                });
                a = b + 1;
                continue;
            }
        }
        a += 1;
    }
}

/// Card numbers the brands and payment processors publish for testing.
const KNOWN_TEST_PANS: &[&[u8]] = &[
    b"4111111111111111",
    b"4242424242424242",
    b"4012888888881881",
    b"4000056655665556",
    b"5555555555554444",
    b"5105105105105100",
    b"2223003122003222",
    b"378282246310005",
    b"371449635398431",
    b"6011111111111117",
    b"6011000990139424",
    b"3530111333300000",
    b"3566002020360505",
    b"30569309025904",
    b"38520000023237",
    b"6200000000000005",
];

fn boundary_before_ok(text: &[u8], start: usize) -> bool {
    if start == 0 {
        return true;
    }
    let before = text[start - 1];
    !(is_word_byte(before)
        || matches!(before, b'.' | b':' | b'/' | b'+')
            && start >= 2
            && text[start - 2].is_ascii_digit())
}

fn boundary_after_ok(text: &[u8], end: usize) -> bool {
    match text.get(end) {
        None => true,
        Some(&after) => {
            !(is_word_byte(after)
                || matches!(after, b'.' | b':' | b'/')
                    && text.get(end + 1).is_some_and(u8::is_ascii_digit))
        }
    }
}

fn ssns_in_run(text: &[u8], run: &DigitRun, out: &mut Vec<Candidate>) {
    let groups = &run.groups;
    let last = groups.len() - 1;
    for a in 0..groups.len() {
        // Contiguous nine digits: an SSN only with a keyword or an SSN column. A dash on either
        // side makes it part of a longer identifier.
        if group_len(groups[a]) == 9 {
            let dash_before = a > 0 && matches!(run.separator(text, a - 1), b'-' | b'.');
            let dash_after = a < last && matches!(run.separator(text, a), b'-' | b'.');
            let (start, end) = groups[a];
            if !dash_before
                && !dash_after
                && (a > 0 || boundary_before_ok(text, start))
                && (a < last || boundary_after_ok(text, end))
                && ssa_valid(&text[start..end])
            {
                out.push(Candidate {
                    start,
                    end,
                    normalized: text[start..end].to_vec(),
                    label: None,
                    needs_context: true,
                    test_value: false,
                });
            }
            continue;
        }
        // 3-2-4 with one separator, not part of a longer number grouped the same way.
        if a + 2 > last {
            continue;
        }
        let lengths = [
            group_len(groups[a]),
            group_len(groups[a + 1]),
            group_len(groups[a + 2]),
        ];
        let sep = run.separator(text, a);
        if lengths != [3, 2, 4] || sep == b'.' || run.separator(text, a + 1) != sep {
            continue;
        }
        let extends_before =
            a > 0 && run.separator(text, a - 1) == sep && group_len(groups[a - 1]) <= 4;
        let extends_after =
            a + 2 < last && run.separator(text, a + 2) == sep && group_len(groups[a + 3]) <= 4;
        let (start, end) = (groups[a].0, groups[a + 2].1);
        if extends_before
            || extends_after
            || (a == 0 && !boundary_before_ok(text, start))
            || (a + 2 == last && !boundary_after_ok(text, end))
        {
            continue;
        }
        let digits: Vec<u8> = text[start..end]
            .iter()
            .copied()
            .filter(u8::is_ascii_digit)
            .collect();
        if ssa_valid(&digits) {
            // The spaced form is common in tables of unrelated numbers; it needs context.
            out.push(Candidate {
                start,
                end,
                normalized: digits,
                label: None,
                needs_context: sep == b' ',
                test_value: false,
            });
        }
    }
}

/// ITU-T E.164 country calling codes in use (one to three digits).
const CALLING_CODES: &[u16] = &[
    20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56,
    57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, 211, 212, 213,
    216, 218, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236,
    237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 248, 249, 250, 251, 252, 253, 254, 255, 256,
    257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298, 299, 350, 351,
    352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377, 378, 380, 381,
    382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505, 506, 507, 508, 509,
    590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675, 676, 677, 678, 679,
    680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, 850, 852, 853, 855, 856, 880, 886,
    960, 961, 962, 963, 964, 965, 966, 967, 968, 970, 971, 972, 973, 974, 975, 976, 977, 992, 993,
    994, 995, 996, 998,
];

fn international_phone(digits: &[u8]) -> Option<Vec<u8>> {
    // E.164: at most 15 digits; fewer than 8 is no subscriber number anywhere.
    if !(8..=15).contains(&digits.len()) || is_filler_digits(digits) {
        return None;
    }
    let code_known = (1..=3).any(|len| {
        let code = digits[..len]
            .iter()
            .fold(0u16, |acc, &b| acc * 10 + u16::from(b - b'0'));
        CALLING_CODES.contains(&code)
    });
    code_known.then(|| {
        let mut normalized = b"+".to_vec();
        normalized.extend_from_slice(digits);
        normalized
    })
}

/// Reads an IBAN of `expected` characters from `start`, compact or in groups of four separated by
/// single spaces; returns its end and the compact form.
fn read_iban(text: &[u8], start: usize, end: usize, expected: usize) -> Option<(usize, Vec<u8>)> {
    let mut compact = Vec::with_capacity(expected);
    let mut i = start;
    let mut grouped: Option<bool> = None;
    while compact.len() < expected && i < end {
        let b = text[i];
        if b.is_ascii_uppercase() || b.is_ascii_digit() {
            compact.push(b);
            i += 1;
        } else if b == b' ' && compact.len() % 4 == 0 && grouped != Some(false) {
            grouped = Some(true);
            i += 1;
        } else {
            return None;
        }
        if compact.len() == 4 && grouped.is_none() {
            grouped = Some(text.get(i) == Some(&b' '));
        }
    }
    if compact.len() != expected || text.get(i).is_some_and(|&b| is_word_byte(b)) {
        return None;
    }
    Some((i, compact))
}

/// Top-level domains seen in real addresses: every country code plus the common generic ones.
/// File extensions such as `png` or `js` are not in it, which keeps `icon@2x.png` out.
const GENERIC_TLDS: &[&str] = &[
    "com",
    "org",
    "net",
    "edu",
    "gov",
    "mil",
    "int",
    "info",
    "biz",
    "name",
    "pro",
    "aero",
    "coop",
    "museum",
    "mobi",
    "asia",
    "tel",
    "travel",
    "jobs",
    "cat",
    "xxx",
    "post",
    "app",
    "dev",
    "io",
    "ai",
    "co",
    "me",
    "tv",
    "cloud",
    "online",
    "site",
    "store",
    "tech",
    "shop",
    "blog",
    "email",
    "xyz",
    "top",
    "club",
    "live",
    "digital",
    "agency",
    "company",
    "solutions",
    "services",
    "group",
    "health",
    "law",
    "legal",
    "bank",
    "insurance",
    "finance",
    "media",
    "news",
    "network",
    "systems",
    "works",
    "world",
    "global",
    "capital",
    "consulting",
    "design",
    "studio",
    "team",
    "today",
    "tools",
    "page",
    "mail",
    "one",
    "plus",
    "law",
    "care",
    "clinic",
    "dental",
    "hospital",
    "church",
    "school",
    "university",
    "academy",
    "college",
    "foundation",
    "fund",
    "partners",
    "ventures",
    "holdings",
    "inc",
    "llc",
    "ltd",
    "gmbh",
    "art",
    "family",
    "life",
    "love",
    "page",
    "link",
    "space",
    "website",
    "zone",
    "center",
];

fn tld_known(tld: &[u8]) -> bool {
    if tld.len() == 2 {
        return tld.iter().all(u8::is_ascii_alphabetic) && country_tld(tld);
    }
    GENERIC_TLDS
        .iter()
        .any(|t| t.as_bytes().eq_ignore_ascii_case(tld))
}

fn country_tld(tld: &[u8]) -> bool {
    const CC: &str = "ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs bt bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es et eu fi fj fk fm fo fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw";
    let lower = [tld[0].to_ascii_lowercase(), tld[1].to_ascii_lowercase()];
    CC.as_bytes().chunks(3).any(|c| c[..2] == lower)
}

fn is_local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-' | b'\'')
}

fn is_domain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'-'
}

/// True when the `@` at `at` ends the userinfo of a URL: the token it ends holds `://` and then
/// a `:` (`smtp://user:pa#ss@host`).
fn in_url_userinfo(text: &[u8], at: usize) -> bool {
    let floor = at.saturating_sub(512);
    let token_start = text[floor..at]
        .iter()
        .rposition(|b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'<' | b'(' | b'='))
        .map_or(floor, |p| floor + p + 1);
    let token = &text[token_start..at];
    memchr::memmem::find(token, b"://").is_some_and(|p| token[p + 3..].contains(&b':'))
}

/// Addresses that name a service, not a person's mailbox (`git@github.com` in clone URLs).
const SERVICE_ADDRESSES: &[&str] = &[
    "git@github.com",
    "git@gitlab.com",
    "git@bitbucket.org",
    "git@ssh.dev.azure.com",
];

fn emails(text: &[u8], start: usize, end: usize, out: &mut Vec<Candidate>) {
    for at in memchr::memchr_iter(b'@', &text[start..end]).map(|p| p + start) {
        let mut local_start = at;
        while local_start > 0 && at - local_start < 64 && is_local_byte(text[local_start - 1]) {
            local_start -= 1;
        }
        // Trim punctuation that cannot begin a local part.
        while local_start < at && matches!(text[local_start], b'.' | b'\'' | b'-' | b'+') {
            local_start += 1;
        }
        let mut domain_end = at + 1;
        while domain_end < text.len() && domain_end - at <= 253 && is_domain_byte(text[domain_end])
        {
            domain_end += 1;
        }
        while domain_end > at + 1 && matches!(text[domain_end - 1], b'.' | b'-') {
            domain_end -= 1;
        }
        if local_start == at || domain_end <= at + 1 {
            continue;
        }
        // `scheme://user:password@host` and `token@host/path`: the part before `@` is a
        // credential in a URL, not a mailbox. A mailbox is never followed by a path or a port.
        let url_follows = match text.get(domain_end) {
            Some(b'/') => true,
            Some(b':') => text.get(domain_end + 1).is_some_and(u8::is_ascii_digit),
            _ => false,
        };
        if url_follows || in_url_userinfo(text, at) {
            continue;
        }
        let local = &text[local_start..at];
        let domain = &text[at + 1..domain_end];
        if local.windows(2).any(|w| w == b"..") || local.ends_with(b".") {
            continue;
        }
        let labels: Vec<&[u8]> = domain.split(|&b| b == b'.').collect();
        if labels.len() < 2
            || labels
                .iter()
                .any(|l| l.is_empty() || l.len() > 63 || l.starts_with(b"-"))
        {
            continue;
        }
        let Some(tld) = labels.last() else { continue };
        if !tld_known(tld) {
            continue;
        }
        // Retina asset names (`icon@2x.png`, `logo@3x.webp`) even when the extension is a TLD.
        if labels[0].len() <= 3
            && labels[0].ends_with(b"x")
            && labels[0][..labels[0].len() - 1]
                .iter()
                .all(u8::is_ascii_digit)
        {
            continue;
        }
        let mut normalized = Vec::with_capacity(local.len() + 1 + domain.len());
        normalized.extend(local.iter().map(u8::to_ascii_lowercase));
        normalized.push(b'@');
        normalized.extend(domain.iter().map(u8::to_ascii_lowercase));
        if SERVICE_ADDRESSES
            .iter()
            .any(|s| s.as_bytes() == normalized.as_slice())
        {
            continue;
        }
        out.push(Candidate {
            start: local_start,
            end: domain_end,
            normalized,
            label: None,
            needs_context: false,
            test_value: false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex::bytes::Regex;

    /// The date forms as the regex they were first written as: the reference `dates` must equal.
    fn date_regex() -> Regex {
        regex::bytes::RegexBuilder::new(concat!(
            r"(?i)(?P<iy>(?:19|20)[0-9]{2})(?P<is>[-/.])(?P<im>[0-9]{1,2})(?P<is2>[-/.])(?P<id>[0-9]{1,2})",
            r"|(?P<na>[0-9]{1,2})(?P<ns>[-/.])(?P<nb>[0-9]{1,2})(?P<ns2>[-/.])(?P<ny>(?:19|20)[0-9]{2}|[0-9]{2})",
            r"|(?P<wm>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?[ ]+(?P<wd>[0-9]{1,2})(?:st|nd|rd|th)?,?[ ]+(?P<wy>(?:19|20)[0-9]{2})",
            r"|(?P<vd>[0-9]{1,2})(?:st|nd|rd|th)?[ ]+(?:of[ ]+)?(?P<vm>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?[ ]+(?P<vy>(?:19|20)[0-9]{2})",
            r"|(?P<cy>(?:19|20)[0-9]{2})(?P<cm>[0-9]{2})(?P<cd>[0-9]{2})",
        ))
        .unicode(false)
        .build()
        .expect("the reference date regex compiles")
    }

    /// Every date form match of `date_regex` in `text[start..end]`, read as `dates` reads them.
    fn dates_by_regex(regex: &Regex, text: &[u8], start: usize, end: usize) -> Vec<DateMatch> {
        let haystack = &text[..end];
        let mut at = start;
        let mut found = Vec::new();
        while let Some(caps) = regex.captures_at(haystack, at) {
            let whole = caps.get(0).expect("group 0 always matches");
            at = whole.end().max(whole.start() + 1);
            let num = |name: &str| -> Option<u32> {
                std::str::from_utf8(caps.name(name)?.as_bytes())
                    .ok()?
                    .parse()
                    .ok()
            };
            let same = |a: &str, b: &str| {
                caps.name(a).map(|m| m.as_bytes()) == caps.name(b).map(|m| m.as_bytes())
            };
            let ymd = if caps.name("iy").is_some() {
                same("is", "is2")
                    .then(|| Some((num("iy")?, num("im")?, num("id")?)))
                    .flatten()
            } else if caps.name("na").is_some() {
                same("ns", "ns2")
                    .then(|| {
                        let (a, b, y) = (num("na")?, num("nb")?, num("ny")?);
                        let year = match caps.name("ny").map(|m| m.len()) {
                            Some(2) if y > 26 => 1900 + y,
                            Some(2) => 2000 + y,
                            _ => y,
                        };
                        Some(if a > 12 { (year, b, a) } else { (year, a, b) })
                    })
                    .flatten()
            } else if caps.name("wm").is_some() {
                month_number(caps.name("wm").map(|m| m.as_bytes()))
                    .zip(num("wd"))
                    .zip(num("wy"))
                    .map(|((m, d), y)| (y, m, d))
            } else if caps.name("vm").is_some() {
                month_number(caps.name("vm").map(|m| m.as_bytes()))
                    .zip(num("vd"))
                    .zip(num("vy"))
                    .map(|((m, d), y)| (y, m, d))
            } else {
                num("cy")
                    .zip(num("cm"))
                    .zip(num("cd"))
                    .map(|((y, m), d)| (y, m, d))
            };
            found.push(DateMatch {
                start: whole.start(),
                end: whole.end(),
                ymd,
            });
        }
        found
    }

    fn dates_by_hand(text: &[u8], start: usize, end: usize) -> Vec<DateMatch> {
        let haystack = &text[..end];
        let mut at = start;
        let mut found = Vec::new();
        while let Some(date) = next_date(haystack, at) {
            at = date.end.max(date.start + 1);
            found.push(date);
        }
        found
    }

    /// Text made of the pieces dates are made of, so that near-dates are common.
    fn date_like_text() -> impl Strategy<Value = Vec<u8>> {
        let word = prop::sample::select(vec![
            "19", "20", "1985", "2023", "st", "nd", "Th", "of ", "OF", "jan", "Mar", "march",
            "SEPT", "Sept.", "sep", "dec", "oct", "x", "_", ":", "\n", "\u{e9}",
        ])
        .prop_map(str::to_string);
        let piece = prop_oneof![
            3 => "[0-9]{1,2}",
            1 => "(19|20)[0-9]{2}",
            3 => "[-/., ]",
            4 => word,
        ];
        prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat().into_bytes())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        #[test]
        fn hand_read_dates_match_the_reference_regex(
            text in date_like_text(),
            cut in 0usize..8,
            skip in 0usize..4,
        ) {
            let end = text.len().saturating_sub(cut);
            let start = skip.min(end);
            let regex = date_regex();
            prop_assert_eq!(
                dates_by_hand(&text, start, end),
                dates_by_regex(&regex, &text, start, end)
            );
        }
    }

    #[test]
    fn every_date_form_is_read_by_hand_as_by_the_regex() {
        let regex = date_regex();
        let forms = [
            "1985-03-14",
            "1985/3/4",
            "2001.12.01",
            "1985-03/14",
            "03/14/1985",
            "14.03.85",
            "3-4-19",
            "3-4-26",
            "3-4-27",
            "12/13/00",
            "13/12/99",
            "13/12/2150",
            "March 14, 1985",
            "Sept. 3rd 1990",
            "dec  1st, 2001",
            "14 Mar 1985",
            "3rd of September, 1990",
            "31 OF  dec. 1999",
            "19850314",
            "1985031",
            "jan 5 1850",
            "123-45-6789",
            "12.34.56.78",
        ];
        for form in forms {
            for text in [form.to_string(), format!("x {form} y"), format!("1{form}9")] {
                let bytes = text.as_bytes();
                assert_eq!(
                    dates_by_hand(bytes, 0, bytes.len()),
                    dates_by_regex(&regex, bytes, 0, bytes.len()),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn iso_dates_read_as_format_writes_them() {
        for (year, month, day) in [
            (1985, 3, 14),
            (2001, 12, 1),
            (999, 1, 9),
            (7, 10, 31),
            (10000, 1, 1),
        ] {
            assert_eq!(
                iso_date(year, month, day),
                format!("{year:04}-{month:02}-{day:02}").into_bytes()
            );
        }
    }

    fn found(which: Builtin, text: &str) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        find(which, text.as_bytes(), 0, text.len(), &mut out);
        out.into_iter()
            .map(|c| {
                (
                    String::from_utf8_lossy(&c.normalized).into_owned(),
                    c.needs_context,
                )
            })
            .collect()
    }

    fn values(which: Builtin, text: &str) -> Vec<String> {
        found(which, text).into_iter().map(|(v, _)| v).collect()
    }

    #[test]
    fn skipping_to_digits_finds_the_first_one() {
        let text = b"abcdefghijklmnopqrstuvwxyz 7 and \x80\xff\x3a\x2f 9";
        assert_eq!(skip_to_digit(text, 0, text.len()), 27);
        assert_eq!(skip_to_digit(text, 28, text.len()), text.len() - 1);
        assert_eq!(skip_to_digit(b"no digits here at all", 0, 21), 21);
        for pos in 0..20 {
            let mut bytes = vec![b'x'; 20];
            bytes[pos] = b'5';
            assert_eq!(skip_to_digit(&bytes, 0, 20), pos);
        }
    }

    proptest! {
        /// The word-at-a-time skip lands where a byte-by-byte one does, whatever precedes the
        /// first digit in its word (bytes just below or above the digits, high bytes).
        #[test]
        fn skipping_to_digits_lands_on_the_first_digit(
            bytes in proptest::collection::vec(
                prop_oneof![Just(b'/'), Just(b':'), Just(b'0'), Just(b'9'), Just(0xB0u8), Just(0xBAu8), any::<u8>()],
                0..40,
            ),
            from in 0usize..40,
        ) {
            let from = from.min(bytes.len());
            let naive = (from..bytes.len())
                .find(|&i| bytes[i].is_ascii_digit())
                .unwrap_or(bytes.len());
            prop_assert_eq!(skip_to_digit(&bytes, from, bytes.len()), naive);
        }
    }

    #[test]
    fn cards_in_every_grouping() {
        assert_eq!(
            values(Builtin::PaymentCard, "card 4539578763621486."),
            ["4539578763621486"]
        );
        assert_eq!(
            values(Builtin::PaymentCard, "4539 5787 6362 1486"),
            ["4539578763621486"]
        );
        assert_eq!(
            values(Builtin::PaymentCard, "4539-5787-6362-1486"),
            ["4539578763621486"]
        );
        assert_eq!(
            values(Builtin::PaymentCard, "amex 3782 822463 10005"),
            ["378282246310005"]
        );
        assert_eq!(
            values(Builtin::PaymentCard, "4539 5787 6362 1486 exp 12/27"),
            ["4539578763621486"]
        );
    }

    #[test]
    fn cards_never_slices() {
        assert!(values(Builtin::PaymentCard, "45395787636214861").is_empty());
        assert!(values(Builtin::PaymentCard, "x4539578763621486").is_empty());
        assert!(values(Builtin::PaymentCard, "1234 4539 5787 6362 1486").is_empty());
        assert!(values(Builtin::PaymentCard, "4539-5787 6362-1486").is_empty());
        assert!(values(Builtin::PaymentCard, "3.4539578763621486").is_empty());
        assert!(
            values(Builtin::PaymentCard, "4539578763621487").is_empty(),
            "Luhn fails"
        );
        assert!(
            values(Builtin::PaymentCard, "1234567812345670").is_empty(),
            "no issuer"
        );
    }

    #[test]
    fn ssn_forms() {
        assert_eq!(
            found(Builtin::UsSsn, "ssn 536-22-5487"),
            [("536225487".to_string(), false)]
        );
        assert_eq!(
            found(Builtin::UsSsn, "536 22 5487"),
            [("536225487".to_string(), true)]
        );
        assert_eq!(
            found(Builtin::UsSsn, "536225487"),
            [("536225487".to_string(), true)]
        );
        assert!(found(Builtin::UsSsn, "666-22-5487").is_empty());
        assert!(found(Builtin::UsSsn, "536-22-5487-1").is_empty());
        assert!(found(Builtin::UsSsn, "5362254871").is_empty());
        assert_eq!(
            found(Builtin::UsSsn, "req=944e20fe1589 536-22-5487"),
            [("536225487".to_string(), false)]
        );
        assert!(found(Builtin::UsSsn, "12-536225487").is_empty());
    }

    #[test]
    fn phones() {
        assert_eq!(
            values(Builtin::Phone, "call (415) 555-2671 now"),
            ["+14155552671"]
        );
        assert_eq!(values(Builtin::Phone, "415-555-2671"), ["+14155552671"]);
        assert_eq!(values(Builtin::Phone, "+1 415 555 2671"), ["+14155552671"]);
        assert_eq!(
            values(Builtin::Phone, "+44 20 7946 0958"),
            ["+442079460958"]
        );
        assert!(values(Builtin::Phone, "415-555.2671").is_empty());
        assert!(values(Builtin::Phone, "2023-01-05").is_empty());
        assert!(values(Builtin::Phone, "192.168.100.200").is_empty());
        assert!(values(Builtin::Phone, "v1.415.555.2671.3").is_empty());
        assert_eq!(
            found(Builtin::Phone, "4155552671"),
            [("+14155552671".to_string(), true)]
        );
    }

    #[test]
    fn ibans() {
        assert_eq!(
            values(Builtin::Iban, "IBAN DE89 3704 0044 0532 0130 00 paid"),
            ["DE89370400440532013000"]
        );
        assert_eq!(
            values(Builtin::Iban, "iban=GB82WEST12345698765432"),
            ["GB82WEST12345698765432"]
        );
        assert!(values(Builtin::Iban, "DE89370400440532013001").is_empty());
        assert!(values(Builtin::Iban, "XDE89370400440532013000").is_empty());
    }

    #[test]
    fn passwords_and_tokens_in_urls_are_not_emails() {
        assert!(
            values(
                Builtin::Email,
                "\"smtp://offset:kuu9#IsX@mail.acme-corp.com:587\""
            )
            .is_empty()
        );
        assert!(values(Builtin::Email, "token ghp_abc@github.com/acme/repo.git").is_empty());
        assert_eq!(
            values(Builtin::Email, "to: a.b@example.com: see"),
            ["a.b@example.com"]
        );
    }

    #[test]
    fn emails_need_real_domains() {
        assert_eq!(
            values(Builtin::Email, "mail Jane.Doe@Example.COM."),
            ["jane.doe@example.com"]
        );
        assert_eq!(
            values(Builtin::Email, "user=bob@acme-corp.co.uk;"),
            ["bob@acme-corp.co.uk"]
        );
        assert!(values(Builtin::Email, "icon@2x.png").is_empty());
        assert!(values(Builtin::Email, "admin@localhost").is_empty());
        assert!(values(Builtin::Email, "git@github.com:acme/repo.git").is_empty());
        assert!(values(Builtin::Email, "lodash@4.17.21").is_empty());
        assert!(
            values(
                Builtin::Email,
                "https://alice:Secr3t-pw@github.example.com/x"
            )
            .is_empty()
        );
        assert_eq!(
            values(Builtin::Email, "mailto:bob@example.com"),
            ["bob@example.com"]
        );
    }

    #[test]
    fn dates_normalise_to_iso() {
        assert_eq!(values(Builtin::DateOfBirth, "1985-03-14"), ["1985-03-14"]);
        assert_eq!(values(Builtin::DateOfBirth, "03/14/1985"), ["1985-03-14"]);
        assert_eq!(values(Builtin::DateOfBirth, "14.03.1985"), ["1985-03-14"]);
        assert_eq!(
            values(Builtin::DateOfBirth, "March 14, 1985"),
            ["1985-03-14"]
        );
        assert_eq!(values(Builtin::DateOfBirth, "14 Mar 1985"), ["1985-03-14"]);
        assert!(values(Builtin::DateOfBirth, "1985-02-30").is_empty());
        assert!(values(Builtin::DateOfBirth, "1985-03/14").is_empty());
    }
}
