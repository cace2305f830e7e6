//! `reimburse`: customer reimbursement of accounts receivable, run as editable Rhai rules over an
//! exact, SQLite-backed ledger.
//!
//! See `ARCHITECTURE.md` for the map of modules, the data flow and the invariants.
#![warn(missing_docs)]

pub mod ledger;
pub mod money;
pub mod parameters;
pub mod store;
