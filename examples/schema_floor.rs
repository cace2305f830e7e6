//! The write floor, old and new: `cargo run --release --example schema_floor -- [--customers N] [--rounds R]`.
//!
//! How long SQLite takes to write the rows of a reimbursement run, with nothing read, checked or
//! decided, into schema 6 as the ledger wrote it (the OLD floor) and into schema 7 as the ledger
//! writes it now (the NEW floor), side by side on the same generated company, in alternating
//! order, `--rounds` times (default 3); it prints the medians and new/old (issue 22's target:
//! at most 0.6 at a million customers). Two more variants measure what else would lower the
//! floor, not built: the reimbursement record folded into the vendor transaction (its columns
//! added to `vendor_transactions`, no `reimbursements` row), no foreign-key enforcement, and both.
//!
//! It generates a company (`reimburse generate`, seed 1, a million customers by default), takes
//! one reimbursement for each customer and currency with an open credit (as many as a run makes:
//! 46% of the customers), and writes them into a fresh copy of the database in one transaction,
//! timing the writes and the commit. The old copy is the generated database taken back to schema
//! 6 (`tests/schema/down_to_6.sql`: every general-ledger line in `voucher_lines`, the indexes
//! schema 7 dropped). A reimbursement's rows are the ledger's: a voucher; in schema 6 two voucher
//! lines (the customer's and the vendor's), in schema 7 none (those lines are the transactions,
//! with their place in the voucher); a customer and a vendor transaction; two settlements that
//! each move two open amounts; the reimbursement record; two or three numbers taken (schema 6:
//! one write a number; schema 7: two writes per sequence per 128 reimbursements, a block of the
//! run); and for two in three a one-time vendor, its link to the customer and the two rows of the
//! master-data trail. The amounts are one cent, so every CHECK holds.

use std::path::Path;
use std::time::Instant;

use rusqlite::{Connection, params};

use reimburse::generate::{GenerateOptions, generate};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Schema 7 taken back to schema 6, as the tests of migrations do.
const DOWN_TO_SCHEMA_6: &str = include_str!("../tests/schema/down_to_6.sql");

/// A block of the run: the numbers of a sequence are written twice per block.
const BLOCK: usize = 128;

/// One reimbursement to write: customer, currency and two of its open credits (may be the same).
struct Work {
    customer: String,
    currency: String,
    credits: [i64; 2],
}

/// How the rows are written.
struct Variant {
    name: &'static str,
    /// Schema 6 (the old copy and its rows) instead of schema 7.
    old: bool,
    /// SQL applied to the copy before the clock starts.
    prepare: &'static str,
    foreign_keys: bool,
    /// The reimbursement record folded into the vendor transaction (columns added by `prepare`).
    folded: bool,
}

const OLD: Variant = Variant {
    name: "OLD: schema 6, as the ledger wrote it",
    old: true,
    prepare: "",
    foreign_keys: true,
    folded: false,
};

const NEW: Variant = Variant {
    name: "NEW: schema 7, as the ledger writes it",
    old: false,
    ..OLD
};

/// The reimbursement record's columns added to the vendor transaction (what folding it needs).
const FOLD: &str = "ALTER TABLE vendor_transactions ADD COLUMN run_id INTEGER;
    ALTER TABLE vendor_transactions ADD COLUMN customer TEXT;
    ALTER TABLE vendor_transactions ADD COLUMN one_time_vendor INTEGER;
    ALTER TABLE vendor_transactions ADD COLUMN customer_txn_id INTEGER;
    ALTER TABLE vendor_transactions ADD COLUMN status TEXT;";

