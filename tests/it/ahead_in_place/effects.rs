//! The exact effect of each rule variant on the books, against what the default rules' dry run
//! on the same books did ([`Base`]): the reimbursements made, the skips and failures added, the
//! lines printed, the vendors and descriptions written.

use std::collections::{BTreeMap, BTreeSet};

use reimburse::parameters::OpenDebits;
use reimburse::process::{Failed, Reimbursement, RunReport, Skipped};
use rust_decimal::Decimal;
use serde_json::Value;

use super::books::Books;
use super::variants::{failing, first_one_time_vendor, last_digit};

/// What the default rules do to the books, worked out by a dry run before any variant runs.
pub struct Base {
    /// The default rules' dry run.
    pub report: RunReport,
    /// The books before any run.
    pub books: Books,
    /// The company's `open_debits` parameter.
    pub policy: OpenDebits,
    /// Open debits per (customer, currency) before any run, where there are any.
    pub open_debits: BTreeMap<(String, String), Decimal>,
}

/// `Ok` when `ok`, else the error `what` says.
pub(super) fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what()) }
}

/// What a reimbursement is, leaving out its id, run and status (a dry run's are not kept).
type Row = (String, String, bool, String, Decimal, String, String);

/// A reimbursement's [`Row`].
fn row(r: &Reimbursement) -> Row {
    (
        r.customer.clone(),
        r.vendor.clone(),
        r.one_time_vendor,
        r.currency.clone(),
        r.amount,
        r.voucher.clone(),
        r.vendor_invoice.clone(),
    )
}

/// The [`Row`]s of a list.
fn rows<'a>(list: impl IntoIterator<Item = &'a Reimbursement>) -> Vec<Row> {
    list.into_iter().map(row).collect()
}

/// Customer, currency and amount of each reimbursement.
fn credits<'a>(
    list: impl IntoIterator<Item = &'a Reimbursement>,
) -> Vec<(String, String, Decimal)> {
    list.into_iter()
        .map(|r| (r.customer.clone(), r.currency.clone(), r.amount))
        .collect()
}

/// `Ok` when `got` is `expected`, else a diff of the two.
fn equal<T: PartialEq + std::fmt::Debug>(what: &str, got: T, expected: T) -> Result<(), String> {
    ensure(got == expected, || {
        format!(
            "{what}:\n{}",
            super::books::diff(
                &format!("{expected:#?}"),
                &format!("{got:#?}"),
                "expected",
                "got"
            )
        )
    })
}

/// The default rules' reimbursements and skips, nothing failed, nothing printed.
pub(super) fn same(d: &RunReport, r: &RunReport) -> Result<(), String> {
    equal(
        "reimbursements",
        rows(&r.reimbursements),
        rows(&d.reimbursements),
    )?;
    equal("skipped", &r.skipped, &d.skipped)?;
    equal("failed", r.failed.len(), 0)?;
    equal("output", r.output.len(), 0)
}

/// The skips besides the default rules' ones, as (customer, currency, reason), in order.
fn new_skips(d: &RunReport, r: &RunReport) -> Result<Vec<(String, String, String)>, String> {
    let old: Vec<&Skipped> = r.skipped.iter().filter(|k| d.skipped.contains(k)).collect();
    equal("the default rules' skips", old, d.skipped.iter().collect())?;
    Ok(r.skipped
        .iter()
        .filter(|k| !d.skipped.contains(k))
        .map(|k| (k.customer.clone(), k.currency.clone(), k.reason.clone()))
        .collect())
}

/// Every credit from the 7th posting on gets the number that ends in 7 (the skip gives it back)
/// and is skipped after writing.
pub(super) fn seven(d: &RunReport, r: &RunReport) -> Result<(), String> {
    let Some(i) = d
        .reimbursements
        .iter()
        .position(|x| x.voucher.ends_with('7'))
    else {
        return same(d, r);
    };
    equal(
        "reimbursements",
        rows(&r.reimbursements),
        rows(&d.reimbursements[..i]),
    )?;
    let reason = format!("number {}", d.reimbursements[i].voucher);
    let expected: Vec<_> = d.reimbursements[i..]
        .iter()
        .map(|x| (x.customer.clone(), x.currency.clone(), reason.clone()))
        .collect();
    equal("skips after writing", new_skips(d, r)?, expected)
}

