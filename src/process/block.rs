//! Blocks of customers under one savepoint, run again carefully (a savepoint per credit, and per
//! customer under `keep_going`) when a credit is skipped after a write or a customer fails; one
//! customer's candidate credits in turn; what the run decided for the credits it did not
//! reimburse is recorded (`outcomes`) once a customer's work is final, so a block run again leaves
//! neither duplicates nor gaps. Depends on `credit` for each credit and `outcomes`; knows nothing
//! of pages or of the transaction around the run.

use rust_decimal::Decimal;

use super::credit::{Outcome, RunScope, process_credit};
use super::error::{HookError, RunError};
use super::options::RunOptions;
use super::outcomes::{record_failure, record_skip};
use super::read_ahead::{Candidate, Correction, ReadAheadCredit};
use super::report::{Failed, Reimbursement, RunObserver, RunReport, Skipped};
use crate::ledger::ReimbursementStatus;
use crate::ledger::{Balance, Customer, Vendor};
use crate::store::{Store, StoreError};

/// How many customers share one savepoint in a run (see [`run_block`]).
pub(super) const BLOCK: usize = 128;

/// A customer with its candidate credits, waiting in a block.
pub(super) struct CustomerCredits {
    pub(super) customer: Customer,
    /// Its credits, in currency order, with what was worked out ahead for them.
    pub(super) candidates: Vec<Candidate>,
}

/// A customer's reimbursements and skipped credits (each with its open credit, for the record).
#[derive(Debug, Default)]
struct Made {
    reimbursements: Vec<Reimbursement>,
    skipped: Vec<(Skipped, Decimal)>,
    /// Where the counters stood after the customer, when its work was not all as the read-ahead
    /// thread worked it out.
    correction: Option<Correction>,
}

/// What the hooks made of one customer.
enum CustomerOutcome {
    Done(Made),
    /// It failed (its work undone), with where the counters stand after it.
    Failed(Failed, Option<Correction>),
}

impl CustomerOutcome {
    fn correction(&self) -> Option<&Correction> {
        match self {
            CustomerOutcome::Done(made) => made.correction.as_ref(),
            CustomerOutcome::Failed(_, correction) => correction.as_ref(),
        }
    }
}

/// Runs the hooks for a block of customers and hands the results to the report and the observer.
///
/// The work of a skipped credit must be undone, and so must a failing customer's under
/// `keep_going`. A savepoint per credit does that, but costs a copy of every page the credit
/// touches. So a block first runs under one savepoint, without savepoints per credit: a skip
/// before any write needs no undo (the usual case: `eligible` says no). When the hooks skip after
/// writing, or a customer fails under `keep_going`, the block is rolled back and run again
/// carefully: a savepoint per credit, and one per customer under `keep_going` when it has several
/// credits. The careful pass is the one that counts; the first pass's results and output are
/// dropped. Without `keep_going` an error ends the run, and the whole transaction is rolled back.
pub(super) fn run_block(
    scope: &RunScope,
    options: &RunOptions,
    block: &mut Vec<CustomerCredits>,
    report: &mut RunReport,
    observer: &mut dyn RunObserver,
) -> Result<(), RunError> {
    if block.is_empty() {
        return Ok(());
    }
    let ledger = scope.session.ledger();
    let mark = scope.session.hold_output();
    let outcomes = run_block_fast(scope, options, block).and_then(|fast| match fast {
        Some(outcomes) => Ok(outcomes),
        None => {
            ledger.take_journal();
            scope.session.discard_output(mark);
            run_block_carefully(scope, options, block)
        }
    });
    scope.session.release_output();
    let outcomes = outcomes?;
    // The block's work is final: the read-ahead thread learns where the counters stood after the
    // last customer worked out otherwise than it predicted.
    if let (Some(postings), Some(correction)) = (
        scope.postings,
        outcomes.iter().rev().find_map(CustomerOutcome::correction),
    ) {
        postings.feedback.publish(correction.clone());
    }
    for outcome in outcomes {
        hand_on(scope, outcome, options.dry_run, report, observer)?;
    }
    block.clear();
    Ok(())
}

