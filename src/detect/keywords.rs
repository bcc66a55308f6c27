//! Every occurrence of every rule keyword in a chunk, found by walking one DFA over the text as
//! four interleaved streams.
//!
//! aho-corasick builds the automaton; only the walk is ours. A single walk spends most of its
//! time waiting for each transition's load before it can start the next, so the text is cut into
//! four stretches walked side by side, and the processor overlaps their loads. On 49 MB of the
//! bench share's text files, this walk took 0.57 of the time of aho-corasick's own overlapping
//! search over the same keywords, with the same hits in the same order (BENCHMARKS.md,
//! fourteenth pass).

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{Anchored, MatchKind, dfa};

/// Stretches walked side by side. On 49 MB of the bench share's text, one to six took 0.096,
/// 0.070, 0.061, 0.058, 0.057 and 0.085 s: five gained under 2% on four, six lost.
const STREAMS: usize = 4;

/// Where the streams after the first keep their hits until they follow the first's.
pub type SpareHits = [Vec<KeywordHit>; STREAMS - 1];

/// One keyword found: its index in the list the finder was built from, and where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeywordHit {
    pub keyword: u32,
    pub start: usize,
    pub end: usize,
}

/// The keywords' automaton as a plain transition table.
#[derive(Debug, Clone)]
pub struct KeywordFinder {
    /// Each byte's class: bytes no transition tells apart share one.
    classes: [u8; 256],
    /// `transitions[state + class]` is the next state; states are premultiplied by the stride
    /// (a power of two at least the number of classes), so a step is one add and one load.
    transitions: Vec<u32>,
    start: u32,
    /// States below this one end a keyword: one compare per byte tells the rare match apart.
    matching_below: u32,
    stride_shift: u32,
    /// Per matching state, its keywords (index, length) in `ends`, in aho-corasick's order.
    ends_of: Vec<(u32, u32)>,
    ends: Vec<(u32, u32)>,
    /// A stream starts this many bytes before its stretch to reach the state the single walk
    /// would be in there: a state stands for at most the longest keyword's bytes.
    longest: usize,
}

