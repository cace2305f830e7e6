//! [`approve`]: approves the reimbursements pending approval that the user may approve: a listed
//! approver (`approval.approvers`), the amount in the accounting currency within their limit, and
//! not the user recorded on the run that posted it (four eyes). The others are refused, each with
//! the rule that stopped it ([`RefusalRule`]); the approved ones go on.

use std::collections::HashMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;

use super::error::LifecycleError;
use super::{as_display, check_reason, distinct};
use crate::ledger::{
    DecisionKind, DecisionSubject, Ledger, NewDecision, Reimbursement, ReimbursementFilter,
    ReimbursementStatus, RunId, RunKind,
};
use crate::parameters::ApprovalSettings;
use crate::process::audit::now_text;

/// Which reimbursements to approve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalSelection {
    /// These reimbursements (by id); each one not pending approval is refused.
    Reimbursements(Vec<i64>),
    /// Those of this run that are pending approval.
    Run(RunId),
}

/// What [`approve`] approves, and who approves it.
#[derive(Debug, Clone)]
pub struct ApproveOptions {
    /// Which reimbursements.
    pub selection: ApprovalSelection,
    /// A note recorded with each approval.
    pub note: Option<String>,
    /// Who approves (the current user).
    pub user: String,
}

/// A reimbursement approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approved {
    /// The reimbursement's id.
    pub id: i64,
    /// The run that posted it.
    pub run: RunId,
    /// Customer account.
    pub customer: String,
    /// Currency.
    pub currency: String,
    /// Amount, in its currency.
    #[serde(serialize_with = "as_display")]
    pub amount: Decimal,
    /// The amount in the accounting currency (what the approver's limit was compared with).
    #[serde(serialize_with = "as_display")]
    pub accounting_amount: Decimal,
    /// Its status after the approval (`open`, or `held` when a hold waits).
    pub status: ReimbursementStatus,
}

/// Why a reimbursement was not approved: the rule that stopped it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefusalRule {
    /// No reimbursement has this id.
    NotFound,
    /// It is not pending approval (its status).
    NotPending(ReimbursementStatus),
    /// The user is not among `approval.approvers`.
    NotAnApprover(String),
    /// The user made the run that posted it (four eyes).
    OwnRun {
        /// The user.
        user: String,
        /// The run.
        run: RunId,
    },
    /// The amount in the accounting currency is above the user's limit.
    OverLimit {
        /// The user's limit.
        limit: Decimal,
        /// The amount, converted to the accounting currency.
        amount: Decimal,
        /// The accounting currency.
        currency: String,
    },
}

impl fmt::Display for RefusalRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefusalRule::NotFound => f.write_str("not found"),
            RefusalRule::NotPending(status) => write!(f, "not pending approval (it is {status})"),
            RefusalRule::NotAnApprover(user) => {
                write!(
                    f,
                    "not an approver: {user} is not listed in approval.approvers"
                )
            }
            RefusalRule::OwnRun { user, run } => write!(
                f,
                "own run (four eyes): {user} made run {run}, which posted it; another approver must approve it"
            ),
            RefusalRule::OverLimit {
                limit,
                amount,
                currency,
            } => write!(
                f,
                "over the limit: {amount} {currency} is more than the approver's limit of {limit} {currency}"
            ),
        }
    }
}

/// A reimbursement not approved, and the rule that stopped it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalRefusal {
    /// The reimbursement's id.
    pub id: i64,
    /// Why it was not approved.
    #[serde(rename = "reason", serialize_with = "as_display")]
    pub rule: RefusalRule,
}

impl fmt::Display for ApprovalRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reimbursement {}: {}", self.id, self.rule)
    }
}

/// What [`approve`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApproveReport {
    /// The reimbursements approved, in the order selected.
    pub approved: Vec<Approved>,
    /// The reimbursements refused, in the order selected.
    pub refused: Vec<ApprovalRefusal>,
}

/// Approves those of the selected reimbursements that `options.user` may approve (see the
/// module), recording a decision `approve` with the note for each; the others are refused with
/// their rule. One transaction, committed when anything was approved. Errors: no `approval`
/// section ([`LifecycleError::NoApproval`]), an unknown run, a database failure.
pub fn approve(ledger: &Ledger, options: &ApproveOptions) -> Result<ApproveReport, LifecycleError> {
    let settings = ledger
        .params()
        .approval
        .clone()
        .ok_or(LifecycleError::NoApproval)?;
    check_reason("approval note", options.note.as_deref())?;
    let store = ledger.store();
    store.begin()?;
    match approve_in_transaction(ledger, &settings, options) {
        Ok(report) => {
            if report.approved.is_empty() {
                store.rollback();
            } else {
                store.commit()?;
            }
            Ok(report)
        }
        Err(e) => {
            store.rollback();
            Err(e)
        }
    }
}

/// Refuses a run that does not exist or is not a reimbursement run (only those post
/// reimbursements to approve).
fn check_reimbursement_run(ledger: &Ledger, run: RunId) -> Result<(), LifecycleError> {
    match ledger.run_kind(run)? {
        None => Err(LifecycleError::NotAReimbursementRun { run, kind: None }),
        Some(kind) if kind != RunKind::Reimbursement.as_str() => {
            Err(LifecycleError::NotAReimbursementRun {
                run,
                kind: Some(kind),
            })
        }
        Some(_) => Ok(()),
    }
}