fn main() -> Res<()> {
    let (customers, rounds) = arguments()?;
    let dir = std::env::temp_dir().join("reimburse-schema-floor");
    generate(&GenerateOptions {
        customers,
        seed: 1,
        dir: dir.clone(),
        force: true,
        csv: false,
    })?;
    let new_source = dir.join("company.db");
    let old_source = dir.join("schema6.db");
    std::fs::copy(&new_source, &old_source)?;
    Connection::open(&old_source)?.execute_batch(DOWN_TO_SCHEMA_6)?;
    let work = pick(&new_source, customers)?;
    println!(
        "schema floor: {} reimbursements into a generated company of {customers} customers (writes + commit), {rounds} rounds, medians",
        work.len()
    );
    let variants = [
        OLD,
        NEW,
        Variant {
            name: "new, the reimbursement record folded into the vendor transaction",
            prepare: FOLD,
            folded: true,
            ..NEW
        },
        Variant {
            name: "new, without foreign-key enforcement",
            foreign_keys: false,
            ..NEW
        },
        Variant {
            name: "new, the record folded and no foreign-key enforcement",
            prepare: FOLD,
            folded: true,
            foreign_keys: false,
            ..NEW
        },
    ];
    let mut times = vec![Vec::new(); variants.len()];
    let copy = dir.join("floor.db");
    for round in 0..rounds {
        // Alternating order: odd rounds run the variants backwards.
        let mut order: Vec<usize> = (0..variants.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let v = &variants[i];
            let source = if v.old { &old_source } else { &new_source };
            fresh_copy(source, &copy, v.prepare)?;
            let secs = write(&copy, &work, v)?;
            println!("  round {}: {:<66} {secs:>7.2} s", round + 1, v.name);
            times[i].push(secs);
        }
    }
    let medians: Vec<f64> = times.iter().map(|t| median(t)).collect();
    println!("medians");
    for (v, m) in variants.iter().zip(&medians) {
        println!("  {:<75} {m:>7.2} s  ({:.2}x old)", v.name, m / medians[0]);
    }
    println!("write floor new/old: {:.2}", medians[1] / medians[0]);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// `--customers N` (default a million) and `--rounds R` (default 3).
fn arguments() -> Res<(u64, usize)> {
    let (mut customers, mut rounds) = (1_000_000u64, 3usize);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--customers" => {
                customers = args.next().ok_or("--customers needs a number")?.parse()?
            }
            "--rounds" => rounds = args.next().ok_or("--rounds needs a number")?.parse()?,
            other => {
                return Err(
                    format!("unknown argument {other}; use --customers N, --rounds R").into(),
                );
            }
        }
    }
    if rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    Ok((customers, rounds))
}

/// A fresh copy of `source` at `copy`, with `prepare` applied, on the disk before the clock runs.
fn fresh_copy(source: &Path, copy: &Path, prepare: &str) -> Res<()> {
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", copy.display()));
    }
    std::fs::copy(source, copy)?;
    if !prepare.is_empty() {
        Connection::open(copy)?.execute_batch(prepare)?;
    }
    // Let the copy reach the disk first, so that its writeback does not land in the timing.
    let _ = std::process::Command::new("sync").status();
    Ok(())
}

fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// As many reimbursements as a run makes (46% of the customers), one per customer and currency
/// with open credits, in account order.
fn pick(db: &Path, customers: u64) -> Res<Vec<Work>> {
    let conn = Connection::open(db)?;
    let mut stmt = conn.prepare(
        "SELECT account, currency, MIN(id), MAX(id) FROM customer_transactions
         WHERE open_minor < -2 GROUP BY account, currency ORDER BY account, currency",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Work {
            customer: r.get(0)?,
            currency: r.get(1)?,
            credits: [r.get(2)?, r.get(3)?],
        })
    })?;
    let mut work = rows.collect::<Result<Vec<_>, _>>()?;
    work.truncate((customers * 46 / 100) as usize);
    Ok(work)
}

/// Writes the rows of every reimbursement in one transaction; the seconds it took, commit included.
fn write(db: &Path, work: &[Work], v: &Variant) -> Res<f64> {
    let c = Connection::open(db)?;
    c.execute_batch(&format!(
        "PRAGMA foreign_keys = {}; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -32768; PRAGMA journal_mode = WAL;",
        if v.foreign_keys { "ON" } else { "OFF" },
    ))?;
    let vendor: String = c.query_row("SELECT MIN(account) FROM vendors", [], |r| r.get(0))?;
    let start = Instant::now();
    c.execute_batch("BEGIN IMMEDIATE")?;
    let run: i64 = c.query_row(
        "INSERT INTO runs(kind, started_at, user_name, posting_date, selection, parameters_hash)
         VALUES ('floor', 'now', 'bench', '2026-11-30', 'all', '') RETURNING id",
        [],
        |r| r.get(0),
    )?;
    for (i, w) in work.iter().enumerate() {
        write_one(&c, (i, w), run, &vendor, v)?;
    }
    if !v.old {
        // The last block's numbers given back.
        numbers(&c, work.len(), true)?;
    }
    c.execute_batch("COMMIT")?;
    Ok(start.elapsed().as_secs_f64())
}

