//! The import phase: a generated company's CSV files imported into an empty database, its cost per
//! row written, and its own floor.

use super::*;

/// The tables runs and imports add rows to, parents before children (as they write them): what
/// the write floors write again and the import's rows are counted in.
pub(crate) const WRITTEN_TABLES: [&str; 11] = [
    "runs",
    "customers",
    "vendors",
    "vouchers",
    "voucher_lines",
    "customer_transactions",
    "vendor_transactions",
    "customer_settlements",
    "vendor_settlements",
    "reimbursements",
    "master_data_changes",
];

/// What importing the generated company's CSV files into an empty database cost.
pub(crate) struct ImportResult {
    pub(crate) secs: f64,
    pub(crate) csv_rows: u64,
    pub(crate) db_rows: u64,
    pub(crate) rss_mb: u64,
    /// The import's own rows written again into an empty database, nothing read or decided.
    pub(crate) own_floor: f64,
}

/// Imports the generated company's CSV files (`generate --csv`) into a new, empty database with
/// the same parameters, timed; checks that the import's balances are the generated company's.
pub(crate) fn import_phase(
    n: u64,
    (company, generated_db): (&Company, &Path),
    dir: &Path,
    db: &Path,
    date: NaiveDate,
) -> Res<ImportResult> {
    use reimburse::import::{ImportFiles, ImportOptions};
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let ledger = Ledger::new(reimburse::store::Store::create(db)?, company.params.clone())?;
    let options = ImportOptions {
        files: ImportFiles {
            customers: Some(dir.join("customers.csv")),
            vendors: Some(dir.join("vendors.csv")),
            transactions: Some(dir.join("transactions.csv")),
        },
        dry_run: false,
        user: "bench".into(),
        date,
    };
    let (report, secs, rss_mb) = phase("import (CSV)", n, || {
        Ok(reimburse::import::import(&ledger, &options, &mut |_| {})?)
    })?;
    let csv_rows = [report.customers, report.vendors, report.transactions]
        .iter()
        .map(|c| c.new)
        .sum();
    let mut db_rows = 0u64;
    for table in WRITTEN_TABLES {
        let count: i64 = ledger.store().conn_for_benchmarks().query_row(
            &format!("SELECT count(*) FROM {table}"),
            [],
            |r| r.get(0),
        )?;
        db_rows += count as u64;
    }
    let generated = Ledger::new(
        reimburse::store::Store::open(generated_db)?,
        company.params.clone(),
    )?;
    if generated.all_balances(Side::Customer)? != ledger.all_balances(Side::Customer)? {
        return Err("the imported company's balances differ from the generated one's".into());
    }
    drop(ledger);
    // The import's own floor: its rows written again into a new empty database.
    let empty = db.with_extension("floor.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", empty.display()));
    }
    drop(Ledger::new(
        reimburse::store::Store::create(&empty)?,
        company.params.clone(),
    )?);
    let (own_floor, _) = write_floor(&empty, db, Schema::New, Numbers::Block(1024))?;
    for file in [db, empty.as_path()] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    }
    Ok(ImportResult {
        secs,
        csv_rows,
        db_rows,
        rss_mb,
        own_floor,
    })
}
