//! The repository of reversals of reimbursements: marking one reversed
//! ([`Ledger::mark_reversed`]: the reversal voucher and date, only while it is unpaid and not
//! reversed) and the reads a reversal needs (one reimbursement with its invoice,
//! [`Ledger::reimbursement_with_invoice`]; the kind of a run, [`Ledger::run_kind`]).
//!
//! The reversing voucher and the settlement of the vendor invoice go through the ledger's
//! primitives (`post_voucher`, `settle`): this file writes no amount. Mark a reimbursement
//! reversed *before* settling its invoice by the reversal, so that the database's trigger
//! `reimbursement_paid_unless_reversed` leaves it alone.
//!
//! It stores and reads what it is given; it must not depend on the process or the command line.

use chrono::NaiveDate;
use rusqlite::OptionalExtension;

use super::rows::date_text;
use super::{Ledger, LedgerError, ReimbursementFilter, Res, RunId, VoucherId, WithInvoice};

impl Ledger {
    /// Marks reimbursement `id` reversed by the voucher `voucher` on `date`. Refused (nothing
    /// written) unless it is unpaid and not reversed yet.
    pub(crate) fn mark_reversed(&self, id: i64, voucher: VoucherId, date: NaiveDate) -> Res<()> {
        let changed = self
            .store
            .conn()
            .prepare_cached(
                "UPDATE reimbursements SET reversal_voucher_id = ?2, reversed_date = ?3
                 WHERE id = ?1 AND status = 'open' AND reversal_voucher_id IS NULL",
            )
            .and_then(|mut s| s.execute(rusqlite::params![id, voucher, date_text(date)]))
            .map_err(|e| self.sql_err(e))?;
        if changed != 1 {
            return Err(LedgerError::NotFound {
                what: "unpaid reimbursement not reversed yet",
                key: id.to_string(),
            });
        }
        debug_assert_eq!(changed, 1);
        Ok(())
    }

    /// Reimbursement `id` with its vendor invoice's and customer transaction's ids, if there is
    /// one with that id.
    pub(crate) fn reimbursement_with_invoice(&self, id: i64) -> Res<Option<WithInvoice>> {
        let Some(before) = id.checked_sub(1).filter(|b| *b >= 0) else {
            return Ok(None);
        };
        let filter = ReimbursementFilter {
            after_id: Some(before),
            limit: Some(1),
            ..ReimbursementFilter::default()
        };
        let mut found = None;
        self.reimbursement_pages(&filter, |page| -> Res<()> {
            found = page.into_iter().find(|r| r.reimbursement.id == id);
            Ok(())
        })?;
        Ok(found)
    }

    /// The kind of run `id` as recorded (`reimbursement`, `payment`, `write-off`, …), or `None`
    /// when there is no such run.
    pub(crate) fn run_kind(&self, id: RunId) -> Res<Option<String>> {
        self.store
            .conn()
            .prepare_cached("SELECT kind FROM runs WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .map_err(|e| self.sql_err(e))
    }
}

#[cfg(test)]
mod tests {
    use crate::ledger::tests::ledger;
    use crate::ledger::{RunId, VoucherId};

    #[test]
    fn unknown_ids_and_runs_read_as_none() {
        let l = ledger();
        assert!(l.reimbursement_with_invoice(1).unwrap().is_none());
        assert!(l.reimbursement_with_invoice(0).unwrap().is_none());
        assert!(l.reimbursement_with_invoice(i64::MIN).unwrap().is_none());
        assert_eq!(l.run_kind(RunId(7)).unwrap(), None);
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let e = l.mark_reversed(1, VoucherId(1), date).unwrap_err();
        assert!(
            e.to_string()
                .contains("unpaid reimbursement not reversed yet"),
            "{e}"
        );
    }
}