/// The vendor a reimbursement goes to: a new one-time vendor for two in three.
fn vendor_of(i: usize, existing: &str) -> String {
    if !i.is_multiple_of(3) {
        format!("XTV-{i:08}")
    } else {
        existing.to_string()
    }
}

/// Schema 7's writes of the numbers of reimbursement `i`: at the first of a block, each sequence's
/// block reserved (one write) and the previous block's true next written back (one write).
fn numbers(c: &Connection, i: usize, end: bool) -> rusqlite::Result<()> {
    if i.is_multiple_of(BLOCK) || end {
        let mut take = c.prepare_cached("UPDATE number_sequences SET next = ?2 WHERE name = ?1")?;
        for sequence in ["one_time_vendor", "vendor_invoice", "reimbursement"] {
            if i > 0 {
                take.execute(params![sequence, i as i64])?;
            }
            if !end {
                take.execute(params![sequence, (i + 1024) as i64])?;
            }
        }
    }
    Ok(())
}

/// The rows of one reimbursement.
fn write_one(
    c: &Connection,
    (i, w): (usize, &Work),
    run: i64,
    existing: &str,
    v: &Variant,
) -> Res<()> {
    let date = "2026-11-30";
    let vendor = vendor_of(i, existing);
    let one_time = !i.is_multiple_of(3);
    let take = |sequence: &str| -> rusqlite::Result<()> {
        if v.old {
            c.prepare_cached("UPDATE number_sequences SET next = next + 1 WHERE name = ?1")?
                .execute([sequence])?;
        }
        Ok(())
    };
    if !v.old {
        numbers(c, i, false)?;
    }
    if one_time {
        take("one_time_vendor")?;
        one_time_vendor(c, w, &vendor, run)?;
    }
    take("vendor_invoice")?;
    take("reimbursement")?;
    let invoice = format!("XINV-{i:08}");
    let voucher = c
        .prepare_cached(
            "INSERT INTO vouchers(number, date, description, run_id) VALUES (?1, ?2, ?3, ?4)",
        )?
        .insert(params![
            format!("XMB-{i:08}"),
            date,
            format!("Reimbursement of {} Customer name", w.customer),
            run
        ])?;
    let (customer_txn, vendor_txn) = transactions(c, w, (voucher, &vendor, &invoice), run, v)?;
    for credit in w.credits {
        let mut open = c.prepare_cached(
            "UPDATE customer_transactions SET open_minor = open_minor + ?2 WHERE id = ?1",
        )?;
        open.execute(params![customer_txn, -1])?;
        open.execute(params![credit, 1])?;
        c.prepare_cached(
            "INSERT INTO customer_settlements(debit_id, credit_id, amount_minor, date, run_id)
             VALUES (?1, ?2, 1, ?3, ?4)",
        )?
        .execute(params![customer_txn, credit, date, run])?;
    }
    if !v.folded {
        c.prepare_cached(
            "INSERT INTO reimbursements(run_id, customer, vendor, one_time_vendor, currency,
                 amount_minor, date, voucher_id, vendor_invoice, customer_txn_id, vendor_txn_id,
                 status)
             VALUES (?1, ?2, ?3, ?4, ?5, 2, ?6, ?7, ?8, ?9, ?10, 'open')",
        )?
        .execute(params![
            run,
            w.customer,
            vendor,
            one_time,
            w.currency,
            date,
            voucher,
            invoice,
            customer_txn,
            vendor_txn
        ])?;
    }
    Ok(())
}