/// Why the keywords do not make a finder.
#[derive(Debug, thiserror::Error)]
pub enum KeywordError {
    #[error("{0}")]
    Automaton(#[from] aho_corasick::BuildError),
    #[error("{0}")]
    Start(#[from] aho_corasick::MatchError),
    #[error("the keyword automaton has too many states for a table ({0})")]
    TooLarge(usize),
}

impl KeywordFinder {
    /// A finder of `keywords`, ASCII case ignored; `None` when there are none.
    pub fn new(keywords: &[String]) -> Result<Option<KeywordFinder>, KeywordError> {
        if keywords.is_empty() {
            return Ok(None);
        }
        let dfa = dfa::Builder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(keywords)?;
        let start = dfa.start_state(Anchored::No)?;
        let next = |state: StateID, byte: u8| dfa.next_state(Anchored::No, state, byte);

        // Byte classes as aho-corasick draws them: a byte of no keyword moves every state as any
        // other such byte does, and a keyword byte as its other case does. One byte of each
        // class stands for it below.
        let mut in_keywords = [false; 256];
        for &byte in keywords.iter().flat_map(|k| k.as_bytes()) {
            in_keywords[usize::from(byte.to_ascii_lowercase())] = true;
        }
        // Group 256 holds the bytes of no keyword; a keyword byte's group is its lowercase.
        let mut class_of_group: [Option<u8>; 257] = [None; 257];
        let mut classes = [0u8; 256];
        let mut representatives: Vec<u8> = Vec::new();
        for byte in 0..=255u8 {
            let folded = byte.to_ascii_lowercase();
            let group = if in_keywords[usize::from(folded)] {
                usize::from(folded)
            } else {
                256
            };
            let class = *class_of_group[group].get_or_insert_with(|| {
                representatives.push(byte);
                (representatives.len() - 1) as u8
            });
            classes[usize::from(byte)] = class;
        }
        let stride = representatives.len().next_power_of_two();
        let stride_shift = stride.trailing_zeros();

        // Every state reachable from the start, numbered in the order they are reached. The
        // automaton's state ids are indexes into its own table, so a plain vector maps them.
        let unseen = u32::MAX;
        let mut states = vec![start];
        let mut number: Vec<u32> = vec![unseen; start.as_usize() + 1];
        number[start.as_usize()] = 0;
        let mut at = 0;
        while at < states.len() {
            let state = states[at];
            at += 1;
            for &byte in &representatives {
                let to = next(state, byte);
                if to.as_usize() >= number.len() {
                    number.resize(to.as_usize() + 1, unseen);
                }
                if number[to.as_usize()] == unseen {
                    number[to.as_usize()] = states.len() as u32;
                    states.push(to);
                }
            }
        }
        let number_of = |state: StateID| number.get(state.as_usize()).copied().unwrap_or(0);

        // Matching states first, so that "is this a match" is one compare.
        let mut order: Vec<usize> = (0..states.len())
            .filter(|&s| dfa.is_match(states[s]))
            .collect();
        let matching = order.len();
        order.extend((0..states.len()).filter(|&s| !dfa.is_match(states[s])));
        let too_large = || KeywordError::TooLarge(states.len());
        let premultiplied = |rank: usize| -> Result<u32, KeywordError> {
            u32::try_from(rank << stride_shift).map_err(|_| too_large())
        };
        let mut rank = vec![0u32; states.len()];
        for (r, &s) in order.iter().enumerate() {
            rank[s] = premultiplied(r)?;
        }
        let mut transitions = vec![0u32; states.len() * stride];
        let mut ends_of = Vec::with_capacity(matching);
        let mut ends = Vec::new();
        for (r, &s) in order.iter().enumerate() {
            let state = states[s];
            let row = &mut transitions[r * stride..(r + 1) * stride];
            for (class, &byte) in representatives.iter().enumerate() {
                row[class] = rank[number_of(next(state, byte)) as usize];
            }
            if r < matching {
                let first = ends.len() as u32;
                for i in 0..dfa.match_len(state) {
                    let keyword = dfa.match_pattern(state, i);
                    ends.push((keyword.as_u32(), dfa.pattern_len(keyword) as u32));
                }
                ends_of.push((first, ends.len() as u32));
            }
        }
        Ok(Some(KeywordFinder {
            classes,
            transitions,
            start: rank[0],
            matching_below: premultiplied(matching)?,
            stride_shift,
            ends_of,
            ends,
            longest: dfa.max_pattern_len(),
        }))
    }

    /// Appends every keyword occurrence in `text` to `hits`, overlapping ones included, in the
    /// order of their ends (and at one end, in aho-corasick's order): the order of
    /// `AhoCorasick::find_overlapping_iter`. `spare` holds the later streams' hits on the way.
    pub fn find_all(&self, text: &[u8], hits: &mut Vec<KeywordHit>, spare: &mut SpareHits) {
        let stretch = text.len().div_ceil(STREAMS);
        let mut state = [self.start; STREAMS];
        let mut at = [0usize; STREAMS];
        let mut from = [0usize; STREAMS];
        let mut end = [0usize; STREAMS];
        for k in 0..STREAMS {
            from[k] = (k * stretch).min(text.len());
            at[k] = from[k].saturating_sub(self.longest);
            end[k] = ((k + 1) * stretch).min(text.len());
        }
        for out in spare.iter_mut() {
            out.clear();
        }
        // Side by side for as many steps as the shortest stream takes, then each stream
        // finishes alone.
        let together = (0..STREAMS).map(|k| end[k] - at[k]).min().unwrap_or(0);
        for _ in 0..together {
            for k in 0..STREAMS {
                state[k] = self.step(state[k], text[at[k]]);
                at[k] += 1;
                if state[k] < self.matching_below && at[k] > from[k] {
                    let out = match k {
                        0 => &mut *hits,
                        _ => &mut spare[k - 1],
                    };
                    self.report(state[k], at[k], out);
                }
            }
        }
        for k in 0..STREAMS {
            let out = match k {
                0 => &mut *hits,
                _ => &mut spare[k - 1],
            };
            while at[k] < end[k] {
                state[k] = self.step(state[k], text[at[k]]);
                at[k] += 1;
                if state[k] < self.matching_below && at[k] > from[k] {
                    self.report(state[k], at[k], out);
                }
            }
        }
        for out in spare.iter() {
            hits.extend_from_slice(out);
        }
    }

    #[inline(always)]
    fn step(&self, state: u32, byte: u8) -> u32 {
        let index = state as usize + usize::from(self.classes[usize::from(byte)]);
        // Every entry is a premultiplied state and every class below the stride: never out of
        // bounds, but the check stays as the table is built at run time.
        self.transitions.get(index).copied().unwrap_or(self.start)
    }

    fn report(&self, state: u32, end: usize, out: &mut Vec<KeywordHit>) {
        let Some(&(first, last)) = self.ends_of.get((state >> self.stride_shift) as usize) else {
            return;
        };
        for &(keyword, len) in self.ends.get(first as usize..last as usize).unwrap_or(&[]) {
            out.push(KeywordHit {
                keyword,
                start: end - len as usize,
                end,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::AhoCorasickBuilder;
    use proptest::prelude::*;

    fn reference(keywords: &[String], text: &[u8]) -> Vec<KeywordHit> {
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(keywords)
            .expect("reference automaton");
        automaton
            .find_overlapping_iter(text)
            .map(|hit| KeywordHit {
                keyword: hit.pattern().as_u32(),
                start: hit.start(),
                end: hit.end(),
            })
            .collect()
    }

    fn found(keywords: &[String], text: &[u8]) -> Vec<KeywordHit> {
        let finder = KeywordFinder::new(keywords)
            .expect("finder")
            .expect("some keywords");
        let mut hits = Vec::new();
        let mut spare = Default::default();
        finder.find_all(text, &mut hits, &mut spare);
        hits
    }

    proptest! {
        /// Same hits in the same order as aho-corasick's own overlapping search, whatever the
        /// text's length against the four stretches and the keywords' overlaps.
        #[test]
        fn hits_are_those_of_the_overlapping_search(
            keywords in proptest::collection::vec("[abAB:_ ]{1,6}", 1..12),
            text in proptest::collection::vec(
                prop_oneof![Just(b'a'), Just(b'b'), Just(b'A'), Just(b'B'), Just(b':'),
                    Just(b' '), Just(b'_'), Just(b'\n'), Just(0xC3u8), any::<u8>()],
                0..300,
            ),
        ) {
            prop_assert_eq!(found(&keywords, &text), reference(&keywords, &text));
        }
    }

    #[test]
    fn keywords_across_the_stretch_borders_are_found_once() {
        let keywords: Vec<String> = ["password", "pass", "word", "sword", "ssw"]
            .map(String::from)
            .to_vec();
        // Four stretches of 11 bytes: every keyword crosses or touches a border somewhere.
        let text = b"xPASSWORDxpassword_sword.passwoRDxxxxxword".to_vec();
        let hits = found(&keywords, &text);
        assert_eq!(hits, reference(&keywords, &text));
        assert_eq!(hits.len(), 18, "{hits:?}");
        assert_eq!(
            hits.iter().filter(|h| h.keyword == 0).count(),
            3,
            "password, any case"
        );
    }

    #[test]
    fn texts_shorter_than_the_streams_or_a_keyword_are_read_whole() {
        let keywords = vec!["ab".to_string(), "abcdefghij".to_string()];
        for text in [
            &b""[..],
            b"a",
            b"ab",
            b"xab",
            b"abcdefghij",
            b"zabcdefghijab",
        ] {
            assert_eq!(
                found(&keywords, text),
                reference(&keywords, text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn no_keywords_make_no_finder() {
        assert!(KeywordFinder::new(&[]).expect("empty").is_none());
    }
}
