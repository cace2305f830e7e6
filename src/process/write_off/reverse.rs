//! Write-offs reversed: a voucher that mirrors each original (the customer credited: its credit
//! open again for the amount; the write-off account debited), the `write_offs` row marked
//! reversed and a `reverse` decision with the reason. History is added to, never changed: the
//! original voucher and settlements stay. One transaction, recorded as a run of kind `reversal`;
//! refused as a whole when any write-off is reversed already or dated after the reversal.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::WriteOffError;
use super::totals_as_text;
use crate::ledger::{
    DecisionKind, DecisionSubject, Ledger, LineDraft, NewDecision, NewRun, RunCounts, RunId,
    RunKind, Target, VoucherDraft, WriteOff, WriteOffStatus,
};
use crate::process::audit::{now_text, parameters_hash};

/// One write-off reversed.
#[derive(Debug, Clone, Serialize)]
pub struct ReversedWriteOff {
    /// The write-off.
    pub write_off: i64,
    /// Customer account.
    pub customer: String,
    /// Currency.
    pub currency: String,
    /// The credit open again (positive).
    #[serde(serialize_with = "super::decimal_text")]
    pub amount: Decimal,
    /// The write-off's voucher.
    pub voucher: String,
    /// The reversing voucher.
    pub reversal_voucher: String,
}

/// What a reversal of write-offs did.
#[derive(Debug, Clone, Serialize)]
pub struct WriteOffReversal {
    /// The reversal run (rolled back in a dry run).
    pub run: RunId,
    /// True for a dry run: nothing was written.
    pub dry_run: bool,
    /// The reversal's date.
    pub date: NaiveDate,
    /// The write-offs reversed.
    pub reversed: Vec<ReversedWriteOff>,
    /// The credit open again, per currency.
    #[serde(serialize_with = "totals_as_text")]
    pub totals: BTreeMap<String, Decimal>,
}

/// Reverses every write-off of the write-off run `run` on `date`, as `user`, for `reason`.
/// Refused as a whole (nothing written) when `run` is not a write-off run, when any of its
/// write-offs is reversed already, or when `date` is before them; a dry run rolls back.
pub fn reverse_write_offs(
    ledger: &Ledger,
    run: RunId,
    date: NaiveDate,
    reason: &str,
    user: &str,
    dry_run: bool,
) -> Result<WriteOffReversal, WriteOffError> {
    let kind = ledger
        .runs()?
        .into_iter()
        .find(|r| r.id == run)
        .map(|r| r.kind);
    match kind.as_deref() {
        Some(k) if k == RunKind::WriteOff.as_str() => {}
        Some(k) => {
            return Err(WriteOffError::NotAWriteOffRun {
                run,
                what: format!("a {k} run"),
            });
        }
        None => {
            return Err(WriteOffError::NotAWriteOffRun {
                run,
                what: "no such run".into(),
            });
        }
    }
    let write_offs = ledger.write_offs(Some(run))?;
    if write_offs.is_empty() {
        return Err(WriteOffError::Nothing(format!(
            "write-off run {run} wrote nothing off"
        )));
    }
    let selection = format!("write-off run {run}");
    reverse(
        ledger,
        &write_offs,
        &Reversal {
            date,
            reason,
            user,
            dry_run,
            selection: &selection,
        },
    )
}

