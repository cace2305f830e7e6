//! What the comparison looks at after a run: the books of one company, section by section, as
//! text (a row a line), and a readable diff of two of them.
//!
//! The sections are what an auditor reads (the reimbursement page, the trial balance, the
//! `export` journal with voucher numbers, dates and lines, the vendors with their accounts, names
//! and links, the customers with their transactions and open amounts, the run's outcomes) and,
//! last, the whole database table by table, with the times of day (columns `*_at`) left out: the
//! only thing two runs of the same rules on copies of the same books may differ in.

use std::path::Path;

use reimburse::ExportFormat;
use reimburse::ledger::{Ledger, RunId, Side};
use reimburse::process::{self, ReimbursementFilter};
use serde::Serialize;

/// The books of one company as text, section by section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Books {
    sections: Vec<(String, String)>,
}

/// One value as a line of compact JSON.
fn line(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("serializable") + "\n"
}

fn lines<T: Serialize>(rows: impl IntoIterator<Item = T>) -> String {
    rows.into_iter().map(|r| line(&r)).collect()
}

impl Books {
    /// Reads the books of `ledger`, whose database file is `db`; with the outcomes of `run` when
    /// that run was kept.
    pub fn read(ledger: &Ledger, db: &Path, run: Option<RunId>) -> Books {
        let page = process::reimbursements(ledger, &ReimbursementFilter::default()).unwrap();
        let mut journal = Vec::new();
        reimburse::write_journal(ledger, ExportFormat::Ledger, None, None, &mut journal).unwrap();
        let mut customers = String::new();
        for c in ledger.customers().unwrap() {
            customers.push_str(&line(&c));
            customers.push_str(&lines(
                ledger.transactions(Side::Customer, &c.account).unwrap(),
            ));
        }
        let mut vendors = String::new();
        for v in ledger.vendors().unwrap() {
            vendors.push_str(&line(&v));
            vendors.push_str(&lines(
                ledger.transactions(Side::Vendor, &v.account).unwrap(),
            ));
        }
        let outcomes = match run {
            Some(run) if ledger.run_exists(run).unwrap() => {
                lines(process::run_outcomes(ledger, run, None).unwrap())
            }
            _ => String::new(),
        };
        let mut sections: Vec<(String, String)> = [
            ("reimbursement page", lines(page)),
            ("trial balance", lines(ledger.trial_balance().unwrap())),
            ("export", String::from_utf8(journal).unwrap()),
            ("vendors and their transactions", vendors),
            ("customers and their transactions", customers),
            ("run outcomes", outcomes),
        ]
        .into_iter()
        .map(|(name, text)| (name.to_string(), text))
        .collect();
        sections.extend(dump(db));
        Books { sections }
    }

    /// The text of a section.
    pub fn section(&self, name: &str) -> &str {
        &self
            .sections
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no section {name}"))
            .1
    }

    /// `Ok` when `other` is the same; else a readable diff of every section that differs
    /// (`-` this, `+` other).
    pub fn same_as(&self, other: &Books, this: &str, that: &str) -> Result<(), String> {
        let names = |b: &Books| {
            b.sections
                .iter()
                .map(|(n, _)| n.clone())
                .collect::<Vec<_>>()
        };
        if names(self) != names(other) {
            return Err(format!(
                "the books have other sections or tables: {:?} / {:?}",
                names(self),
                names(other)
            ));
        }
        let diffs: Vec<String> = self
            .sections
            .iter()
            .zip(&other.sections)
            .filter(|((_, a), (_, b))| a != b)
            .map(|((name, a), (_, b))| format!("== {name}\n{}", diff(a, b, this, that)))
            .collect();
        if diffs.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "the books differ ({this} / {that}):\n{}",
                diffs.join("\n")
            ))
        }
    }
}

/// The lines where `a` and `b` differ, with three lines of context before: the first and last
/// lines that differ bound the hunk (at most 12 lines of each side shown).
pub fn diff(a: &str, b: &str, this: &str, that: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut out = format!(
        "--- {this} ({} lines)\n+++ {that} ({} lines)\n@@ line {} @@\n",
        a.len(),
        b.len(),
        prefix + 1
    );
    for l in &a[prefix.saturating_sub(3)..prefix] {
        out.push_str(&format!("  {l}\n"));
    }
    for (sign, side) in [('-', &a), ('+', &b)] {
        let changed = &side[prefix..side.len() - suffix];
        for l in changed.iter().take(12) {
            out.push_str(&format!("{sign} {l}\n"));
        }
        if changed.len() > 12 {
            out.push_str(&format!("{sign} … {} more lines\n", changed.len() - 12));
        }
    }
    out
}

/// Every table of the database (in name order, each a section `table NAME`) with its columns and
/// its rows in the order of all their columns; a column whose name ends in `_at` (a time of day)
/// shows as `<time>`.
pub fn dump(db: &Path) -> Vec<(String, String)> {
    // Read and write, as `common::Company::conn` opens it; nothing is written.
    let conn = rusqlite::Connection::open(db).expect("open the database");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut sections = Vec::new();
    for table in tables {
        let mut out = String::new();
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let names: Vec<String> = stmt.column_names().map(|n| n.to_string()).collect();
        let order: Vec<String> = (1..=names.len()).map(|i| i.to_string()).collect();
        stmt = conn
            .prepare(&format!(
                "SELECT * FROM \"{table}\" ORDER BY {}",
                order.join(", ")
            ))
            .unwrap();
        out.push_str(&format!("({})\n", names.join(", ")));
        let rows = stmt
            .query_map([], |r| {
                Ok(names
                    .iter()
                    .enumerate()
                    .map(|(i, name)| value(name, r.get_ref(i).unwrap()))
                    .collect::<Vec<String>>()
                    .join("|"))
            })
            .unwrap();
        for row in rows {
            out.push_str(&row.unwrap());
            out.push('\n');
        }
        sections.push((format!("table {table}"), out));
    }
    sections
}

fn value(column: &str, v: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef;
    if column.ends_with("_at") && v != ValueRef::Null {
        return "<time>".into();
    }
    match v {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Blob(b) => format!("{b:?}"),
    }
}
