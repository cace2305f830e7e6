//! `reverse`: reimbursements that are not paid undone by a reversing voucher each, chosen by run
//! or by id, in one transaction recorded as a run of kind `reversal`, each with a decision
//! `reverse` (who, when, the reason, the run). Refused as a whole, with every refusal listed,
//! when any one cannot be reversed (see [`ReversalRefusal`]); a dry run rolls back. `reject`
//! (`super::reject`) takes the same path with its own checks and the decision `reject`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::posting::{Reversal, post_reversal};
use super::refusal::{ReversalError, ReversalRefusal};
use crate::ledger::{
    DecisionKind, DecisionSubject, Ledger, NewDecision, NewRun, ReimbursementFilter,
    ReimbursementStatus, RunCounts, RunId, RunKind, WithInvoice,
};
use crate::process::audit::{now_text, parameters_hash};
use crate::process::report::totals_as_text;

/// Which reimbursements a reversal (or a rejection) is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReversalSelection {
    /// Those a reimbursement run made (the ones reversed already are left out and listed).
    Run(RunId),
    /// These reimbursements (by id).
    Reimbursements(Vec<i64>),
}

impl std::fmt::Display for ReversalSelection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReversalSelection::Run(run) => write!(f, "run {run}"),
            ReversalSelection::Reimbursements(ids) => {
                let list: Vec<String> = ids.iter().map(i64::to_string).collect();
                let word = if ids.len() == 1 {
                    "reimbursement"
                } else {
                    "reimbursements"
                };
                write!(f, "{word} {}", list.join(", "))
            }
        }
    }
}

/// What [`reverse`] (or `reject`) is asked to do.
#[derive(Debug, Clone)]
pub struct ReverseOptions {
    /// Which reimbursements.
    pub selection: ReversalSelection,
    /// The date of the reversing vouchers (not before any reimbursement's own date).
    pub date: NaiveDate,
    /// Why (required; recorded with each decision).
    pub reason: String,
    /// Who decides (the user the run records).
    pub user: String,
    /// Show what would be reversed and roll back.
    pub dry_run: bool,
}

/// A reimbursement of the selected run left alone, with its status (reversed already; for
/// `reject`, also one not pending approval).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    /// The reimbursement.
    pub reimbursement: i64,
    /// Its status.
    pub status: ReimbursementStatus,
}

/// What a reversal (or a rejection) did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReversalReport {
    /// The reversal run recorded (`None` when there was nothing to reverse: nothing recorded).
    pub run: Option<RunId>,
    /// `reverse` or `reject`.
    pub decision: DecisionKind,
    /// True for a dry run (rolled back).
    pub dry_run: bool,
    /// The reversal date.
    pub date: NaiveDate,
    /// The reimbursements reversed, in id order.
    pub reversed: Vec<Reversal>,
    /// The reimbursements of the selected run left alone.
    pub left_out: Vec<LeftOut>,
    /// Total reversed per currency.
    #[serde(serialize_with = "totals_as_text")]
    pub totals: BTreeMap<String, Decimal>,
}

/// Reverses the reimbursements `options` selects: each one's reversing voucher (the vendor
/// debited, the customer credited), its invoice settled by it, a decision `reverse`; recorded as
/// a run of kind `reversal`. All or nothing: any refusal (paid, reversed already, dated after
/// the reversal date, its invoice partly settled, an unknown id or run, a run that is no
/// reimbursement run) refuses the whole, with every refusal listed. The one-time vendors stay.
pub fn reverse(ledger: &Ledger, options: &ReverseOptions) -> Result<ReversalReport, ReversalError> {
    reverse_as(ledger, options, &Mode::reverse())
}

/// How [`reverse_as`] decides: the decision recorded, the refusals that stand before any
/// reimbursement is looked at, and what else a selected one must be.
pub(super) struct Mode {
    /// `reverse` or `reject`.
    pub decision: DecisionKind,
    /// Refusals found before the selection (the user is not an approver).
    pub refusals: Vec<ReversalRefusal>,
    /// Only reimbursements pending approval (`reject`).
    pub pending_only: bool,
}

impl Mode {
    fn reverse() -> Mode {
        Mode {
            decision: DecisionKind::Reverse,
            refusals: Vec::new(),
            pending_only: false,
        }
    }
}

/// [`reverse`] with the decision and checks of `mode`, in one transaction (nested in a script's
/// or REPL session's).
pub(super) fn reverse_as(
    ledger: &Ledger,
    options: &ReverseOptions,
    mode: &Mode,
) -> Result<ReversalReport, ReversalError> {
    if options.reason.trim().is_empty() {
        return Err(ReversalError::NoReason(mode.decision));
    }
    if ledger.run_id().is_some() {
        return Err(ReversalError::DuringRun);
    }
    let store = ledger.store();
    store.begin()?;
    let result = in_transaction(ledger, options, mode);
    ledger.set_run(None);
    ledger.take_journal();
    match result {
        Ok(report) if report.run.is_some() && !options.dry_run => {
            store.commit()?;
            Ok(report)
        }
        Ok(report) => {
            store.rollback();
            Ok(report)
        }
        Err(e) => {
            store.rollback();
            Err(e)
        }
    }
}

/// The reimbursements to reverse, those of the run left alone, and the refusals.
#[derive(Default)]
struct Chosen {
    reverse: Vec<WithInvoice>,
    left_out: Vec<LeftOut>,
    refusals: Vec<ReversalRefusal>,
}

