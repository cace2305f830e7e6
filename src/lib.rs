//! `reimburse`: customer reimbursement of accounts receivable, run as editable Rhai rules over an
//! exact, SQLite-backed ledger.
//!
//! See `ARCHITECTURE.md` for the map of modules, the data flow and the invariants. Everything the
//! command line does is reachable from here: open a company with [`parameters::Company::load`] and
//! [`ledger::Ledger::open`], run the process with [`process::run`], list and pay reimbursements
//! with [`process::reimbursements`] and [`process::pay`].
#![warn(missing_docs)]

pub mod bank;
pub mod cli;
pub mod dates;
pub mod export;
pub mod files;
pub mod fixtures;
pub mod generate;
pub mod import;
pub mod ledger;
pub mod money;
pub mod parameters;
pub mod process;
pub mod render;
pub mod repl;
pub mod rule_tests;
pub mod scripting;
pub mod store;
pub mod text;

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
    /// The journal export failed (see [`export::ExportError`]).
    #[error(transparent)]
    Export(export::ExportError),
    /// A script run by `reimburse script` failed (nothing was written).
    #[error(transparent)]
    Script(#[from] repl::ScriptError),
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
    /// A file the command would write is refused (see [`files::OutputError`]).
    #[error(transparent)]
    Output(#[from] files::OutputError),
    /// A command committed (the books changed), then could not print its report: standard
    /// output or the temporary folder full (see [`cli::NotReported`]).
    #[error(transparent)]
    NotReported(Box<cli::NotReported>),
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
