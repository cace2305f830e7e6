//! The repository of the `reimbursements` table: recording a reimbursement
//! ([`Ledger::insert_reimbursement`]) and the reimbursement page ([`ReimbursementFilter`],
//! [`Ledger::reimbursements`], read a page at a time by [`Ledger::reimbursement_pages`] and
//! [`Ledger::each_reimbursement`], memory flat). A reimbursement is paid when its vendor invoice
//! is settled in full: the database's `reimbursement_paid` trigger marks it, for any payment.
//!
//! It stores and reads what it is given; it must not depend on the process, the rules or scripts.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

mod approval;
mod query;
mod status;

use query::{StoredRow, query};
pub use status::ReimbursementStatus;

use super::{
    CustomerTransactionId, Decision, Ledger, LedgerError, Res, RunId, VendorTransactionId,
    VoucherId,
};

/// A reimbursement, as the run reports it and the reimbursement page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reimbursement {
    /// Row id (0 in a dry run's report after rollback).
    pub id: i64,
    /// The run that made it.
    pub run: RunId,
    /// Customer account.
    pub customer: String,
    /// Vendor account that received the credit.
    pub vendor: String,
    /// True when the vendor is a one-time vendor created for it by the run.
    pub one_time_vendor: bool,
    /// Currency.
    pub currency: String,
    /// Amount reimbursed (positive).
    #[serde(serialize_with = "as_text")]
    pub amount: Decimal,
    /// Posting date.
    pub date: NaiveDate,
    /// Voucher number.
    pub voucher: String,
    /// Vendor invoice number.
    pub vendor_invoice: String,
    /// Where it is in its lifecycle: `open`, `pending approval`, `held`, `paid`, `reversed`
    /// (`proposed` in a dry run).
    pub status: ReimbursementStatus,
    /// Why it is held (by a user, or by the check before paying), while it is (absent from JSON
    /// otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_reason: Option<String>,
    /// Payment voucher, once paid.
    pub payment_voucher: Option<String>,
    /// Payment date, once paid.
    pub paid_date: Option<NaiveDate>,
    /// The voucher that reversed it, once reversed (absent from JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reversal_voucher: Option<String>,
    /// The date of its reversal, once reversed (absent from JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reversed_date: Option<NaiveDate>,
    /// The last decision about it (approve, hold, release, reverse, …), if any (absent from JSON
    /// otherwise; `reimburse history` shows them all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_decision: Option<Decision>,
}

/// Serializes a decimal as its exact text.
fn as_text<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_string())
}

/// A reimbursement to record (status `open`, or `pending approval`), as [`Ledger::insert_reimbursement`] writes it.
#[derive(Debug, Clone)]
pub(crate) struct NewReimbursementRow<'a> {
    /// The run that makes it.
    pub run_id: RunId,
    /// Customer account.
    pub customer: &'a str,
    /// Vendor account that receives the credit.
    pub vendor: &'a str,
    /// True when the vendor is a one-time vendor created for it by the run.
    pub one_time_vendor: bool,
    /// Currency.
    pub currency: &'a str,
    /// Amount reimbursed, in minor units (positive).
    pub amount_minor: i64,
    /// Posting date.
    pub date: NaiveDate,
    /// The voucher of the vendor invoice.
    pub voucher_id: VoucherId,
    /// Vendor invoice number.
    pub vendor_invoice: &'a str,
    /// The customer's reimbursement transaction.
    pub customer_txn: CustomerTransactionId,
    /// The vendor transaction of the invoice.
    pub vendor_txn: VendorTransactionId,
    /// True when it needs approval before it is paid (it starts as `pending approval`).
    pub pending_approval: bool,
}

