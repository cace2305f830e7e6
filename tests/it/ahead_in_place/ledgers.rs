//! Random books for the comparison: a few customers (or more than a page of them) in one or two
//! currencies, with open debits and credits of random dates and amounts (some dated after the
//! run), some customers linked to existing vendors (some of them blocked) or to a vendor that does
//! not exist, some on payment hold, under each `open_debits` policy, with or without linking
//! one-time vendors back to their customers.

use std::ops::RangeInclusive;
use std::path::Path;

use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use reimburse::fixtures::{
    Fixture, FixtureCustomer, FixtureSettlement, FixtureTransaction, FixtureVendor,
};
use reimburse::parameters::{Company, OpenDebits, Parameters};
use rust_decimal::Decimal;

/// The existing vendors `V-1` … `V-4`.
const VENDORS: usize = 4;

/// A customer of random books.
#[derive(Debug, Clone)]
pub struct Customer {
    /// In EUR rather than USD (when the books have both).
    eur: bool,
    /// 0 to 2: no vendor account; 3 to 6: the existing vendor `V-1` … `V-4`; 7: `V-404`, which
    /// does not exist.
    vendor: u8,
    hold: bool,
    /// Signed amounts in cents, whether each is in the other currency, and its day (from
    /// 2026-09-01; the run is on day 90, 2026-11-30).
    transactions: Vec<(i64, bool, u8)>,
    /// Settle the first debit against the first credit of its currency.
    settle: bool,
}

/// Random books: parameters and ledger.
#[derive(Debug, Clone)]
pub struct Books {
    two_currencies: bool,
    /// EUR → USD, in ten-thousandths.
    rate: i64,
    /// The minimum reimbursement, in cents.
    minimum: i64,
    policy: OpenDebits,
    link_one_time_vendor: bool,
    /// Which of `V-1` … `V-4` are blocked.
    blocked: Vec<bool>,
    customers: Vec<Customer>,
}

fn customer() -> impl Strategy<Value = Customer> {
    // More credits than debits; one transaction in 25 dated after the run.
    let amount = prop_oneof![3 => -20_000i64..=-1, 2 => 1i64..=20_000];
    let day = prop_oneof![24 => 0u8..=90, 1 => 91u8..=99];
    (
        any::<bool>(),
        0u8..8,
        prop::bool::weighted(0.08),
        prop::collection::vec((amount, prop::bool::weighted(0.2), day), 1..=4),
        any::<bool>(),
    )
        .prop_map(|(eur, vendor, hold, transactions, settle)| Customer {
            eur,
            vendor,
            hold,
            transactions,
            settle,
        })
}

/// Random books with a number of customers in `customers`.
pub fn books(customers: RangeInclusive<usize>) -> impl Strategy<Value = Books> {
    (
        any::<bool>(),
        5_000i64..=20_000,
        0i64..=5_000,
        prop_oneof![
            Just(OpenDebits::Net),
            Just(OpenDebits::Skip),
            Just(OpenDebits::Ignore)
        ],
        any::<bool>(),
        prop::collection::vec(prop::bool::weighted(0.3), VENDORS),
        prop::collection::vec(customer(), customers),
    )
        .prop_map(
            |(two_currencies, rate, minimum, policy, link_one_time_vendor, blocked, customers)| {
                Books {
                    two_currencies,
                    rate,
                    minimum,
                    policy,
                    link_one_time_vendor,
                    blocked,
                    customers,
                }
            },
        )
}

/// One sample of [`books`], the same every time (proptest's deterministic runner), where only
/// every `busy`-th customer and those within 20 of a page boundary (every 1,000) have
/// transactions: many pages read ahead, little work on each.
pub fn fixed_books(customers: usize, busy: usize) -> Books {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut b = books(customers..=customers)
        .new_tree(&mut runner)
        .expect("a sample")
        .current();
    for (i, c) in b.customers.iter_mut().enumerate() {
        let near_boundary = (i + 20) % 1000 < 40;
        if i % busy != 0 && !near_boundary {
            c.transactions.clear();
        }
    }
    b
}

