//! The reimbursement page: [`ReimbursementFilter`], [`reimbursements`] and
//! [`each_reimbursement`] (page by page, memory flat). Reads only; depends on the ledger and the
//! report's [`Reimbursement`] row, never on the rules or the run.

use std::fmt;

use chrono::NaiveDate;

use super::report::{Reimbursement, ReimbursementStatus};
use crate::ledger::{Ledger, LedgerError};
use crate::store::StoreError;

/// Filters of the reimbursement page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReimbursementFilter {
    /// `open` or `paid`.
    pub status: Option<String>,
    /// Customer account.
    pub customer: Option<String>,
    /// Vendor account.
    pub vendor: Option<String>,
    /// Run id.
    pub run: Option<i64>,
    /// From this date (inclusive).
    pub from: Option<NaiveDate>,
    /// To this date (inclusive).
    pub to: Option<NaiveDate>,
    /// Only reimbursements with a larger id (for reading page by page).
    pub after_id: Option<i64>,
    /// At most this many rows.
    pub limit: Option<usize>,
}

/// The filter as the audit trail of runs shows it (`runs`): `open reimbursements, customer C-1,
/// run 3`, `all reimbursements`. Paging fields are not part of what was chosen.
impl fmt::Display for ReimbursementFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.status {
            Some(status) => write!(f, "{status} reimbursements")?,
            None => f.write_str("all reimbursements")?,
        }
        if let Some(customer) = &self.customer {
            write!(f, ", customer {customer}")?;
        }
        if let Some(vendor) = &self.vendor {
            write!(f, ", vendor {vendor}")?;
        }
        if let Some(run) = self.run {
            write!(f, ", run {run}")?;
        }
        if let Some(from) = self.from {
            write!(f, ", from {from}")?;
        }
        if let Some(to) = self.to {
            write!(f, ", to {to}")?;
        }
        Ok(())
    }
}

/// Lists reimbursements, oldest first. A customer, vendor or run in the filter that does not
/// exist is an error (a mistyped account would otherwise look like one without reimbursements).
pub fn reimbursements(
    ledger: &Ledger,
    filter: &ReimbursementFilter,
) -> Result<Vec<Reimbursement>, LedgerError> {
    check_filter(ledger, filter)?;
    Ok(reimbursements_with_invoices(ledger, filter)?
        .into_iter()
        .map(|listed| listed.reimbursement)
        .collect())
}

/// Refuses a filter that names a customer, vendor or run that does not exist.
fn check_filter(ledger: &Ledger, filter: &ReimbursementFilter) -> Result<(), LedgerError> {
    let missing = |what: &'static str, key: String| Err(LedgerError::NotFound { what, key });
    if let Some(account) = &filter.customer
        && ledger.customer(account)?.is_none()
    {
        return missing("customer", account.clone());
    }
    if let Some(account) = &filter.vendor
        && ledger.vendor(account)?.is_none()
    {
        return missing("vendor", account.clone());
    }
    if let Some(run) = filter.run
        && !ledger.run_exists(run)?
    {
        return missing("run", run.to_string());
    }
    Ok(())
}

/// A reimbursement with the id of its vendor invoice's transaction (what `pay` settles).
pub(super) struct WithInvoice {
    pub(super) reimbursement: Reimbursement,
    /// The vendor transaction of its invoice.
    pub(super) vendor_txn: i64,
}

/// [`reimbursements`], each with the id of its vendor invoice's transaction.
fn reimbursements_with_invoices(
    ledger: &Ledger,
    filter: &ReimbursementFilter,
) -> Result<Vec<WithInvoice>, LedgerError> {
    let (sql, args) = query(filter)?;
    let store = ledger.store();
    let mut stmt = store
        .conn()
        .prepare(&sql)
        .map_err(|e| LedgerError::Store(StoreError::sqlite(store.path(), e)))?;
    let rows = stmt
        .query_map(
            rusqlite::params_from_iter(args.iter().map(|a| a.as_ref())),
            StoredRow::read,
        )
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| LedgerError::Store(StoreError::sqlite(store.path(), e)))?;
    rows.into_iter()
        .map(|row| row.into_listed(ledger))
        .collect()
}

/// The query of the reimbursements that match `filter`, with its arguments.
fn query(
    filter: &ReimbursementFilter,
) -> Result<(String, Vec<Box<dyn rusqlite::ToSql>>), LedgerError> {
    let mut sql = String::from(
        "SELECT r.id, r.run_id, r.customer, r.vendor, r.one_time_vendor, r.currency, r.amount_minor,
                r.date, v.number, r.vendor_invoice, r.status, p.number, r.paid_date, r.vendor_txn_id
         FROM reimbursements r JOIN vouchers v ON v.id = r.voucher_id
         LEFT JOIN vouchers p ON p.id = r.payment_voucher_id WHERE 1 = 1",
    );
    let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
    let mut add = |clause: &str, value: Box<dyn rusqlite::ToSql>| {
        args.push(value);
        sql.push_str(&format!(" AND {clause} ?{}", args.len()));
    };
    if let Some(s) = &filter.status {
        if ReimbursementStatus::stored(s).is_none() {
            return Err(LedgerError::Invalid(format!(
                "status must be open or paid, not '{s}'"
            )));
        }
        add("r.status =", Box::new(s.clone()));
    }
    if let Some(c) = &filter.customer {
        add("r.customer =", Box::new(c.clone()));
    }
    if let Some(v) = &filter.vendor {
        add("r.vendor =", Box::new(v.clone()));
    }
    if let Some(r) = filter.run {
        add("r.run_id =", Box::new(r));
    }
    if let Some(d) = filter.from {
        add("r.date >=", Box::new(d.to_string()));
    }
    if let Some(d) = filter.to {
        add("r.date <=", Box::new(d.to_string()));
    }
    if let Some(id) = filter.after_id {
        add("r.id >", Box::new(id));
    }
    sql.push_str(" ORDER BY r.id");
    if let Some(limit) = filter.limit {
        sql.push_str(&format!(" LIMIT {limit}"));
    }
    Ok((sql, args))
}

