//! Migrating an older schema to [`super::SCHEMA_VERSION`] in one transaction, after checking that
//! the schema is what its version number says ([`super::mismatch`]).

use super::schema::MIGRATIONS;
use super::{APPLICATION_ID, SCHEMA_VERSION, Store, StoreError, mismatch};

impl Store {
    /// Applies the migrations after the database's schema version, and sets the application id.
    pub(super) fn migrate(&self) -> Result<(), StoreError> {
        let version = self.pragma_i64("user_version")?;
        if version >= SCHEMA_VERSION {
            return Ok(());
        }
        let mismatch = mismatch::later_object(&self.conn, version)
            .map_err(|e| StoreError::sqlite(&self.path, e))?;
        if let Some((of, found)) = mismatch {
            return Err(StoreError::SchemaMismatch {
                path: self.path.clone(),
                version,
                found,
                of,
            });
        }
        debug_assert!(version >= 0, "a negative version is refused at open");
        self.begin()?;
        let result = (|| {
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
                self.conn.execute_batch(sql)?;
                self.conn
                    .execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
            }
            self.conn
                .execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}"))
        })();
        match result {
            Ok(()) => self.commit(),
            Err(e) => {
                self.rollback();
                Err(match StoreError::sqlite(&self.path, e) {
                    StoreError::Sqlite { path, source } => StoreError::Migration {
                        path,
                        from: version,
                        to: SCHEMA_VERSION,
                        source,
                    },
                    other => other,
                })
            }
        }
    }
}
