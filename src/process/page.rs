//! The reimbursement page: [`reimbursements`] and [`each_reimbursement`] (page by page, memory
//! flat), over the ledger's repository of reimbursements (`ledger::reimbursements`, where
//! [`ReimbursementFilter`] and the rows are). Reads only; never depends on the rules or the run.

use crate::ledger::{Ledger, LedgerError, Reimbursement, ReimbursementFilter};

/// Lists reimbursements, oldest first. A customer, vendor or run in the filter that does not
/// exist is an error (a mistyped account would otherwise look like one without reimbursements).
pub fn reimbursements(
    ledger: &Ledger,
    filter: &ReimbursementFilter,
) -> Result<Vec<Reimbursement>, LedgerError> {
    ledger.reimbursements(filter)
}

/// Calls `observer` with each reimbursement that matches `filter`, oldest first, like
/// [`reimbursements`] but reading a page at a time (memory stays flat however many there are),
/// all pages from one read snapshot. `filter.after_id` and `filter.limit` keep their meaning.
/// Returns how many rows it passed on.
pub fn each_reimbursement(
    ledger: &Ledger,
    filter: &ReimbursementFilter,
    observer: &mut dyn FnMut(&Reimbursement),
) -> Result<u64, LedgerError> {
    ledger.each_reimbursement(filter, observer)
}
