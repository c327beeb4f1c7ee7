//! What an import tells its caller: the hard error that stops it, the notes
//! about what it skipped or repaired, and the result.

use std::fmt;

use app::domain::schedule::Schedule;

/// Where in the document and what is wrong. Display: "{path}: {message}".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// JSON-path-like location, e.g. `schedule.conference.days[1].rooms["Saal 1"][3].duration`;
    /// `$` for the whole document, `line L, column C` for syntax errors.
    pub path: String,
    /// What was expected and what was found.
    pub message: String,
}

impl FormatError {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for FormatError {}

/// Something real-but-messy that was skipped or repaired, with its path.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// A parsed schedule and the notes about what had to be skipped or repaired
/// to get it.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// Tracks by position, speakers by name, sessions by start then track,
    /// as the store loads them; `version` is 0 (the store numbers imports).
    pub schedule: Schedule,
    pub skipped: Vec<Skipped>,
}

/// Collects [`Skipped`] notes while an import runs.
#[derive(Debug, Default)]
pub(crate) struct Notes(pub Vec<Skipped>);

impl Notes {
    pub fn push(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.0.push(Skipped {
            path: path.into(),
            reason: reason.into(),
        });
    }
}