/// A row of the query, as stored: the amount in minor units, the dates as text.
struct StoredRow {
    id: i64,
    run: i64,
    customer: String,
    vendor: String,
    one_time: bool,
    currency: String,
    minor: i64,
    date: String,
    voucher: String,
    invoice: String,
    status: String,
    payment_voucher: Option<String>,
    paid_date: Option<String>,
    vendor_txn: i64,
}

impl StoredRow {
    fn read(r: &rusqlite::Row) -> rusqlite::Result<StoredRow> {
        Ok(StoredRow {
            id: r.get(0)?,
            run: r.get(1)?,
            customer: r.get(2)?,
            vendor: r.get(3)?,
            one_time: r.get(4)?,
            currency: r.get(5)?,
            minor: r.get(6)?,
            date: r.get(7)?,
            voucher: r.get(8)?,
            invoice: r.get(9)?,
            status: r.get(10)?,
            payment_voucher: r.get(11)?,
            paid_date: r.get(12)?,
            vendor_txn: r.get(13)?,
        })
    }

    fn into_listed(self, ledger: &Ledger) -> Result<WithInvoice, LedgerError> {
        let date = |s: &str| s.parse::<NaiveDate>().unwrap_or_default();
        let reimbursement = Reimbursement {
            id: self.id,
            run: self.run,
            customer: self.customer,
            vendor: self.vendor,
            one_time_vendor: self.one_time,
            amount: ledger.currency(&self.currency)?.from_minor(self.minor),
            currency: self.currency,
            date: date(&self.date),
            voucher: self.voucher,
            vendor_invoice: self.invoice,
            status: self.status,
            payment_voucher: self.payment_voucher,
            paid_date: self.paid_date.as_deref().map(date),
        };
        Ok(WithInvoice {
            reimbursement,
            vendor_txn: self.vendor_txn,
        })
    }
}

/// Calls `observer` with each reimbursement that matches `filter`, oldest first, like
/// [`reimbursements`] but reading a page at a time (memory stays flat however many there are),
/// all pages from one read snapshot. `filter.after_id` and `filter.limit` keep their meaning.
/// Returns how many rows it passed on.
pub fn each_reimbursement(
    ledger: &Ledger,
    filter: &ReimbursementFilter,
    observer: &mut dyn FnMut(&Reimbursement),
) -> Result<u64, LedgerError> {
    let store = ledger.store();
    let conn = store.conn();
    // One read transaction (deferred: takes no write lock) unless one is already open.
    let snapshot = if conn.is_autocommit() {
        Some(
            conn.unchecked_transaction()
                .map_err(|e| LedgerError::Store(StoreError::sqlite(store.path(), e)))?,
        )
    } else {
        None
    };
    let seen = reimbursement_pages(ledger, filter, |rows| -> Result<(), LedgerError> {
        for listed in &rows {
            observer(&listed.reimbursement);
        }
        Ok(())
    })?;
    drop(snapshot); // rolls back the read transaction
    Ok(seen)
}

/// Hands the reimbursements that match `filter` (each with its vendor invoice's transaction id)
/// to `each_page`, oldest first, at most 1000 at a time: memory stays flat however many there
/// are. `filter.after_id` and `filter.limit` keep their meaning. Returns how many it handed on.
pub(super) fn reimbursement_pages<E: From<LedgerError>>(
    ledger: &Ledger,
    filter: &ReimbursementFilter,
    mut each_page: impl FnMut(Vec<WithInvoice>) -> Result<(), E>,
) -> Result<u64, E> {
    check_filter(ledger, filter)?;
    const PAGE: usize = 1000;
    let mut page = filter.clone();
    let mut left = filter.limit;
    let mut seen = 0u64;
    loop {
        page.limit = Some(left.map_or(PAGE, |l| l.min(PAGE)));
        if page.limit == Some(0) {
            break;
        }
        let rows = reimbursements_with_invoices(ledger, &page)?;
        let Some(last) = rows.last() else { break };
        page.after_id = Some(last.reimbursement.id);
        let n = rows.len();
        each_page(rows)?;
        seen += n as u64;
        if let Some(l) = &mut left {
            *l -= n;
        }
    }
    Ok(seen)
}