/// Counts a customer's final outcome in the report, records its skips and failure with the run
/// (not in a dry run: it keeps nothing), and hands its rows to the observer (in a dry run, a
/// reimbursement is `proposed` and has no id). Called once per customer, after the block's
/// savepoints are done with: the rows it writes are never rolled back with a block run again.
fn hand_on(
    scope: &RunScope,
    outcome: CustomerOutcome,
    dry_run: bool,
    report: &mut RunReport,
    observer: &mut dyn RunObserver,
) -> Result<(), RunError> {
    let ledger = scope.session.ledger();
    match outcome {
        CustomerOutcome::Done(Made {
            reimbursements,
            skipped,
            correction: _,
        }) => {
            for mut r in reimbursements {
                if dry_run {
                    r.status = ReimbursementStatus::Proposed;
                    r.id = 0;
                }
                *report
                    .totals
                    .entry(r.currency.clone())
                    .or_insert(Decimal::ZERO) += r.amount;
                report.reimbursed_count += 1;
                observer.reimbursement(&r);
            }
            for (k, open_credit) in skipped {
                if !dry_run {
                    record_skip(ledger, scope.run_id, &k, open_credit)?;
                }
                report.skipped_count += 1;
                observer.skipped(&k);
            }
        }
        CustomerOutcome::Failed(f, _) => {
            if !dry_run {
                record_failure(ledger, scope.run_id, &f)?;
            }
            report.failed_count += 1;
            observer.failed(&f);
        }
    }
    Ok(())
}

/// The first pass over a block, under one savepoint; `None` (with the block's work rolled back)
/// when it must be run again carefully.
fn run_block_fast(
    scope: &RunScope,
    options: &RunOptions,
    block: &[CustomerCredits],
) -> Result<Option<Vec<CustomerOutcome>>, RunError> {
    let store = scope.session.ledger().store();
    store.savepoint("block")?;
    let mut outcomes = Vec::with_capacity(block.len());
    for CustomerCredits {
        customer,
        candidates,
    } in block
    {
        match process_customer(scope, customer, candidates, false) {
            Ok(Some(made)) => outcomes.push(CustomerOutcome::Done(made)),
            Ok(None) => {
                store.rollback_to("block")?;
                return Ok(None);
            }
            Err(_) if options.keep_going => {
                store.rollback_to("block")?;
                return Ok(None);
            }
            Err(e) => return Err(RunError::Hook(e)),
        }
    }
    store.release("block")?;
    Ok(Some(outcomes))
}

/// The careful pass over a block: a savepoint per credit (and per customer under `keep_going`).
fn run_block_carefully(
    scope: &RunScope,
    options: &RunOptions,
    block: &[CustomerCredits],
) -> Result<Vec<CustomerOutcome>, RunError> {
    let ledger = scope.session.ledger();
    let store = ledger.store();
    let mut outcomes = Vec::with_capacity(block.len());
    for CustomerCredits {
        customer,
        candidates,
    } in block
    {
        let outer = options.keep_going && candidates.len() > 1;
        if outer {
            store.savepoint("customer")?;
        }
        match process_customer(scope, customer, candidates, true) {
            Ok(Some(made)) => {
                if outer {
                    store.release("customer")?;
                }
                outcomes.push(CustomerOutcome::Done(made));
            }
            Ok(None) => unreachable!("a careful pass undoes its own skips"),
            Err(e) if options.keep_going => {
                store.rollback_to(if outer { "customer" } else { "credit" })?;
                ledger.take_journal();
                let correction = correction(scope, customer).map_err(|e| {
                    RunError::Hook(scope.rules.refuse(
                        "(engine)",
                        customer,
                        &candidates[0].credit,
                        e.to_string(),
                    ))
                })?;
                outcomes.push(CustomerOutcome::Failed(
                    Failed {
                        customer: customer.account.clone(),
                        error: e.to_string(),
                    },
                    correction,
                ));
            }
            Err(e) => return Err(RunError::Hook(e)),
        }
    }
    Ok(outcomes)
}

