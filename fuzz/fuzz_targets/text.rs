//! Text decoding (UTF-8, UTF-16, Windows-1252) and the strings pass over arbitrary bytes.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    thread_local!(static ENGINE: breachscope::detect::Engine = common::engine());
    ENGINE.with(|engine| {
        let mut sink = common::EngineSink {
            engine,
            scratch: Default::default(),
            matches: Vec::new(),
        };
        // A name without a known extension: sniffing by content only, so plain text or binary.
        breachscope::extract::extract_bytes("input", data, &common::limits(), &mut sink);
    });
});
