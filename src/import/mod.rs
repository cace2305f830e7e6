//! `reimburse import`: keeping a company's books current from the systems of record.
//!
//! Customers, vendors and customer transactions come from CSV files (or YAML in the fixture
//! format), as often as wanted. A customer or vendor is identified by its account, a transaction
//! by its customer and document: a row already there with the same values changes nothing; a
//! customer or vendor row that differs updates it (each field in the audit trail of master-data
//! changes); a transaction is never changed once posted. New transactions are posted through the
//! ledger's one write path against the import's counter account (`accounts.import`, default
//! `accounts.opening_balance`), so the trial balance stays zero.
//!
//! One import is one database transaction: vendors, then customers, then transactions (a
//! transaction may name a customer the same import creates), then the settlements that waited
//! for a transaction later in the files. Any bad row and nothing is written; every problem is
//! listed (up to [`problems::MAX_LISTED_PROBLEMS`]). Files are read record by record, and what
//! the import must remember of the rows it met lives in a temporary table, so memory stays flat
//! (YAML files are read whole: use CSV for big files).

mod apply;
mod problems;
mod rows;
mod source;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use crate::ledger::{ChangeOrigin, FieldChange, Ledger, LedgerError, RunId};
use crate::process::{self, RunStart};
use crate::store::StoreError;
use apply::Applier;
pub use problems::{MAX_LISTED_PROBLEMS, Place, Problem, Problems};
use rows::Cells;
pub use rows::{MAX_KEY_CHARS, MAX_NAME_CHARS, MAX_TEXT_CHARS};
pub use source::Kind;
use source::{Cell, Source};

/// The files of one import (each optional; at least one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportFiles {
    /// Customers.
    pub customers: Option<PathBuf>,
    /// Vendors.
    pub vendors: Option<PathBuf>,
    /// Customer transactions.
    pub transactions: Option<PathBuf>,
}

/// How to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// The files.
    pub files: ImportFiles,
    /// Check everything and report what the import would do, writing nothing.
    pub dry_run: bool,
    /// Who imports (the audit trails).
    pub user: String,
    /// The date recorded as the import run's date.
    pub date: NaiveDate,
}

/// How many rows of one kind were new, changed or unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Not there before: created (customers, vendors) or posted (transactions).
    pub new: u64,
    /// There before with other values: updated (customers and vendors only).
    pub changed: u64,
    /// There before with the same values (or a row repeated in the import).
    pub unchanged: u64,
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Customers.
    pub customers: Counts,
    /// Vendors.
    pub vendors: Counts,
    /// Transactions.
    pub transactions: Counts,
    /// Settlements made for `applies_to`.
    pub settlements: u64,
    /// Things worth knowing that do not stop the import (a vendor account naming no vendor).
    pub warnings: Vec<Problem>,
    /// The run recorded for the import (none for a dry run, or when nothing changed).
    pub run: Option<RunId>,
    /// True for a dry run: nothing was written.
    pub dry_run: bool,
}

impl Counts {
    /// Counts a row applied: created (`None`), or updated with these field changes (none:
    /// unchanged).
    pub fn add(&mut self, changes: Option<&[FieldChange]>) {
        match changes {
            None => self.new += 1,
            Some([]) => self.unchanged += 1,
            Some(_) => self.changed += 1,
        }
    }

    /// True when nothing was new or changed.
    pub fn untouched(&self) -> bool {
        self.new == 0 && self.changed == 0
    }
}

impl ImportReport {
    /// True when the import found nothing to change.
    pub fn unchanged(&self) -> bool {
        self.customers.untouched() && self.vendors.untouched() && self.transactions.untouched()
    }
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Rows (or files) are wrong: every problem found, listed.
    #[error("{problems}import refused: {} problem(s) found; nothing was written", problems.count())]
    Rejected {
        /// The problems.
        problems: Problems,
    },
    /// No file was given.
    #[error("nothing to import: give --customers, --vendors or --transactions")]
    NoFiles,
    /// The database failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        ImportError::Ledger(LedgerError::Store(e))
    }
}

/// How far an import is: bytes read of all its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes read so far.
    pub done: u64,
    /// Bytes in all the files.
    pub total: u64,
}