/// Runs the hooks for each candidate credit of one customer. `careful`: each credit's work sits in
/// a savepoint (rolled back when the rules skip it; left open on an error, for the caller).
/// Otherwise there are no savepoints, and `Ok(None)` says that the rules skipped a credit after
/// writing: the caller must undo and run again carefully.
fn process_customer(
    scope: &RunScope,
    customer: &Customer,
    candidates: &[Candidate],
    careful: bool,
) -> Result<Option<Made>, Box<HookError>> {
    let ledger = scope.session.ledger();
    let store = ledger.store();
    let mut one_time_vendor: Option<Vendor> = None;
    // The customer as the hooks see it: re-read only when an earlier currency linked a vendor.
    let mut current = std::borrow::Cow::Borrowed(customer);
    let mut made = Made::default();
    let store_err = |credit: &Balance, e: StoreError| {
        scope
            .rules
            .refuse("(engine)", customer, credit, e.to_string())
    };
    scope.tally.diverged.set(false);
    let in_place = ReadAheadCredit::default();
    for (i, Candidate { credit, ahead }) in candidates.iter().enumerate() {
        if careful {
            store
                .savepoint("credit")
                .map_err(|e| store_err(credit, e))?;
        }
        let changes = store.total_changes();
        let had_vendor = one_time_vendor.is_some();
        // What was worked out ahead holds for the customer as the hooks saw it there.
        let ahead = if ahead.holds_for(customer, &current) {
            ahead
        } else {
            note_unused(scope, ahead);
            &in_place
        };
        let mut outcome = process_credit(scope, &current, credit, ahead, &mut one_time_vendor)?;
        if let Outcome::Redo = outcome {
            // A hook worked out ahead did not replay as it was: undo, and work it out in place.
            if !careful {
                return Ok(None);
            }
            if !had_vendor {
                one_time_vendor = None;
            }
            outcome = redo_in_place(scope, &current, credit, &mut one_time_vendor)?;
        }
        let reimbursed = matches!(outcome, Outcome::Reimbursed(_));
        // An earlier currency's hooks may have linked a vendor: the next currency sees it.
        if reimbursed
            && i + 1 < candidates.len()
            && one_time_vendor.is_some()
            && !had_vendor
            && let Ok(Some(c)) = ledger.customer(&customer.account)
        {
            current = std::borrow::Cow::Owned(c);
        }
        if !end_credit(store, careful, reimbursed, changes).map_err(|e| store_err(credit, e))? {
            return Ok(None);
        }
        match outcome {
            Outcome::Reimbursed(r) => made.reimbursements.push(*r),
            Outcome::Skipped(reason) => {
                ledger.take_journal();
                if !had_vendor {
                    one_time_vendor = None;
                }
                made.skipped.push(skipped(customer, credit, reason));
            }
            Outcome::Redo => unreachable!("a credit is worked out in place after a redo"),
        }
    }
    made.correction = correction(scope, customer).map_err(|e| {
        scope
            .rules
            .refuse("(engine)", customer, &candidates[0].credit, e.to_string())
    })?;
    Ok(Some(made))
}

/// A skipped credit's row, with its open credit (for the record).
fn skipped(customer: &Customer, credit: &Balance, reason: String) -> (Skipped, Decimal) {
    let row = Skipped {
        customer: customer.account.clone(),
        currency: credit.currency.clone(),
        balance: credit.balance,
        reason,
    };
    (row, credit.open_credit)
}

/// Undoes a credit's work (its savepoint, in a careful pass) and works it out in place.
fn redo_in_place(
    scope: &RunScope,
    customer: &Customer,
    credit: &Balance,
    one_time_vendor: &mut Option<Vendor>,
) -> Result<Outcome, Box<HookError>> {
    let ledger = scope.session.ledger();
    scope.tally.diverged.set(true);
    ledger.store().rollback_to("credit").map_err(|e| {
        scope
            .rules
            .refuse("(engine)", customer, credit, e.to_string())
    })?;
    ledger.take_journal();
    process_credit(
        scope,
        customer,
        credit,
        &ReadAheadCredit::default(),
        one_time_vendor,
    )
}

/// Notes that what was worked out ahead for a credit goes unused (the run found the customer
/// changed): the counters may move otherwise than predicted.
fn note_unused(scope: &RunScope, ahead: &ReadAheadCredit) {
    if ahead.one_time_vendor.is_some() || ahead.posting.is_some() {
        scope.tally.diverged.set(true);
    }
}

/// Where the counters stand after `customer`, when its work was not all as the read-ahead thread
/// worked it out (and the run replays what was worked out ahead).
fn correction(
    scope: &RunScope,
    customer: &Customer,
) -> Result<Option<Correction>, crate::ledger::LedgerError> {
    let Some(postings) = scope.postings else {
        return Ok(None);
    };
    if !scope.tally.diverged.get() {
        return Ok(None);
    }
    let counters = scope.session.ledger().counters(&postings.sequences)?;
    Ok(Some(Correction {
        customer: customer.account.clone(),
        counters,
    }))
}

/// Ends a credit's work as its outcome says: when `careful`, its savepoint is released (it was
/// reimbursed) or rolled back (it was skipped). Without savepoints, `false` when a skipped credit
/// wrote something since `changes_before`: the block must run again carefully.
fn end_credit(
    store: &Store,
    careful: bool,
    reimbursed: bool,
    changes_before: u64,
) -> Result<bool, StoreError> {
    match (careful, reimbursed) {
        (true, true) => store.release("credit")?,
        (true, false) => store.rollback_to("credit")?,
        (false, true) => {}
        (false, false) => return Ok(store.total_changes() == changes_before),
    }
    Ok(true)
}
