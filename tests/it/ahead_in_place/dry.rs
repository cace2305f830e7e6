//! Dry runs of one company ahead and in place: the helpers of `streaming`'s tests of the deciding
//! hooks (`eligible`, `vendor_for`, `--where`) worked out ahead. The in-place run is rolled back,
//! so both runs see the same books.

use std::path::PathBuf;

use reimburse::ledger::Ledger;
use reimburse::parameters::Company;
use reimburse::process::{self, RunOptions, Selection};
use reimburse::scripting::{Echo, Session};

use super::{date, pretty};

/// A dry run of the default rules with `insert` at the start of `eligible`, over the company of
/// `yaml`, twice: on its own, when the read-ahead thread works out `eligible` where it can, and
/// inside a transaction of the caller's, when the run reads and decides everything in place. The
/// two reports must be the same; returns it.
pub(crate) fn ahead_and_in_place(yaml: &std::path::Path, insert: &str) -> process::RunReport {
    ahead_and_in_place_of(yaml, insert, Selection::All)
}

/// [`ahead_and_in_place`] for the customers of `selection`.
pub(crate) fn ahead_and_in_place_of(
    yaml: &std::path::Path,
    insert: &str,
    selection: Selection,
) -> process::RunReport {
    let options = RunOptions {
        selection,
        date: date(),
        rules: rules_with(yaml, "ahead.rhai", insert),
        dry_run: true,
        keep_going: false,
        user: "test".into(),
    };
    let (ahead, in_place) = both_ways(yaml, &options);
    let (ahead, in_place) = (ahead.unwrap(), in_place.unwrap());
    assert_eq!(pretty(&ahead), pretty(&in_place), "{insert}");
    ahead
}

/// The default rules with `insert` at the start of `eligible`, written beside the company.
pub(crate) fn rules_with(yaml: &std::path::Path, name: &str, insert: &str) -> PathBuf {
    let rules = yaml.with_file_name(name);
    let text = crate::common::default_rules_text();
    let head = "fn eligible(customer, credit) {\n";
    assert!(text.contains(head));
    std::fs::write(&rules, text.replace(head, &format!("{head}{insert}"))).unwrap();
    rules
}

/// A run on its own (read and worked out ahead) and the same run inside a transaction of the
/// caller's (everything in place, then rolled back).
pub(crate) fn both_ways(
    yaml: &std::path::Path,
    options: &RunOptions,
) -> (
    Result<process::RunReport, process::RunError>,
    Result<process::RunReport, process::RunError>,
) {
    let ledger = || Ledger::open(&Company::load(yaml).unwrap()).unwrap();
    let ahead = process::run(&Session::new(ledger(), date(), Echo::Collect), options);
    let session = Session::new(ledger(), date(), Echo::Collect);
    session.ledger().store().begin().unwrap();
    let in_place = process::run(&session, options);
    session.ledger().store().rollback();
    (ahead, in_place)
}
