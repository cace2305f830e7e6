//! Testing rule changes against fixture ledgers: what a run should do (`run:`, `expect:`, or several
//! `steps:`), and the runner behind `reimburse test` and `cargo test`.
//!
//! Each fixture runs in a fresh database file in a temporary folder, removed afterwards (a file, not
//! memory, so that a run reads its customers ahead and works the rules out there as a real run
//! does): its ledger is loaded, its `parameters:`
//! overrides are applied on top of the company's parameters, then each step (a reimbursement run or
//! a payment) is executed through the same code path as the command line, and the outcome is
//! compared with the expectations. Whatever the expectations say, the trial balance must be zero
//! after every step. A failure is a readable list of differences.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::fixtures::{self, Expect, ExpectedReimbursement, Fixture, Step};
use crate::ledger::{Ledger, Side};
use crate::parameters::Company;
use crate::process::{self, ReimbursementFilter, RunOptions, Selection};
use crate::scripting::{Echo, Session};
use crate::store::Store;

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

/// Finds fixture files: each path is a file or a folder searched recursively for `*.yaml`/`*.yml`,
/// in name order.
pub fn find_fixtures(paths: &[PathBuf]) -> Result<Vec<PathBuf>, std::io::Error> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect(path, &mut found)?;
        } else if path.exists() {
            found.push(path.clone());
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{}: no such file or folder", path.display()),
            ));
        }
    }
    Ok(found)
}

fn collect(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), std::io::Error> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, found)?;
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            found.push(p);
        }
    }
    Ok(())
}

/// Runs one fixture file against `rules`, with `company`'s parameters as the base.
pub fn run_fixture(company: &Company, rules: &Path, file: &Path) -> FixtureResult {
    let start = Instant::now();
    let failures = match check_fixture(company, rules, file) {
        Ok(failures) => failures,
        Err(e) => vec![e],
    };
    FixtureResult {
        file: file.to_path_buf(),
        passed: failures.is_empty(),
        failures,
        duration: start.elapsed(),
    }
}

/// The result of a fixture path that does not exist: a failure of its own, so that the other
/// fixtures of the same command still run and the missing one is reported with them.
pub fn missing_fixture(path: &Path) -> FixtureResult {
    FixtureResult {
        file: path.to_path_buf(),
        passed: false,
        failures: vec!["no such file or folder".into()],
        duration: Duration::ZERO,
    }
}

/// Runs every fixture; a fixture that cannot be read fails on its own, the others still run.
pub fn run_fixtures(company: &Company, rules: &Path, files: &[PathBuf]) -> Vec<FixtureResult> {
    files
        .iter()
        .map(|f| run_fixture(company, rules, f))
        .collect()
}

