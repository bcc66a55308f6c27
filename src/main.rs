//! The thin binary: parse arguments, call the library, map the outcome to an exit code.

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use breachscope::rules::{lint, load_with_overrides};
use cli::{Cli, Command, RulesCommand};

// Workers allocate and free small strings per finding on every core; mimalloc's per-thread
// heaps take about a tenth off the scan's CPU time against glibc's allocator (BENCHMARKS.md).
// Transparent huge pages are turned off for the process in `main`: part buffers are freed and
// allocated again all the time, and zeroing a fresh 2 MiB page each time cost up to a fifth of
// the run where THP is in `madvise` mode.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Returns what this thread's mimalloc heap freed to the system now, rather than after mimalloc's
/// purge delay (a second), which would let one phase's freed arrays add to the next one's peak.
fn release_freed_memory() {
    // SAFETY: `mi_collect` takes no pointers and may be called on any thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// mimalloc's `mi_option_purge_delay` (the position of the option in its `mi_option_e`, which
/// libmimalloc-sys does not name; `purge_delay_option_is_the_one_meant` checks it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Milliseconds freed memory waits before it goes back to the system. mimalloc's default, a
/// second, kept memory the walk had freed (parsed documents, the tallies' lists as they spill)
/// resident: the whole run's peak on the 1 GiB bench share was 30-35 MB higher than with
/// 50 ms, and reached the 200 MB target. 50 ms costs memory handed back and faulted in again:
/// about a second of system time there, since the workers keep their buffers (BENCHMARKS.md).
const PURGE_DELAY_MS: std::ffi::c_long = 50;

/// Sets `PURGE_DELAY_MS`, unless `MIMALLOC_PURGE_DELAY` says otherwise.
fn shorten_purge_delay() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: `mi_option_set` takes plain integers and may be called at any time.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
    }
}

/// Exit codes: 0 done, 1 `--fail-on` reached, 2 usage or configuration error, 3 the report could
/// not be written, 130 interrupted (SIGINT/SIGTERM; the report covers what was scanned).
const EXIT_FAIL_ON: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_IO: u8 = 3;
const EXIT_INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    disable_transparent_huge_pages();
    shorten_purge_delay();
    breachscope::memory::install_release_hook(release_freed_memory);
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Rules(RulesCommand::List(args)) => rules_list(args.patterns.as_deref()),
        Command::Rules(RulesCommand::Check(args)) => rules_check(args.patterns.as_deref()),
    }
}

fn scan(args: cli::ScanArgs) -> ExitCode {
    let quiet = args.quiet;
    let config = match args.into_config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("breachscope: {e:#}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    if config.reveal {
        eprintln!(
            "breachscope: WARNING: --reveal writes raw values into findings.csv; the report now holds the exposed data itself: protect and delete it accordingly"
        );
    }
    install_stop_handler(&config.limits.stop, quiet);
    match breachscope::run(&config) {
        Ok(outcome) => {
            let c = &outcome.summary.counts;
            if !quiet {
                eprintln!(
                    "breachscope: {} items: {} scanned, {} skipped, {} error, {} encrypted, {} truncated; {} findings ({} unique values); {} individuals (between {} and {}) in {} records; report in {}",
                    c.items,
                    c.scanned,
                    c.skipped,
                    c.error,
                    c.encrypted,
                    c.truncated,
                    c.findings,
                    c.unique_values,
                    outcome.summary.people.individuals,
                    outcome.summary.people.lower_bound,
                    outcome.summary.people.upper_bound,
                    outcome.summary.people.records,
                    outcome.out_dir.display()
                );
            }
            if outcome.summary.status == "interrupted" {
                ExitCode::from(EXIT_INTERRUPTED)
            } else if outcome.failed_threshold() {
                ExitCode::from(EXIT_FAIL_ON)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("breachscope: {e}");
            ExitCode::from(if e.is_configuration() {
                EXIT_USAGE
            } else {
                EXIT_IO
            })
        }
    }
}

/// SIGINT, SIGTERM and SIGHUP raise the stop flag: the scan winds down and still writes its
/// report. A second signal quits at once, leaving no report (only `.partial` files, which the
/// next run into the same folder removes).
fn install_stop_handler(stop: &breachscope::config::StopFlag, quiet: bool) {
    let stop = stop.clone();
    let installed = ctrlc::set_handler(move || {
        if stop.is_raised() {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
        stop.raise();
        if !quiet {
            eprintln!(
                "breachscope: stopping; writing the report of what was scanned so far (signal again to quit without a report)"
            );
        }
    });
    if let Err(e) = installed {
        eprintln!(
            "breachscope: cannot handle interrupts ({e}); an interrupt ends the scan without a report"
        );
    }
}

fn rules_list(patterns: Option<&std::path::Path>) -> ExitCode {
    let set = match load_with_overrides(patterns) {
        Ok(set) => set,
        Err(e) => {
            eprintln!("breachscope: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let mut out = std::io::stdout().lock();
    let rows = set
        .text_rules
        .iter()
        .map(|r| {
            (
                r.id.as_str(),
                r.data_class.as_str(),
                "content",
                r.description.as_str(),
            )
        })
        .chain(set.file_rules.iter().map(|r| {
            (
                r.id.as_str(),
                r.data_class.as_str(),
                "file",
                r.description.as_str(),
            )
        }));
    for (id, class, kind, description) in rows {
        let first_sentence = description
            .split_terminator(". ")
            .next()
            .unwrap_or(description)
            .trim();
        // A closed pipe (`| head`) ends the listing quietly.
        if writeln!(out, "{id:<40} {class:<16} {kind:<8} {first_sentence}").is_err() {
            break;
        }
    }
    ExitCode::SUCCESS
}

fn rules_check(patterns: Option<&std::path::Path>) -> ExitCode {
    let set = match load_with_overrides(patterns) {
        Ok(set) => set,
        Err(e) => {
            eprintln!("breachscope: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let report = lint(&set);
    for problem in &report.problems {
        println!("{} ({}): {}", problem.rule, problem.file, problem.message);
    }
    println!(
        "{} rules checked, {} examples run, {} problems",
        report.rules_checked,
        report.examples_run,
        report.problems.len()
    );
    if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_USAGE)
    }
}

/// Asks the kernel not to back this process with transparent huge pages (a no-op elsewhere and
/// when the kernel refuses: it changes speed, never results).
fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integer arguments and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option at `MI_OPTION_PURGE_DELAY` holds mimalloc v3's default purge delay (1000 ms):
    /// an update that moved it fails here, not silently in memory figures.
    #[test]
    fn purge_delay_option_is_the_one_meant() {
        // SAFETY: `mi_option_get` takes a plain integer and reads an option.
        let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(delay, 1000);
        }
    }
}