/// A one-time vendor, its link to the customer, and the two rows of the master-data trail.
fn one_time_vendor(c: &Connection, w: &Work, vendor: &str, run: i64) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO vendors(account, name, address, vendor_group, currency, one_time,
             created_for, blocked, payment_terms, method_of_payment, tax_id)
         VALUES (?1, ?2, ?3, 'ONETIME', ?4, 1, ?5, 0, 'NET30', 'CHECK', NULL)",
    )?
    .execute(params![
        vendor,
        "Customer name",
        "1 Main Street",
        w.currency,
        w.customer
    ])?;
    c.prepare_cached("UPDATE customers SET vendor_account = ?2 WHERE account = ?1")?
        .execute(params![w.customer, vendor])?;
    let mut trail = c.prepare_cached(
        "INSERT INTO master_data_changes(run_id, changed_at, user_name, source, party, account,
             change, field, old_value, new_value)
         VALUES (?1, '2026-11-30T12:00:00Z', 'bench', 'run', ?2, ?3, ?4, ?5, NULL, ?6)",
    )?;
    trail.execute(params![
        run,
        "vendor",
        vendor,
        "created",
        None::<String>,
        None::<String>
    ])?;
    trail.execute(params![
        run,
        "customer",
        w.customer,
        "changed",
        "vendor_account",
        vendor
    ])?;
    Ok(())
}

/// The customer and vendor transactions of a reimbursement (and, in schema 6, their voucher
/// lines); their ids.
fn transactions(
    c: &Connection,
    w: &Work,
    (voucher, vendor, invoice): (i64, &str, &str),
    run: i64,
    v: &Variant,
) -> rusqlite::Result<(i64, i64)> {
    let date = "2026-11-30";
    if v.old {
        let mut line = c.prepare_cached(
            "INSERT INTO voucher_lines(voucher_id, account, currency, amount_minor, customer, vendor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        line.execute(params![
            voucher,
            "1200",
            w.currency,
            2,
            w.customer,
            None::<String>
        ])?;
        line.execute(params![
            voucher,
            "2000",
            w.currency,
            -2,
            None::<String>,
            vendor
        ])?;
        let customer_txn = c
            .prepare_cached(
                "INSERT INTO customer_transactions(account, voucher_id, date, document, type,
                     currency, amount_minor, open_minor)
                 VALUES (?1, ?2, ?3, ?4, 'reimbursement', ?5, 2, 2)",
            )?
            .insert(params![w.customer, voucher, date, invoice, w.currency])?;
        let vendor_txn = c
            .prepare_cached(
                "INSERT INTO vendor_transactions(account, voucher_id, date, document, type,
                     currency, amount_minor, open_minor)
                 VALUES (?1, ?2, ?3, ?4, 'invoice', ?5, -2, -2)",
            )?
            .insert(params![vendor, voucher, date, invoice, w.currency])?;
        return Ok((customer_txn, vendor_txn));
    }
    let customer_txn = c
        .prepare_cached(
            "INSERT INTO customer_transactions(account, voucher_id, date, document, type,
                 currency, amount_minor, open_minor, line)
             VALUES (?1, ?2, ?3, ?4, 'reimbursement', ?5, 2, 2, 0)",
        )?
        .insert(params![w.customer, voucher, date, invoice, w.currency])?;
    let vendor_txn = if v.folded {
        c.prepare_cached(
            "INSERT INTO vendor_transactions(account, voucher_id, date, document, type,
                 currency, amount_minor, open_minor, line, run_id, customer, one_time_vendor,
                 customer_txn_id, status)
             VALUES (?1, ?2, ?3, ?4, 'invoice', ?5, -2, -2, 1, ?6, ?7, ?8, ?9, 'open')",
        )?
        .insert(params![
            vendor,
            voucher,
            date,
            invoice,
            w.currency,
            run,
            w.customer,
            vendor.starts_with("XTV-"),
            customer_txn
        ])?
    } else {
        c.prepare_cached(
            "INSERT INTO vendor_transactions(account, voucher_id, date, document, type,
                 currency, amount_minor, open_minor, line)
             VALUES (?1, ?2, ?3, ?4, 'invoice', ?5, -2, -2, 1)",
        )?
        .insert(params![vendor, voucher, date, invoice, w.currency])?
    };
    Ok((customer_txn, vendor_txn))
}
