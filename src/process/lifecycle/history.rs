//! [`history`]: what happened to a reimbursement, in order: posted by its run (the run's user and
//! time), each decision (approve, hold, release, reverse, …: who, when, why, the run), paid (the
//! payment voucher and date).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::as_display;
use super::error::LifecycleError;
use crate::ledger::{Decision, DecisionSubject, Ledger, RunId};

/// One event in a reimbursement's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum HistoryEvent {
    /// Posted by a run.
    Posted {
        /// The run.
        run: RunId,
        /// Who made the run.
        user: String,
        /// When the run began.
        at: String,
        /// The posting date.
        date: NaiveDate,
        /// The voucher of the vendor invoice.
        voucher: String,
        /// Customer account.
        customer: String,
        /// Vendor account.
        vendor: String,
        /// Currency.
        currency: String,
        /// Amount.
        #[serde(serialize_with = "as_display")]
        amount: Decimal,
    },
    /// A decision about it.
    Decision(Decision),
    /// Paid: its vendor invoice settled in full.
    Paid {
        /// The payment voucher.
        voucher: String,
        /// The payment date.
        date: NaiveDate,
        /// The payment run that paid it (none for a payment a script or REPL posted outside one).
        run: Option<RunId>,
        /// Who made that run.
        user: String,
        /// When that run started.
        at: String,
    },
}

/// The history of reimbursement `id`, in order: posted, each decision as made, paid (last: a
/// paid reimbursement takes no more decisions). [`LifecycleError::NotFound`] when there is none.
pub fn history(ledger: &Ledger, id: i64) -> Result<Vec<HistoryEvent>, LifecycleError> {
    let r = ledger
        .reimbursement(id)?
        .ok_or(LifecycleError::NotFound(id))?;
    let run = ledger.run_record(r.run)?;
    let mut events = vec![HistoryEvent::Posted {
        run: r.run,
        user: run.as_ref().map(|x| x.user.clone()).unwrap_or_default(),
        at: run.map(|x| x.started_at).unwrap_or_default(),
        date: r.date,
        voucher: r.voucher,
        customer: r.customer,
        vendor: r.vendor,
        currency: r.currency,
        amount: r.amount,
    }];
    events.extend(
        ledger
            .decisions(DecisionSubject::Reimbursement(id))?
            .into_iter()
            .map(HistoryEvent::Decision),
    );
    if let (Some(voucher), Some(date)) = (r.payment_voucher, r.paid_date) {
        let run = ledger.run_of_voucher(&voucher)?;
        let record = match run {
            Some(run) => ledger.run_record(run)?,
            None => None,
        };
        events.push(HistoryEvent::Paid {
            voucher,
            date,
            run,
            user: record.as_ref().map(|x| x.user.clone()).unwrap_or_default(),
            at: record.map(|x| x.started_at).unwrap_or_default(),
        });
    }
    Ok(events)
}