/// Imports the files into the company, all or nothing, in one transaction of its own.
pub fn import(
    ledger: &Ledger,
    options: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportReport, ImportError> {
    let files = &options.files;
    let kinds = [
        (Kind::Vendors, &files.vendors),
        (Kind::Customers, &files.customers),
        (Kind::Transactions, &files.transactions),
    ];
    let wanted: Vec<(Kind, &PathBuf)> = kinds
        .iter()
        .filter_map(|(k, f)| f.as_ref().map(|f| (*k, f)))
        .collect();
    if wanted.is_empty() {
        return Err(ImportError::NoFiles);
    }
    let mut problems = Problems::default();
    let mut sources = Vec::new();
    for (kind, file) in &wanted {
        match Source::open(file, *kind) {
            Ok(source) => sources.push((*kind, source)),
            Err(refused) => refused.into_iter().for_each(|p| problems.push(p)),
        }
    }
    if !problems.is_empty() {
        return Err(ImportError::Rejected { problems });
    }
    let store = ledger.store();
    // Attached before the transaction and detached after it (SQLite's rule).
    let _batch = ledger.begin_identity_batch()?;
    store.begin()?;
    let previous = ledger.origin();
    let result = import_in_transaction(ledger, options, sources, progress);
    ledger.set_origin(previous);
    ledger.set_run(None);
    ledger.take_journal();
    match result {
        Ok(report) if report.dry_run || report.unchanged() => {
            store.rollback();
            Ok(ImportReport {
                run: None,
                ..report
            })
        }
        Ok(report) => {
            store.commit()?;
            Ok(report)
        }
        Err(e) => {
            store.rollback();
            Err(e)
        }
    }
}

fn selection(files: &ImportFiles) -> String {
    let mut parts = Vec::new();
    for (name, file) in [
        ("customers", &files.customers),
        ("vendors", &files.vendors),
        ("transactions", &files.transactions),
    ] {
        if let Some(f) = file {
            parts.push(format!("{name} {}", f.display()));
        }
    }
    parts.join(", ")
}

fn import_in_transaction(
    ledger: &Ledger,
    options: &ImportOptions,
    sources: Vec<(Kind, Source)>,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportReport, ImportError> {
    let run = process::begin_run(
        ledger,
        &RunStart {
            kind: "import",
            user: &options.user,
            date: options.date,
            selection: &selection(&options.files),
        },
    )?;
    ledger.set_run(Some(run));
    // One voucher a transaction row: its numbers are reserved a block at a time.
    let sequence = ledger.params().sequences.import_sequence();
    ledger.set_number_block(sequence, NUMBER_BLOCK)?;
    let total = sources.iter().map(|(_, s)| s.size).sum();
    let mut applier = Applier::new(ledger, options.dry_run);
    let mut done_before = 0;
    for (kind, mut source) in sources {
        ledger.set_origin(ChangeOrigin {
            user: options.user.clone(),
            source: format!("import {}", source.file.display()),
            line: None,
        });
        read_file(ledger, kind, &mut source, &mut applier, &mut |done| {
            progress(Progress {
                done: done_before + done,
                total,
            })
        })?;
        done_before += source.size;
    }
    applier.settle_pending()?;
    ledger.release_numbers(sequence)?;
    if !applier.problems.is_empty() {
        return Err(ImportError::Rejected {
            problems: applier.problems,
        });
    }
    Ok(ImportReport {
        run: Some(run),
        ..applier.report
    })
}

/// How many voucher numbers an import reserves with one write.
const NUMBER_BLOCK: u32 = 1024;

/// How many rows between two progress reports.
const PROGRESS_EVERY: u64 = 4096;

fn read_file(
    ledger: &Ledger,
    kind: Kind,
    source: &mut Source,
    applier: &mut Applier,
    progress: &mut dyn FnMut(u64),
) -> Result<(), ImportError> {
    let params = ledger.params();
    let mut rows = 0u64;
    while let Some((record, bytes)) = source.next_record() {
        rows += 1;
        if rows.is_multiple_of(PROGRESS_EVERY) {
            progress(bytes);
        }
        // What the ledger journals for a hook's check is not needed here: memory stays flat.
        ledger.take_journal();
        let record = match record {
            Ok(r) => r,
            Err(p) => {
                applier.problems.push(p);
                continue;
            }
        };
        let file: &Path = &source.file;
        let mut cells = Cells::new(file, &source.header, &record, params);
        let place = record.place.clone();
        match kind {
            Kind::Customers => match rows::customer_row(&mut cells) {
                Some(row) => applier.customer(file, &place, &row)?,
                None => {
                    if let Cell::Text(account) = source.header.cell(&record, "account") {
                        applier.refused_customer(&place, account)?;
                    }
                    cells
                        .problems
                        .into_iter()
                        .for_each(|p| applier.problems.push(p));
                }
            },
            Kind::Vendors => match rows::vendor_row(&mut cells) {
                Some(row) => applier.vendor(file, &place, &row)?,
                None => cells
                    .problems
                    .into_iter()
                    .for_each(|p| applier.problems.push(p)),
            },
            Kind::Transactions => match rows::transaction_row(&mut cells) {
                Some(row) => applier.transaction(file, &place, &row)?,
                None => cells
                    .problems
                    .into_iter()
                    .for_each(|p| applier.problems.push(p)),
            },
        }
    }
    progress(source.size);
    Ok(())
}
