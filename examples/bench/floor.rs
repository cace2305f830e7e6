//! The write floors: a run's rows written again by plain statements, into schema 7 as the ledger
//! writes it now and into schema 6 as its ledger wrote it.

use super::*;

/// Which schema a write floor writes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Schema {
    /// Schema 7, as the ledger writes it now: the rows as the run left them.
    New,
    /// Schema 6, as its ledger wrote them: a voucher line for each customer and vendor
    /// transaction too (in line order), no `line` columns, into a copy with schema 6's indexes.
    Old,
}

/// How a write floor writes the numbers taken.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Numbers {
    /// As a run takes them: schema 7 writes each sequence twice per block of 128 customers (a
    /// block reserved, the true next written back at the block's boundary) over these many
    /// customers; schema 6 wrote once a number.
    RunBlocks(u64),
    /// One write per block of this many numbers (the import).
    Block(i64),
}

/// Schema 7 taken back to schema 6, as the tests of migrations do.
pub(crate) const DOWN_TO_SCHEMA_6: &str = include_str!("../../tests/schema/down_to_6.sql");

/// The write floor: the rows the committed run wrote (at `after`), written again into a copy of
/// the database as it was before the run (`before`, in `schema`), with the store's own settings
/// and in one transaction, as the ledger writes them: one prepared INSERT per new row (table by
/// table, new transactions fully open), two UPDATEs of open amounts before each settlement row,
/// one UPDATE per customer link and per number write (`numbers`). Nothing is read, checked or
/// decided while the clock runs (rows are read ahead in chunks, untimed), so no engine writes
/// these rows into this schema faster: the time above the floor is reads, checks and rules.
/// Returns the seconds spent writing, commit included, and the rows written.
pub(crate) fn write_floor(
    before: &Path,
    after: &Path,
    schema: Schema,
    numbers: Numbers,
) -> Res<(f64, u64)> {
    let store = reimburse::store::Store::open(before)?;
    let conn = store.conn_for_benchmarks();
    conn.execute("ATTACH ?1 AS run", [after.to_string_lossy()])?;
    // Rows that existed before the run and changed outside settlements, found before writing.
    let changed = |sql: &str| -> Res<Vec<(Value, Value)>> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    let links = changed(
        "SELECT r.account, r.vendor_account FROM run.customers r
         JOIN main.customers m ON m.account = r.account
         WHERE r.vendor_account IS NOT m.vendor_account",
    )?;
    let numbers_taken = changed(
        "SELECT r.name, r.next - m.next FROM run.number_sequences r
         JOIN main.number_sequences m ON m.name = r.name WHERE r.next <> m.next",
    )?;
    let first_new_voucher: i64 =
        conn.query_row("SELECT IFNULL(MAX(id), 0) FROM main.vouchers", [], |r| {
            r.get(0)
        })?;
    let mut floor = Floor {
        conn,
        spent: Duration::ZERO,
        written: links.len() as u64,
    };
    floor.timed(&mut |c| c.execute_batch("BEGIN IMMEDIATE"))?;
    for table in WRITTEN_TABLES {
        let read = if schema == Schema::Old && table == "voucher_lines" {
            // Schema 6 kept every line of the general ledger here, in line order.
            format!(
                "SELECT voucher_id, account, currency, amount_minor, customer, vendor
                 FROM run.gl_lines WHERE voucher_id > {first_new_voucher}
                 ORDER BY voucher_id, line"
            )
        } else {
            let columns = floor.common_columns(table)?.join(", ");
            format!(
                "SELECT {columns} FROM run.{table}
                 WHERE rowid > (SELECT IFNULL(MAX(rowid), 0) FROM main.{table}) ORDER BY rowid"
            )
        };
        floor.copy_rows(table, &read)?;
    }
    let writes: Vec<(Value, i64)> = numbers_taken
        .into_iter()
        .filter_map(|(name, taken)| match taken {
            Value::Integer(taken) => Some((name, number_writes(schema, numbers, taken))),
            _ => None,
        })
        .collect();
    floor.written += writes.iter().map(|(_, w)| *w as u64).sum::<u64>();
    floor.timed(&mut |c| {
        let mut link = c.prepare("UPDATE customers SET vendor_account = ?2 WHERE account = ?1")?;
        for (account, vendor) in &links {
            link.execute(params![account, vendor])?;
        }
        let mut take = c.prepare("UPDATE number_sequences SET next = next + 1 WHERE name = ?1")?;
        for (name, writes) in &writes {
            for _ in 0..*writes {
                take.execute([name])?;
            }
        }
        c.execute_batch("COMMIT")
    })?;
    Ok((floor.spent.as_secs_f64(), floor.written))
}