/// Replays the default rules' reimbursements: the n-th posting takes the n-th voucher (and
/// vendor invoice) number, and a skip after writing gives the numbers back.
pub(super) fn number_digits(d: &RunReport, r: &RunReport) -> Result<(), String> {
    let (mut made, mut skipped, mut n) = (Vec::new(), Vec::new(), 0);
    for x in &d.reimbursements {
        let number = &d.reimbursements[n].voucher;
        if (last_digit(number) + last_digit(&x.customer)).is_multiple_of(3) {
            let reason = format!("number {number} for {}", x.customer);
            skipped.push((x.customer.clone(), x.currency.clone(), reason));
        } else {
            let invoice = d.reimbursements[n].vendor_invoice.clone();
            made.push((
                x.customer.clone(),
                x.currency.clone(),
                x.amount,
                number.clone(),
                invoice,
            ));
            n += 1;
        }
    }
    let got: Vec<_> = r
        .reimbursements
        .iter()
        .map(|x| {
            let (voucher, invoice) = (x.voucher.clone(), x.vendor_invoice.clone());
            (
                x.customer.clone(),
                x.currency.clone(),
                x.amount,
                voucher,
                invoice,
            )
        })
        .collect();
    equal("reimbursements", got, made)?;
    equal("skips after writing", new_skips(d, r)?, skipped)
}

/// `number` moved on by `n` (same prefix and width).
fn nth(number: &str, n: usize) -> String {
    let digits = number.len()
        - number
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .len();
    let (prefix, value) = number.split_at(digits);
    let value: usize = value.parse().unwrap();
    format!(
        "{prefix}{:0width$}",
        value + n,
        width = number.len() - digits
    )
}

/// The vendors section of the books: account → name.
fn vendor_names(books: &Books) -> BTreeMap<String, String> {
    books
        .section("vendors and their transactions")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("name").is_some())
        .map(|v| {
            (
                v["account"].as_str().unwrap().into(),
                v["name"].as_str().unwrap().into(),
            )
        })
        .collect()
}

/// Each one-time vendor takes a vendor invoice number before its first invoice.
pub(super) fn vendor_named_by_number(
    d: &RunReport,
    r: &RunReport,
    books: &Books,
) -> Result<(), String> {
    let Some(first) = d.reimbursements.first() else {
        return same(d, r);
    };
    let names = vendor_names(books);
    let (mut created, mut taken) = (BTreeSet::new(), 0);
    let mut expected = Vec::new();
    for (j, x) in d.reimbursements.iter().enumerate() {
        let mut row = row(x);
        if x.one_time_vendor && created.insert(x.vendor.clone()) {
            let number = nth(&first.vendor_invoice, j + taken);
            let name = names
                .get(&x.vendor)
                .ok_or(format!("no vendor {}", x.vendor))?;
            ensure(name.ends_with(&format!(" {number}")), || {
                format!("vendor {} is named {name:?}, not after {number}", x.vendor)
            })?;
            taken += 1;
        }
        row.6 = nth(&first.vendor_invoice, j + taken);
        expected.push(row);
    }
    equal("reimbursements", rows(&r.reimbursements), expected)?;
    equal("skipped", &r.skipped, &d.skipped)
}

/// Under `ignore`, a credit of a customer who also owes something in its currency is skipped
/// after writing (the debts stay open); the rest is the default rules' run.
pub(super) fn reads_after_settling(base: &Base, r: &RunReport) -> Result<(), String> {
    let d = &base.report;
    let owes = |x: &Reimbursement| match base.policy {
        OpenDebits::Ignore => base
            .open_debits
            .get(&(x.customer.clone(), x.currency.clone())),
        _ => None,
    };
    let kept = d.reimbursements.iter().filter(|x| owes(x).is_none());
    equal("reimbursements", credits(&r.reimbursements), credits(kept))?;
    let skipped: Vec<_> = d
        .reimbursements
        .iter()
        .filter_map(|x| {
            let reason = format!("owes {} {} after settling", owes(x)?, x.currency);
            Some((x.customer.clone(), x.currency.clone(), reason))
        })
        .collect();
    equal("skips after writing", new_skips(d, r)?, skipped)
}

