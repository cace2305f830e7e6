//! Posting: [`Ledger::post_voucher`], the one write path for amounts, and its checks (accounts,
//! customers and vendors exist, amounts fit their currencies, lines balance per currency, control
//! accounts and account totals).
//!
//! It depends on the parties' lean checks, the cache, numbers and control; it must not depend on
//! settling or the reports.

use std::collections::BTreeMap;

use rusqlite::params;

use super::rows::date_text;
use super::{
    Ledger, LedgerError, PostedVoucher, Res, Side, SubLedgerLine, Target, VoucherDraft, limits,
};

impl Ledger {
    /// Posts a voucher: the one write path for amounts. Refused, with nothing written, unless it
    /// has at least two lines, no zero amount, every amount fits its currency, every account,
    /// customer and vendor exists (and no vendor is blocked), and the lines sum to zero in each
    /// currency.
    pub fn post_voucher(&self, draft: &VoucherDraft) -> Res<PostedVoucher> {
        limits::check_voucher(draft)?;
        if draft.lines.len() < 2 {
            return Err(LedgerError::Invalid(
                "a voucher needs at least two lines".into(),
            ));
        }
        // Check everything first: nothing is written unless the whole voucher is valid.
        let mut sums: BTreeMap<&str, i64> = BTreeMap::new();
        let mut checked = Vec::with_capacity(draft.lines.len());
        for line in &draft.lines {
            let currency = self.currency(&line.currency)?;
            if line.amount.is_zero() {
                return Err(LedgerError::Invalid(
                    "a voucher line must not be zero".into(),
                ));
            }
            let minor = currency.to_minor(line.amount)?;
            let sum = sums.entry(line.currency.as_str()).or_default();
            *sum = sum
                .checked_add(minor)
                .ok_or_else(|| LedgerError::Invalid("voucher amounts are too large".into()))?;
            let (account, customer, vendor) = match &line.target {
                Target::Account(a) => {
                    self.refuse_control_line(a)?;
                    self.require_account(a)?;
                    (a.clone(), None, None)
                }
                Target::Customer(c) => {
                    self.check_customer(c)?;
                    (
                        self.params.accounts.receivables.clone(),
                        Some(c.clone()),
                        None,
                    )
                }
                Target::Vendor(v) => {
                    if self.vendor_blocked(v)? {
                        return Err(LedgerError::VendorBlocked(v.clone()));
                    }
                    (self.params.accounts.payables.clone(), None, Some(v.clone()))
                }
            };
            checked.push((line, account, customer, vendor, minor));
        }
        for (currency, sum) in &sums {
            if *sum != 0 {
                return Err(LedgerError::Unbalanced {
                    currency: currency.to_string(),
                    difference: self.amount(currency, *sum)?,
                });
            }
        }
        let totals =
            self.check_account_totals(checked.iter().map(|(line, account, _, _, minor)| {
                (account.as_str(), line.currency.as_str(), *minor)
            }))?;
        let number = self.next_number(&draft.sequence)?;
        let date = date_text(draft.date);
        let conn = self.store.conn();
        let result = (|| -> rusqlite::Result<PostedVoucher> {
            // `insert` returns the new rowid: cheaper than `RETURNING`, which SQLite runs
            // through a temporary table.
            let voucher_id = conn
                .prepare_cached(
                    "INSERT INTO vouchers(number, date, description, run_id) VALUES (?1, ?2, ?3, ?4)",
                )?
                .insert(params![number, date, draft.description, self.run_id.get()])?;
            let mut posted = PostedVoucher {
                id: voucher_id,
                number: number.clone(),
                date: draft.date,
                description: draft.description.clone(),
                lines: Vec::with_capacity(checked.len()),
                customer_transactions: Vec::new(),
                vendor_transactions: Vec::new(),
                sub_ledger: Vec::new(),
            };
            for (line, account, customer, vendor, minor) in &checked {
                conn.prepare_cached(
                    "INSERT INTO voucher_lines(voucher_id, account, currency, amount_minor, customer, vendor)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![voucher_id, account, line.currency, minor, customer, vendor])?;
                posted
                    .lines
                    .push((account.clone(), line.currency.clone(), line.amount));
                let party = customer
                    .as_ref()
                    .map(|c| (Side::Customer, c))
                    .or(vendor.as_ref().map(|v| (Side::Vendor, v)));
                if let Some((side, party)) = party {
                    let sql = match side {
                        Side::Customer => {
                            "INSERT INTO customer_transactions(account, voucher_id, date, document,
                                 type, currency, amount_minor, open_minor)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
                        }
                        Side::Vendor => {
                            "INSERT INTO vendor_transactions(account, voucher_id, date, document,
                                 type, currency, amount_minor, open_minor)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
                        }
                    };
                    let id = conn.prepare_cached(sql)?.insert(params![
                        party,
                        voucher_id,
                        date,
                        line.document.as_deref().unwrap_or(&number),
                        line.kind.as_deref().unwrap_or("journal"),
                        line.currency,
                        minor
                    ])?;
                    match side {
                        Side::Customer => posted.customer_transactions.push(id),
                        Side::Vendor => posted.vendor_transactions.push(id),
                    }
                    posted.sub_ledger.push(SubLedgerLine {
                        side,
                        account: party.to_string(),
                        id,
                        amount: line.amount,
                        document: line.document.clone().unwrap_or_else(|| number.clone()),
                    });
                }
            }
            Ok(posted)
        })();
        let posted = result.map_err(|e| self.sql_err(e))?;
        self.totals_posted(totals);
        // The sub-ledger lines follow the voucher lines that name a customer or a vendor.
        let parties = checked
            .iter()
            .filter(|(_, _, c, v, _)| c.is_some() || v.is_some());
        for (new, (line, _, _, _, minor)) in posted.sub_ledger.iter().zip(parties) {
            self.posted_in_cache(
                new.side,
                &new.account,
                &line.currency,
                new.id,
                *minor,
                &date,
            );
        }
        self.journal.borrow_mut().vouchers.push(posted.clone());
        Ok(posted)
    }

    fn require_account(&self, account: &str) -> Res<()> {
        self.require_known(
            |c| &mut c.accounts,
            "SELECT 1 FROM gl_accounts WHERE account = ?1",
            account,
            "general-ledger account",
        )
    }
}
