//! The detector engine (prefilter, rule regexes, validators, context) on arbitrary bytes.
#![no_main]

mod common;

use breachscope::detect::{ChunkInput, Columns};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    thread_local!(static ENGINE: breachscope::detect::Engine = common::engine());
    ENGINE.with(|engine| {
        let mut scratch = Default::default();
        let mut matches = Vec::new();
        // The first line doubles as a header, as in CSV files.
        let header = data.split(|&b| b == b'\n').next().unwrap_or_default();
        let columns = Columns::from_header_line(header);
        let limit = data.first().map_or(0, |&b| data.len() * usize::from(b) / 255);
        engine.scan(
            ChunkInput {
                text: data,
                columns: columns.as_ref(),
                report_limit: limit,
            },
            &mut scratch,
            &mut matches,
        );
    });
});
