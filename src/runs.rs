//! Rows rendered out of their order, put back in order through sorted runs in a temporary file.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;

/// Where one rendered row stands in its part's buffer, and the key it is sorted by.
#[derive(Debug, Clone, Copy)]
struct RowAt {
    key: u128,
    start: u32,
    len: u32,
}

/// Rows a task rendered: their bytes back to back, and where each one stands.
#[derive(Debug, Default)]
pub struct RenderedPart {
    bytes: Vec<u8>,
    rows: Vec<RowAt>,
}

impl RenderedPart {
    /// Adds the row, sorted by `key`, that `render` writes to the buffer; a row of 4 GiB or
    /// more is refused, since its length must fit a run's row header.
    pub fn push(&mut self, key: u128, render: impl FnOnce(&mut Vec<u8>)) -> io::Result<()> {
        let start = self.bytes.len();
        render(&mut self.bytes);
        let too_long = || io::Error::other("a rendered row is 4 GiB or more");
        let len = u32::try_from(self.bytes.len() - start).map_err(|_| too_long())?;
        let start = u32::try_from(start).map_err(|_| too_long())?;
        self.rows.push(RowAt { key, start, len });
        Ok(())
    }

    /// Forgets the rows and keeps the room, for the next round of rows.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.rows.clear();
    }
}

/// Bytes of a row's header in a run: its key and its length, little-endian.
const HEADER: usize = 20;

/// Runs of rows being written, each sorted by key, one after the other in an unlinked
/// temporary file (tempfile() is created 0600 and unlinked at once: nothing is left behind).
pub struct SortedRuns {
    file: BufWriter<File>,
    /// Byte ranges of the runs in the file.
    runs: Vec<std::ops::Range<u64>>,
    written: u64,
    /// The order of a run's rows, kept from run to run.
    order: Vec<(u128, usize, RowAt)>,
}

impl SortedRuns {
    pub fn new() -> io::Result<SortedRuns> {
        Ok(SortedRuns {
            file: BufWriter::with_capacity(1 << 20, tempfile::tempfile()?),
            runs: Vec::new(),
            written: 0,
            order: Vec::new(),
        })
    }

    /// Writes the rows of `parts` as one run, sorted by key (rows of equal keys in the order
    /// of `parts`, then as pushed).
    pub fn push_run(&mut self, parts: &[RenderedPart]) -> io::Result<()> {
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        order.extend(
            parts
                .iter()
                .enumerate()
                .flat_map(|(part, p)| p.rows.iter().map(move |&at| (at.key, part, at))),
        );
        order.sort_by_key(|&(key, part, _)| (key, part));
        let start = self.written;
        for &(key, part, at) in &order {
            let bytes = parts
                .get(part)
                .and_then(|p| {
                    p.bytes
                        .get(at.start as usize..at.start as usize + at.len as usize)
                })
                .unwrap_or_default();
            self.file.write_all(&key.to_le_bytes())?;
            self.file.write_all(&at.len.to_le_bytes())?;
            self.file.write_all(bytes)?;
            self.written += (HEADER + bytes.len()) as u64;
        }
        self.runs.push(start..self.written);
        self.order = order;
        Ok(())
    }

    /// The runs, written out and ready to be merged.
    pub fn finish(self) -> io::Result<FinishedRuns> {
        Ok(FinishedRuns {
            file: self.file.into_inner().map_err(|e| e.into_error())?,
            runs: self.runs,
        })
    }
}

/// Runs of rows on disk, each sorted by key (`SortedRuns::finish`).
#[derive(Debug)]
pub struct FinishedRuns {
    file: File,
    runs: Vec<std::ops::Range<u64>>,
}

impl FinishedRuns {
    /// Writes every row of every run to `out`, in key order (rows of equal keys in the order
    /// of their runs).
    pub fn merge_into(&self, out: &mut impl Write) -> io::Result<()> {
        let mut readers: Vec<BufReader<Region>> = self
            .runs
            .iter()
            .map(|range| {
                BufReader::with_capacity(
                    1 << 16,
                    Region {
                        file: &self.file,
                        at: range.start,
                        end: range.end,
                    },
                )
            })
            .collect();
        // The next row of each run, smallest key first.
        let mut heads = BinaryHeap::with_capacity(readers.len());
        for (run, reader) in readers.iter_mut().enumerate() {
            if let Some((key, len)) = next_header(reader)? {
                heads.push(Reverse((key, run, len)));
            }
        }
        let mut row_bytes = Vec::new();
        while let Some(Reverse((_, run, len))) = heads.pop() {
            let Some(reader) = readers.get_mut(run) else {
                continue;
            };
            row_bytes.resize(len as usize, 0);
            reader.read_exact(&mut row_bytes)?;
            out.write_all(&row_bytes)?;
            if let Some((key, len)) = next_header(reader)? {
                heads.push(Reverse((key, run, len)));
            }
        }
        Ok(())
    }
}

