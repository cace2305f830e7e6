//! Issue 7, part 6: property tests. Random small ledgers and random rule parameters, run through
//! the library (an in-memory database, the default rules `rules/reimburse.rhai`, a fixed date);
//! after every run:
//!
//! 1. the trial balance is zero in every currency;
//! 2. no customer keeps a credit at or above the minimum unless the run reported it skipped with
//!    a reason (the remaining credit is what the rules would reimburse: the credit balance under
//!    `net` and `skip`, the open credits under `ignore`, compared with the minimum in the
//!    accounting currency, unrounded, as the rules do); and no reimbursement is below the minimum;
//! 3. every customer's balance in a currency rises by exactly what was reimbursed to it in that
//!    currency (settlement moves open amounts, never balances: under `net` the open debits are
//!    settled against the credits and only the rest is reimbursed), the vendors' balances fall by
//!    the same amounts, and the totals the run reports are the sums of its reimbursements;
//! 4. running again at once reimburses nothing and changes no balance.
//!
//! `PROPTEST_CASES` changes the number of cases (64 by default). To see the properties fail,
//! point `REIMBURSE_PROPERTY_RULES` at a broken copy of the rules; the `*_bites` tests below do
//! that with fixed ledgers, so the checks are known to catch what they are meant to catch.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use proptest::prelude::*;
use reimburse::fixtures::{
    self, Fixture, FixtureCustomer, FixtureSettlement, FixtureTransaction, FixtureVendor,
};
use reimburse::ledger::{Ledger, Side};
use reimburse::parameters::{Company, OpenDebits};
use reimburse::process::{self, RunOptions, RunReport, Selection};
use reimburse::scripting::{Echo, Session};
use reimburse::store::Store;
use rust_decimal::Decimal;

/// A customer of a generated ledger.
#[derive(Debug, Clone)]
struct Cust {
    eur: bool,
    /// 0: no vendor account, 1: the existing vendor V-1, 2: a vendor that does not exist.
    vendor: u8,
    hold: bool,
    /// Signed amounts in cents, and whether each is in the other currency.
    transactions: Vec<(i64, bool)>,
    /// Settle the first invoice against the first payment of the same currency first.
    settle: bool,
}

/// A generated company: parameters and ledger.
#[derive(Debug, Clone)]
struct Books {
    two_currencies: bool,
    /// EUR → USD, in ten-thousandths.
    rate: i64,
    /// In cents.
    minimum: i64,
    policy: OpenDebits,
    customers: Vec<Cust>,
}

fn cents(n: i64) -> Decimal {
    Decimal::new(n, 2)
}

fn books() -> impl Strategy<Value = Books> {
    let amount = prop_oneof![-20_000i64..=-1, 1i64..=20_000];
    let customer = (
        any::<bool>(),
        0u8..3,
        prop::bool::weighted(0.15),
        prop::collection::vec((amount, prop::bool::weighted(0.2)), 0..=4),
        any::<bool>(),
    )
        .prop_map(|(eur, vendor, hold, transactions, settle)| Cust {
            eur,
            vendor,
            hold,
            transactions,
            settle,
        });
    (
        any::<bool>(),
        5_000i64..=20_000,
        0i64..=10_000,
        prop_oneof![
            Just(OpenDebits::Net),
            Just(OpenDebits::Skip),
            Just(OpenDebits::Ignore)
        ],
        prop::collection::vec(customer, 1..=8),
    )
        .prop_map(|(two_currencies, rate, minimum, policy, customers)| Books {
            two_currencies,
            rate,
            minimum,
            policy,
            customers,
        })
}

fn rules_file() -> PathBuf {
    std::env::var_os("REIMBURSE_PROPERTY_RULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/reimburse.rhai"))
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, day).unwrap()
}

const RUN_DATE: (i32, u32, u32) = (2026, 11, 30);

/// The company and the fixture ledger of generated books.
fn company_and_fixture(b: &Books) -> (Company, Fixture) {
    let mut company = reimburse::sample_company().unwrap();
    let p = &mut company.params;
    p.minimum_reimbursement = cents(b.minimum);
    p.open_debits = b.policy;
    if b.two_currencies {
        p.exchange_rates
            .insert("EUR".into(), Decimal::new(b.rate, 4));
    } else {
        p.currencies.remove("EUR");
        p.exchange_rates.clear();
    }
    let company = Company::from_parameters(Path::new("properties.yaml"), company.params, None)
        .expect("generated parameters are valid");

    let mut f = Fixture {
        vendors: vec![FixtureVendor {
            account: "V-1".into(),
            name: "Existing vendor".into(),
            address: None,
            currency: None,
            group: None,
            blocked: false,
            one_time: false,
            created_for: None,
            payment_terms: None,
            method_of_payment: None,
            tax_id: None,
            iban: None,
            bic: None,
        }],
        ..Default::default()
    };
    for (i, c) in b.customers.iter().enumerate() {
        let account = format!("C-{i:03}");
        let own = if c.eur && b.two_currencies {
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
                0 => None,
                1 => Some("V-1".into()),
                _ => Some("V-404".into()),
            },
            payment_hold: c.hold,
            tax_id: None,
            iban: None,
            bic: None,
        });
        let mut docs: Vec<(String, i64, String)> = Vec::new();
        for (j, (amount, foreign)) in c.transactions.iter().enumerate() {
            let currency = if *foreign && b.two_currencies {
                other
            } else {
                own
            };
            let document = format!("D-{i}-{j}");
            f.transactions.push(FixtureTransaction {
                customer: Some(account.clone()),
                vendor: None,
                date: date(1 + j as u32),
                kind: if *amount > 0 { "invoice" } else { "payment" }.into(),
                document: document.clone(),
                amount: cents(*amount),
                currency: Some(currency.into()),
                applies_to: None,
            });
            docs.push((document, *amount, currency.into()));
        }
        if c.settle
            && let Some((debit, _, currency)) = docs.iter().find(|d| d.1 > 0)
            && let Some((credit, _, _)) = docs.iter().find(|d| d.1 < 0 && d.2 == *currency)
        {
            f.settlements.push(FixtureSettlement {
                customer: Some(account.clone()),
                vendor: None,
                debit: debit.clone(),
                credit: credit.clone(),
                amount: None,
                date: None,
            });
        }
    }
    (company, f)
}

