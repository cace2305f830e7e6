//! One step of a fixture executed through the same code as the command line: a reimbursement
//! run or a payment.

use std::path::Path;

use chrono::NaiveDate;

use crate::fixtures::Step;
use crate::process::{self, ReimbursementFilter, RunOptions, Selection};
use crate::scripting::Session;

pub(super) enum StepOutcome {
    Run(process::RunReport),
    Pay(process::PayReport),
}

pub(super) fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

pub(super) fn execute_step(
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
            let options =
                process::PayOptions::new(filter, pay.date.unwrap_or_else(today), "reimburse test");
            process::pay(session.ledger(), &options)
                .map(StepOutcome::Pay)
                .map_err(|e| e.to_string())
        }
        _ => Err("a step is either `run:` or `pay:`".into()),
    }
}