/// How many writes `taken` numbers of a sequence cost in `schema`.
pub(crate) fn number_writes(schema: Schema, numbers: Numbers, taken: i64) -> i64 {
    match (schema, numbers) {
        (Schema::Old, Numbers::RunBlocks(_)) => taken,
        (Schema::New, Numbers::RunBlocks(customers)) => {
            (2 * (customers as i64 + 127) / 128).min(2 * taken)
        }
        (_, Numbers::Block(block)) => (taken + block - 1) / block,
    }
}

/// A write floor in progress: the connection, the time spent writing, the rows written.
pub(crate) struct Floor<'c> {
    pub(crate) conn: &'c rusqlite::Connection,
    pub(crate) spent: Duration,
    pub(crate) written: u64,
}

impl Floor<'_> {
    /// Runs `f`, adding its time to the floor's.
    fn timed(
        &mut self,
        f: &mut dyn FnMut(&rusqlite::Connection) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<()> {
        let start = Instant::now();
        let result = f(self.conn);
        self.spent += start.elapsed();
        result
    }

    /// The columns of `table` in both databases (schema 6 lacks schema 7's `line`).
    fn common_columns(&self, table: &str) -> Res<Vec<String>> {
        let names = |schema: &str| -> Res<Vec<String>> {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT name FROM pragma_table_info('{table}', '{schema}')"
            ))?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        let main = names("main")?;
        Ok(names("run")?
            .into_iter()
            .filter(|c| main.contains(c))
            .collect())
    }

    /// Writes the rows `read` finds (untimed, in chunks) into `table`, timed.
    fn copy_rows(&mut self, table: &str, read: &str) -> Res<()> {
        let mut read = self.conn.prepare(read)?;
        let names: Vec<String> = read.column_names().map(|c| c.to_string()).collect();
        let at = |name: &str| names.iter().position(|c| c == name);
        let insert = format!(
            "INSERT INTO main.{table}({}) VALUES ({})",
            names.join(", "),
            (1..=names.len())
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        // A settlement moves both open amounts first (the ledger's `apply_settlement`).
        let settles = table.strip_suffix("_settlements").map(|side| {
            format!("UPDATE {side}_transactions SET open_minor = open_minor + ?2 WHERE id = ?1")
        });
        let mut rows = read.query([])?;
        loop {
            let mut chunk: Vec<Vec<Value>> = Vec::with_capacity(4096);
            while chunk.len() < 4096 {
                let Some(r) = rows.next()? else { break };
                let mut row: Vec<Value> = (0..names.len())
                    .map(|i| r.get(i))
                    .collect::<Result<_, _>>()?;
                // New transactions are posted fully open; their settlements follow.
                if let (Some(open), Some(amount)) = (at("open_minor"), at("amount_minor")) {
                    row[open] = row[amount].clone();
                }
                chunk.push(row);
            }
            if chunk.is_empty() {
                return Ok(());
            }
            self.written += chunk.len() as u64;
            let settle = (
                settles.as_deref(),
                at("debit_id"),
                at("credit_id"),
                at("amount_minor"),
            );
            self.timed(&mut |c| {
                let mut stmt = c.prepare_cached(&insert)?;
                for row in &chunk {
                    if let (Some(update), Some(d), Some(cr), Some(a)) = settle
                        && let Value::Integer(minor) = row[a]
                    {
                        let mut update = c.prepare_cached(update)?;
                        update.execute(params![row[d], -minor])?;
                        update.execute(params![row[cr], minor])?;
                    }
                    stmt.execute(rusqlite::params_from_iter(row))?;
                }
                Ok(())
            })?;
        }
    }
}
