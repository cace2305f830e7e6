//! Bulk loading of a new company's books (`reimburse generate`): vendors, customers, vouchers,
//! their lines and the customer transactions, inserted with prepared statements inside the
//! caller's transaction, for speed (a million customers for the benchmarks).
//!
//! Without the primitives' checks and cache: the caller answers for every invariant (vouchers
//! balance per currency, a customer's line is its customer transaction (on the receivables
//! control account; schema 7 stores it once), every line has its own place in its voucher,
//! number sequences follow the numbers used), and must not read through the
//! ledger in the same transaction (the [`super::TransactionCache`] does not see these rows).
//! For a fresh database only.

use rusqlite::{Statement, params};

use super::{Ledger, Res, VoucherId};

/// A customer to insert.
#[derive(Debug, Clone, Copy)]
pub struct BulkCustomer<'a> {
    /// Account.
    pub account: &'a str,
    /// Name.
    pub name: &'a str,
    /// Address.
    pub address: &'a str,
    /// Currency code.
    pub currency: &'a str,
    /// Customer group.
    pub group: &'a str,
    /// The linked vendor account, if any (inserted before).
    pub vendor: Option<&'a str>,
    /// On payment hold.
    pub payment_hold: bool,
}

/// A customer transaction to insert, fully open.
#[derive(Debug, Clone, Copy)]
pub struct BulkTransaction<'a> {
    /// The customer's account.
    pub account: &'a str,
    /// The voucher that posted it.
    pub voucher_id: VoucherId,
    /// Its place among the voucher's lines (0, 1, …): it is the voucher's line on the
    /// receivables control account as well.
    pub line: i64,
    /// Its date (`YYYY-MM-DD`).
    pub date: &'a str,
    /// Its document.
    pub document: &'a str,
    /// Its type (`invoice`, `payment`, `credit_note`).
    pub kind: &'a str,
    /// Currency code.
    pub currency: &'a str,
    /// Amount in minor units (debit positive); all of it open.
    pub amount_minor: i64,
}

/// The prepared inserts of a bulk load, over the ledger's connection.
pub struct BulkInsert<'l> {
    ledger: &'l Ledger,
    vendor: Statement<'l>,
    customer: Statement<'l>,
    voucher: Statement<'l>,
    line: Statement<'l>,
    transaction: Statement<'l>,
}

impl Ledger {
    /// Prepares a bulk load (see the module's documentation for what the caller answers for).
    pub fn bulk_insert(&self) -> Res<BulkInsert<'_>> {
        let conn = self.store.conn();
        let prepare = |sql: &str| conn.prepare(sql).map_err(|e| self.sql_err(e));
        Ok(BulkInsert {
            ledger: self,
            vendor: prepare(
                "INSERT INTO vendors(account, name, vendor_group, currency) VALUES (?1, ?2, 'DEFAULT', ?3)",
            )?,
            customer: prepare(
                "INSERT INTO customers(account, name, address, currency, customer_group, vendor_account,
             payment_hold) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?,
            voucher: prepare("INSERT INTO vouchers(number, date, description) VALUES (?1, ?2, ?3)")?,
            line: prepare(
                "INSERT INTO voucher_lines(voucher_id, line, account, currency, amount_minor)
         VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
            transaction: prepare(
                "INSERT INTO customer_transactions(account, voucher_id, date, document, type, currency,
             amount_minor, open_minor, line) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
            )?,
        })
    }

    /// Moves the whole write-ahead log into the database and empties it (after a bulk load,
    /// outside a transaction).
    pub fn checkpoint(&self) -> Res<()> {
        self.store
            .conn()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .map_err(|e| self.sql_err(e))
    }
}

impl BulkInsert<'_> {
    /// A vendor of the group `DEFAULT`.
    pub fn vendor(&mut self, account: &str, name: &str, currency: &str) -> Res<()> {
        self.vendor
            .execute(params![account, name, currency])
            .map_err(|e| self.ledger.sql_err(e))?;
        Ok(())
    }

    /// A customer.
    pub fn customer(&mut self, c: &BulkCustomer<'_>) -> Res<()> {
        self.customer
            .execute(params![
                c.account,
                c.name,
                c.address,
                c.currency,
                c.group,
                c.vendor,
                c.payment_hold
            ])
            .map_err(|e| self.ledger.sql_err(e))?;
        Ok(())
    }

    /// A voucher (without its lines); returns its id.
    pub fn voucher(&mut self, number: &str, date: &str, description: &str) -> Res<VoucherId> {
        self.voucher
            .insert(params![number, date, description])
            .map(VoucherId)
            .map_err(|e| self.ledger.sql_err(e))
    }

    /// A plain general-ledger line of the voucher `voucher_id`, at its place `line` (a customer's
    /// line is its [`BulkInsert::transaction`]).
    pub fn line(
        &mut self,
        (voucher_id, line): (VoucherId, i64),
        account: &str,
        currency: &str,
        amount_minor: i64,
    ) -> Res<()> {
        self.line
            .execute(params![voucher_id, line, account, currency, amount_minor])
            .map_err(|e| self.ledger.sql_err(e))?;
        Ok(())
    }

    /// A customer transaction.
    pub fn transaction(&mut self, t: &BulkTransaction<'_>) -> Res<()> {
        self.transaction
            .execute(params![
                t.account,
                t.voucher_id,
                t.date,
                t.document,
                t.kind,
                t.currency,
                t.amount_minor,
                t.line
            ])
            .map_err(|e| self.ledger.sql_err(e))?;
        Ok(())
    }

    /// Sets the next number of the number sequence `name`.
    pub fn set_next_number(&self, name: &str, next: i64) -> Res<()> {
        self.ledger
            .store
            .conn()
            .execute(
                "UPDATE number_sequences SET next = ?1 WHERE name = ?2",
                params![next, name],
            )
            .map_err(|e| self.ledger.sql_err(e))?;
        Ok(())
    }
}