/// The export shows, for each reimbursement, whether the first one-time vendor existed yet.
pub(super) fn earlier_vendor(d: &RunReport, r: &RunReport, books: &Books) -> Result<(), String> {
    same(d, r)?;
    let export = books.section("export");
    let first = d.reimbursements.iter().position(|x| x.one_time_vendor);
    let before = first.unwrap_or(d.reimbursements.len());
    equal(
        "descriptions before the first one-time vendor",
        export.matches("(first one-time vendor: none yet)").count(),
        before,
    )?;
    if let Some(i) = first {
        let x = &d.reimbursements[i];
        let seen = format!("(first one-time vendor: {} of {})", x.vendor, x.customer);
        equal(
            "descriptions after it",
            export.matches(&seen).count(),
            d.reimbursements.len() - i,
        )?;
    }
    Ok(())
}

/// The default rules' one-time vendors are all `SHARED`, created once.
pub(super) fn shared_vendor(d: &RunReport, r: &RunReport, books: &Books) -> Result<(), String> {
    let expected: Vec<_> = d
        .reimbursements
        .iter()
        .map(|x| {
            let vendor = if x.one_time_vendor {
                "SHARED"
            } else {
                &x.vendor
            };
            (
                x.customer.clone(),
                vendor.to_string(),
                x.currency.clone(),
                x.amount,
            )
        })
        .collect();
    let got: Vec<_> = r
        .reimbursements
        .iter()
        .map(|x| {
            (
                x.customer.clone(),
                x.vendor.clone(),
                x.currency.clone(),
                x.amount,
            )
        })
        .collect();
    equal("reimbursements", got, expected)?;
    equal("skipped", &r.skipped, &d.skipped)?;
    let one_time = books
        .section("vendors and their transactions")
        .matches("\"one_time\":true")
        .count();
    equal(
        "one-time vendors",
        one_time,
        usize::from(first_one_time_vendor(d).is_some()),
    )
}

/// The lines come out in the order of the hooks' calls.
pub(super) fn prints(d: &RunReport, r: &RunReport) -> Result<(), String> {
    let mut expected = Vec::new();
    let mut created = BTreeSet::new();
    for x in &d.reimbursements {
        if x.one_time_vendor && created.insert(&x.vendor) {
            expected.push(format!("vendor for {}", x.customer));
        }
        expected.push(format!("post {} {}", x.customer, x.currency));
        expected.push(format!("posted {}", x.voucher));
    }
    equal("output", &r.output, &expected)?;
    equal(
        "reimbursements",
        rows(&r.reimbursements),
        rows(&d.reimbursements),
    )
}

/// Under `keep_going`, the failing customer's work is undone and reported; the others are
/// reimbursed.
pub(super) fn fails(d: &RunReport, r: &RunReport) -> Result<(), String> {
    let Some(customer) = failing(d) else {
        return same(d, r);
    };
    let failed: Vec<&Failed> = r.failed.iter().collect();
    equal("failed customers", failed.len(), 1)?;
    equal("failed customer", failed[0].customer.as_str(), customer)?;
    ensure(
        failed[0]
            .error
            .contains(&format!("rule failed for {customer}")),
        || format!("the failure: {}", failed[0].error),
    )?;
    let kept = d.reimbursements.iter().filter(|x| x.customer != customer);
    equal("reimbursements", credits(&r.reimbursements), credits(kept))?;
    // The failing customer's skips (a credit in another currency) go with its work.
    let skipped: Vec<_> = d
        .skipped
        .iter()
        .filter(|k| k.customer != customer)
        .collect();
    equal("skipped", r.skipped.iter().collect::<Vec<_>>(), skipped)
}