/// The next row's key and length in a run, or none at its end.
fn next_header(reader: &mut BufReader<Region>) -> io::Result<Option<(u128, u32)>> {
    let mut header = [0u8; HEADER];
    // The run's end is the only place a header may be missing: its first byte tells.
    loop {
        match reader.read(&mut header[..1]) {
            Ok(0) => return Ok(None),
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    reader.read_exact(&mut header[1..])?;
    let (key, len) = header.split_at(16);
    let key = <[u8; 16]>::try_from(key).map_or(0, u128::from_le_bytes);
    let len = <[u8; 4]>::try_from(len).map_or(0, u32::from_le_bytes);
    Ok(Some((key, len)))
}

/// One run's bytes, read at their own offsets so that runs of one file read side by side.
struct Region<'f> {
    file: &'f File,
    at: u64,
    end: u64,
}

impl Read for Region<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = usize::try_from(self.end - self.at).unwrap_or(usize::MAX);
        let want = buf.len().min(left);
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.at)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "a sorted run ends early",
            ));
        }
        self.at += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(rows: &[(u32, &str)]) -> RenderedPart {
        let mut part = RenderedPart::default();
        for &(row, text) in rows {
            part.push(u128::from(row) << 64, |out| {
                out.extend_from_slice(text.as_bytes())
            })
            .expect("short row");
        }
        part
    }

    #[test]
    fn runs_merge_into_row_order() {
        let mut runs = SortedRuns::new().expect("temp file");
        runs.push_run(&[part(&[(4, "e\n"), (0, "a\n")]), part(&[(2, "c\n")])])
            .expect("run");
        runs.push_run(&[part(&[(5, "f\n"), (1, "")]), part(&[(3, "d\n")])])
            .expect("run");
        runs.push_run(&[]).expect("empty run");
        let mut out = Vec::new();
        runs.finish()
            .and_then(|runs| runs.merge_into(&mut out))
            .expect("merge");
        assert_eq!(String::from_utf8_lossy(&out), "a\nc\nd\ne\nf\n");
    }

    #[test]
    fn a_run_shorter_or_longer_than_its_file_is_an_error() {
        for change in [-5i64, 7] {
            let mut runs = SortedRuns::new().expect("temp file");
            runs.push_run(&[part(&[(0, "a\n"), (1, "b\n")])])
                .expect("run");
            let mut finished = runs.finish().expect("finish");
            let run = &mut finished.runs[0];
            run.end = run.end.saturating_add_signed(change);
            let mut out = Vec::new();
            let error = finished
                .merge_into(&mut out)
                .expect_err("cut or overlong run");
            assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "{change}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_split_into_runs_gives_back_the_rows_in_order(
            rows in proptest::collection::vec("[a-z,\n]{0,40}", 0..200),
            cuts in proptest::collection::vec(0usize..200, 0..6),
            seed in 0u64..1000,
        ) {
            // Rows in a shuffled order, cut into runs and parts at arbitrary places.
            let mut numbered: Vec<(u32, &str)> =
                rows.iter().enumerate().map(|(i, r)| (i as u32, r.as_str())).collect();
            numbered.sort_by_key(|&(i, _)| (u64::from(i) * 2_654_435_761 + seed) % 1009);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(numbered.len())).collect();
            cuts.push(0);
            cuts.push(numbered.len());
            cuts.sort_unstable();
            let mut runs = SortedRuns::new().expect("temp file");
            for pair in cuts.windows(2) {
                let slice = &numbered[pair[0]..pair[1]];
                let (first, second) = slice.split_at(slice.len() / 2);
                runs.push_run(&[part(first), part(second)]).expect("run");
            }
            let mut out = Vec::new();
            runs.finish().and_then(|runs| runs.merge_into(&mut out)).expect("merge");
            proptest::prop_assert_eq!(String::from_utf8_lossy(&out), rows.concat());
        }
    }
}
