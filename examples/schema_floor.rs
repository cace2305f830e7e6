//! Write-floor experiments: `cargo run --release --example schema_floor -- [--customers N]`.
//!
//! How long SQLite takes to write the rows of a reimbursement run, with nothing read, checked or
//! decided, into this schema and into leaner variants of it: the evidence behind "a million
//! customers in 5 s needs a different data model" in docs/performance.md. It generates a company
//! (`reimburse generate`, seed 1, a million customers by default), takes one reimbursement for
//! each customer and currency with an open credit (as many as a run makes: 46% of the customers),
//! and for each variant writes them into a fresh copy of the database in one transaction, timing
//! the writes and the commit. A reimbursement's rows are the ledger's: a voucher, two voucher
//! lines, a customer and a vendor transaction, two settlements that each move two open amounts,
//! the reimbursement record, two or three numbers taken, and for two in three a one-time vendor
//! with its link to the customer. The amounts are one cent, so every CHECK holds.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use rusqlite::{Connection, params};

use reimburse::generate::{GenerateOptions, generate};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// One reimbursement to write: customer, currency and two of its open credits (may be the same).
struct Work {
    customer: String,
    currency: String,
    credits: [i64; 2],
}

/// A way of writing the rows.
struct Variant {
    name: &'static str,
    /// Multi-row statements, 128 reimbursements at a time, instead of one statement per row.
    batched: bool,
    foreign_keys: bool,
    cache_kib: u32,
    /// Sequences written once per 128 reimbursements instead of once per number.
    sequences_per_block: bool,
    reimbursement_record: bool,
    /// Voucher lines for the sub-ledger postings (the summary accounts).
    voucher_lines: bool,
}

const AS_THE_LEDGER: Variant = Variant {
    name: "row by row, as the ledger writes",
    batched: false,
    foreign_keys: true,
    cache_kib: 32768,
    sequences_per_block: false,
    reimbursement_record: true,
    voucher_lines: true,
};

fn main() -> Res<()> {
    let mut customers = 1_000_000u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--customers" => {
                customers = args.next().ok_or("--customers needs a number")?.parse()?
            }
            other => return Err(format!("unknown argument {other}; use --customers N").into()),
        }
    }
    let dir = std::env::temp_dir().join("reimburse-schema-floor");
    generate(&GenerateOptions {
        customers,
        seed: 1,
        dir: dir.clone(),
        force: true,
        csv: false,
    })?;
    let source = dir.join("company.db");
    let work = pick(&source, customers)?;
    println!(
        "schema floor: {} reimbursements into a generated company of {customers} customers (writes + commit)",
        work.len()
    );
    let variants = [
        AS_THE_LEDGER,
        Variant {
            name: "multi-row statements, 128 reimbursements at a time",
            batched: true,
            ..AS_THE_LEDGER
        },
        Variant {
            name: "without foreign-key enforcement",
            foreign_keys: false,
            ..AS_THE_LEDGER
        },
        Variant {
            name: "a 64 MB page cache",
            cache_kib: 65536,
            ..AS_THE_LEDGER
        },
        Variant {
            name: "no FKs, sequences once per block, no reimbursement record",
            foreign_keys: false,
            sequences_per_block: true,
            reimbursement_record: false,
            ..AS_THE_LEDGER
        },
        Variant {
            name: "and no voucher lines for sub-ledger postings",
            foreign_keys: false,
            sequences_per_block: true,
            reimbursement_record: false,
            voucher_lines: false,
            ..AS_THE_LEDGER
        },
    ];
    let copy = dir.join("floor.db");
    for variant in &variants {
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", copy.display()));
        }
        std::fs::copy(&source, &copy)?;
        // Let the copy reach the disk first, so that its writeback does not land in the timing.
        let _ = std::process::Command::new("sync").status();
        let secs = write(&copy, &work, variant)?;
        println!("  {:<60} {secs:>7.2} s", variant.name);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
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

