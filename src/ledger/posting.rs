//! Posting: [`Ledger::post_voucher`], the one write path for amounts, and its checks (accounts,
//! customers and vendors exist, amounts fit their currencies, lines balance per currency, control
//! accounts and account totals).
//!
//! It depends on the parties' lean checks, the cache, numbers and control; it must not depend on
//! settling or the reports.

use std::collections::BTreeMap;

use rusqlite::params;

use super::ahead::RowKind;
use super::rows::date_text;
use super::voucher::balances_per_currency;
use super::{
    Ledger, LedgerError, LineDraft, PostedVoucher, Res, Side, SubLedgerLine, Target,
    TransactionRef, VoucherDraft, VoucherId, limits,
};

/// A voucher line that passed its checks: where it posts and its amount in minor units.
struct CheckedLine<'a> {
    /// The line as drafted.
    line: &'a LineDraft,
    /// The general-ledger account it posts to (the summary account of a customer or vendor line).
    account: String,
    /// The customer of a customer line.
    customer: Option<String>,
    /// The vendor of a vendor line.
    vendor: Option<String>,
    /// The amount in minor units of its currency, never zero.
    minor: i64,
}

impl CheckedLine<'_> {
    /// The sub-ledger the line posts to as well, with the customer or vendor, if any.
    fn party(&self) -> Option<(Side, &String)> {
        self.customer
            .as_ref()
            .map(|c| (Side::Customer, c))
            .or(self.vendor.as_ref().map(|v| (Side::Vendor, v)))
    }
}

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
        let checked = self.check_lines(&draft.lines)?;
        let totals = self.check_account_totals(
            checked
                .iter()
                .map(|c| (c.account.as_str(), c.line.currency.as_str(), c.minor)),
        )?;
        let number = self.next_number(&draft.sequence)?;
        let date = date_text(draft.date);
        debug_assert!(
            balances_per_currency(checked.iter().map(|c| (c.line.currency.as_str(), c.minor))),
            "voucher {number} written unbalanced"
        );
        debug_assert!(checked.iter().all(|c| c.minor != 0));
        let posted = self
            .write_voucher(draft, &number, &date, &checked)
            .map_err(|e| self.sql_err(e))?;
        self.totals_posted(totals);
        // The sub-ledger lines follow the voucher lines that name a customer or a vendor.
        let parties = checked.iter().filter(|c| c.party().is_some());
        for (new, c) in posted.sub_ledger.iter().zip(parties) {
            self.posted_in_cache(
                new.transaction.side(),
                &new.account,
                &c.line.currency,
                new.transaction.row(),
                c.minor,
                &date,
            );
        }
        self.journal.borrow_mut().vouchers.push(posted.clone());
        Ok(posted)
    }

    /// Checks every line of a voucher (currency, amount, where it posts) and that the lines sum
    /// to zero in each currency; writes nothing.
    fn check_lines<'a>(&self, lines: &'a [LineDraft]) -> Res<Vec<CheckedLine<'a>>> {
        let mut sums: BTreeMap<&str, i64> = BTreeMap::new();
        let mut checked = Vec::with_capacity(lines.len());
        for line in lines {
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
            let (account, customer, vendor) = self.line_target(&line.target)?;
            checked.push(CheckedLine {
                line,
                account,
                customer,
                vendor,
                minor,
            });
        }
        for (currency, sum) in &sums {
            if *sum != 0 {
                return Err(LedgerError::Unbalanced {
                    currency: currency.to_string(),
                    difference: self.amount(currency, *sum)?,
                });
            }
        }
        Ok(checked)
    }

    /// Where a line posts: (general-ledger account, customer, vendor), once the account,
    /// customer or vendor is checked (no plain line on a control account, no blocked vendor).
    fn line_target(&self, target: &Target) -> Res<(String, Option<String>, Option<String>)> {
        Ok(match target {
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
        })
    }

    /// Writes a checked voucher: the voucher, a `voucher_lines` row for each plain line, and for
    /// each customer or vendor line its transaction, which is the general-ledger line too (read
    /// through the view `gl_lines`); each with its place in the voucher.
    fn write_voucher(
        &self,
        draft: &VoucherDraft,
        number: &str,
        date: &str,
        checked: &[CheckedLine],
    ) -> rusqlite::Result<PostedVoucher> {
        let conn = self.store.conn();
        // `insert` returns the new rowid: cheaper than `RETURNING`, which SQLite runs
        // through a temporary table.
        let voucher_id = VoucherId(
            conn.prepare_cached(
                "INSERT INTO vouchers(number, date, description, run_id) VALUES (?1, ?2, ?3, ?4)",
            )?
            .insert(params![number, date, draft.description, self.run_id.get()])?,
        );
        self.row_inserted(RowKind::Voucher, voucher_id.0);
        let mut posted = PostedVoucher {
            id: voucher_id,
            number: number.to_string(),
            date: draft.date,
            description: draft.description.clone(),
            lines: Vec::with_capacity(checked.len()),
            customer_transactions: Vec::new(),
            vendor_transactions: Vec::new(),
            sub_ledger: Vec::new(),
        };
        for (position, c) in checked.iter().enumerate() {
            let line = c.line;
            let position = position as i64;
            posted
                .lines
                .push((c.account.clone(), line.currency.clone(), line.amount));
            let Some((side, party)) = c.party() else {
                // A plain line; a customer's or vendor's line is its transaction (schema 7).
                conn.prepare_cached(
                    "INSERT INTO voucher_lines(voucher_id, line, account, currency, amount_minor)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    voucher_id,
                    position,
                    c.account,
                    line.currency,
                    c.minor
                ])?;
                continue;
            };
            let at = (voucher_id, position);
            let id = self.write_sub_ledger_line(side, party, at, number, date, c)?;
            let transaction = TransactionRef::new(side, id);
            self.row_inserted(
                match side {
                    Side::Customer => RowKind::CustomerTransaction,
                    Side::Vendor => RowKind::VendorTransaction,
                },
                id,
            );
            match transaction {
                TransactionRef::Customer(id) => posted.customer_transactions.push(id),
                TransactionRef::Vendor(id) => posted.vendor_transactions.push(id),
            }
            posted.sub_ledger.push(SubLedgerLine {
                transaction,
                account: party.to_string(),
                amount: line.amount,
                document: line.document.clone().unwrap_or_else(|| number.to_string()),
            });
        }
        Ok(posted)
    }

    /// Writes the customer or vendor transaction of a voucher line, the line `at` (voucher,
    /// place in it) of the general ledger as well; its id.
    fn write_sub_ledger_line(
        &self,
        side: Side,
        party: &str,
        (voucher_id, position): (VoucherId, i64),
        number: &str,
        date: &str,
        c: &CheckedLine,
    ) -> rusqlite::Result<i64> {
        let sql = match side {
            Side::Customer => {
                "INSERT INTO customer_transactions(account, voucher_id, date, document,
                     type, currency, amount_minor, open_minor, line)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)"
            }
            Side::Vendor => {
                "INSERT INTO vendor_transactions(account, voucher_id, date, document,
                     type, currency, amount_minor, open_minor, line)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)"
            }
        };
        self.store.conn().prepare_cached(sql)?.insert(params![
            party,
            voucher_id,
            date,
            c.line.document.as_deref().unwrap_or(number),
            c.line.kind.as_deref().unwrap_or("journal"),
            c.line.currency,
            c.minor,
            position
        ])
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

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use crate::ledger::tests::{d, day, dump, ledger, opening};
    use crate::ledger::{LedgerError, LineDraft, Side, Target, VoucherDraft};

    #[test]
    fn posting_balances_and_trial_balance_is_zero() {
        let l = ledger();
        opening(&l, "C-1", "100.00", "INV-1");
        opening(&l, "C-1", "-150.00", "PAY-1");
        let b = l.balances(Side::Customer, "C-1").unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].balance.to_string(), "-50.00");
        assert_eq!(b[0].open_debit.to_string(), "100.00");
        assert_eq!(b[0].open_credit.to_string(), "-150.00");
        let totals = l.trial_balance_totals().unwrap();
        assert_eq!(totals["USD"], Decimal::ZERO);
        let tb = l.trial_balance().unwrap();
        assert_eq!(tb[0].account, "1200");
        assert_eq!(tb[0].balance.to_string(), "-50.00");
        assert_eq!(l.next_number("opening").unwrap(), "OPN-000003");
    }

    #[test]
    fn unbalanced_voucher_is_refused_and_writes_nothing() {
        let l = ledger();
        opening(&l, "C-1", "100.00", "INV-1");
        let before = dump(&l);
        let err = l
            .post_voucher(&VoucherDraft {
                sequence: "reimbursement".into(),
                date: day(),
                description: "bad".into(),
                lines: vec![
                    LineDraft {
                        target: Target::Customer("C-1".into()),
                        currency: "USD".into(),
                        amount: d("10.00"),
                        document: None,
                        kind: None,
                    },
                    LineDraft {
                        target: Target::Account("1000".into()),
                        currency: "USD".into(),
                        amount: d("-9.99"),
                        document: None,
                        kind: None,
                    },
                ],
            })
            .unwrap_err();
        assert!(
            matches!(&err, LedgerError::Unbalanced { currency, difference } if currency == "USD" && difference.to_string() == "0.01"),
            "{err}"
        );
        assert_eq!(dump(&l), before);
    }

    #[test]
    fn voucher_checks_accounts_and_precision() {
        let l = ledger();
        let line = |target: Target, amount: &str| LineDraft {
            target,
            currency: "USD".into(),
            amount: d(amount),
            document: None,
            kind: None,
        };
        let post = |lines| {
            l.post_voucher(&VoucherDraft {
                sequence: "opening".into(),
                date: day(),
                description: "x".into(),
                lines,
            })
        };
        let e = post(vec![
            line(Target::Account("9999".into()), "1"),
            line(Target::Account("1000".into()), "-1"),
        ])
        .unwrap_err();
        assert!(
            e.to_string().contains("general-ledger account '9999'"),
            "{e}"
        );
        let e = post(vec![
            line(Target::Customer("C-404".into()), "1"),
            line(Target::Account("1000".into()), "-1"),
        ])
        .unwrap_err();
        assert!(
            e.to_string().contains("customer 'C-404' does not exist"),
            "{e}"
        );
        let e = post(vec![
            line(Target::Account("1000".into()), "1.001"),
            line(Target::Account("3999".into()), "-1.001"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("more decimals"), "{e}");
        assert!(dump(&l).lines().all(|r| !r.contains("OPN-")));
    }
}
