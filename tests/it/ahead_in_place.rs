//! Issue 22: a run worked out ahead gives exactly what the same run gives in place.
//!
//! A run that begins its own transaction reads its customers a page ahead on a second connection
//! and works out there what it can; the same run inside a transaction of the caller's reads and
//! decides everything in place. The company is copied twice ([`Source::twin`]); run A commits on
//! its own (ahead), run B runs inside the caller's transaction, which then commits (in place).
//! Compared: the run reports (JSON, the rules' output included) and the books after
//! ([`books::Books`]: the reimbursement page, the trial balance, the `export` journal, the vendors,
//! the customers' transactions with their open amounts, the run's outcomes and every table of the
//! database); the dry runs' reports too. Any difference fails with a diff.
//!
//! The rules are the default ones and copies changed where working the posting hooks out ahead
//! could go wrong ([`variants`]), on Contoso, on random books (proptest; `PROPTEST_CASES`
//! changes the number of cases, 12 by default) and on books of more than a page of customers.
//! `eligible`, `vendor_for` and `--where` worked out ahead have their own tests in `streaming`
//! (their helpers are in [`dry`]).

mod books;
pub(crate) mod dry;
mod effects;
mod ledgers;
mod variants;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use proptest::prelude::*;
use reimburse::ledger::{Ledger, Side};
use reimburse::parameters::{Company, Parameters};
use reimburse::process::{self, RunOptions, RunReport, Selection};
use reimburse::scripting::{Echo, Session};

use books::Books;
use effects::Base;
use variants::{ALL, Variant};

/// The posting date of every run here.
fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
}

/// A report as `run --json` prints it.
fn pretty(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(&serde_json::to_value(value).unwrap()).unwrap() + "\n"
}

/// A company to copy: its parameters and a folder with its database, `company.db`.
struct Source {
    dir: tempfile::TempDir,
    params: Parameters,
}

/// Two copies of a [`Source`] (`ahead`, `in_place`) and a folder for rule files.
struct Twin {
    dir: tempfile::TempDir,
    ahead: Company,
    in_place: Company,
}

/// What one run gave: its report (or error) and the books after it.
struct Outcome {
    report: Result<RunReport, String>,
    books: Books,
}

impl Source {
    fn random(books: &ledgers::Books) -> Source {
        let dir = tempfile::tempdir().unwrap();
        let params = books.write(dir.path());
        Source { dir, params }
    }

    fn contoso() -> Source {
        let c = crate::common::Company::contoso();
        let params = Company::load(&c.yaml).unwrap().params;
        assert_eq!(params.database, Path::new("company.db"));
        Source { dir: c.dir, params }
    }

    /// Two fresh copies of the company.
    fn twin(&self) -> Twin {
        let dir = tempfile::tempdir().unwrap();
        let copy = |name: &str| {
            let to = dir.path().join(name);
            std::fs::create_dir(&to).unwrap();
            for file in ["company.db", "company.db-wal"] {
                let from = self.dir.path().join(file);
                if from.exists() {
                    std::fs::copy(&from, to.join(file)).unwrap();
                }
            }
            Company::from_parameters(&to.join("company.yaml"), self.params.clone(), None).unwrap()
        };
        Twin {
            ahead: copy("ahead"),
            in_place: copy("in-place"),
            dir,
        }
    }
}