fn write(db: &Path, work: &[Work], v: &Variant) -> Res<f64> {
    let c = Connection::open(db)?;
    c.execute_batch(&format!(
        "PRAGMA foreign_keys = {}; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -{}; PRAGMA journal_mode = WAL;",
        if v.foreign_keys { "ON" } else { "OFF" },
        v.cache_kib
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
    if v.batched {
        write_batched(&c, work, run, &vendor)?;
    } else {
        write_rows(&c, work, run, &vendor, v)?;
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

fn write_rows(c: &Connection, work: &[Work], run: i64, existing: &str, v: &Variant) -> Res<()> {
    let date = "2026-11-30";
    let take = |c: &Connection, sequence: &str, i: usize| -> rusqlite::Result<()> {
        if !v.sequences_per_block || i.is_multiple_of(128) {
            c.prepare_cached("UPDATE number_sequences SET next = ?2 WHERE name = ?1")?
                .execute(params![sequence, i as i64 + 1])?;
        }
        Ok(())
    };
    for (i, w) in work.iter().enumerate() {
        let vendor = vendor_of(i, existing);
        let one_time = !i.is_multiple_of(3);
        if one_time {
            take(c, "one_time_vendor", i)?;
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
        }
        take(c, "vendor_invoice", i)?;
        take(c, "reimbursement", i)?;
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
        if v.voucher_lines {
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
        }
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
        if v.reimbursement_record {
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
    }
    Ok(())
}

/// The same rows as [`write_rows`] (with `AS_THE_LEDGER`'s tables), 128 reimbursements per
/// multi-row statement; row ids are assigned here, as the writer holds the only write lock.
fn write_batched(c: &Connection, work: &[Work], run: i64, existing: &str) -> Res<()> {
    let next_id = |table: &str| -> rusqlite::Result<i64> {
        c.query_row(
            &format!("SELECT IFNULL(MAX(id), 0) FROM {table}"),
            [],
            |r| r.get(0),
        )
    };
    let (mut voucher, mut customer_txn, mut vendor_txn) = (
        next_id("vouchers")?,
        next_id("customer_transactions")?,
        next_id("vendor_transactions")?,
    );
    let q = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let date = "'2026-11-30'";
    for (b, block) in work.chunks(128).enumerate() {
        let mut rows: [String; 9] = Default::default();
        let [
            vendors,
            links,
            vouchers,
            lines,
            customer_txns,
            vendor_txns,
            opens,
            settlements,
            records,
        ] = &mut rows;
        for (j, w) in block.iter().enumerate() {
            let i = b * 128 + j;
            let vendor = vendor_of(i, existing);
            let one_time = !i.is_multiple_of(3);
            let (customer, currency) = (q(&w.customer), q(&w.currency));
            let sep = |s: &String| if s.is_empty() { "" } else { "," };
            if one_time {
                write!(
                    vendors,
                    "{}({},'Customer name','1 Main Street','ONETIME',{currency},1,{customer},0,'NET30','CHECK',NULL)",
                    sep(vendors),
                    q(&vendor)
                )?;
                write!(links, "{}({customer},{})", sep(links), q(&vendor))?;
            }
            voucher += 1;
            customer_txn += 1;
            vendor_txn += 1;
            let invoice = q(&format!("XINV-{i:08}"));
            write!(
                vouchers,
                "{}({voucher},'XMB-{i:08}',{date},{},{run})",
                sep(vouchers),
                q(&format!("Reimbursement of {} Customer name", w.customer))
            )?;
            write!(
                lines,
                "{}({voucher},'1200',{currency},2,{customer},NULL),({voucher},'2000',{currency},-2,NULL,{})",
                sep(lines),
                q(&vendor)
            )?;
            // Inserted fully open; the settlements below move the open amounts.
            write!(
                customer_txns,
                "{}({customer_txn},{customer},{voucher},{date},{invoice},'reimbursement',{currency},2,2)",
                sep(customer_txns)
            )?;
            write!(
                vendor_txns,
                "{}({vendor_txn},{},{voucher},{date},{invoice},'invoice',{currency},-2,-2)",
                sep(vendor_txns),
                q(&vendor)
            )?;
            let [first, second] = w.credits;
            // One entry per row: UPDATE ... FROM applies one match per row.
            if first == second {
                write!(opens, "{}({customer_txn},-2),({first},2)", sep(opens))?;
            } else {
                write!(
                    opens,
                    "{}({customer_txn},-2),({first},1),({second},1)",
                    sep(opens)
                )?;
            }
            write!(
                settlements,
                "{}({customer_txn},{first},1,{date},{run}),({customer_txn},{second},1,{date},{run})",
                sep(settlements)
            )?;
            write!(
                records,
                "{}({run},{customer},{},{},{currency},2,{date},{voucher},{invoice},{customer_txn},{vendor_txn},'open')",
                sep(records),
                q(&vendor),
                one_time as i32
            )?;
        }
        let mut sql = String::new();
        if !vendors.is_empty() {
            write!(
                sql,
                "INSERT INTO vendors(account, name, address, vendor_group, currency, one_time,
                     created_for, blocked, payment_terms, method_of_payment, tax_id) VALUES {vendors};
                 UPDATE customers SET vendor_account = v.column2 FROM (VALUES {links}) AS v
                     WHERE customers.account = v.column1;"
            )?;
        }
        write!(
            sql,
            "UPDATE number_sequences SET next = next + {n}
                 WHERE name IN ('reimbursement', 'vendor_invoice', 'one_time_vendor');
             INSERT INTO vouchers(id, number, date, description, run_id) VALUES {vouchers};
             INSERT INTO voucher_lines(voucher_id, account, currency, amount_minor, customer, vendor)
                 VALUES {lines};
             INSERT INTO customer_transactions(id, account, voucher_id, date, document, type,
                 currency, amount_minor, open_minor) VALUES {customer_txns};
             INSERT INTO vendor_transactions(id, account, voucher_id, date, document, type,
                 currency, amount_minor, open_minor) VALUES {vendor_txns};
             UPDATE customer_transactions SET open_minor = open_minor + v.column2
                 FROM (VALUES {opens}) AS v WHERE customer_transactions.id = v.column1;
             INSERT INTO customer_settlements(debit_id, credit_id, amount_minor, date, run_id)
                 VALUES {settlements};
             INSERT INTO reimbursements(run_id, customer, vendor, one_time_vendor, currency,
                 amount_minor, date, voucher_id, vendor_invoice, customer_txn_id, vendor_txn_id,
                 status) VALUES {records};",
            n = block.len()
        )?;
        c.execute_batch(&sql)?;
    }
    Ok(())
}
