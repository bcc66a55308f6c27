//! The library's error type: configuration and rule problems that stop a run before it starts.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("rule file {file}: {message}")]
    RuleFile { file: String, message: String },
    #[error("rule {rule} ({file}): {message}")]
    Rule {
        rule: String,
        file: String,
        message: String,
    },
    #[error("{0}")]
    Config(String),
    #[error("output directory {path}: {message}")]
    Output { path: PathBuf, message: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Usage and configuration problems (exit code 2) as opposed to failures while writing.
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            Error::RuleFile { .. } | Error::Rule { .. } | Error::Config(_) | Error::Output { .. }
        )
    }
}