fn check_fixture(company: &Company, rules: &Path, file: &Path) -> Result<Vec<String>, String> {
    let fixture: Fixture = fixtures::read_fixture(file).map_err(|e| e.to_string())?;
    let mut params = company.params.clone();
    fixture.parameters.apply(&mut params);
    let company =
        Company::from_parameters(file, params, None).map_err(|e| format!("parameters: {e}"))?;
    // A database file, not memory: a run over a file reads its customers ahead on a second
    // connection and works `--where`, `eligible` and `vendor_for` out there, as a real run does.
    let dir = tempfile::tempdir().map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    let store = Store::create(&dir.path().join("fixture.db")).map_err(|e| e.to_string())?;
    let ledger = Ledger::new(store, company.params.clone()).map_err(|e| e.to_string())?;
    fixtures::load(&ledger, file, &fixture).map_err(|e| e.to_string())?;
    let session = Session::new(ledger, today(), Echo::Collect);

    let steps = fixture.steps();
    let mut failures = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let label = if steps.len() > 1 {
            format!("step {}: ", i + 1)
        } else {
            String::new()
        };
        let mut fail = |m: String| failures.push(format!("{label}{m}"));
        // A step that expects nothing cannot fail, short of an error: not a test.
        if step.expect == Expect::default() {
            fail(
                "`expect:` says nothing to check: list the `reimbursements` (`[]` for none), \
                 `skipped`, `payments`, balances, `vendors_created` or an `error`"
                    .into(),
            );
        }
        let outcome = execute_step(&session, rules, step);
        let ledger = session.ledger();
        match (&outcome, &step.expect.error) {
            (Err(e), None) => {
                fail(format!("unexpected error: {e}"));
                continue;
            }
            (Err(e), Some(want)) => {
                if !e.contains(want.as_str()) {
                    fail(format!("error should contain {want:?}, but was: {e}"));
                }
            }
            (Ok(_), Some(want)) => fail(format!(
                "expected an error containing {want:?}, but the step succeeded"
            )),
            (Ok(_), None) => {}
        }
        if let Ok(outcome) = &outcome {
            compare_outcome(&step.expect, outcome, &mut fail);
        }
        for (side, expected) in [
            (Side::Customer, &step.expect.customer_balances),
            (Side::Vendor, &step.expect.vendor_balances),
        ] {
            for (account, currencies) in expected {
                let actual = match ledger.balances(side, account) {
                    Ok(b) => b,
                    Err(e) => {
                        fail(format!("{} {account}: {e}", side.name()));
                        continue;
                    }
                };
                for (currency, want) in currencies {
                    let got = actual
                        .iter()
                        .find(|b| &b.currency == currency)
                        .map_or(Decimal::ZERO, |b| b.balance);
                    if got != want.0 {
                        fail(format!(
                            "{} {account} balance in {currency}: expected {}, got {got} (difference {})",
                            side.name(),
                            want.0,
                            got - want.0
                        ));
                    }
                }
            }
        }
        if let Some(n) = step.expect.vendors_created {
            let count = ledger
                .vendors()
                .map(|v| v.iter().filter(|v| v.one_time).count())
                .unwrap_or(0);
            if count != n {
                fail(format!("one-time vendors: expected {n}, found {count}"));
            }
        }
        match ledger.trial_balance_totals() {
            Ok(totals) => {
                for (currency, total) in totals {
                    if !total.is_zero() {
                        fail(format!(
                            "the trial balance is {total} in {currency}, not zero"
                        ));
                    }
                }
            }
            Err(e) => fail(format!("trial balance: {e}")),
        }
    }
    Ok(failures)
}

