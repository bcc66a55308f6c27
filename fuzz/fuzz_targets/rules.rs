//! Rule files: arbitrary TOML through the loader, then the linter and the engine compiler.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    // The first byte picks a rules file or an impact file.
    let name = if data.first().is_some_and(|b| b % 2 == 0) {
        "impact-extra.toml"
    } else {
        "mine.toml"
    };
    if std::fs::write(dir.path().join(name), text).is_err() {
        return;
    }
    if let Ok(set) = breachscope::rules::load_with_overrides(Some(dir.path())) {
        let _ = breachscope::rules::lint(&set);
        let _ = breachscope::detect::Engine::new(&set);
    }
});