/// The reversal inside its transaction: chooses, refuses or records the run, reverses each.
fn in_transaction(
    ledger: &Ledger,
    options: &ReverseOptions,
    mode: &Mode,
) -> Result<ReversalReport, ReversalError> {
    let mut chosen = choose(ledger, options, mode)?;
    let mut refusals = mode.refusals.clone();
    refusals.append(&mut chosen.refusals);
    if !refusals.is_empty() {
        return Err(ReversalError::Refused {
            decision: mode.decision,
            refusals,
        });
    }
    let mut report = ReversalReport {
        run: None,
        decision: mode.decision,
        dry_run: options.dry_run,
        date: options.date,
        reversed: Vec::with_capacity(chosen.reverse.len()),
        left_out: chosen.left_out,
        totals: BTreeMap::new(),
    };
    if chosen.reverse.is_empty() {
        return Ok(report);
    }
    let started_at = now_text();
    let selection = format!(
        "{} {}: {}",
        mode.decision, options.selection, options.reason
    );
    let run = ledger.insert_run(&NewRun {
        kind: RunKind::Reversal,
        started_at: &started_at,
        finished_at: None,
        user: &options.user,
        posting_date: options.date,
        selection: &selection,
        rules_path: None,
        rules_hash: None,
        parameters_hash: &parameters_hash(ledger),
    })?;
    ledger.set_run(Some(run));
    report.run = Some(run);
    for invoice in &chosen.reverse {
        let reversal = post_reversal(ledger, invoice, options.date)?;
        ledger.record_decision(&NewDecision {
            subject: DecisionSubject::Reimbursement(reversal.reimbursement),
            decision: mode.decision,
            user: &options.user,
            at: &started_at,
            run: Some(run),
            reason: Some(&options.reason),
        })?;
        ledger.take_journal();
        *report.totals.entry(reversal.currency.clone()).or_default() += reversal.amount;
        report.reversed.push(reversal);
    }
    let counts = RunCounts {
        considered: (report.reversed.len() + report.left_out.len()) as i64,
        reimbursed: report.reversed.len() as i64,
        ..RunCounts::default()
    };
    ledger.finish_run(run, &now_text(), &counts)?;
    Ok(report)
}

/// The reimbursements the selection names, each checked.
fn choose(ledger: &Ledger, options: &ReverseOptions, mode: &Mode) -> Result<Chosen, ReversalError> {
    let mut chosen = Chosen::default();
    match &options.selection {
        ReversalSelection::Reimbursements(ids) => {
            let mut seen = std::collections::BTreeSet::new();
            for id in ids.iter().filter(|id| seen.insert(**id)) {
                match ledger.reimbursement_with_invoice(*id)? {
                    Some(invoice) => check(ledger, invoice, options.date, mode, &mut chosen)?,
                    None => chosen
                        .refusals
                        .push(ReversalRefusal::UnknownReimbursement(*id)),
                }
            }
        }
        ReversalSelection::Run(run) => {
            if let Some(refusal) = run_refusal(ledger, *run)? {
                chosen.refusals.push(refusal);
                return Ok(chosen);
            }
            let filter = ReimbursementFilter {
                run: Some(*run),
                ..ReimbursementFilter::default()
            };
            ledger.reimbursement_pages(&filter, |page| -> Result<(), ReversalError> {
                for invoice in page {
                    let status = invoice.reimbursement.status;
                    let leave = status == ReimbursementStatus::Reversed
                        || (mode.pending_only && status != ReimbursementStatus::PendingApproval);
                    if leave {
                        chosen.left_out.push(LeftOut {
                            reimbursement: invoice.reimbursement.id,
                            status,
                        });
                    } else {
                        check(ledger, invoice, options.date, mode, &mut chosen)?;
                    }
                }
                Ok(())
            })?;
        }
    }
    Ok(chosen)
}

/// Why run `run` cannot be reversed as a reimbursement run, if it cannot.
fn run_refusal(ledger: &Ledger, run: RunId) -> Result<Option<ReversalRefusal>, ReversalError> {
    Ok(match ledger.run_kind(run)?.as_deref() {
        None => Some(ReversalRefusal::UnknownRun(run)),
        Some(kind) if kind == RunKind::Reimbursement.as_str() => None,
        Some(kind) if kind == RunKind::WriteOff.as_str() => Some(ReversalRefusal::WriteOffRun(run)),
        Some(kind) => Some(ReversalRefusal::NotAReimbursementRun {
            run,
            kind: kind.to_string(),
        }),
    })
}

/// Adds `invoice` to those to reverse on `date`, or its refusals.
fn check(
    ledger: &Ledger,
    invoice: WithInvoice,
    date: NaiveDate,
    mode: &Mode,
    chosen: &mut Chosen,
) -> Result<(), ReversalError> {
    let r = &invoice.reimbursement;
    let before = chosen.refusals.len();
    match r.status {
        ReimbursementStatus::Paid => chosen.refusals.push(ReversalRefusal::Paid(r.id)),
        ReimbursementStatus::Reversed => chosen.refusals.push(ReversalRefusal::AlreadyReversed {
            id: r.id,
            on: r.reversed_date,
        }),
        ReimbursementStatus::PendingApproval => {}
        status if mode.pending_only => chosen
            .refusals
            .push(ReversalRefusal::NotPending { id: r.id, status }),
        _ => {}
    }
    if chosen.refusals.len() > before {
        return Ok(());
    }
    if date < r.date {
        chosen.refusals.push(ReversalRefusal::DateBeforeOriginal {
            id: r.id,
            date,
            original: r.date,
        });
    }
    let currency = ledger.currency(&r.currency)?;
    let open = -currency.from_minor(ledger.open_minor(invoice.vendor_txn)?);
    if open != r.amount {
        chosen.refusals.push(ReversalRefusal::PartlySettled {
            id: r.id,
            invoice: r.vendor_invoice.clone(),
            open,
            amount: r.amount,
            currency: r.currency.clone(),
        });
    }
    if chosen.refusals.len() == before {
        chosen.reverse.push(invoice);
    }
    Ok(())
}