/// Reverses the write-offs `ids` (each once) on `date`; refused as a whole like
/// [`reverse_write_offs`], and when an id is not a write-off.
pub fn reverse_write_offs_by_id(
    ledger: &Ledger,
    ids: &[i64],
    date: NaiveDate,
    reason: &str,
    user: &str,
    dry_run: bool,
) -> Result<WriteOffReversal, WriteOffError> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err(WriteOffError::Nothing("no write-off named".into()));
    }
    let write_offs = ids
        .iter()
        .map(|&id| {
            ledger
                .write_off(id)?
                .ok_or(WriteOffError::NoSuchWriteOff(id))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let selection = format!(
        "write-offs {}",
        ids.iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    reverse(
        ledger,
        &write_offs,
        &Reversal {
            date,
            reason,
            user,
            dry_run,
            selection: &selection,
        },
    )
}

/// What a reversal was asked.
struct Reversal<'a> {
    date: NaiveDate,
    reason: &'a str,
    user: &'a str,
    dry_run: bool,
    selection: &'a str,
}

/// Checks the whole reversal, then reverses each write-off in one transaction.
fn reverse(
    ledger: &Ledger,
    write_offs: &[WriteOff],
    asked: &Reversal,
) -> Result<WriteOffReversal, WriteOffError> {
    if asked.reason.trim().is_empty() {
        return Err(WriteOffError::NoReason);
    }
    for w in write_offs {
        if let (Some(voucher), Some(date)) = (&w.reversal_voucher, w.reversed_date) {
            return Err(WriteOffError::AlreadyReversed {
                id: w.id,
                voucher: voucher.clone(),
                date,
            });
        }
        if asked.date < w.date {
            return Err(WriteOffError::DateBeforeOriginal {
                id: w.id,
                original: w.date,
                date: asked.date,
            });
        }
    }
    let store = ledger.store();
    store.begin()?;
    let result = {
        let _bound = ledger.process_postings();
        reverse_in_transaction(ledger, write_offs, asked)
    };
    ledger.set_run(None);
    ledger.take_journal();
    match result {
        Ok(report) if !asked.dry_run => {
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

fn reverse_in_transaction(
    ledger: &Ledger,
    write_offs: &[WriteOff],
    asked: &Reversal,
) -> Result<WriteOffReversal, WriteOffError> {
    let at = now_text();
    let run = ledger.insert_run(&NewRun {
        kind: RunKind::Reversal,
        started_at: &at,
        finished_at: None,
        user: asked.user,
        posting_date: asked.date,
        selection: asked.selection,
        rules_path: None,
        rules_hash: None,
        parameters_hash: &parameters_hash(ledger),
    })?;
    ledger.set_run(Some(run));
    let mut report = WriteOffReversal {
        run,
        dry_run: asked.dry_run,
        date: asked.date,
        reversed: Vec::new(),
        totals: BTreeMap::new(),
    };
    for w in write_offs {
        let reversed = reverse_one(ledger, w, asked, run, &at)?;
        *report.totals.entry(w.currency.clone()).or_default() += w.amount;
        report.reversed.push(reversed);
    }
    let counts = RunCounts {
        considered: write_offs.len() as i64,
        reimbursed: report.reversed.len() as i64,
        ..RunCounts::default()
    };
    ledger.finish_run(run, &now_text(), &counts)?;
    Ok(report)
}

/// Posts the voucher that mirrors write-off `w`, marks it reversed and records the decision.
fn reverse_one(
    ledger: &Ledger,
    w: &WriteOff,
    asked: &Reversal,
    run: RunId,
    at: &str,
) -> Result<ReversedWriteOff, WriteOffError> {
    debug_assert_eq!(w.status, WriteOffStatus::WrittenOff);
    let voucher = ledger.post_voucher(&VoucherDraft {
        sequence: ledger.params().sequences.reversal_sequence().to_string(),
        date: asked.date,
        description: format!("Reversal of write-off {} ({})", w.id, w.voucher),
        lines: vec![
            LineDraft {
                target: Target::Customer(w.customer.clone()),
                currency: w.currency.clone(),
                amount: -w.amount,
                document: None,
                kind: Some("write-off reversal".into()),
            },
            LineDraft {
                target: Target::Account(w.account.clone()),
                currency: w.currency.clone(),
                amount: w.amount,
                document: None,
                kind: None,
            },
        ],
    })?;
    ledger.mark_write_off_reversed(w.id, voucher.id, asked.date)?;
    ledger.record_decision(&NewDecision {
        subject: DecisionSubject::WriteOff(w.id),
        decision: DecisionKind::Reverse,
        user: asked.user,
        at,
        run: Some(run),
        reason: Some(asked.reason),
    })?;
    Ok(ReversedWriteOff {
        write_off: w.id,
        customer: w.customer.clone(),
        currency: w.currency.clone(),
        amount: w.amount,
        voucher: w.voucher.clone(),
        reversal_voucher: voucher.number,
    })
}
