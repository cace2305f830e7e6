//! Running fixtures: each in a fresh database, its steps one after the other, every expectation
//! checked.

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::books::compare_books;
use super::compare::compare_outcome;
use super::compare_lifecycle::compare_statuses;
use super::report::FixtureResult;
use super::step::{execute_step, today};
use crate::fixtures::{self, Expect, Fixture, Step};
use crate::ledger::Ledger;
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
    let company = fixture_company(company, file, &fixture)?;
    // A database file, not memory: a run over a file reads its customers ahead on a second
    // connection and works `--where`, `eligible` and `vendor_for` out there, as a real run does.
    let dir = tempfile::tempdir().map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    let session = fixture_session(&company, file, &fixture, dir.path())?;

    let steps = fixture.steps();
    let mut failures = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let label = match step.action() {
            Ok(action) if steps.len() > 1 => format!("step {} ({}): ", i + 1, action.name()),
            _ if steps.len() > 1 => format!("step {}: ", i + 1),
            _ => String::new(),
        };
        let mut fail = |m: String| failures.push(format!("{label}{m}"));
        check_step(&session, rules, step, &mut fail);
    }
    Ok(failures)
}

/// The company's parameters with the fixture's `parameters:` overrides applied.
fn fixture_company(company: &Company, file: &Path, fixture: &Fixture) -> Result<Company, String> {
    let mut params = company.params.clone();
    fixture.parameters.apply(&mut params);
    Company::from_parameters(file, params, None).map_err(|e| format!("parameters: {e}"))
}

/// A session over a new database in `dir`, the fixture's ledger loaded.
fn fixture_session(
    company: &Company,
    file: &Path,
    fixture: &Fixture,
    dir: &Path,
) -> Result<Rc<Session>, String> {
    let store = Store::create(&dir.join("fixture.db")).map_err(|e| e.to_string())?;
    let ledger = Ledger::new(store, company.params.clone()).map_err(|e| e.to_string())?;
    fixtures::load(&ledger, file, fixture).map_err(|e| e.to_string())?;
    Ok(Session::new(ledger, today(), Echo::Collect))
}

/// Executes one step and checks what it must: the error or its absence, the outcome, the books.
fn check_step(session: &Rc<Session>, rules: &Path, step: &Step, fail: &mut dyn FnMut(String)) {
    // A step that expects nothing cannot fail, short of an error: not a test.
    if step.expect == Expect::default() {
        fail(
            "`expect:` says nothing to check: list the `reimbursements` (`[]` for none), \
             `skipped`, `payments`, `not_paid`, `statuses`, `refused`, `write_offs`, balances, \
             `vendors_created` or an `error`"
                .into(),
        );
    }
    let outcome = execute_step(session, rules, step);
    match (&outcome, &step.expect.error) {
        (Err(e), None) => {
            fail(format!("unexpected error: {e}"));
            return;
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
        compare_outcome(&step.expect, outcome, fail);
    }
    compare_books(session.ledger(), &step.expect, fail);
    compare_statuses(session.ledger(), &step.expect, fail);
}
