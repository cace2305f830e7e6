//! The lifecycle's expectations compared: `statuses` (after any step, from the books),
//! `refused` (an approve step's refusals), `write_offs` (a write-off step's) and `not_paid` (a pay
//! step's invoices left unpaid). Each list exactly, in any order; every difference a readable
//! line naming the field.

use super::step::Refused;
use crate::fixtures::{Expect, ExpectedNotPaid, ExpectedRefusal, ExpectedStatus, ExpectedWriteOff};
use crate::ledger::{Ledger, ReimbursementFilter, ReimbursementStatus, WriteOff};
use crate::process::NotPaid;

/// `statuses`: every reimbursement of each customer (in the currency, when given) has the
/// status; a customer without any fails too.
pub(super) fn compare_statuses(ledger: &Ledger, expect: &Expect, fail: &mut dyn FnMut(String)) {
    for e in expect.statuses.iter().flatten() {
        let filter = ReimbursementFilter {
            customer: Some(e.customer.clone()),
            ..Default::default()
        };
        let found = match ledger.reimbursements(&filter) {
            Ok(found) => found,
            Err(err) => {
                fail(format!("statuses: customer {}: {err}", e.customer));
                continue;
            }
        };
        let mine: Vec<_> = found
            .iter()
            .filter(|r| e.currency.as_ref().is_none_or(|c| *c == r.currency))
            .collect();
        if mine.is_empty() {
            fail(format!(
                "statuses: {} has no reimbursement, expected {}",
                who(e),
                e.status
            ));
        }
        let want = ReimbursementStatus::stored(&e.status);
        for r in mine {
            if Some(r.status) != want {
                fail(format!(
                    "statuses: reimbursement {} of {} {} is {}, expected {}",
                    r.id, r.customer, r.currency, r.status, e.status
                ));
            }
        }
    }
}

fn who(e: &ExpectedStatus) -> String {
    match &e.currency {
        Some(c) => format!("customer {} in {c}", e.customer),
        None => format!("customer {}", e.customer),
    }
}

/// `refused`: each expected refusal matched to one made (the customer's, its text containing
/// the reason), then those made but not expected. Without `refused:` every refusal is
/// unexpected: an approve step that refuses says so.
pub(super) fn compare_refusals(
    expected: Option<&[ExpectedRefusal]>,
    made: &[Refused],
    fail: &mut dyn FnMut(String),
) {
    let mut actual: Vec<Option<&Refused>> = made.iter().map(Some).collect();
    for e in expected.unwrap_or_default() {
        let slot = actual.iter_mut().find(|a| {
            a.is_some_and(|a| a.customer == e.customer && a.text.contains(e.reason.as_str()))
        });
        match slot {
            Some(slot) => *slot = None,
            None => {
                let theirs: Vec<&str> = made
                    .iter()
                    .filter(|a| a.customer == e.customer)
                    .map(|a| a.text.as_str())
                    .collect();
                fail(format!(
                    "refused: expected a refusal of {} containing {:?}, {}",
                    e.customer,
                    e.reason,
                    match theirs.as_slice() {
                        [] => "but none of its reimbursements was refused".to_string(),
                        texts => format!("but it was: {}", texts.join("; ")),
                    }
                ));
            }
        }
    }
    for a in actual.into_iter().flatten() {
        fail(format!(
            "refused: unexpected refusal of {}: {}",
            a.customer, a.text
        ));
    }
}

/// `write_offs`: each expected write-off matched to one made (by customer and currency) and its
/// amount, then those made but not expected.
pub(super) fn compare_write_offs(
    expected: &[ExpectedWriteOff],
    made: &[WriteOff],
    fail: &mut dyn FnMut(String),
) {
    let mut actual: Vec<Option<&WriteOff>> = made.iter().map(Some).collect();
    for e in expected {
        let slot = actual.iter_mut().find(|a| {
            a.is_some_and(|a| {
                a.customer == e.customer && e.currency.as_ref().is_none_or(|c| *c == a.currency)
            })
        });
        let Some(a) = slot.and_then(Option::take) else {
            fail(format!("write_offs: missing write-off of {}", e.customer));
            continue;
        };
        if let Some(amount) = e.amount
            && amount != a.amount
        {
            fail(format!(
                "write_offs: {} {}: amount {amount} expected, got {} (difference {})",
                a.customer,
                a.currency,
                a.amount,
                a.amount - amount
            ));
        }
    }
    for a in actual.into_iter().flatten() {
        fail(format!(
            "write_offs: unexpected write-off: {} {} {}",
            a.customer, a.currency, a.amount
        ));
    }
}

/// `not_paid`: each expected one matched to an invoice left unpaid (by customer and currency)
/// whose reason (with its detail) contains the text, then those left but not expected.
pub(super) fn compare_not_paid(
    expected: &[ExpectedNotPaid],
    made: &[NotPaid],
    fail: &mut dyn FnMut(String),
) {
    let reason = |n: &NotPaid| match &n.detail {
        Some(detail) => format!("{}: {detail}", n.reason.as_str()),
        None => n.reason.as_str().to_string(),
    };
    let mut actual: Vec<Option<&NotPaid>> = made.iter().map(Some).collect();
    for e in expected {
        let slot = actual.iter_mut().find(|a| {
            a.is_some_and(|a| {
                a.customer == e.customer && e.currency.as_ref().is_none_or(|c| *c == a.currency)
            })
        });
        let Some(a) = slot.and_then(Option::take) else {
            fail(format!(
                "not_paid: expected {} to be left unpaid, but it was not",
                e.customer
            ));
            continue;
        };
        if let Some(want) = &e.reason
            && !reason(a).contains(want.as_str())
        {
            fail(format!(
                "not_paid: {} {} left unpaid for {:?}, expected {want:?}",
                a.customer,
                a.currency,
                reason(a)
            ));
        }
    }
    for a in actual.into_iter().flatten() {
        fail(format!(
            "not_paid: unexpected: {} {} {} ({})",
            a.customer,
            a.currency,
            a.amount,
            reason(a)
        ));
    }
}
