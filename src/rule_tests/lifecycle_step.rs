//! The lifecycle steps of a fixture executed through the library functions the command line
//! calls (`approve`, `reject`, `hold`, `release`, `reverse`, `write_off`), in the fixture's
//! database, as the step's user; and the selections resolved to what those functions take.

use std::path::Path;
use std::rc::Rc;

use chrono::NaiveDate;

use super::step::{Refused, StepOutcome, today};
use crate::fixtures::{ApproveStep, ReverseStep, StepAction, StepSelection, WriteOffStep};
use crate::ledger::{Ledger, ReimbursementFilter, ReimbursementStatus, RunId, RunKind};
use crate::process::{
    self, ApprovalSelection, ApproveOptions, ReversalSelection, ReverseOptions, WriteOffOptions,
};
use crate::scripting::Session;

/// Executes a lifecycle step (`action` is neither a run nor a payment) as `user`.
pub(super) fn execute(
    session: &Rc<Session>,
    rules: &Path,
    action: StepAction<'_>,
    user: &str,
) -> Result<StepOutcome, String> {
    let ledger = session.ledger();
    let selection = action.selection().transpose()?;
    match (action, selection) {
        (StepAction::Approve(step), Some(selection)) => approve(ledger, step, &selection, user),
        (StepAction::Reject(step), Some(selection)) => {
            let options = ReverseOptions {
                selection: reversal_selection(ledger, &selection)?,
                date: step.date.unwrap_or_else(today),
                reason: step.reason.clone(),
                user: user.into(),
                dry_run: false,
            };
            process::reject(ledger, &options)
                .map(|_| StepOutcome::Decided)
                .map_err(|e| e.to_string())
        }
        (StepAction::Hold(step), Some(selection)) => {
            let ids = ids(ledger, &selection)?;
            process::hold(ledger, &ids, &step.reason, user)
                .map(|_| StepOutcome::Decided)
                .map_err(|e| e.to_string())
        }
        (StepAction::Release(step), Some(selection)) => {
            let ids = ids(ledger, &selection)?;
            process::release(ledger, &ids, step.note.as_deref(), user)
                .map(|_| StepOutcome::Decided)
                .map_err(|e| e.to_string())
        }
        (StepAction::Reverse(step), Some(selection)) => reverse(ledger, step, &selection, user),
        (StepAction::WriteOff(step), None) => write_off(session, rules, step, user),
        (other, _) => Err(format!("`{}` is not a lifecycle step", other.name())),
    }
}

/// `approve:` through `process::approve`; each refusal with its reimbursement's customer.
fn approve(
    ledger: &Ledger,
    step: &ApproveStep,
    selection: &StepSelection,
    user: &str,
) -> Result<StepOutcome, String> {
    let selection = match selection {
        StepSelection::Run(n) => ApprovalSelection::Run(RunId(*n)),
        other => ApprovalSelection::Reimbursements(ids(ledger, other)?),
    };
    let options = ApproveOptions {
        selection,
        note: step.note.clone(),
        user: user.into(),
    };
    let report = process::approve(ledger, &options).map_err(|e| e.to_string())?;
    let mut refused = Vec::with_capacity(report.refused.len());
    for r in &report.refused {
        let customer = ledger
            .reimbursement(r.id)
            .map_err(|e| e.to_string())?
            .map(|found| found.customer)
            .unwrap_or_default();
        refused.push(Refused {
            customer,
            text: r.to_string(),
        });
    }
    Ok(StepOutcome::Approve(refused))
}

/// `reverse:` through `process::reverse`, or, for `run: N` of a write-off run, through
/// `process::reverse_write_offs`, as `reimburse reverse --run N` does.
fn reverse(
    ledger: &Ledger,
    step: &ReverseStep,
    selection: &StepSelection,
    user: &str,
) -> Result<StepOutcome, String> {
    let date: NaiveDate = step.date.unwrap_or_else(today);
    if let StepSelection::Run(n) = selection {
        let kind = ledger.run_kind(RunId(*n)).map_err(|e| e.to_string())?;
        if kind.as_deref() == Some(RunKind::WriteOff.as_str()) {
            return process::reverse_write_offs(
                ledger,
                RunId(*n),
                date,
                &step.reason,
                user,
                step.dry_run,
            )
            .map(|_| StepOutcome::Decided)
            .map_err(|e| e.to_string());
        }
    }
    let options = ReverseOptions {
        selection: reversal_selection(ledger, selection)?,
        date,
        reason: step.reason.clone(),
        user: user.into(),
        dry_run: step.dry_run,
    };
    process::reverse(ledger, &options)
        .map(|_| StepOutcome::Decided)
        .map_err(|e| e.to_string())
}

/// `write_off:` through `process::write_off`, with the fixture's rules.
fn write_off(
    session: &Rc<Session>,
    rules: &Path,
    step: &WriteOffStep,
    user: &str,
) -> Result<StepOutcome, String> {
    let options = WriteOffOptions {
        date: step.date.unwrap_or_else(today),
        rules: rules.to_path_buf(),
        dry_run: step.dry_run,
        user: user.into(),
    };
    process::write_off(session, &options)
        .map(StepOutcome::WriteOff)
        .map_err(|e| e.to_string())
}

/// A run as the run (the function refuses what is not a reimbursement run), the others by id.
fn reversal_selection(
    ledger: &Ledger,
    selection: &StepSelection,
) -> Result<ReversalSelection, String> {
    Ok(match selection {
        StepSelection::Run(n) => ReversalSelection::Run(RunId(*n)),
        other => ReversalSelection::Reimbursements(ids(ledger, other)?),
    })
}

/// The ids a selection names: the customers' or the run's reimbursements that are not
/// reversed, in id order (an error when there is none), or the ids given.
fn ids(ledger: &Ledger, selection: &StepSelection) -> Result<Vec<i64>, String> {
    let filters: Vec<ReimbursementFilter> = match selection {
        StepSelection::Reimbursements(ids) => return Ok(ids.clone()),
        StepSelection::Customers(customers) => customers
            .iter()
            .map(|c| ReimbursementFilter {
                customer: Some(c.clone()),
                ..Default::default()
            })
            .collect(),
        StepSelection::Run(n) => vec![ReimbursementFilter {
            run: Some(RunId(*n)),
            ..Default::default()
        }],
    };
    let mut ids = Vec::new();
    for filter in &filters {
        let found = ledger.reimbursements(filter).map_err(|e| e.to_string())?;
        ids.extend(
            found
                .into_iter()
                .filter(|r| r.status != ReimbursementStatus::Reversed)
                .map(|r| r.id),
        );
    }
    ids.sort_unstable();
    ids.dedup();
    debug_assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "each id once, in order"
    );
    if ids.is_empty() {
        return Err(format!(
            "{selection}: no reimbursement to select (reversed ones are left out)"
        ));
    }
    Ok(ids)
}
