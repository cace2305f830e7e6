//! `reject`: an approver turns down reimbursements pending approval; each is reversed as by
//! `reverse` (`super::reverse`), with a decision `reject` and the reason. Needs the company's
//! `approval:` section; the user must be a listed approver; each reimbursement named by id must
//! be pending approval (with `--run`, the run's others are left out and listed). All or nothing.

use super::refusal::{ReversalError, ReversalRefusal};
use super::reverse::{Mode, ReversalReport, ReverseOptions, reverse_as};
use crate::ledger::{DecisionKind, Ledger};

/// Rejects the reimbursements pending approval that `options` selects, as `options.user`: each
/// reversed (see [`super::reverse()`]) with a decision `reject`. Refused as a whole when the user
/// is not an approver or a reimbursement named by id is not pending approval (or cannot be
/// reversed); an error without the `approval:` section.
pub fn reject(ledger: &Ledger, options: &ReverseOptions) -> Result<ReversalReport, ReversalError> {
    let Some(approval) = &ledger.params().approval else {
        return Err(ReversalError::NoApproval);
    };
    let mut refusals = Vec::new();
    if !approval.approvers.contains_key(&options.user) {
        refusals.push(ReversalRefusal::NotAnApprover(options.user.clone()));
    }
    let mode = Mode {
        decision: DecisionKind::Reject,
        refusals,
        pending_only: true,
    };
    reverse_as(ledger, options, &mode)
}
