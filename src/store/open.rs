//! Opening a company database: an existing one (checked to be ours and not newer, then
//! configured and migrated), one to read in a read-only folder, a new file, or one in memory.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::read_only::{folder_of, folder_writable, side_file};
use super::{APPLICATION_ID, SCHEMA_VERSION, Store, StoreError};

impl Store {
    /// Opens an existing company database, migrating an older schema.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        if path.is_dir() {
            return Err(StoreError::NotCompanyDatabase {
                path: path.to_path_buf(),
                reason: "a folder".into(),
            });
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StoreError::sqlite(path, e))?;
        let store = Store::wrap(conn, path.to_path_buf())?;
        // Identify the file before configuring: switching to WAL rewrites the header, which must
        // not happen to a file that is not ours (or to an empty one).
        store.check_identity()?;
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing company database to read it: like [`Store::open`], except that when the
    /// database cannot be written because its folder is read-only (SQLite could not create its
    /// `-wal` and `-shm` files there, even to read), it is opened read-only and immutable, as
    /// long as no `-wal` file holds changes beside it. An auditor with read access can then read
    /// the books; anything that writes still fails with the read-only error.
    pub fn open_for_reading(path: &Path) -> Result<Store, StoreError> {
        let refused = match Store::open(path) {
            Err(e @ StoreError::ReadOnly { .. }) => e,
            other => return other,
        };
        if folder_writable(folder_of(path)) || side_file(path, "-wal").exists() {
            return Err(refused);
        }
        // SQLite URI: `%`, `?` and `#` in the path are escaped.
        let mut uri = String::from("file:");
        for c in path.to_string_lossy().chars() {
            match c {
                '%' => uri.push_str("%25"),
                '?' => uri.push_str("%3f"),
                '#' => uri.push_str("%23"),
                c => uri.push(c),
            }
        }
        uri.push_str("?immutable=1");
        let conn = Connection::open_with_flags(
            &uri,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StoreError::sqlite(path, e))?;
        let store = Store::wrap(conn, path.to_path_buf())?;
        store.check_identity()?;
        // An older schema needs a migration, which is a write.
        if store.schema_version()? < SCHEMA_VERSION {
            return Err(refused);
        }
        Ok(store)
    }

    /// Creates a new, empty company database at `path` (the file must not exist).
    pub fn create(path: &Path) -> Result<Store, StoreError> {
        if path.exists() {
            return Err(StoreError::Exists(path.to_path_buf()));
        }
        let conn = Connection::open(path).map_err(|e| StoreError::sqlite(path, e))?;
        let store = Store::wrap(conn, path.to_path_buf())?;
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// A new company database in memory (for fixture tests).
    pub fn in_memory() -> Result<Store, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| StoreError::sqlite(&path, e))?;
        let store = Store::wrap(conn, path)?;
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    pub(super) fn check_identity(&self) -> Result<(), StoreError> {
        let app_id = self.pragma_i64("application_id")?;
        let version = self.pragma_i64("user_version")?;
        if app_id == i64::from(APPLICATION_ID) {
            if version < 0 {
                // No version of the tool writes one; migrating from it would skip every step.
                return Err(StoreError::NotCompanyDatabase {
                    path: self.path.clone(),
                    reason: format!(
                        "its schema version is {version}, which no version of reimburse writes"
                    ),
                });
            }
            if version > SCHEMA_VERSION {
                return Err(StoreError::NewerSchema {
                    path: self.path.clone(),
                    found: version,
                    known: SCHEMA_VERSION,
                });
            }
            return Ok(());
        }
        let tables = self.pragma_count_tables()?;
        Err(StoreError::NotCompanyDatabase {
            path: self.path.clone(),
            reason: if std::fs::metadata(&self.path).is_ok_and(|m| m.len() == 0) {
                "an empty file, 0 bytes".into()
            } else if tables == 0 {
                "an empty SQLite file".into()
            } else {
                format!("an SQLite file of another application, with {tables} tables")
            },
        })
    }

    fn pragma_count_tables(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| StoreError::sqlite(&self.path, e))
    }
}