/// Balances per (account, currency) on one side.
fn balances(
    ledger: &Ledger,
    side: Side,
) -> BTreeMap<(String, String), (Decimal, Decimal, Decimal)> {
    ledger
        .all_balances(side)
        .unwrap()
        .into_iter()
        .map(|b| {
            let b = b.balance;
            (
                (b.account, b.currency),
                (b.balance, b.open_debit, b.open_credit),
            )
        })
        .collect()
}

fn run(session: &std::rc::Rc<Session>, rules: &Path) -> Result<RunReport, String> {
    let options = RunOptions {
        selection: Selection::All,
        date: NaiveDate::from_ymd_opt(RUN_DATE.0, RUN_DATE.1, RUN_DATE.2).unwrap(),
        rules: rules.to_path_buf(),
        dry_run: false,
        keep_going: false,
        user: "properties".into(),
    };
    process::run(session, &options).map_err(|e| format!("the run failed: {e}"))
}

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Runs the rules over the books and checks the four properties; the first violation is the
/// error.
fn check(b: &Books, rules: &Path) -> Result<(), String> {
    let (company, fixture) = company_and_fixture(b);
    let params = company.params.clone();
    let ledger = Ledger::new(Store::in_memory().unwrap(), params.clone()).unwrap();
    fixtures::load(&ledger, Path::new("properties.yaml"), &fixture)
        .map_err(|e| format!("the generated ledger does not load: {e}"))?;
    let session = Session::new(ledger, date(1), Echo::Collect);
    let ledger = session.ledger();
    let customers_before = balances(ledger, Side::Customer);
    let vendors_before = balances(ledger, Side::Vendor);

    let report = run(&session, rules)?;
    let customers_after = balances(ledger, Side::Customer);
    let vendors_after = balances(ledger, Side::Vendor);

    // 1. The trial balance is zero per currency.
    for (currency, total) in ledger.trial_balance_totals().unwrap() {
        ensure!(total.is_zero(), "trial balance {total} {currency}");
    }

    // Reimbursed per (customer, currency) and per (vendor, currency).
    let mut to_customer: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    let mut to_vendor: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    let mut totals: BTreeMap<String, Decimal> = BTreeMap::new();
    for r in &report.reimbursements {
        ensure!(r.amount > Decimal::ZERO, "a reimbursement of {}", r.amount);
        let in_accounting = params.to_accounting(r.amount, &r.currency).unwrap();
        ensure!(
            in_accounting >= params.minimum_reimbursement,
            "{} {} reimbursed {} {} ({in_accounting} {}), below the minimum {}",
            r.customer,
            r.currency,
            r.amount,
            r.currency,
            params.accounting_currency,
            params.minimum_reimbursement
        );
        *to_customer
            .entry((r.customer.clone(), r.currency.clone()))
            .or_default() += r.amount;
        *to_vendor
            .entry((r.vendor.clone(), r.currency.clone()))
            .or_default() += r.amount;
        *totals.entry(r.currency.clone()).or_default() += r.amount;
    }
    ensure!(
        totals == report.totals,
        "the run reports totals {:?}, its reimbursements sum to {totals:?}",
        report.totals
    );

    // 2. No credit at or above the minimum is left without a reason.
    for ((account, currency), (balance, _, open_credit)) in &customers_after {
        let remaining = match params.open_debits {
            OpenDebits::Ignore => -*open_credit,
            OpenDebits::Net | OpenDebits::Skip => {
                if *open_credit < Decimal::ZERO {
                    -*balance
                } else {
                    Decimal::ZERO
                }
            }
        };
        if remaining <= Decimal::ZERO {
            continue;
        }
        let in_accounting = params.to_accounting(remaining, currency).unwrap();
        if in_accounting < params.minimum_reimbursement {
            continue;
        }
        let reason = report
            .skipped
            .iter()
            .find(|k| k.customer == *account && k.currency == *currency)
            .map(|k| k.reason.trim());
        match reason {
            Some(r) if !r.is_empty() => {}
            Some(_) => {
                return Err(format!(
                    "{account} keeps a credit of {remaining} {currency} ({in_accounting} {}, minimum {}), skipped without a reason",
                    params.accounting_currency, params.minimum_reimbursement
                ));
            }
            None => {
                return Err(format!(
                    "{account} keeps a credit of {remaining} {currency} ({in_accounting} {}, minimum {}) and the run did not report it skipped",
                    params.accounting_currency, params.minimum_reimbursement
                ));
            }
        }
    }

    // 3. Balances move by exactly what was reimbursed.
    let zero = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let keys: std::collections::BTreeSet<_> = customers_before
        .keys()
        .chain(customers_after.keys())
        .cloned()
        .collect();
    for key in keys {
        let before = customers_before.get(&key).unwrap_or(&zero).0;
        let after = customers_after.get(&key).unwrap_or(&zero).0;
        let reimbursed = to_customer.get(&key).copied().unwrap_or_default();
        ensure!(
            after - before == reimbursed,
            "{} {}: balance {before} -> {after}, but {reimbursed} was reimbursed",
            key.0,
            key.1
        );
    }
    let keys: std::collections::BTreeSet<_> = vendors_before
        .keys()
        .chain(vendors_after.keys())
        .cloned()
        .collect();
    for key in keys {
        let before = vendors_before.get(&key).unwrap_or(&zero).0;
        let after = vendors_after.get(&key).unwrap_or(&zero).0;
        let reimbursed = to_vendor.get(&key).copied().unwrap_or_default();
        ensure!(
            before - after == reimbursed,
            "vendor {} {}: balance {before} -> {after}, but {reimbursed} was invoiced",
            key.0,
            key.1
        );
    }

    // 4. Running again reimburses nothing and changes no balance.
    let again = run(&session, rules)?;
    ensure!(
        again.reimbursements.is_empty(),
        "the second run reimbursed {:?}",
        again
            .reimbursements
            .iter()
            .map(|r| format!("{} {} {}", r.customer, r.amount, r.currency))
            .collect::<Vec<_>>()
    );
    ensure!(
        balances(ledger, Side::Customer) == customers_after,
        "the second run changed customer balances"
    );
    ensure!(
        balances(ledger, Side::Vendor) == vendors_after,
        "the second run changed vendor balances"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        // `PROPTEST_CASES` overrides this.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64),
        // Failures are kept by the printed seed, not in a file beside the test.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_run_keeps_the_books_sound_and_is_not_repeated(b in books()) {
        check(&b, &rules_file()).map_err(TestCaseError::fail)?;
    }
}

