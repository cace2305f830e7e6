//! What happens to a reimbursement after the run that posted it: approval ([`approve`], an
//! approver within their limit who did not make the run: four eyes), a user's hold and its
//! release ([`hold`], [`release`]), reversal and rejection ([`reverse()`], [`reject()`]: a
//! reversing voucher that mirrors the original, the customer's credit open again), and its
//! history ([`history`]: posted, each decision, paid). Every decision is recorded with who made
//! it, when and why (`ledger::decisions`).
//!
//! Each operation runs in one transaction (nested as a savepoint inside a script's or the
//! REPL's). A file per operation: `approve`, `hold` (hold and release), `reverse` (the
//! selection, the checks, the reversal run in its transaction), `reject` (an approver's
//! rejection, a reversal with the decision `reject`), `history`; `posting` (the reversing voucher
//! of one reimbursement, [`Reversal`]), `refusal` ([`ReversalRefusal`], [`ReversalError`]),
//! `error` ([`LifecycleError`]); `script_functions` (the operations for scripts and the REPL,
//! offered through `Session::extend`, never in the engine of the rules' hooks).
//!
//! Depends on the ledger's repositories and the process's `audit` (the time); never on the rules
//! or the run.

mod approve;
mod error;
mod history;
mod hold;
mod posting;
mod refusal;
mod reject;
mod reverse;
mod script_functions;

pub use approve::{
    ApprovalRefusal, ApprovalSelection, ApproveOptions, ApproveReport, Approved, RefusalRule,
    approve,
};
pub use error::LifecycleError;
pub use history::{HistoryEvent, history};
pub use hold::{HoldRefusal, HoldRefused, hold, release};
pub use posting::Reversal;
pub use refusal::{ReversalError, ReversalRefusal};
pub use reject::reject;
pub use reverse::{LeftOut, ReversalReport, ReversalSelection, ReverseOptions, reverse};
pub use script_functions::offer as offer_lifecycle_functions;

/// The ids in the order given, each once.
fn distinct(ids: &[i64]) -> Vec<i64> {
    let mut seen = std::collections::HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

/// Checks a decision's reason or note at the door of the books (at most 500 characters, no
/// control characters but line breaks), as the ledger checks its texts.
fn check_reason(field: &str, text: Option<&str>) -> Result<(), LifecycleError> {
    crate::text::check_option(field, text, crate::text::TextKind::Text)
        .map_err(|e| LifecycleError::Ledger(e.into()))
}

/// Serializes a value as its text (`Display`).
fn as_display<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}
