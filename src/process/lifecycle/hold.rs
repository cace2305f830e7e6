//! [`hold`] and [`release`]: a user's hold on unpaid reimbursements (`pay` leaves a held one, with
//! its reason) and its release. All or nothing: when any selected reimbursement cannot be held
//! (or released), nothing changes and each refusal is listed ([`HoldRefusal`]). The check before
//! paying holds and releases on its own (`pay`); a user may release its holds too.

use std::fmt;

use serde::Serialize;

use super::error::LifecycleError;
use super::{as_display, check_reason, distinct};
use crate::ledger::{
    DecisionKind, DecisionSubject, Ledger, NewDecision, Reimbursement, ReimbursementStatus,
};
use crate::process::audit::now_text;

/// Why a reimbursement cannot be held or released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldRefused {
    /// No reimbursement has this id.
    NotFound,
    /// It is paid.
    Paid,
    /// It is reversed.
    Reversed,
    /// It is held already (`hold`), for this reason.
    AlreadyHeld(String),
    /// It is not held (`release`).
    NotHeld,
}

impl fmt::Display for HoldRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HoldRefused::NotFound => f.write_str("not found"),
            HoldRefused::Paid => f.write_str("paid (its payment cannot be held back)"),
            HoldRefused::Reversed => f.write_str("reversed (there is nothing left to pay)"),
            HoldRefused::AlreadyHeld(reason) => write!(f, "held already: {reason}"),
            HoldRefused::NotHeld => f.write_str("not held"),
        }
    }
}

/// A reimbursement refused by [`hold`] or [`release`], and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HoldRefusal {
    /// The reimbursement's id.
    pub id: i64,
    /// Why.
    #[serde(rename = "reason", serialize_with = "as_display")]
    pub refused: HoldRefused,
}

impl fmt::Display for HoldRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reimbursement {}: {}", self.id, self.refused)
    }
}

/// Holds the reimbursements `ids` with `reason`, as `user`: each gets the hold and a decision
/// `hold`. Refused as a whole ([`LifecycleError::Refused`], nothing changed) when one is unknown,
/// paid, reversed or held already. Returns them as they are now (status `held`, or still `pending
/// approval`), in the order given.
pub fn hold(
    ledger: &Ledger,
    ids: &[i64],
    reason: &str,
    user: &str,
) -> Result<Vec<Reimbursement>, LifecycleError> {
    if reason.trim().is_empty() {
        return Err(LifecycleError::NoReason);
    }
    check_reason("hold reason", Some(reason))?;
    change(ledger, ids, Change::Hold(reason), user)
}

/// Releases the holds of the reimbursements `ids` (a user's, or the check before paying's), as
/// `user`, recording a decision `release` with the note. Refused as a whole
/// ([`LifecycleError::Refused`], nothing changed) when one is unknown, paid, reversed or not
/// held. Returns them as they are now, in the order given.
pub fn release(
    ledger: &Ledger,
    ids: &[i64],
    note: Option<&str>,
    user: &str,
) -> Result<Vec<Reimbursement>, LifecycleError> {
    check_reason("release note", note)?;
    change(ledger, ids, Change::Release(note), user)
}

/// A hold (with its reason) or a release (with its note).
#[derive(Clone, Copy)]
enum Change<'a> {
    Hold(&'a str),
    Release(Option<&'a str>),
}

impl Change<'_> {
    fn operation(self) -> &'static str {
        match self {
            Change::Hold(_) => "hold",
            Change::Release(_) => "release",
        }
    }

    /// Why `r` cannot take this change, if it cannot.
    fn refusal(self, r: &Reimbursement) -> Option<HoldRefused> {
        match (r.status, &r.hold_reason, self) {
            (ReimbursementStatus::Paid, _, _) => Some(HoldRefused::Paid),
            (ReimbursementStatus::Reversed, _, _) => Some(HoldRefused::Reversed),
            (_, Some(reason), Change::Hold(_)) => Some(HoldRefused::AlreadyHeld(reason.clone())),
            (_, None, Change::Release(_)) => Some(HoldRefused::NotHeld),
            _ => None,
        }
    }
}