impl Twin {
    /// Writes a rule file beside the copies (both runs use it); returns its path.
    fn rules(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(format!("{name}.rhai"));
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The run on its own (worked out ahead) on one copy and inside a transaction of the
    /// caller's, which then commits (in place), on the other.
    fn both_ways(&self, options: &RunOptions) -> (Outcome, Outcome) {
        (
            run_one(&self.ahead, options, false),
            run_one(&self.in_place, options, true),
        )
    }
}

fn run_one(company: &Company, options: &RunOptions, in_place: bool) -> Outcome {
    let session = Session::new(Ledger::open(company).unwrap(), options.date, Echo::Collect);
    let store = session.ledger().store();
    if in_place {
        store.begin().unwrap();
    }
    let report = process::run(&session, options);
    if in_place {
        store.commit().unwrap();
    }
    let run = report.as_ref().ok().filter(|r| !r.dry_run).map(|r| r.run);
    Outcome {
        books: Books::read(session.ledger(), &company.database_path, run),
        report: report.map_err(|e| e.to_string()),
    }
}

/// `Ok` when both runs gave the same report (or error) and left the same books.
fn same(ahead: &Outcome, in_place: &Outcome) -> Result<(), String> {
    match (&ahead.report, &in_place.report) {
        (Ok(a), Ok(b)) => {
            let (a, b) = (pretty(a), pretty(b));
            if a != b {
                return Err(format!(
                    "the reports differ:\n{}",
                    books::diff(&a, &b, "ahead", "in place")
                ));
            }
        }
        (Err(a), Err(b)) if a == b => {}
        (a, b) => {
            let said = |r: &Result<RunReport, String>| match r {
                Ok(r) => format!("{} reimbursed", r.reimbursed_count),
                Err(e) => format!("failed: {e}"),
            };
            return Err(format!("ahead: {}\nin place: {}", said(a), said(b)));
        }
    }
    ahead.books.same_as(&in_place.books, "ahead", "in place")
}

fn options(rules: PathBuf, dry_run: bool, keep_going: bool) -> RunOptions {
    RunOptions {
        selection: Selection::All,
        date: date(),
        rules,
        dry_run,
        keep_going,
        user: "test".into(),
    }
}

/// The default rules' dry run, both ways (the same report, the books unchanged).
fn base(source: &Source) -> Result<Base, String> {
    let twin = source.twin();
    let rules = twin.rules("default", &crate::common::default_rules_text());
    let (ahead, in_place) = twin.both_ways(&options(rules, true, false));
    same(&ahead, &in_place).map_err(|e| format!("the default rules' dry run: {e}"))?;
    let report = ahead
        .report
        .map_err(|e| format!("the dry run failed: {e}"))?;
    let ledger = Ledger::open(&twin.ahead).unwrap();
    let open_debits: BTreeMap<_, _> = ledger
        .all_balances(Side::Customer)
        .unwrap()
        .into_iter()
        .map(|b| b.balance)
        .filter(|b| !b.open_debit.is_zero())
        .map(|b| ((b.account, b.currency), b.open_debit))
        .collect();
    Ok(Base {
        report,
        books: ahead.books,
        policy: source.params.open_debits,
        open_debits,
    })
}

/// Each variant's run compared ahead and in place (committed, and as a dry run when `dry`), and
/// its exact effect checked; returns what each committed run gave.
fn compare(
    source: &Source,
    variants: &[Variant],
    dry: bool,
) -> Result<Vec<Result<RunReport, String>>, String> {
    let base = base(source)?;
    let mut reports = Vec::new();
    for &variant in variants {
        let twin = source.twin();
        let rules = twin.rules(&variant.name(), &variant.rules(&base));
        let name = variant.name();
        if dry {
            let (a, b) = twin.both_ways(&options(rules.clone(), true, variant.keep_going()));
            same(&a, &b).map_err(|e| format!("{name}, dry run: {e}"))?;
        }
        let (a, b) = twin.both_ways(&options(rules, false, variant.keep_going()));
        same(&a, &b).map_err(|e| format!("{name}: {e}"))?;
        worked_ahead(variant, &a.report, &b.report).map_err(|e| format!("{name}: {e}"))?;
        variant
            .check(&base, &a.report, &a.books)
            .map_err(|e| format!("{name}: {e}"))?;
        reports.push(a.report);
    }
    Ok(reports)
}

/// Checks that the run on its own worked the posting hooks out ahead where the rules allow it
/// (the default rules, and a number from a sequence taken inside the hook), and in place where
/// they do not (output); the run inside the caller's transaction works everything out in place.
/// (Rules that read the ledger inside a posting hook, or use a vendor another customer's hooks
/// created, are worked out in place from there on, until the read-ahead thread's counters are
/// corrected: not asserted.)
fn worked_ahead(
    variant: Variant,
    ahead: &Result<RunReport, String>,
    in_place: &Result<RunReport, String>,
) -> Result<(), String> {
    let (Ok(ahead), Ok(in_place)) = (ahead, in_place) else {
        return Ok(());
    };
    let (a, b) = (ahead.hooks_ahead, in_place.hooks_ahead);
    if b.replayed != 0 {
        return Err(format!(
            "in place, {} posting hooks were replayed",
            b.replayed
        ));
    }
    match variant {
        Variant::Default | Variant::VendorNamedByNumber if a.in_place != 0 => Err(format!(
            "{} posting hooks worked out in place: {a:?}",
            a.in_place
        )),
        Variant::Prints if a.replayed != 0 => Err(format!("hooks that print were replayed: {a:?}")),
        _ => Ok(()),
    }
}

/// Panics with the message as it is (not quoted).
fn ok<T>(result: Result<T, String>) -> T {
    result.unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn contoso_ahead_and_in_place_agree_for_every_variant() {
    let reports = ok(compare(&Source::contoso(), &ALL, true));
    // What each variant did to Contoso (13 reimbursements and 6 skips under the default rules,
    // 7 of them to one-time vendors): (reimbursed, skipped, failed, lines printed).
    let counts: Vec<_> = reports
        .iter()
        .map(|r| {
            r.as_ref()
                .map(|r| {
                    (
                        r.reimbursed_count,
                        r.skipped_count,
                        r.failed_count,
                        r.output.len(),
                    )
                })
                // The error without the rule file's path and position.
                .map_err(|e| e.split_once(": hook ").map_or(e.as_str(), |(_, hook)| hook))
        })
        .collect();
    assert_eq!(
        counts,
        [
            Ok((13, 6, 0, 0)),
            // RMB-000007 ends in 7: the 7th credit and every one after it.
            Ok((6, 13, 0, 0)),
            // C-008, C-012, C-015 (RMB-000007), C-019 and C-020 (RMB-000009).
            Ok((8, 11, 0, 0)),
            Ok((13, 6, 0, 0)),
            Ok((13, 6, 0, 0)),
            Ok((13, 6, 0, 0)),
            Ok((13, 6, 0, 0)),
            Ok((13, 6, 0, 0)),
            // A line for each one-time vendor, two for each reimbursement.
            Ok((13, 6, 0, 7 + 2 * 13)),
            // C-008, the 7th of 13.
            Ok((12, 6, 1, 0)),
            Err("post_reimbursement, customer C-008 (USD): rule failed for C-008"),
        ]
    );
}

fn random_cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(12)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: random_cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_books_ahead_and_in_place_agree_on_numbers(b in ledgers::books(2..=12)) {
        let variants = [
            Variant::Default,
            Variant::NumberDigits,
            Variant::SettleByNumber,
            Variant::VendorNamedByNumber,
        ];
        compare(&Source::random(&b), &variants, false).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn random_books_ahead_and_in_place_agree_on_reads_and_vendors(b in ledgers::books(2..=12)) {
        let variants = [
            Variant::Seven,
            Variant::ReadsAfterSettling,
            Variant::EarlierVendor,
            Variant::SharedVendor,
        ];
        compare(&Source::random(&b), &variants, false).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn random_books_ahead_and_in_place_agree_on_output_and_failures(b in ledgers::books(2..=12)) {
        let variants = [
            Variant::Prints,
            Variant::Fails { keep_going: true },
            Variant::Fails { keep_going: false },
        ];
        compare(&Source::random(&b), &variants, true).map_err(TestCaseError::fail)?;
    }
}

#[test]
fn books_of_more_than_a_page_agree_ahead_and_in_place() {
    // 2,100 customers, three pages: the run reads a page ahead while the one before is written.
    let source = Source::random(&ledgers::fixed_books(2100, 10));
    let reports = ok(compare(
        &source,
        &[
            Variant::Default,
            Variant::NumberDigits,
            Variant::VendorNamedByNumber,
            Variant::EarlierVendor,
            Variant::Prints,
            Variant::Seven,
            Variant::Fails { keep_going: true },
        ],
        false,
    ));
    // Credits are reimbursed on every page and on both sides of each boundary, and one-time
    // vendors created on the first page are looked up on the others.
    let default = reports[0].as_ref().unwrap();
    let index = |r: &&reimburse::process::Reimbursement| r.customer[2..].parse::<usize>().unwrap();
    let between = |from: usize, to: usize| {
        let n = default
            .reimbursements
            .iter()
            .filter(|r| (from..to).contains(&index(r)))
            .count();
        assert!(n > 0, "no reimbursement for customers {from} to {to}");
        n
    };
    assert!(between(0, 1000) > 20 && between(1000, 2000) > 20);
    for boundary in [1000, 2000] {
        between(boundary - 20, boundary);
        between(boundary, boundary + 20);
    }
    let first = default.reimbursements.iter().find(|r| r.one_time_vendor);
    assert!(first.is_some_and(|r| index(&r) < 1000), "{first:?}");
    let digits = reports[1].as_ref().unwrap();
    assert!(digits.skipped_count > default.skipped_count + 5);
}
