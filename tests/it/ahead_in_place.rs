//! Issue 22: a run worked out ahead gives exactly what the same run gives in place.
//!
//! A run that begins its own transaction reads its customers a page ahead on a second connection
//! and works out there what it can; the same run inside a transaction of the caller's reads and
//! decides everything in place. [`dry`] has the helpers of `streaming`'s tests of the deciding
//! hooks worked out ahead.

pub(crate) mod dry;

use chrono::NaiveDate;

/// The posting date of every run here.
fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
}

/// A report as `run --json` prints it.
fn pretty(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(&serde_json::to_value(value).unwrap()).unwrap() + "\n"
}
