//! One step of a fixture executed through the same code as the command line: a reimbursement
//! run or a payment here, the lifecycle steps in `lifecycle_step`; each as the step's user.

use std::path::Path;
use std::rc::Rc;

use chrono::NaiveDate;

use super::lifecycle_step;
use crate::fixtures::{PayStep, RunStep, Step, StepAction};
use crate::process::{self, ReimbursementFilter, RunOptions, Selection};
use crate::scripting::Session;

/// What a step did, as the library function it called reported it.
pub(super) enum StepOutcome {
    Run(process::RunReport),
    Pay(process::PayReport),
    /// An approval's refusals, each with its customer and text (in the report's order).
    Approve(Vec<Refused>),
    WriteOff(process::WriteOffReport),
    /// A decision whose outcome the books show (reverse, reject, hold, release, a write-off
    /// reversal): `statuses` and the balances check it.
    Decided,
}

/// One refusal of an approve step: the customer of the reimbursement refused (empty for an
/// unknown id) and the refusal's text.
pub(super) struct Refused {
    pub customer: String,
    pub text: String,
}

pub(super) fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// Executes the step's one kind as its user.
pub(super) fn execute_step(
    session: &Rc<Session>,
    rules: &Path,
    step: &Step,
) -> Result<StepOutcome, String> {
    let user = step.user();
    match step.action()? {
        StepAction::Run(run) => run_step(session, rules, run, user),
        StepAction::Pay(pay) => pay_step(session, pay, user),
        other => lifecycle_step::execute(session, rules, other, user),
    }
}

/// `run:` through `process::run`.
fn run_step(
    session: &Rc<Session>,
    rules: &Path,
    run: &RunStep,
    user: &str,
) -> Result<StepOutcome, String> {
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
        user: user.into(),
    };
    process::run(session, &options)
        .map(StepOutcome::Run)
        .map_err(|e| e.to_string())
}

/// `pay:` through `process::pay`.
fn pay_step(session: &Rc<Session>, pay: &PayStep, user: &str) -> Result<StepOutcome, String> {
    let filter = ReimbursementFilter {
        customer: pay.customer.clone(),
        vendor: pay.vendor.clone(),
        ..Default::default()
    };
    let options = process::PayOptions::new(filter, pay.date.unwrap_or_else(today), user);
    process::pay(session.ledger(), &options)
        .map(StepOutcome::Pay)
        .map_err(|e| e.to_string())
}