fn cents(n: i64) -> Decimal {
    Decimal::new(n, 2)
}

impl Books {
    /// The company's parameters: the sample company's, changed as drawn; the database is
    /// `company.db` beside the company file.
    pub fn parameters(&self) -> Parameters {
        let mut p = reimburse::sample_company().unwrap().params;
        p.database = "company.db".into();
        p.minimum_reimbursement = cents(self.minimum);
        p.open_debits = self.policy;
        p.one_time_vendor.link_to_customer = self.link_one_time_vendor;
        if self.two_currencies {
            p.exchange_rates
                .insert("EUR".into(), Decimal::new(self.rate, 4));
        } else {
            p.currencies.remove("EUR");
            p.exchange_rates.clear();
        }
        p
    }

    /// Writes the books into `dir/company.db`; returns the parameters.
    pub fn write(&self, dir: &Path) -> Parameters {
        let params = self.parameters();
        let company = Company::from_parameters(&dir.join("company.yaml"), params.clone(), None)
            .expect("drawn parameters are valid");
        reimburse::init_company(
            &company,
            Some((Path::new("random.yaml"), &self.fixture())),
            false,
        )
        .expect("drawn books load");
        params
    }

    fn fixture(&self) -> Fixture {
        let mut f = Fixture::default();
        for (i, blocked) in self.blocked.iter().enumerate() {
            f.vendors.push(vendor(&format!("V-{}", i + 1), *blocked));
        }
        for (i, c) in self.customers.iter().enumerate() {
            self.add_customer(&mut f, i, c);
        }
        f
    }

    fn add_customer(&self, f: &mut Fixture, i: usize, c: &Customer) {
        let account = format!("C-{i:04}");
        let own = if c.eur && self.two_currencies {
            "EUR"
        } else {
            "USD"
        };
        let other = if own == "EUR" { "USD" } else { "EUR" };
        f.customers.push(FixtureCustomer {
            account: account.clone(),
            name: format!("Customer {i}"),
            address: None,
            currency: Some(own.into()),
            group: None,
            vendor_account: match c.vendor {
                0..=2 => None,
                7 => Some("V-404".into()),
                n => Some(format!("V-{}", n - 2)),
            },
            payment_hold: c.hold,
            tax_id: None,
            iban: None,
            bic: None,
        });
        let start = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
        let mut docs: Vec<(String, i64, &str)> = Vec::new();
        for (j, (amount, foreign, day)) in c.transactions.iter().enumerate() {
            let currency = if *foreign && self.two_currencies {
                other
            } else {
                own
            };
            let document = format!("D-{i}-{j}");
            f.transactions.push(FixtureTransaction {
                customer: Some(account.clone()),
                vendor: None,
                date: start + Days::new(u64::from(*day)),
                kind: if *amount > 0 { "invoice" } else { "payment" }.into(),
                document: document.clone(),
                amount: cents(*amount),
                currency: Some(currency.into()),
                applies_to: None,
            });
            docs.push((document, *amount, currency));
        }
        if c.settle
            && let Some((debit, _, currency)) = docs.iter().find(|d| d.1 > 0)
            && let Some((credit, _, _)) = docs.iter().find(|d| d.1 < 0 && d.2 == *currency)
        {
            f.settlements.push(FixtureSettlement {
                customer: Some(account),
                vendor: None,
                debit: debit.clone(),
                credit: credit.clone(),
                amount: None,
                date: None,
            });
        }
    }
}

fn vendor(account: &str, blocked: bool) -> FixtureVendor {
    FixtureVendor {
        account: account.into(),
        name: format!("Vendor {account}"),
        address: None,
        currency: None,
        group: None,
        blocked,
        one_time: false,
        created_for: None,
        payment_terms: None,
        method_of_payment: None,
        tax_id: None,
        iban: None,
        bic: None,
    }
}
