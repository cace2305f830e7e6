//! The outcome of a step compared with its expectations: every difference a readable line.

use super::compare_lifecycle::{compare_not_paid, compare_refusals, compare_write_offs};
use super::step::StepOutcome;
use crate::fixtures::{Expect, ExpectedPayment, ExpectedReimbursement, ExpectedSkip};
use crate::process;

/// Compares a step's outcome with `expect:`: a run's failures, reimbursements and skips, a pay
/// step's payments and invoices left unpaid, an approve step's refusals, a write-off step's
/// write-offs (each list exactly, in any order), and the lists that do not fit the step.
pub(super) fn compare_outcome(
    expect: &Expect,
    outcome: &StepOutcome,
    fail: &mut dyn FnMut(String),
) {
    misplaced(expect, outcome, fail);
    match outcome {
        StepOutcome::Run(report) => {
            for f in &report.failed {
                fail(format!("customer {} failed: {}", f.customer, f.error));
            }
            if let Some(expected) = &expect.reimbursements {
                compare_reimbursements(expected, &report.reimbursements, fail);
            }
            if let Some(expected) = &expect.skipped {
                compare_skips(expected, &report.skipped, fail);
            }
        }
        StepOutcome::Pay(report) => {
            if let Some(expected) = &expect.payments {
                compare_payments(expected, &report.payments, fail);
            }
            if let Some(expected) = &expect.not_paid {
                compare_not_paid(expected, &report.not_paid, fail);
            }
        }
        StepOutcome::Approve(refused) => {
            compare_refusals(expect.refused.as_deref(), refused, fail);
        }
        StepOutcome::WriteOff(report) => {
            if let Some(expected) = &expect.write_offs {
                compare_write_offs(expected, &report.write_offs, fail);
            }
        }
        StepOutcome::Decided => {}
    }
}

/// The outcome's lists `expect:` gives for a step of another kind: each a failure.
fn misplaced(expect: &Expect, outcome: &StepOutcome, fail: &mut dyn FnMut(String)) {
    let (run, pay, approve, write_off) = (
        matches!(outcome, StepOutcome::Run(_)),
        matches!(outcome, StepOutcome::Pay(_)),
        matches!(outcome, StepOutcome::Approve(_)),
        matches!(outcome, StepOutcome::WriteOff(_)),
    );
    let lists = [
        (
            "reimbursements",
            expect.reimbursements.is_some(),
            run,
            "a run",
        ),
        ("skipped", expect.skipped.is_some(), run, "a run"),
        ("payments", expect.payments.is_some(), pay, "a pay step"),
        ("not_paid", expect.not_paid.is_some(), pay, "a pay step"),
        (
            "refused",
            expect.refused.is_some(),
            approve,
            "an approve step",
        ),
        (
            "write_offs",
            expect.write_offs.is_some(),
            write_off,
            "a write_off step",
        ),
    ];
    for (name, given, fits, after) in lists {
        if given && !fits {
            fail(format!(
                "`{name}` is checked after {after}, not after this step"
            ));
        }
    }
}

/// Each expected reimbursement matched to one made (by customer and currency), then those made
/// but not expected.
fn compare_reimbursements(
    expected: &[ExpectedReimbursement],
    made: &[process::Reimbursement],
    fail: &mut dyn FnMut(String),
) {
    let mut actual: Vec<Option<&process::Reimbursement>> = made.iter().map(Some).collect();
    for e in expected {
        let slot = actual.iter_mut().find(|a| {
            a.is_some_and(|a| {
                a.customer == e.customer && e.currency.as_ref().is_none_or(|c| *c == a.currency)
            })
        });
        let Some(slot) = slot else {
            fail(format!("missing reimbursement: {}", describe_expected(e)));
            continue;
        };
        let a = slot.take().expect("found above");
        let diffs = reimbursement_differences(e, a);
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

/// What differs between an expected reimbursement and the one made for it (the fields given).
fn reimbursement_differences(e: &ExpectedReimbursement, a: &process::Reimbursement) -> Vec<String> {
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
    diffs
}

/// Each expected skip matched to one made (by customer and currency) and its reason, then those
/// made but not expected.
fn compare_skips(
    expected: &[ExpectedSkip],
    made: &[process::Skipped],
    fail: &mut dyn FnMut(String),
) {
    let mut actual: Vec<Option<&process::Skipped>> = made.iter().map(Some).collect();
    for e in expected {
        let slot = actual.iter_mut().find(|a| {
            a.is_some_and(|a| {
                a.customer == e.customer && e.currency.as_ref().is_none_or(|c| *c == a.currency)
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

/// Each expected payment matched to one made (by customer, currency and vendor) and its amount,
/// then those made but not expected.
fn compare_payments(
    expected: &[ExpectedPayment],
    made: &[process::Payment],
    fail: &mut dyn FnMut(String),
) {
    let mut actual: Vec<Option<&process::Payment>> = made.iter().map(Some).collect();
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
