//! A database whose schema is not what its version number says: it already has what a later
//! migration adds (its `user_version` was set back by hand, or by a tool). Migrating it would
//! fail half-way with SQLite's "already exists"; it is refused before, with what was found.

use rusqlite::{Connection, OptionalExtension};

use super::schema::MIGRATIONS;

/// Something a migration adds to the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Added<'a> {
    /// `CREATE TABLE|INDEX|TRIGGER|VIEW name`: (type, name).
    Object(&'a str, &'a str),
    /// `ALTER TABLE table ADD COLUMN column`: (table, column).
    Column(&'a str, &'a str),
}

impl std::fmt::Display for Added<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Added::Object(kind, name) => write!(f, "{kind} {name}"),
            Added::Column(table, column) => write!(f, "column {table}.{column}"),
        }
    }
}

/// What a migration's SQL adds, statement by statement (one a line, as the migrations are
/// written).
pub(super) fn added(sql: &str) -> Vec<Added<'_>> {
    let mut found = Vec::new();
    for line in sql.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["CREATE", "UNIQUE", "INDEX", name, ..] => found.push(Added::Object("index", name)),
            ["CREATE", kind, name, ..] => {
                let kind = kind.to_ascii_lowercase();
                if let Some(kind) = ["table", "index", "trigger", "view"]
                    .into_iter()
                    .find(|k| *k == kind)
                {
                    found.push(Added::Object(kind, name.trim_end_matches('(')));
                }
            }
            ["ALTER", "TABLE", table, "ADD", "COLUMN", column, ..] => {
                found.push(Added::Column(table, column))
            }
            _ => {}
        }
    }
    found
}

/// The first thing a migration after `version` adds that the database has already, with the
/// version that adds it; `None` when the schema is what `version` says.
pub(super) fn later_object(
    conn: &Connection,
    version: i64,
) -> Result<Option<(usize, String)>, rusqlite::Error> {
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        for a in added(sql) {
            let exists = match a {
                Added::Object(kind, name) => conn
                    .query_row(
                        "SELECT 1 FROM sqlite_master WHERE type = ?1 AND name = ?2",
                        [kind, name],
                        |_| Ok(()),
                    )
                    .optional()?,
                Added::Column(table, column) => conn
                    .query_row(
                        "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2",
                        [table, column],
                        |_| Ok(()),
                    )
                    .optional()?,
            };
            if exists.is_some() {
                return Ok(Some((i + 1, a.to_string())));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_adds_what_its_sql_says() {
        let v2 = added(MIGRATIONS[1]);
        assert_eq!(v2, [Added::Object("trigger", "reimbursement_paid")]);
        let v3 = added(MIGRATIONS[2]);
        assert!(v3.contains(&Added::Column("customers", "iban")), "{v3:?}");
        assert!(v3.contains(&Added::Object("table", "master_data_changes")));
        assert!(v3.contains(&Added::Object("index", "customer_transactions_document")));
        // The first migration makes the whole schema of version 1.
        assert!(added(MIGRATIONS[0]).contains(&Added::Object("table", "reimbursements")));
    }
}