/// The approval inside its transaction.
fn approve_in_transaction(
    ledger: &Ledger,
    settings: &ApprovalSettings,
    options: &ApproveOptions,
) -> Result<ApproveReport, LifecycleError> {
    let selected: Vec<(i64, Option<Reimbursement>)> = match &options.selection {
        ApprovalSelection::Reimbursements(ids) => distinct(ids)
            .into_iter()
            .map(|id| Ok((id, ledger.reimbursement(id)?)))
            .collect::<Result<_, LifecycleError>>()?,
        ApprovalSelection::Run(run) => {
            check_reimbursement_run(ledger, *run)?;
            ledger
                .reimbursements(&ReimbursementFilter {
                    run: Some(*run),
                    status: Some(ReimbursementStatus::PendingApproval.as_str().into()),
                    ..Default::default()
                })?
                .into_iter()
                .map(|r| (r.id, Some(r)))
                .collect()
        }
    };
    let at = now_text();
    let mut judge = Judge {
        ledger,
        settings,
        user: &options.user,
        run_users: HashMap::new(),
    };
    let mut report = ApproveReport::default();
    for (id, found) in selected {
        let Some(r) = found else {
            report.refused.push(ApprovalRefusal {
                id,
                rule: RefusalRule::NotFound,
            });
            continue;
        };
        let accounting_amount = match judge.judge(&r)? {
            Ok(amount) => amount,
            Err(rule) => {
                report.refused.push(ApprovalRefusal { id, rule });
                continue;
            }
        };
        ledger.approve_reimbursement(id)?;
        ledger.record_decision(&NewDecision {
            subject: DecisionSubject::Reimbursement(id),
            decision: DecisionKind::Approve,
            user: &options.user,
            at: &at,
            run: None,
            reason: options.note.as_deref(),
        })?;
        let status = ledger
            .reimbursement(id)?
            .map_or(ReimbursementStatus::Open, |now| now.status);
        debug_assert_ne!(status, ReimbursementStatus::PendingApproval);
        report.approved.push(Approved {
            id,
            run: r.run,
            customer: r.customer,
            currency: r.currency,
            amount: r.amount,
            accounting_amount,
            status,
        });
    }
    Ok(report)
}

/// The rules of approval for one user, with the users of the runs seen so far.
struct Judge<'a> {
    ledger: &'a Ledger,
    settings: &'a ApprovalSettings,
    user: &'a str,
    run_users: HashMap<RunId, Option<String>>,
}

impl Judge<'_> {
    /// `Ok(amount in the accounting currency)` when the user may approve `r`, else the rule
    /// that stops it, checked in order: pending, an approver, four eyes, the limit.
    fn judge(&mut self, r: &Reimbursement) -> Result<Result<Decimal, RefusalRule>, LifecycleError> {
        if r.status != ReimbursementStatus::PendingApproval {
            return Ok(Err(RefusalRule::NotPending(r.status)));
        }
        let Some(limit) = self.settings.approvers.get(self.user) else {
            return Ok(Err(RefusalRule::NotAnApprover(self.user.to_string())));
        };
        if self.run_user(r.run)?.as_deref() == Some(self.user) {
            return Ok(Err(RefusalRule::OwnRun {
                user: self.user.to_string(),
                run: r.run,
            }));
        }
        let params = self.ledger.params();
        let amount = shown(
            params.to_accounting(r.amount, &r.currency)?,
            params.accounting().decimals,
        );
        if amount > *limit {
            return Ok(Err(RefusalRule::OverLimit {
                limit: *limit,
                amount,
                currency: params.accounting_currency.clone(),
            }));
        }
        Ok(Ok(amount))
    }

    /// The user recorded on run `run`.
    fn run_user(&mut self, run: RunId) -> Result<Option<String>, LifecycleError> {
        if let Some(user) = self.run_users.get(&run) {
            return Ok(user.clone());
        }
        let user = self.ledger.run_record(run)?.map(|r| r.user);
        self.run_users.insert(run, user.clone());
        Ok(user)
    }
}

/// `amount` (exact) with the trailing zeros a conversion adds dropped, down to `decimals`:
/// `2170.000000` is shown `2170.00`, `5000.0012` stays. The value does not change.
fn shown(amount: Decimal, decimals: u32) -> Decimal {
    let mut d = amount.normalize();
    if d.scale() < decimals {
        d.rescale(decimals);
    }
    debug_assert_eq!(d, amount, "only the scale changes");
    d
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::{RefusalRule, shown};

    #[test]
    fn a_converted_amount_is_shown_without_the_zeros_of_the_rate() {
        assert_eq!(shown(Decimal::new(2170000000, 6), 2).to_string(), "2170.00");
        assert_eq!(shown(Decimal::new(50000012, 4), 2).to_string(), "5000.0012");
        assert_eq!(shown(Decimal::new(7, 0), 2).to_string(), "7.00");
    }

    #[test]
    fn each_refusal_says_its_rule() {
        let over = RefusalRule::OverLimit {
            limit: Decimal::new(500000, 2),
            amount: Decimal::new(600000, 2),
            currency: "USD".into(),
        };
        assert_eq!(
            over.to_string(),
            "over the limit: 6000.00 USD is more than the approver's limit of 5000.00 USD"
        );
        assert_eq!(
            RefusalRule::NotPending(crate::ledger::ReimbursementStatus::Paid).to_string(),
            "not pending approval (it is paid)"
        );
    }
}
