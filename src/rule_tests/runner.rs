//! Running fixtures: each in a fresh database, its steps one after the other, every expectation
//! checked.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;

use super::compare::compare_outcome;
use super::report::FixtureResult;
use super::step::{execute_step, today};
use crate::fixtures::{self, Expect, Fixture};
use crate::ledger::{Ledger, Side};
use crate::parameters::Company;
use crate::scripting::{Echo, Session};
use crate::store::Store;

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
