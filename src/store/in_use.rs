//! Whether another process is writing to a database file: the probe `init --force` takes before
//! it replaces one (a run or a REPL session must not lose its file under it).

use std::path::Path;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::{BUSY_TIMEOUT, StoreError};

/// Refuses a database another process holds the write lock of: takes the write lock once
/// (waiting up to the busy timeout) and releases it. A file SQLite cannot open or lock otherwise
/// (not a database) is not in use, and is left to the caller.
pub fn refuse_if_in_use(path: &Path) -> Result<(), StoreError> {
    let Ok(conn) = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) else {
        return Ok(());
    };
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| StoreError::sqlite(path, e))?;
    match conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;") {
        Err(e)
            if matches!(
                e.sqlite_error_code(),
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
            ) =>
        {
            Err(StoreError::Busy(path.to_path_buf()))
        }
        _ => Ok(()),
    }
}
