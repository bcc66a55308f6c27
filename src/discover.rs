//! Walks the roots and emits every entry as an item to scan or an account of why it is not
//! scanned. No ignore files are honoured: an exposed share hides nothing.

use std::fs::Metadata;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use globset::{Glob, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

use crate::error::Error;
use crate::extract::{Status, io_reason};
use crate::provenance::display_path;

/// One entry found by the walk.
#[derive(Debug, Clone)]
pub struct Item {
    pub path: PathBuf,
    pub display: String,
    /// The top-level folder (or file) of the root the item lies in, for grouping.
    pub size: u64,
    pub modified: Option<SystemTime>,
    pub disposition: Disposition,
}

/// Whether an item is opened, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    Scan,
    NotScanned {
        status: Status,
        format: &'static str,
        reason: String,
    },
}

/// The compiled `--exclude` globs.
#[derive(Debug, Clone)]
pub struct Excludes {
    set: GlobSet,
    patterns: Vec<String>,
}

impl Excludes {
    pub fn new(patterns: &[String]) -> Result<Excludes, Error> {
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            let glob = Glob::new(pattern)
                .map_err(|e| Error::Config(format!("--exclude {pattern}: {e}")))?;
            builder.add(glob);
        }
        let set = builder
            .build()
            .map_err(|e| Error::Config(format!("--exclude: {e}")))?;
        Ok(Excludes {
            set,
            patterns: patterns.to_vec(),
        })
    }

    /// The first pattern that excludes `display` (a report path) or its file name.
    fn matching(&self, display: &str) -> Option<&str> {
        let name = display.rsplit('/').next().unwrap_or(display);
        let hit = self
            .set
            .matches(display)
            .into_iter()
            .chain(self.set.matches(name))
            .min()?;
        self.patterns.get(hit).map(String::as_str)
    }
}

fn special_kind(meta: &Metadata) -> Option<&'static str> {
    let kind = meta.file_type();
    if kind.is_fifo() {
        Some("FIFO (named pipe)")
    } else if kind.is_socket() {
        Some("socket")
    } else if kind.is_block_device() {
        Some("block device")
    } else if kind.is_char_device() {
        Some("character device")
    } else {
        None
    }
}

/// Walks every root and calls `emit` for each file-like entry (files, links, special files and
/// entries that could not be read). Stops early when `emit` returns false.
pub fn walk(
    roots: &[PathBuf],
    follow_links: bool,
    excludes: &Excludes,
    mut emit: impl FnMut(Item) -> bool,
) {
    let several = roots.len() > 1;
    for root in roots {
        let walker = WalkDir::new(root)
            .follow_links(follow_links)
            .sort_by_file_name();
        let mut entries = walker.into_iter();
        while let Some(next) = entries.next() {
            let item = match next {
                Ok(entry) => {
                    let display = display_path(root, entry.path(), several);
                    if entry.depth() > 0
                        && let Some(pattern) = excludes.matching(&display)
                    {
                        if entry.file_type().is_dir() {
                            entries.skip_current_dir();
                        }
                        not_scanned(
                            entry.path(),
                            display,
                            entry.metadata().ok().as_ref(),
                            Status::Skipped,
                            "",
                            format!("excluded by --exclude {pattern}"),
                        )
                    } else if entry.file_type().is_dir() {
                        continue;
                    } else {
                        classify_entry(entry.path(), display, entry.path_is_symlink(), follow_links)
                    }
                }
                Err(error) => {
                    let path = error
                        .path()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| root.clone());
                    let display = display_path(root, &path, several);
                    let reason = if let Some(ancestor) = error.loop_ancestor() {
                        format!(
                            "symbolic link loop back to {}",
                            display_path(root, ancestor, several)
                        )
                    } else if let Some(target) = error
                        .io_error()
                        .filter(|io| io.kind() == std::io::ErrorKind::NotFound)
                        .and_then(|_| std::fs::read_link(&path).ok())
                    {
                        // Followed links whose target is missing: say so, not "vanished".
                        format!(
                            "symbolic link to {} whose target does not exist",
                            target.display()
                        )
                    } else if let Some(io) = error.io_error() {
                        let what = if path.is_dir() {
                            "directory not readable"
                        } else {
                            "not readable"
                        };
                        format!("{what}: {}", io_reason(io))
                    } else {
                        error.to_string()
                    };
                    let status = if error.loop_ancestor().is_some() {
                        Status::Skipped
                    } else {
                        Status::Error
                    };
                    not_scanned(&path, display, None, status, "", reason)
                }
            };
            if !emit(item) {
                return;
            }
        }
    }
}

fn classify_entry(path: &Path, display: String, is_link: bool, follow_links: bool) -> Item {
    if is_link && !follow_links {
        let target = std::fs::read_link(path)
            .map(|t| t.display().to_string())
            .unwrap_or_default();
        let meta = std::fs::symlink_metadata(path).ok();
        return not_scanned(
            path,
            display,
            meta.as_ref(),
            Status::Skipped,
            "symlink",
            format!("symbolic link to {target} not followed (use --follow-links)"),
        );
    }
    match std::fs::metadata(path) {
        Ok(meta) => {
            if let Some(kind) = special_kind(&meta) {
                return not_scanned(
                    path,
                    display,
                    Some(&meta),
                    Status::Skipped,
                    "special",
                    format!("{kind}: never opened"),
                );
            }
            Item {
                path: path.to_path_buf(),
                display,
                size: meta.len(),
                modified: meta.modified().ok(),
                disposition: Disposition::Scan,
            }
        }
        Err(e) => not_scanned(
            path,
            display,
            None,
            Status::Error,
            "",
            format!("cannot read metadata: {}", io_reason(&e)),
        ),
    }
}

fn not_scanned(
    path: &Path,
    display: String,
    meta: Option<&Metadata>,
    status: Status,
    format: &'static str,
    reason: String,
) -> Item {
    Item {
        path: path.to_path_buf(),
        display,
        size: meta.map_or(0, |m| if m.is_file() { m.len() } else { 0 }),
        modified: meta.and_then(|m| m.modified().ok()),
        disposition: Disposition::NotScanned {
            status,
            format,
            reason,
        },
    }
}