// The properties bite: each broken copy of the rules below must be caught on a ledger where it
// does damage.

/// A copy of the shipped rules with `from` replaced by `to`, in a temporary folder.
fn broken_rules(from: &str, to: &str) -> (tempfile::TempDir, PathBuf) {
    let text = std::fs::read_to_string(rules_file()).unwrap();
    assert!(text.contains(from), "the rules no longer contain {from:?}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.rhai");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    (dir, path)
}

/// One USD customer with a credit of 30.00 and one with 10.00; minimum 25.00; policy `net`.
fn two_credits() -> Books {
    let cust = |amount| Cust {
        eur: false,
        vendor: 0,
        hold: false,
        transactions: vec![(amount, false)],
        settle: false,
    };
    Books {
        two_currencies: false,
        rate: 10_000,
        minimum: 2_500,
        policy: OpenDebits::Net,
        customers: vec![cust(-3_000), cust(-1_000)],
    }
}

#[test]
fn the_shipped_rules_pass_the_fixed_ledger() {
    check(&two_credits(), &rules_file()).unwrap();
}

#[test]
fn a_rule_that_ignores_the_minimum_is_caught() {
    let (_dir, rules) = broken_rules(
        "if to_accounting(amount, credit.currency) < p.minimum_reimbursement {",
        "if false {",
    );
    let err = check(&two_credits(), &rules).unwrap_err();
    assert!(err.contains("below the minimum 25.00"), "{err}");
}

#[test]
fn a_rule_that_skips_without_a_reason_is_caught() {
    let (_dir, rules) = broken_rules(
        "    if customer.payment_hold {",
        "    if -credit.balance < 20.00 { return \"\"; }\n    if customer.payment_hold {",
    );
    let mut b = two_credits();
    // The credit of 10.00 reaches a minimum of 5.00, and the rule skips it with "".
    b.minimum = 500;
    let err = check(&b, &rules).unwrap_err();
    assert!(err.contains("skipped without a reason"), "{err}");
}

#[test]
fn a_rule_that_reimburses_part_of_the_credit_is_caught() {
    let (_dir, rules) = broken_rules(
        "        -credit.balance\n",
        "        round_money(-credit.balance / 2, credit.currency)\n",
    );
    let mut b = two_credits();
    b.customers[0].transactions = vec![(-10_000, false)];
    let err = check(&b, &rules).unwrap_err();
    assert!(
        err.contains("keeps a credit of 50.00 USD") && err.contains("did not report it skipped"),
        "{err}"
    );
}
