//! What happens to a reimbursement after its run: reversal and rejection (issue 21).
//!
//! A file per operation: `reverse` ([`reverse()`]: the selection, the checks, the reversal run
//! in its transaction), `reject` ([`reject()`]: an approver's rejection, a reversal with the
//! decision `reject`); `posting` (the reversing voucher of one reimbursement, [`Reversal`]) and
//! `refusal` ([`ReversalRefusal`], [`ReversalError`]) serve both.
//!
//! Depends on the ledger and the audit trail (`super::audit`), never on the rules or the run.

mod posting;
mod refusal;
mod reject;
mod reverse;

pub use posting::Reversal;
pub use refusal::{ReversalError, ReversalRefusal};
pub use reject::reject;
pub use reverse::{LeftOut, ReversalReport, ReversalSelection, ReverseOptions, reverse};
