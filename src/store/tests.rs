use super::*;

#[test]
fn create_then_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    drop(Store::create(&path).unwrap());
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert!(matches!(Store::create(&path), Err(StoreError::Exists(_))));
}

#[test]
fn a_store_dropped_in_a_transaction_rolls_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("company.db");
    Store::create(&path).unwrap();
    let store = Store::open(&path).unwrap();
    store.begin().unwrap();
    store
        .conn()
        .execute(
            "INSERT INTO gl_accounts(account, name) VALUES ('9999', 'x')",
            [],
        )
        .unwrap();
    // SQLite rolls back on close; the hooks must be gone by then (they were freed first).
    drop(store);
    let store = Store::open(&path).unwrap();
    let rows: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM gl_accounts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 0);
}

#[test]
fn begin_inside_a_transaction_nests_as_a_savepoint() {
    let store = Store::in_memory().unwrap();
    let count = |s: &Store| -> i64 {
        s.conn()
            .query_row("SELECT count(*) FROM gl_accounts", [], |r| r.get(0))
            .unwrap()
    };
    let add = |s: &Store, a: &str| {
        s.conn()
            .execute(
                "INSERT INTO gl_accounts(account, name) VALUES (?1, 'x')",
                [a],
            )
            .unwrap();
    };
    store.begin().unwrap();
    add(&store, "A");
    // A nested transaction that rolls back undoes only its own work.
    store.begin().unwrap();
    add(&store, "B");
    store.rollback();
    assert!(store.in_transaction(), "the outer transaction stays open");
    assert_eq!(count(&store), 1);
    // A nested one that commits keeps its work in the outer transaction.
    store.begin().unwrap();
    add(&store, "C");
    store.commit().unwrap();
    assert!(store.in_transaction());
    store.rollback();
    assert!(!store.in_transaction());
    assert_eq!(count(&store), 0, "the outer rollback undoes everything");
    store.begin().unwrap();
    add(&store, "D");
    store.commit().unwrap();
    assert!(!store.in_transaction());
    assert_eq!(count(&store), 1);
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let store = Store::create(&path).unwrap();
    store
        .conn()
        .execute_batch(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1))
        .unwrap();
    drop(store);
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1));
    assert!(err.to_string().contains("newer than this build knows"));
}

#[test]
fn a_negative_schema_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let store = Store::create(&path).unwrap();
    store
        .conn()
        .execute_batch("PRAGMA user_version = -1")
        .unwrap();
    drop(store);
    let err = Store::open(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: not a reimburse company database (its schema version is -1, which no version of reimburse writes)",
            path.display()
        )
    );
}

#[test]
fn foreign_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.db");
    std::fs::write(&text, "this is not a database, just some text ".repeat(50)).unwrap();
    let err = Store::open(&text).unwrap_err();
    assert!(
        err.to_string().contains("not a reimburse company database"),
        "{err}"
    );

    let other = dir.path().join("other.db");
    let conn = Connection::open(&other).unwrap();
    conn.execute_batch("CREATE TABLE t(x)").unwrap();
    drop(conn);
    let err = Store::open(&other).unwrap_err();
    assert!(err.to_string().contains("another application"), "{err}");

    let missing = dir.path().join("missing.db");
    assert!(matches!(Store::open(&missing), Err(StoreError::Missing(_))));
}

/// A released migration never changes: the databases it made and migrated would differ from the
/// new ones. The SHA-256 of each, as first released (the `.sql` files are the same text byte for
/// byte as the string literals they were moved from).
#[test]
fn the_migrations_are_the_text_released() {
    use sha2::{Digest, Sha256};
    let released = [
        "a50a1eb88340011fd02972e1cf17e7f818985fd1e344ae48514219ec4a7dc4f5",
        "1aee72afeff11baca41a0f8fd398ed897600bd20d157a6668e0b2ebff01c8e2d",
        "6c8389ec44d11fb64daa3db4dc61f1ead305d4b3b345b0d72c2a2c7eefbfb531",
        "12198d47c5be4eec8ece8cc4896ec2d95d1114581f90a1c17f3c35b695399c81",
        "a07bba8854cff265241f22df2523d51c8ec760baf7680bc94b611a357d61b35f",
        "20843f11e6cf8f57c87454bd7b5b6706c66a9d5c6094161744923a50bddf811e",
        "fce98c61402a024ed308e15e3876e36370785798684256c5bf8a760ed5cf7c33",
    ];
    let migrations = super::schema::MIGRATIONS;
    assert_eq!(migrations.len(), released.len());
    for (i, (sql, hash)) in migrations.iter().zip(released).enumerate() {
        let found: String = Sha256::digest(sql.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(found, hash, "migration {} changed", i + 1);
    }
}
