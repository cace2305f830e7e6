//! Reading one reimbursement by its id ([`Ledger::reimbursement`]) and recording its approval
//! ([`Ledger::approve_reimbursement`]): what the lifecycle operations (approve, hold, release,
//! history) ask and write. Who may approve is the process's to decide; this stores what it is
//! given.

use super::{Reimbursement, ReimbursementFilter};
use crate::ledger::{Ledger, LedgerError, Res};

impl Ledger {
    /// The reimbursement with this id, as the page lists it (status, hold reason, last
    /// decision); `None` when there is none.
    pub fn reimbursement(&self, id: i64) -> Res<Option<Reimbursement>> {
        let Some(before) = id.checked_sub(1) else {
            return Ok(None);
        };
        let filter = ReimbursementFilter {
            after_id: Some(before),
            limit: Some(1),
            ..Default::default()
        };
        Ok(self
            .reimbursements_with_invoices(&filter)?
            .into_iter()
            .map(|listed| listed.reimbursement)
            .find(|r| r.id == id))
    }

    /// Records the approval of reimbursement `id`, which must be pending approval (unpaid, not
    /// reversed).
    pub(crate) fn approve_reimbursement(&self, id: i64) -> Res<()> {
        let changed = self
            .store
            .conn()
            .prepare_cached(
                "UPDATE reimbursements SET approval = 'approved'
                 WHERE id = ?1 AND approval = 'pending' AND status = 'open'
                   AND reversal_voucher_id IS NULL",
            )
            .and_then(|mut s| s.execute([id]))
            .map_err(|e| self.sql_err(e))?;
        if changed != 1 {
            return Err(LedgerError::NotFound {
                what: "reimbursement pending approval",
                key: id.to_string(),
            });
        }
        Ok(())
    }
}
