//! The outcome of one fixture, as `reimburse test` prints it (text) and serializes it (JSON).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

/// The outcome of one fixture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FixtureResult {
    /// The fixture file.
    pub file: PathBuf,
    /// True when every expectation held.
    pub passed: bool,
    /// What differed (empty when passed).
    pub failures: Vec<String>,
    /// How long it took (microseconds in JSON).
    #[serde(rename = "duration_us", serialize_with = "micros")]
    pub duration: Duration,
}

fn micros<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

impl fmt::Display for FixtureResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ({:.1} ms)",
            if self.passed { "PASS" } else { "FAIL" },
            self.file.display(),
            self.duration.as_secs_f64() * 1000.0
        )?;
        for failure in &self.failures {
            write!(f, "\n    {}", failure.replace('\n', "\n    "))?;
        }
        Ok(())
    }
}
