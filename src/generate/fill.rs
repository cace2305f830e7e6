//! The books of a generated company: customers, vendors and their opening vouchers, written in
//! bulk.

use std::path::PathBuf;

use rusqlite::params;

use super::csv::{CsvFiles, csv_failed};
use super::{GenerateOptions, GenerateReport, Rng};
use crate::ledger::Ledger;

pub(super) fn fill(
    ledger: &Ledger,
    options: &GenerateOptions,
    mut csv: Option<&mut CsvFiles>,
) -> rusqlite::Result<GenerateReport> {
    let conn = ledger.store().conn();
    let mut rng = Rng::new(options.seed);
    let mut add_vendor = conn.prepare(
        "INSERT INTO vendors(account, name, vendor_group, currency) VALUES (?1, ?2, 'DEFAULT', ?3)",
    )?;
    let mut add_customer = conn.prepare(
        "INSERT INTO customers(account, name, address, currency, customer_group, vendor_account,
             payment_hold) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut add_voucher =
        conn.prepare("INSERT INTO vouchers(number, date, description) VALUES (?1, ?2, ?3)")?;
    let mut add_line = conn.prepare(
        "INSERT INTO voucher_lines(voucher_id, account, currency, amount_minor, customer)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut add_txn = conn.prepare(
        "INSERT INTO customer_transactions(account, voucher_id, date, document, type, currency,
             amount_minor, open_minor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?;
    let width = options.customers.max(1).to_string().len().max(7);
    let mut report = GenerateReport {
        company_file: PathBuf::new(),
        customers: 0,
        vendors: 0,
        transactions: 0,
    };
    let (receivables, opening) = (
        ledger.params().accounts.receivables.clone(),
        ledger.params().accounts.opening_balance.clone(),
    );
    for i in 1..=options.customers {
        let account = format!("C{i:0width$}");
        let currency = if rng.chance(10) { "EUR" } else { "USD" };
        let group = if rng.chance(30) {
            "WHOLESALE"
        } else {
            "RETAIL"
        };
        let vendor = if rng.chance(33) {
            let v = format!("V{i:0width$}");
            add_vendor.execute(params![v, format!("Vendor of {account}"), currency])?;
            if let Some(files) = csv.as_deref_mut() {
                let name = format!("Vendor of {account}");
                files
                    .vendors
                    .write_record([v.as_str(), name.as_str(), currency])
                    .map_err(csv_failed)?;
            }
            report.vendors += 1;
            Some(v)
        } else {
            None
        };
        let hold = rng.chance(2);
        let (name, address) = (format!("Customer {i}"), format!("{i} Main Street"));
        add_customer.execute(params![
            account, name, address, currency, group, vendor, hold
        ])?;
        if let Some(files) = csv.as_deref_mut() {
            let fields = [
                account.as_str(),
                name.as_str(),
                address.as_str(),
                currency,
                group,
                vendor.as_deref().unwrap_or(""),
                if hold { "true" } else { "false" },
            ];
            files.customers.write_record(fields).map_err(csv_failed)?;
        }
        report.customers += 1;
        // About three transactions: an invoice, its payment, and a third (credit note, payment or
        // invoice). Half of the customers overpay.
        let invoice = 1_000 + rng.below(20_000) as i64;
        let mut amounts = vec![("invoice", invoice)];
        let overpays = rng.chance(50);
        if overpays {
            let extra = if rng.chance(10) {
                1 + rng.below(400) as i64 // below the minimum of 5.00
            } else {
                600 + rng.below(15_000) as i64
            };
            amounts.push(("payment", -(invoice + extra)));
        } else {
            amounts.push((
                "payment",
                -(invoice / 2 + rng.below(invoice as u64 / 2) as i64),
            ));
        }
        match rng.below(3) {
            0 => amounts.push(("credit_note", -(100 + rng.below(2_000) as i64))),
            1 => amounts.push(("invoice", 500 + rng.below(5_000) as i64)),
            _ => {}
        }
        let voucher_id = add_voucher.insert(params![
            format!("OPN-{i:08}"),
            "2026-10-01",
            format!("Opening balance {account}")
        ])?;
        let mut total = 0i64;
        for (n, (kind, amount)) in amounts.iter().enumerate() {
            add_line.execute(params![voucher_id, receivables, currency, amount, account])?;
            let (date, document) = (
                format!("2026-10-{:02}", 1 + n),
                format!("{}-{i}-{n}", &kind[..3].to_uppercase()),
            );
            add_txn.execute(params![
                account, voucher_id, date, document, kind, currency, amount
            ])?;
            if let Some(files) = csv.as_deref_mut() {
                // Minor units of a currency of two decimals, as an amount.
                let text = rust_decimal::Decimal::new(*amount, 2).to_string();
                let fields = [account.as_str(), &date, kind, &document, &text, currency];
                files
                    .transactions
                    .write_record(fields)
                    .map_err(csv_failed)?;
            }
            total += amount;
            report.transactions += 1;
        }
        add_line.execute(params![
            voucher_id,
            opening,
            currency,
            -total,
            None::<String>
        ])?;
    }
    conn.execute(
        "UPDATE number_sequences SET next = ?1 WHERE name = 'opening'",
        [options.customers as i64 + 1],
    )?;
    Ok(report)
}