enum StepOutcome {
    Run(process::RunReport),
    Pay(process::PayReport),
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn execute_step(
    session: &std::rc::Rc<Session>,
    rules: &Path,
    step: &Step,
) -> Result<StepOutcome, String> {
    match (&step.run, &step.pay) {
        (Some(run), None) => {
            let selection = match (&run.customers, &run.groups, &run.where_) {
                (None, None, None) => Selection::All,
                (Some(c), None, None) => Selection::Customers(c.clone()),
                (None, Some(g), None) => Selection::Groups(g.clone()),
                (None, None, Some(w)) => Selection::Where(w.clone()),
                _ => return Err("a run selects by one of customers, groups and where".into()),
            };
            let options = RunOptions {
                selection,
                date: run.date.unwrap_or_else(today),
                rules: rules.to_path_buf(),
                dry_run: run.dry_run,
                keep_going: run.keep_going,
                user: "reimburse test".into(),
            };
            process::run(session, &options)
                .map(StepOutcome::Run)
                .map_err(|e| e.to_string())
        }
        (None, Some(pay)) => {
            let filter = ReimbursementFilter {
                customer: pay.customer.clone(),
                vendor: pay.vendor.clone(),
                ..Default::default()
            };
            process::pay(
                session.ledger(),
                &filter,
                pay.date.unwrap_or_else(today),
                false,
                "reimburse test",
            )
            .map(StepOutcome::Pay)
            .map_err(|e| e.to_string())
        }
        _ => Err("a step is either `run:` or `pay:`".into()),
    }
}

fn compare_outcome(expect: &Expect, outcome: &StepOutcome, fail: &mut dyn FnMut(String)) {
    match outcome {
        StepOutcome::Run(report) => {
            for f in &report.failed {
                fail(format!("customer {} failed: {}", f.customer, f.error));
            }
            if let Some(expected) = &expect.reimbursements {
                let mut actual: Vec<Option<&process::Reimbursement>> =
                    report.reimbursements.iter().map(Some).collect();
                for e in expected {
                    let slot = actual.iter_mut().find(|a| {
                        a.is_some_and(|a| {
                            a.customer == e.customer
                                && e.currency.as_ref().is_none_or(|c| *c == a.currency)
                        })
                    });
                    let Some(slot) = slot else {
                        fail(format!("missing reimbursement: {}", describe_expected(e)));
                        continue;
                    };
                    let a = slot.take().expect("found above");
                    let mut diffs = Vec::new();
                    if let Some(v) = &e.vendor
                        && *v != a.vendor
                    {
                        diffs.push(format!("vendor {v} expected, got {}", a.vendor));
                    }
                    if let Some(o) = e.one_time_vendor
                        && o != a.one_time_vendor
                    {
                        diffs.push(format!(
                            "one_time_vendor {o} expected, got {}",
                            a.one_time_vendor
                        ));
                    }
                    if let Some(amount) = e.amount
                        && amount != a.amount
                    {
                        diffs.push(format!(
                            "amount {amount} expected, got {} (difference {})",
                            a.amount,
                            a.amount - amount
                        ));
                    }
                    if !diffs.is_empty() {
                        fail(format!(
                            "different reimbursement for {} {}: {}",
                            a.customer,
                            a.currency,
                            diffs.join("; ")
                        ));
                    }
                }
                for a in actual.into_iter().flatten() {
                    fail(format!(
                        "unexpected reimbursement: {} {} {} to vendor {}{}",
                        a.customer,
                        a.currency,
                        a.amount,
                        a.vendor,
                        if a.one_time_vendor {
                            " (one-time vendor)"
                        } else {
                            ""
                        }
                    ));
                }
            }
            if let Some(expected) = &expect.skipped {
                let mut actual: Vec<Option<&process::Skipped>> =
                    report.skipped.iter().map(Some).collect();
                for e in expected {
                    let slot = actual.iter_mut().find(|a| {
                        a.is_some_and(|a| {
                            a.customer == e.customer
                                && e.currency.as_ref().is_none_or(|c| *c == a.currency)
                        })
                    });
                    match slot {
                        None => fail(format!(
                            "expected {} to be skipped{}, but it was not",
                            e.customer,
                            e.reason
                                .as_ref()
                                .map(|r| format!(" ({r})"))
                                .unwrap_or_default()
                        )),
                        Some(slot) => {
                            let a = slot.take().expect("found above");
                            if let Some(r) = &e.reason
                                && !a.reason.contains(r.as_str())
                            {
                                fail(format!(
                                    "{} {} skipped for {:?}, expected {:?}",
                                    a.customer, a.currency, a.reason, r
                                ));
                            }
                        }
                    }
                }
                for a in actual.into_iter().flatten() {
                    fail(format!(
                        "unexpected skip: {} {} ({})",
                        a.customer, a.currency, a.reason
                    ));
                }
            }
            if expect.payments.is_some() {
                fail("`payments` is checked after a pay step, not a run".into());
            }
        }
        StepOutcome::Pay(report) => {
            if expect.reimbursements.is_some() || expect.skipped.is_some() {
                fail(
                    "`reimbursements` and `skipped` are checked after a run, not a pay step".into(),
                );
            }
            if let Some(expected) = &expect.payments {
                let mut actual: Vec<Option<&process::Payment>> =
                    report.payments.iter().map(Some).collect();
                for e in expected {
                    let slot = actual.iter_mut().find(|a| {
                        a.is_some_and(|a| {
                            a.customer == e.customer
                                && e.currency.as_ref().is_none_or(|c| *c == a.currency)
                                && e.vendor.as_ref().is_none_or(|v| *v == a.vendor)
                        })
                    });
                    match slot {
                        None => fail(format!("missing payment for {}", e.customer)),
                        Some(slot) => {
                            let a = slot.take().expect("found above");
                            if let Some(amount) = e.amount
                                && amount != a.amount
                            {
                                fail(format!(
                                    "payment for {}: amount {amount} expected, got {}",
                                    a.customer, a.amount
                                ));
                            }
                        }
                    }
                }
                for a in actual.into_iter().flatten() {
                    fail(format!(
                        "unexpected payment: {} {} {} to {}",
                        a.customer, a.currency, a.amount, a.vendor
                    ));
                }
            }
        }
    }
}

fn describe_expected(e: &ExpectedReimbursement) -> String {
    let mut parts = vec![e.customer.clone()];
    if let Some(c) = &e.currency {
        parts.push(c.clone());
    }
    if let Some(a) = e.amount {
        parts.push(a.to_string());
    }
    if let Some(v) = &e.vendor {
        parts.push(format!("to vendor {v}"));
    }
    if e.one_time_vendor == Some(true) {
        parts.push("(one-time vendor)".into());
    }
    parts.join(" ")
}
