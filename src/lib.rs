//! `reimburse`: customer reimbursement of accounts receivable, run as editable Rhai rules over an
//! exact, SQLite-backed ledger.
//!
//! See `ARCHITECTURE.md` for the map of modules, the data flow and the invariants. Everything the
//! command line does is reachable from here: open a company with [`parameters::Company::load`] and
//! [`ledger::Ledger::open`], run the process with [`process::run`], list and pay reimbursements
//! with [`process::reimbursements`] and [`process::pay`].
#![warn(missing_docs)]

pub mod cli;
pub mod fixtures;
pub mod ledger;
pub mod money;
pub mod parameters;
pub mod process;
pub mod scripting;
pub mod store;

/// Any error of the library, as the command line reports it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad company parameters.
    #[error(transparent)]
    Parameters(#[from] parameters::YamlError),
    /// A fixture that cannot be loaded.
    #[error(transparent)]
    Fixture(#[from] fixtures::FixtureError),
    /// The database cannot be opened or written.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// A ledger primitive refused.
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    /// A run failed (nothing was written).
    #[error(transparent)]
    Run(#[from] process::RunError),
    /// Writing output failed.
    #[error("cannot write output: {0}")]
    Io(#[from] std::io::Error),
    /// JSON output failed.
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Invalid use.
    #[error("{0}")]
    Usage(String),
}

/// Parameters used when no company is at hand (e.g. to list the scripting API).
pub const SAMPLE_PARAMETERS: &str = r#"
company: { id: SAMPLE, name: Sample company }
accounting_currency: USD
currencies: { USD: { decimals: 2 } }
minimum_reimbursement: 0
accounts: { receivables: "1200", payables: "2000", bank: "1000", opening_balance: "3999" }
one_time_vendor: { group: ONETIME, sequence: { prefix: OTV-, width: 6 } }
sequences:
  reimbursement: { prefix: RMB-, width: 6 }
  vendor_invoice: { prefix: VI-, width: 6 }
  payment: { prefix: PAY-, width: 6 }
  opening: { prefix: OPN-, width: 6 }
database: sample.db
rules: rules/reimburse.rhai
"#;
