//! The books of a generated company: customers, vendors and their opening vouchers, drawn from
//! the seed and written in bulk through the ledger ([`Ledger::bulk_insert`]): `generate` writes
//! no SQL.
//!
//! The draws must stay in their order (currency, group, vendor, hold, then the amounts): the
//! same seed gives the same company.

use std::path::Path;

use super::csv::{CsvFiles, csv_failed};
use super::{GenerateError, GenerateOptions, GenerateReport, Rng, ledger_failed};
use crate::ledger::{BulkCustomer, BulkInsert, BulkTransaction, Ledger};

/// A customer as drawn.
struct DrawnCustomer {
    account: String,
    name: String,
    address: String,
    currency: &'static str,
    group: &'static str,
    /// The customer's vendor account, for a third of them.
    vendor: Option<String>,
    hold: bool,
}

/// Writes the generated rows into the database and, with `--csv`, into the import files.
struct Writer<'a, 'l> {
    bulk: BulkInsert<'l>,
    csv: Option<&'a mut CsvFiles>,
    /// The database (for the errors of the CSV files, reported as the database's).
    path: &'l Path,
    opening: &'l str,
    report: GenerateReport,
}

/// Fills the books with `options.customers` customers (in the caller's transaction).
pub(super) fn fill(
    ledger: &Ledger,
    options: &GenerateOptions,
    csv: Option<&mut CsvFiles>,
) -> Result<GenerateReport, GenerateError> {
    let mut rng = Rng::new(options.seed);
    let accounts = &ledger.params().accounts;
    let mut writer = Writer {
        bulk: ledger.bulk_insert().map_err(ledger_failed)?,
        csv,
        path: ledger.store().path(),
        opening: &accounts.opening_balance,
        report: GenerateReport {
            company_file: Default::default(),
            customers: 0,
            vendors: 0,
            transactions: 0,
        },
    };
    let width = options.customers.max(1).to_string().len().max(7);
    for i in 1..=options.customers {
        let customer = draw_customer(&mut rng, i, width);
        if let Some(vendor) = &customer.vendor {
            writer.vendor(vendor, &customer)?;
        }
        writer.customer(&customer)?;
        let amounts = draw_amounts(&mut rng);
        writer.opening(i, &customer, &amounts)?;
    }
    writer
        .bulk
        .set_next_number("opening", options.customers as i64 + 1)
        .map_err(ledger_failed)?;
    Ok(writer.report)
}

/// The `i`th customer: its currency, group, vendor (a third) and payment hold (2%).
fn draw_customer(rng: &mut Rng, i: u64, width: usize) -> DrawnCustomer {
    let account = format!("C{i:0width$}");
    let currency = if rng.chance(10) { "EUR" } else { "USD" };
    let group = if rng.chance(30) {
        "WHOLESALE"
    } else {
        "RETAIL"
    };
    let vendor = rng.chance(33).then(|| format!("V{i:0width$}"));
    let hold = rng.chance(2);
    DrawnCustomer {
        account,
        name: format!("Customer {i}"),
        address: format!("{i} Main Street"),
        currency,
        group,
        vendor,
        hold,
    }
}

/// About three transactions: an invoice, its payment, and a third (credit note, payment or
/// invoice). Half of the customers overpay.
fn draw_amounts(rng: &mut Rng) -> Vec<(&'static str, i64)> {
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
    amounts
}

impl Writer<'_, '_> {
    /// The vendor `account` of `customer`.
    fn vendor(&mut self, account: &str, customer: &DrawnCustomer) -> Result<(), GenerateError> {
        let name = format!("Vendor of {}", customer.account);
        self.bulk
            .vendor(account, &name, customer.currency)
            .map_err(ledger_failed)?;
        if let Some(files) = self.csv.as_deref_mut() {
            files
                .vendors
                .write_record([account, name.as_str(), customer.currency])
                .map_err(|e| csv_failed(self.path, e))?;
        }
        self.report.vendors += 1;
        Ok(())
    }

    /// The customer itself.
    fn customer(&mut self, c: &DrawnCustomer) -> Result<(), GenerateError> {
        self.bulk
            .customer(&BulkCustomer {
                account: &c.account,
                name: &c.name,
                address: &c.address,
                currency: c.currency,
                group: c.group,
                vendor: c.vendor.as_deref(),
                payment_hold: c.hold,
            })
            .map_err(ledger_failed)?;
        if let Some(files) = self.csv.as_deref_mut() {
            let fields = [
                c.account.as_str(),
                c.name.as_str(),
                c.address.as_str(),
                c.currency,
                c.group,
                c.vendor.as_deref().unwrap_or(""),
                if c.hold { "true" } else { "false" },
            ];
            files
                .customers
                .write_record(fields)
                .map_err(|e| csv_failed(self.path, e))?;
        }
        self.report.customers += 1;
        Ok(())
    }

    /// The opening voucher of the `i`th customer: a line and a transaction for each amount, a
    /// day apart from 2026-10-01, against the opening-balance account.
    fn opening(
        &mut self,
        i: u64,
        customer: &DrawnCustomer,
        amounts: &[(&'static str, i64)],
    ) -> Result<(), GenerateError> {
        debug_assert!(amounts.len() >= 2, "an invoice and its payment at least");
        let (account, currency) = (customer.account.as_str(), customer.currency);
        let voucher_id = self
            .bulk
            .voucher(
                &format!("OPN-{i:08}"),
                "2026-10-01",
                &format!("Opening balance {account}"),
            )
            .map_err(ledger_failed)?;
        let mut total = 0i64;
        for (n, &(kind, amount)) in amounts.iter().enumerate() {
            let transaction = BulkTransaction {
                account,
                voucher_id,
                line: n as i64,
                date: &format!("2026-10-{:02}", 1 + n),
                document: &format!("{}-{i}-{n}", &kind[..3].to_uppercase()),
                kind,
                currency,
                amount_minor: amount,
            };
            self.bulk.transaction(&transaction).map_err(ledger_failed)?;
            self.transaction_csv(&transaction)?;
            total += amount;
            self.report.transactions += 1;
        }
        // The voucher balances: the opening-balance account takes the customer lines' total.
        let last = amounts.len() as i64;
        self.bulk
            .line((voucher_id, last), self.opening, currency, -total)
            .map_err(ledger_failed)
    }

    /// A transaction in the import file, with `--csv`.
    fn transaction_csv(&mut self, t: &BulkTransaction<'_>) -> Result<(), GenerateError> {
        if let Some(files) = self.csv.as_deref_mut() {
            // Minor units of a currency of two decimals, as an amount.
            let text = rust_decimal::Decimal::new(t.amount_minor, 2).to_string();
            let fields = [t.account, t.date, t.kind, t.document, &text, t.currency];
            files
                .transactions
                .write_record(fields)
                .map_err(|e| csv_failed(self.path, e))?;
        }
        Ok(())
    }
}
