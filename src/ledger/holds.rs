//! The repository of holds on reimbursements: what the check before paying asks
//! ([`Ledger::open_debits_since`]) and records ([`Ledger::hold_reimbursement`],
//! [`Ledger::release_hold`]). A held reimbursement stays unpaid (status `open` in the table, with
//! its `hold_reason`); the page shows it as `held`.
//!
//! It stores and reads what it is given; it must not depend on the process, the rules or scripts.

use super::{CustomerTransactionId, Ledger, LedgerError, Res, RunId};

impl Ledger {
    /// How many of `customer`'s transactions in `currency` are open debits (something the customer
    /// owes) and arrived after `since` (a later id: entered after it, whatever their date).
    pub fn open_debits_since(
        &self,
        customer: &str,
        currency: &str,
        since: CustomerTransactionId,
    ) -> Res<u64> {
        let count: i64 = self
            .store
            .conn()
            .prepare_cached(
                "SELECT COUNT(*) FROM customer_transactions
                 WHERE account = ?1 AND currency = ?2 AND id > ?3 AND open_minor > 0",
            )
            .and_then(|mut s| {
                s.query_row(rusqlite::params![customer, currency, since], |r| r.get(0))
            })
            .map_err(|e| self.sql_err(e))?;
        Ok(count.unsigned_abs())
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
