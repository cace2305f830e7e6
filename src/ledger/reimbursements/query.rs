//! The query of the reimbursement page: the filter as SQL, and a row as stored turned into a
//! [`Reimbursement`] with its status.

use chrono::NaiveDate;

use super::{Reimbursement, ReimbursementFilter, ReimbursementStatus, WithInvoice};
use crate::ledger::decisions::StoredDecision;
use crate::ledger::{CustomerTransactionId, Ledger, LedgerError, Res, RunId, VendorTransactionId};

/// The query of the reimbursements that match `filter`, with its arguments.
pub(super) fn query(filter: &ReimbursementFilter) -> Res<(String, Vec<Box<dyn rusqlite::ToSql>>)> {
    let mut sql = String::from(
        "SELECT r.id, r.run_id, r.customer, r.vendor, r.one_time_vendor, r.currency, r.amount_minor,
                r.date, v.number, r.vendor_invoice, r.status, p.number, r.paid_date, r.vendor_txn_id,
                r.hold_reason, r.customer_txn_id, r.held_by_run, r.approval, x.number,
                r.reversed_date, d.id, d.decision, d.user, d.at, d.run_id, d.reason
         FROM reimbursements r JOIN vouchers v ON v.id = r.voucher_id
         LEFT JOIN vouchers p ON p.id = r.payment_voucher_id
         LEFT JOIN vouchers x ON x.id = r.reversal_voucher_id
         LEFT JOIN decisions d
           ON d.id = (SELECT MAX(id) FROM decisions WHERE reimbursement_id = r.id)
         WHERE 1 = 1",
    );
    if let Some(s) = &filter.status {
        let Some(status) = ReimbursementStatus::stored(s) else {
            let known: Vec<_> = ReimbursementStatus::STORED.map(|s| s.as_str()).into();
            return Err(LedgerError::Invalid(format!(
                "status must be {}, not '{s}'",
                known.join(", ")
            )));
        };
        sql.push_str(&format!(" AND {}", status.condition()));
    }
    if filter.awaiting_payment {
        sql.push_str(" AND r.status = 'open' AND r.reversal_voucher_id IS NULL");
    }
    let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
    let mut add = |clause: &str, value: Box<dyn rusqlite::ToSql>| {
        args.push(value);
        sql.push_str(&format!(" AND {clause} ?{}", args.len()));
    };
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
pub(super) struct StoredRow {
    id: i64,
    run: RunId,
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
    vendor_txn: VendorTransactionId,
    hold_reason: Option<String>,
    customer_txn: CustomerTransactionId,
    held_by_run: Option<RunId>,
    approval: Option<String>,
    reversal_voucher: Option<String>,
    reversed_date: Option<String>,
    last_decision: Option<StoredDecision>,
}

impl StoredRow {
    pub(super) fn read(r: &rusqlite::Row) -> rusqlite::Result<StoredRow> {
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
            hold_reason: r.get(14)?,
            customer_txn: r.get(15)?,
            held_by_run: r.get(16)?,
            approval: r.get(17)?,
            reversal_voucher: r.get(18)?,
            reversed_date: r.get(19)?,
            last_decision: match r.get::<_, Option<i64>>(20)? {
                Some(_) => Some(StoredDecision::read_at(r, 20)?),
                None => None,
            },
        })
    }

    pub(super) fn into_listed(self, ledger: &Ledger) -> Res<WithInvoice> {
        // The table's check allows only the stored statuses.
        let status = ReimbursementStatus::of_row(
            &self.status,
            self.reversal_voucher.is_some(),
            self.approval.as_deref(),
            self.hold_reason.is_some(),
        );
        let status = status.ok_or_else(|| {
            LedgerError::Invalid(format!(
                "reimbursement {} has the status '{}', which the books do not know",
                self.id, self.status
            ))
        })?;
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
            status,
            // A hold matters while it can stop a payment: not once paid or reversed (the
            // decisions keep it).
            hold_reason: self.hold_reason.filter(|_| {
                matches!(
                    status,
                    ReimbursementStatus::Held | ReimbursementStatus::PendingApproval
                )
            }),
            payment_voucher: self.payment_voucher,
            reversal_voucher: self.reversal_voucher,
            reversed_date: self.reversed_date.as_deref().map(date),
            last_decision: self
                .last_decision
                .map(StoredDecision::into_decision)
                .transpose()?,
            paid_date: self.paid_date.as_deref().map(date),
        };
        Ok(WithInvoice {
            reimbursement,
            vendor_txn: self.vendor_txn,
            customer_txn: self.customer_txn,
            held_by_check: self.held_by_run.is_some(),
        })
    }
}
