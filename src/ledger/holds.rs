//! The repository of holds on reimbursements: what the check before paying asks
//! ([`Ledger::owed_since`]) and records ([`Ledger::hold_reimbursement`],
//! [`Ledger::release_hold`]). A held reimbursement stays unpaid (status `open` in the table, with
//! its `hold_reason`); the page shows it as `held`.
//!
//! It stores and reads what it is given; it must not depend on the process, the rules or scripts.

use super::{CustomerTransactionId, Ledger, LedgerError, Res, RunId};

impl Ledger {
    /// What `customer` owes in `currency`, in minor units, on the transactions that arrived
    /// after `since` (a later id: entered after it, whatever their date): their open amounts,
    /// debits less credits (an unapplied payment counts against an open invoice). Positive when
    /// the customer owes something new.
    pub fn owed_since(
        &self,
        customer: &str,
        currency: &str,
        since: CustomerTransactionId,
    ) -> Res<i64> {
        self.store
            .conn()
            .prepare_cached(
                "SELECT COALESCE(SUM(open_minor), 0) FROM customer_transactions
                 WHERE account = ?1 AND currency = ?2 AND id > ?3 AND open_minor <> 0",
            )
            .and_then(|mut s| {
                s.query_row(rusqlite::params![customer, currency, since], |r| r.get(0))
            })
            .map_err(|e| self.sql_err(e))
    }

    /// Holds the unpaid reimbursement `id` with `reason`; `by_check` is the payment run whose
    /// check before paying held it (`None` for a user's hold, which only a user releases).
    pub(crate) fn hold_reimbursement(
        &self,
        id: i64,
        reason: &str,
        by_check: Option<RunId>,
    ) -> Res<()> {
        debug_assert!(!reason.trim().is_empty(), "a hold has a reason");
        self.update_hold(id, Some(reason), by_check)
    }

    /// Releases the hold of reimbursement `id` (it is paid, or may be).
    pub(crate) fn release_hold(&self, id: i64) -> Res<()> {
        self.update_hold(id, None, None)
    }

    fn update_hold(&self, id: i64, reason: Option<&str>, run: Option<RunId>) -> Res<()> {
        let changed = self
            .store
            .conn()
            .prepare_cached(
                "UPDATE reimbursements SET hold_reason = ?2, held_by_run = ?3
                 WHERE id = ?1 AND status = 'open'",
            )
            .and_then(|mut s| s.execute(rusqlite::params![id, reason, run]))
            .map_err(|e| self.sql_err(e))?;
        if changed != 1 {
            return Err(LedgerError::NotFound {
                what: "unpaid reimbursement",
                key: id.to_string(),
            });
        }
        Ok(())
    }
}
