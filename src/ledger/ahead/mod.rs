//! Posting hooks worked out ahead of a run: the ledger calls a hook makes ([`LedgerCalls`]),
//! answered on the read-ahead thread by books of the customer's own ([`AheadBooks`]) and recorded
//! ([`Recording`]), then replayed on the ledger ([`Ledger::replay`](super::Ledger::replay)), which
//! tells whether each call returned what the hook saw ahead; and the counters (numbers and row
//! ids) predicted for that ([`Counters`]).
//!
//! A folder per part: `calls` (the trait, the recorded calls, replay), `counters`, `books` (the
//! view and the answers). It reads through the read-ahead connection only and writes nothing;
//! settlements are planned by the same code as the ledger's (`settle_plan`).

mod books;
mod calls;
mod counters;

pub use books::{AheadBooks, AheadCustomer, AheadState, Recording};
pub use calls::{CallResult, LedgerCall, LedgerCalls, RecordedCall};
pub(crate) use counters::RowKind;
pub use counters::{Counters, CountersUsed, SequenceDef, Sequences};