/// The hold or release, all or nothing, in one transaction.
fn change(
    ledger: &Ledger,
    ids: &[i64],
    change: Change,
    user: &str,
) -> Result<Vec<Reimbursement>, LifecycleError> {
    let store = ledger.store();
    store.begin()?;
    match change_in_transaction(ledger, &distinct(ids), change, user) {
        Ok(changed) => {
            store.commit()?;
            Ok(changed)
        }
        Err(e) => {
            store.rollback();
            Err(e)
        }
    }
}

/// Checks every reimbursement first, then changes them all.
fn change_in_transaction(
    ledger: &Ledger,
    ids: &[i64],
    change: Change,
    user: &str,
) -> Result<Vec<Reimbursement>, LifecycleError> {
    let mut refusals = Vec::new();
    for &id in ids {
        let refused = match ledger.reimbursement(id)? {
            None => Some(HoldRefused::NotFound),
            Some(r) => change.refusal(&r),
        };
        if let Some(refused) = refused {
            refusals.push(HoldRefusal { id, refused });
        }
    }
    if !refusals.is_empty() {
        return Err(LifecycleError::Refused {
            operation: change.operation(),
            refusals,
        });
    }
    let at = now_text();
    let mut changed = Vec::with_capacity(ids.len());
    for &id in ids {
        let (decision, reason) = match change {
            Change::Hold(reason) => {
                ledger.hold_reimbursement(id, reason, None)?;
                (DecisionKind::Hold, Some(reason))
            }
            Change::Release(note) => {
                ledger.release_hold(id)?;
                (DecisionKind::Release, note)
            }
        };
        ledger.record_decision(&NewDecision {
            subject: DecisionSubject::Reimbursement(id),
            decision,
            user,
            at: &at,
            run: None,
            reason,
        })?;
        changed.extend(ledger.reimbursement(id)?);
    }
    debug_assert_eq!(changed.len(), ids.len(), "every one changed is read back");
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use rust_decimal::Decimal;

    use super::{Change, HoldRefused};
    use crate::ledger::{Reimbursement, ReimbursementStatus, RunId};

    fn reimbursement(status: ReimbursementStatus, hold: Option<&str>) -> Reimbursement {
        Reimbursement {
            id: 1,
            run: RunId(1),
            customer: "C-1".into(),
            vendor: "V-1".into(),
            one_time_vendor: false,
            currency: "USD".into(),
            amount: Decimal::new(5000, 2),
            date: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default(),
            voucher: "RMB-1".into(),
            vendor_invoice: "VI-1".into(),
            status,
            hold_reason: hold.map(str::to_string),
            payment_voucher: None,
            paid_date: None,
            reversal_voucher: None,
            reversed_date: None,
            last_decision: None,
        }
    }

    #[test]
    fn what_a_hold_and_a_release_refuse() {
        use ReimbursementStatus as S;
        let hold = Change::Hold("why");
        let release = Change::Release(None);
        assert_eq!(hold.refusal(&reimbursement(S::Open, None)), None);
        assert_eq!(hold.refusal(&reimbursement(S::PendingApproval, None)), None);
        assert_eq!(
            hold.refusal(&reimbursement(S::Paid, None)),
            Some(HoldRefused::Paid)
        );
        assert_eq!(
            release.refusal(&reimbursement(S::Reversed, Some("x"))),
            Some(HoldRefused::Reversed)
        );
        assert_eq!(
            hold.refusal(&reimbursement(S::Held, Some("x"))),
            Some(HoldRefused::AlreadyHeld("x".into()))
        );
        assert_eq!(
            release.refusal(&reimbursement(S::Open, None)),
            Some(HoldRefused::NotHeld)
        );
        assert_eq!(release.refusal(&reimbursement(S::Held, Some("x"))), None);
    }
}
