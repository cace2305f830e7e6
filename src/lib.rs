//! `reimburse`: customer reimbursement of accounts receivable, run as editable Rhai rules over an
//! exact, SQLite-backed ledger.
//!
//! See `ARCHITECTURE.md` for the map of modules, the data flow and the invariants. Everything the
//! command line does is reachable from here. The front door, by task:
//! - open a company: [`Company::load`], then [`Ledger::open`];
//! - run the process: [`run`] with [`RunOptions`] over a [`Session`]; list and pay
//!   reimbursements: [`reimbursements`], [`pay`];
//! - keep the books current: [`import()`]; write them out: [`write_journal`];
//! - start a company from a fixture: [`init_company`]; test rules: [`run_fixtures`];
//! - script and explore: [`run_script`], [`Repl`], [`interact`];
//! - the whole command line: [`main`].
//!
//! The public modules are the layers' namespaces, from `money` at the bottom to `rule_tests`;
//! the command line's own modules (`cli`, `repl`, `render`, `files`) are private and reached
//! through these re-exports.
#![warn(missing_docs)]

// The layers, from the bottom up (see ARCHITECTURE.md). The public modules are the namespaces of
// the library's API; `cli`, `repl`, `render` and `files` serve the command line and are reached
// through the re-exports below.
pub mod bank;
pub mod bank_file;
mod cli;
pub mod dates;
pub mod export;
mod files;
pub mod fixtures;
pub mod generate;
pub mod import;
pub mod ledger;
pub mod money;
pub mod parameters;
pub mod process;
mod render;
mod repl;
pub mod rule_tests;
pub mod scripting;
pub mod store;
pub mod text;

// The front door: what an embedding program needs first, by task. Everything else is in the
// public modules above.
pub use cli::NotReported;
/// The command line, as the `reimburse` binary runs it (arguments, exit code).
pub use cli::main;
pub use export::{Format as ExportFormat, write_journal};
pub use files::OutputError;
pub use fixtures::init_company;
pub use import::import;
pub use ledger::Ledger;
pub use parameters::Company;
pub use process::{PayOptions, RunOptions, Selection, pay, reimbursements, run, write_bank_file};
pub use process::{
    approve, history, hold, reject, release, reverse, reverse_write_offs, run_outcomes, write_off,
};
pub use render::{render, render_columns};
pub use repl::{
    Repl, ReplOptions, ScriptError, ScriptOptions, ScriptOutcome, default_history, interact,
    interact_with_input, run_script,
};
pub use rule_tests::run_fixtures;
pub use scripting::Session;

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
    /// A reversal or a rejection was refused or failed (nothing was written).
    #[error(transparent)]
    Reversal(#[from] process::ReversalError),
    /// A write-off run or its reversal failed (nothing was written).
    #[error(transparent)]
    WriteOff(#[from] process::WriteOffError),
    /// An approval, hold or release wrote nothing, or a history cannot be read (see
    /// [`process::LifecycleError`]).
    #[error(transparent)]
    Lifecycle(#[from] process::LifecycleError),
    /// The journal export failed (see [`export::ExportError`]).
    #[error(transparent)]
    Export(export::ExportError),
    /// A script run by `reimburse script` failed (nothing was written).
    #[error(transparent)]
    Script(#[from] ScriptError),
    /// Writing output failed.
    #[error("cannot write output: {0}")]
    Io(#[from] std::io::Error),
    /// JSON output failed.
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Generating a synthetic company failed.
    #[error(transparent)]
    Generate(#[from] generate::GenerateError),
    /// An import wrote nothing (see [`import::ImportError`]).
    #[error(transparent)]
    Import(#[from] import::ImportError),
    /// Some fixtures failed (`reimburse test`).
    #[error("{0} fixture(s) failed")]
    TestsFailed(usize),
    /// A `--keep-going` run committed, but the rules failed for some customers (listed with the
    /// results); exit code 3, so that a scheduled run does not pass for a clean one.
    #[error("the rules failed for {0} customer(s); the others were processed")]
    CustomersFailed(u64),
    /// Entries of a REPL session read from a pipe or file failed (their errors were printed as
    /// they happened): the session ends with exit code 1.
    #[error("{0} {entries} of the session failed (see above)", entries = if *.0 == 1 { "entry" } else { "entries" })]
    EntriesFailed(usize),
    /// Invalid use.
    #[error("{0}")]
    Usage(String),
    /// A file the command would write is refused (see [`OutputError`]).
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A command committed (the books changed), then could not print its report: standard
    /// output or the temporary folder full (see [`NotReported`]).
    #[error(transparent)]
    NotReported(Box<NotReported>),
}

/// Built-in parameters used when no company file is at hand: to list the scripting API, or to run
/// fixtures with `reimburse test` outside a company folder (fixtures override what they need).
pub const SAMPLE_PARAMETERS: &str = r#"
company: { id: SAMPLE, name: Sample company }
accounting_currency: USD
currencies: { USD: { decimals: 2 }, EUR: { decimals: 2 } }
exchange_rates: { EUR: 1.0850 }
minimum_reimbursement: 25.00
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

/// The built-in sample company ([`SAMPLE_PARAMETERS`]), anchored in the current folder.
pub fn sample_company() -> Result<parameters::Company, parameters::YamlError> {
    parameters::Company::from_yaml(std::path::Path::new("company.yaml"), SAMPLE_PARAMETERS)
}
