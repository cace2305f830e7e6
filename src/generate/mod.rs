//! Synthetic companies for benchmarks and load tests: `reimburse generate`.
//!
//! A generated company is a folder with `company.yaml`, `rules/reimburse.rhai` (the default rules)
//! and `company.db`: N customers with about three open transactions each and a realistic mix —
//! about half with a credit balance (some below the minimum), a third with a vendor account, 2% on
//! payment hold, 10% in EUR, a few with unpaid invoices beside their credits. The same seed gives
//! the same company.
//!
//! The database is written with bulk inserts (one opening voucher per customer) for speed, through
//! the ledger's bulk load ([`Ledger::bulk_insert`]): `generate` writes no SQL. The data respect
//! every ledger invariant (vouchers balance, sub-ledgers match the summary accounts).
//!
//! A feature: it depends on the ledger, the store, the parameters and `files`, never on scripting
//! or the process; only the command line (and the benchmarks) depend on it. The parts: `rng`
//! ([`Rng`]), `fill` (the draws and their rows), `csv` (the import files of `--csv`); the
//! options, the company files and [`generate`] here.

mod csv;
mod fill;
mod rng;
#[cfg(test)]
mod tests;

pub use rng::Rng;

use std::path::{Path, PathBuf};

use crate::files::{self, Existing, OutputError, Protected, Replaceable, check_output};
use crate::ledger::{Ledger, LedgerError};
use crate::parameters::Company;
use crate::store::{Store, StoreError};

use csv::CsvFiles;
use fill::fill;

/// The default rules, written into every generated company.
pub const DEFAULT_RULES: &str = include_str!("../../rules/reimburse.rhai");

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Number of customers.
    pub customers: u64,
    /// Random seed (same seed, same company).
    pub seed: u64,
    /// The folder to write the company into (created if missing).
    pub dir: PathBuf,
    /// Replace the files of a company already there (regular files only; the database only
    /// when it is a company database).
    pub force: bool,
    /// Also write the company as import files: `customers.csv`, `vendors.csv` and
    /// `transactions.csv` in the folder (for `reimburse import` and its benchmark).
    pub csv: bool,
}

/// What was generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateReport {
    /// The company YAML.
    pub company_file: PathBuf,
    /// Customers written.
    pub customers: u64,
    /// Vendors written.
    pub vendors: u64,
    /// Customer transactions written.
    pub transactions: u64,
}

/// An error while generating.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The folder or files cannot be written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The database cannot be written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The generated parameters are invalid (a bug).
    #[error(transparent)]
    Parameters(#[from] crate::parameters::YamlError),
    /// The ledger refused the setup.
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    /// A file of the company may not be written (see [`OutputError`]).
    #[error(transparent)]
    Output(#[from] OutputError),
}

const COMPANY_YAML: &str = r#"# A synthetic company made by `reimburse generate`.
company: { id: SYNTH, name: Synthetic Utilities Inc }
accounting_currency: USD
currencies: { USD: { decimals: 2 }, EUR: { decimals: 2 } }
exchange_rates: { EUR: 1.0850 }
minimum_reimbursement: 5.00
open_debits: net
accounts: { receivables: "1200", payables: "2000", bank: "1010", opening_balance: "3999" }
one_time_vendor:
  group: ONETIME
  sequence: { prefix: OTV-, width: 8 }
  link_to_customer: true
sequences:
  reimbursement: { prefix: RMB-, width: 8 }
  vendor_invoice: { prefix: VINV-, width: 8 }
  payment: { prefix: PAY-, width: 8 }
  opening: { prefix: OPN-, width: 8 }
database: company.db
rules: rules/reimburse.rhai
"#;

/// The database of a generated company (`database:` in [`COMPANY_YAML`]).
const DATABASE: &str = "company.db";

/// The import files `--csv` writes.
const CSV_FILES: [&str; 3] = ["customers.csv", "vendors.csv", "transactions.csv"];

/// Refuses to generate over files that exist, naming them, unless `force`; and, even with it,
/// over anything that is not a regular file, or a database that is not a company database.
fn check_targets(
    options: &GenerateOptions,
    company_file: &Path,
    rules_file: &Path,
) -> Result<(), GenerateError> {
    let db = options.dir.join(DATABASE);
    let mut targets = vec![company_file.to_path_buf(), rules_file.to_path_buf()];
    targets.extend(["-wal", "-shm"].map(|s| files::with_suffix(&db, s)));
    if options.csv {
        targets.extend(CSV_FILES.map(|name| options.dir.join(name)));
    }
    let none = Protected::default();
    let mut existing = Vec::new();
    if check_output(&db, &none, &Replaceable::CompanyDatabase)? == Existing::Replaceable {
        existing.push(db.clone());
    }
    for path in targets {
        if check_output(&path, &none, &Replaceable::AnyRegular)? == Existing::Replaceable {
            existing.push(path);
        }
    }
    if existing.is_empty() || options.force {
        return Ok(());
    }
    Err(OutputError::Exist { paths: existing }.into())
}

/// A ledger error of the bulk load: a database error stays one (as it was when `generate` wrote
/// its own SQL).
fn ledger_failed(e: LedgerError) -> GenerateError {
    match e {
        LedgerError::Store(e) => GenerateError::Store(e),
        other => GenerateError::Ledger(other),
    }
}

/// Writes a synthetic company: refused where one exists, unless `force`.
pub fn generate(options: &GenerateOptions) -> Result<GenerateReport, GenerateError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| GenerateError::Io { path, source }
    };
    let rules_dir = options.dir.join("rules");
    let company_file = options.dir.join("company.yaml");
    let rules_file = rules_dir.join("reimburse.rhai");
    check_targets(options, &company_file, &rules_file)?;
    std::fs::create_dir_all(&rules_dir).map_err(io(&rules_dir))?;
    std::fs::write(&company_file, COMPANY_YAML).map_err(io(&company_file))?;
    std::fs::write(&rules_file, DEFAULT_RULES).map_err(io(&rules_file))?;
    let company = Company::load(&company_file)?;
    let db = &company.database_path;
    debug_assert_eq!(
        db,
        &options.dir.join(DATABASE),
        "COMPANY_YAML names {DATABASE}"
    );
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(files::with_suffix(db, suffix));
    }
    let ledger = Ledger::new(Store::create(db)?, company.params.clone())?;
    let mut csv = if options.csv {
        Some(CsvFiles::create(&options.dir)?)
    } else {
        None
    };
    let store = ledger.store();
    store.begin()?;
    let result = fill(&ledger, options, csv.as_mut());
    if let Some(files) = csv {
        files.finish()?;
    }
    match result {
        Ok(report) => {
            store.commit()?;
            ledger.checkpoint().map_err(ledger_failed)?;
            Ok(GenerateReport {
                company_file,
                ..report
            })
        }
        Err(e) => {
            store.rollback();
            Err(e)
        }
    }
}
