//! [`StoreError`]: what can go wrong opening or using the company database, SQLite's errors
//! classified (busy, read-only, not a database).

use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

use super::read_only::read_only_reason;

/// An error opening or using the company database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file does not exist.
    #[error("{0}: no company database here (create it with `reimburse init`)")]
    Missing(PathBuf),
    /// `init` would overwrite an existing database.
    #[error("{0}: a database already exists (use --force to replace it)")]
    Exists(PathBuf),
    /// The file is not a company database of this tool.
    #[error("{path}: not a reimburse company database ({reason})")]
    NotCompanyDatabase {
        /// The file.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
    /// The database was written by a newer version of the tool.
    #[error(
        "{path}: the database has schema version {found}, newer than this build knows ({known}); upgrade reimburse"
    )]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// The database's schema version.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// The schema already has what a later version adds: its version number was set back.
    #[error(
        "{}: the database says schema version {version}, but it already has {found} (of schema version {of}): its version number was changed outside reimburse, so it is not migrated (nothing was changed). Restore the database from a backup; or, if you know that only the number was changed, set it back (`PRAGMA user_version`) with sqlite3", .path.display()
    )]
    SchemaMismatch {
        /// The file.
        path: PathBuf,
        /// The schema version the database says it has.
        version: i64,
        /// What it has already (`trigger reimbursement_paid`).
        found: String,
        /// The schema version that adds it.
        of: usize,
    },
    /// A migration to the current schema failed.
    #[error("{}: cannot migrate the database from schema version {from} to {to} (nothing was changed): {source}", .path.display())]
    Migration {
        /// The file.
        path: PathBuf,
        /// The database's schema version.
        from: i64,
        /// The version this build writes.
        to: i64,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// Another process holds the database.
    #[error("{0}: database busy: another run or session is writing to it; try again when it ends")]
    Busy(PathBuf),
    /// The database cannot be written.
    #[error("{}: the database is read-only: {reason}", path.display())]
    ReadOnly {
        /// The file.
        path: PathBuf,
        /// What cannot be written: the file, its folder or a `-wal`/`-shm` file beside it.
        reason: String,
    },
    /// Any other SQLite or file error.
    #[error("{path}: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: rusqlite::Error,
    },
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl StoreError {
    /// Classifies a SQLite error for the database at `path`.
    pub fn sqlite(path: &Path, source: rusqlite::Error) -> StoreError {
        match source.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
                StoreError::Busy(path.to_path_buf())
            }
            Some(ErrorCode::ReadOnly) => StoreError::ReadOnly {
                path: path.to_path_buf(),
                reason: read_only_reason(path),
            },
            Some(ErrorCode::NotADatabase) => StoreError::NotCompanyDatabase {
                path: path.to_path_buf(),
                reason: "not an SQLite file".into(),
            },
            _ => StoreError::Sqlite {
                path: path.to_path_buf(),
                source,
            },
        }
    }
}