/// Filters of the reimbursement page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReimbursementFilter {
    /// `open`, `pending approval` (or `pending`), `held`, `paid` or `reversed`.
    pub status: Option<String>,
    /// Only the reimbursements not yet paid nor reversed (`open`, `pending approval`, `held`:
    /// what `pay` looks at).
    pub awaiting_payment: bool,
    /// Customer account.
    pub customer: Option<String>,
    /// Vendor account.
    pub vendor: Option<String>,
    /// Run id.
    pub run: Option<RunId>,
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
        match (&self.status, self.awaiting_payment) {
            (Some(status), _) => write!(f, "{status} reimbursements")?,
            // Held ones included: their vendor invoices are open too (as `pay` always wrote it).
            (None, true) => f.write_str("open reimbursements")?,
            (None, false) => f.write_str("all reimbursements")?,
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

/// A reimbursement with the id of its vendor invoice's transaction (what `pay` settles).
#[derive(Debug, Clone)]
pub(crate) struct WithInvoice {
    /// The reimbursement.
    pub reimbursement: Reimbursement,
    /// The vendor transaction of its invoice.
    pub vendor_txn: VendorTransactionId,
    /// The customer transaction that took the credit (anything the customer owes with a later id
    /// arrived after the reimbursement).
    pub customer_txn: CustomerTransactionId,
    /// Held by the check before paying (which releases it once the check passes), not by a user.
    pub held_by_check: bool,
}

impl Ledger {
    /// Records a reimbursement (status `open`, or `pending approval` when it needs approval);
    /// returns its id.
    pub(crate) fn insert_reimbursement(&self, new: &NewReimbursementRow) -> Res<i64> {
        debug_assert!(new.amount_minor > 0, "a reimbursement is positive");
        self.store
            .conn()
            .prepare_cached(
                "INSERT INTO reimbursements(run_id, customer, vendor, one_time_vendor, currency,
                     amount_minor, date, voucher_id, vendor_invoice, customer_txn_id, vendor_txn_id, status,
                     approval)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'open', ?12)",
            )
            .and_then(|mut s| {
                s.insert(rusqlite::params![
                    new.run_id,
                    new.customer,
                    new.vendor,
                    new.one_time_vendor,
                    new.currency,
                    new.amount_minor,
                    new.date.to_string(),
                    new.voucher_id,
                    new.vendor_invoice,
                    new.customer_txn,
                    new.vendor_txn,
                    new.pending_approval.then_some("pending")
                ])
            })
            .map_err(|e| self.sql_err(e))
    }

    /// Lists reimbursements, oldest first. A customer, vendor or run in the filter that does not
    /// exist is an error (a mistyped account would otherwise look like one without
    /// reimbursements).
    pub fn reimbursements(&self, filter: &ReimbursementFilter) -> Res<Vec<Reimbursement>> {
        self.check_filter(filter)?;
        Ok(self
            .reimbursements_with_invoices(filter)?
            .into_iter()
            .map(|listed| listed.reimbursement)
            .collect())
    }

    /// Calls `observer` with each reimbursement that matches `filter`, oldest first, like
    /// [`Ledger::reimbursements`] but reading a page at a time (memory stays flat however many
    /// there are), all pages from one read snapshot. `filter.after_id` and `filter.limit` keep
    /// their meaning. Returns how many rows it passed on.
    pub fn each_reimbursement(
        &self,
        filter: &ReimbursementFilter,
        observer: &mut dyn FnMut(&Reimbursement),
    ) -> Res<u64> {
        let conn = self.store.conn();
        // One read transaction (deferred: takes no write lock) unless one is already open.
        let snapshot = if conn.is_autocommit() {
            Some(conn.unchecked_transaction().map_err(|e| self.sql_err(e))?)
        } else {
            None
        };
        let seen = self.reimbursement_pages(filter, |rows| -> Res<()> {
            for listed in &rows {
                observer(&listed.reimbursement);
            }
            Ok(())
        })?;
        drop(snapshot); // rolls back the read transaction
        Ok(seen)
    }

    /// Hands the reimbursements that match `filter` (each with its vendor invoice's transaction
    /// id) to `each_page`, oldest first, at most 1000 at a time: memory stays flat however many
    /// there are. `filter.after_id` and `filter.limit` keep their meaning. Returns how many it
    /// handed on.
    pub(crate) fn reimbursement_pages<E: From<LedgerError>>(
        &self,
        filter: &ReimbursementFilter,
        mut each_page: impl FnMut(Vec<WithInvoice>) -> Result<(), E>,
    ) -> Result<u64, E> {
        self.check_filter(filter)?;
        const PAGE: usize = 1000;
        let mut page = filter.clone();
        let mut left = filter.limit;
        let mut seen = 0u64;
        loop {
            page.limit = Some(left.map_or(PAGE, |l| l.min(PAGE)));
            if page.limit == Some(0) {
                break;
            }
            let rows = self.reimbursements_with_invoices(&page)?;
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

    /// Refuses a filter that names a customer, vendor or run that does not exist.
    fn check_filter(&self, filter: &ReimbursementFilter) -> Res<()> {
        let missing = |what: &'static str, key: String| Err(LedgerError::NotFound { what, key });
        if let Some(account) = &filter.customer
            && self.customer(account)?.is_none()
        {
            return missing("customer", account.clone());
        }
        if let Some(account) = &filter.vendor
            && self.vendor(account)?.is_none()
        {
            return missing("vendor", account.clone());
        }
        if let Some(run) = filter.run
            && !self.run_exists(run)?
        {
            return missing("run", run.to_string());
        }
        Ok(())
    }

    /// The reimbursements that match `filter`, each with the id of its vendor invoice's
    /// transaction.
    fn reimbursements_with_invoices(&self, filter: &ReimbursementFilter) -> Res<Vec<WithInvoice>> {
        let (sql, args) = query(filter)?;
        let mut stmt = self
            .store
            .conn()
            .prepare(&sql)
            .map_err(|e| self.sql_err(e))?;
        let rows = stmt
            .query_map(
                rusqlite::params_from_iter(args.iter().map(|a| a.as_ref())),
                StoredRow::read,
            )
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.sql_err(e))?;
        rows.into_iter().map(|row| row.into_listed(self)).collect()
    }
}
