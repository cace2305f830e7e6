//! The import files a generated company may come with (`--csv`): customers, vendors and
//! transactions, in the columns `reimburse import` reads.

use std::path::{Path, PathBuf};

use super::{CSV_FILES, GenerateError};
use crate::store::StoreError;

/// The import files of a generated company.
pub(super) struct CsvFiles {
    dir: PathBuf,
    pub(super) customers: csv::Writer<std::fs::File>,
    pub(super) vendors: csv::Writer<std::fs::File>,
    pub(super) transactions: csv::Writer<std::fs::File>,
}

impl CsvFiles {
    pub(super) fn create(dir: &Path) -> Result<CsvFiles, GenerateError> {
        let open = |name: &str, header: &[&str]| -> Result<_, GenerateError> {
            debug_assert!(
                CSV_FILES.contains(&name),
                "{name} is checked before writing"
            );
            let path = dir.join(name);
            let mut w = csv::Writer::from_path(&path).map_err(|e| csv_error(&path, e))?;
            w.write_record(header).map_err(|e| csv_error(&path, e))?;
            Ok(w)
        };
        Ok(CsvFiles {
            dir: dir.to_path_buf(),
            customers: open(
                "customers.csv",
                &[
                    "account",
                    "name",
                    "address",
                    "currency",
                    "group",
                    "vendor_account",
                    "payment_hold",
                ],
            )?,
            vendors: open("vendors.csv", &["account", "name", "currency"])?,
            transactions: open(
                "transactions.csv",
                &["customer", "date", "type", "document", "amount", "currency"],
            )?,
        })
    }

    pub(super) fn finish(mut self) -> Result<(), GenerateError> {
        let dir = self.dir.clone();
        for w in [
            &mut self.customers,
            &mut self.vendors,
            &mut self.transactions,
        ] {
            w.flush().map_err(|source| GenerateError::Io {
                path: dir.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

fn csv_error(path: &Path, e: csv::Error) -> GenerateError {
    GenerateError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    }
}

/// A CSV write error while the database of `path` is filled: reported as a database error, as
/// the generation has always reported it (it aborts the generation).
pub(super) fn csv_failed(path: &Path, e: csv::Error) -> GenerateError {
    GenerateError::Store(StoreError::sqlite(
        path,
        rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
    ))
}
