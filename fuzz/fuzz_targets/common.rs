//! Shared by the fuzz targets: a sink that runs the builtin engine on every chunk.

// Each target uses a part of this module.
#![allow(dead_code)]

use breachscope::content::TextChunk;
use breachscope::detect::{ChunkInput, Engine, Match, Scratch};
use breachscope::extract::{ContentSink, MemberRecord};

pub fn engine() -> Engine {
    let rules = breachscope::rules::load_builtin().expect("builtin rules load");
    Engine::new(&rules).expect("builtin rules compile")
}

/// Limits small enough that one input is done with in milliseconds.
pub fn limits() -> breachscope::config::Limits {
    breachscope::config::Limits {
        max_expanded_bytes: 16 << 20,
        max_entries: 1000,
        max_depth: 4,
        ..Default::default()
    }
}

pub struct EngineSink<'a> {
    pub engine: &'a Engine,
    pub scratch: Scratch,
    pub matches: Vec<Match>,
}

impl ContentSink for EngineSink<'_> {
    fn text(&mut self, _path: &str, chunk: TextChunk<'_>) {
        self.matches.clear();
        let input = ChunkInput {
            text: chunk.text,
            columns: chunk.columns,
            report_limit: chunk.report_limit,
        };
        self.engine.scan(input, &mut self.scratch, &mut self.matches);
    }

    fn member(&mut self, _record: MemberRecord) {}
}
