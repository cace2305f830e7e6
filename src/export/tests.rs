//! Unit tests of the export: names, commodities, amounts, and small ledgers in both formats.

use super::text::{commodity, decimals_text};
use super::*;
use crate::ledger::{LineDraft, Target, VoucherDraft};
use crate::money::Currency;
use crate::parameters::PostingAccounts;
use crate::store::Store;

fn names() -> AccountNames {
    AccountNames::new(&PostingAccounts {
        receivables: "1200".into(),
        payables: "2000".into(),
        bank: "1010".into(),
        opening_balance: "3999".into(),
        import: None,
    })
}

#[test]
fn components_are_valid_for_both_formats() {
    assert_eq!(component("C-001"), "C-001");
    assert_eq!(component("1200"), "1200");
    assert_eq!(component("c 001"), "C-001");
    assert_eq!(component("C_001/é"), "C-001--");
    assert_eq!(component("_x"), "X-x");
    assert_eq!(component(""), "X");
    assert_eq!(component("-1"), "X-1");
    assert_eq!(component("Ünïcode"), "X-n-code");
    for text in ["a", "C:1", "x y", "  ", "9", "ÅB", "--", "(1)"] {
        let c = component(text);
        let mut chars = c.chars();
        let first = chars.next().unwrap();
        assert!(
            first.is_ascii_uppercase() || first.is_ascii_digit(),
            "{text:?} -> {c:?}"
        );
        assert!(
            chars.all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{text:?} -> {c:?}"
        );
    }
}

#[test]
fn accounts_are_named_by_role_then_by_number() {
    let n = names();
    assert_eq!(n.gl("1200"), "Assets:Receivables");
    assert_eq!(n.gl("2000"), "Liabilities:Payables");
    assert_eq!(n.gl("1010"), "Assets:Bank");
    assert_eq!(n.gl("3999"), "Equity:Opening-Balances");
    assert_eq!(n.gl("1500"), "Assets:GL-1500");
    assert_eq!(n.gl("2100"), "Liabilities:GL-2100");
    assert_eq!(n.gl("4000"), "Income:GL-4000");
    assert_eq!(n.gl("6100"), "Expenses:GL-6100");
    assert_eq!(n.gl("misc"), "Equity:GL-Misc");
    assert_eq!(
        n.name(&("1200".into(), Some(Party::Customer("C-001".into())))),
        "Assets:Receivables:C-001"
    );
    assert_eq!(
        n.name(&("2000".into(), Some(Party::Vendor("otv 7".into())))),
        "Liabilities:Payables:Otv-7"
    );
}

#[test]
fn currency_codes_are_checked_per_format() {
    assert_eq!(commodity("USD", Format::Beancount).unwrap(), "USD");
    assert_eq!(commodity("X1", Format::Beancount).unwrap(), "X1");
    assert!(commodity("usd", Format::Beancount).is_err());
    assert!(commodity("U", Format::Beancount).is_err());
    assert!(commodity("1US", Format::Beancount).is_err());
    assert_eq!(commodity("USD", Format::Ledger).unwrap(), "USD");
    assert_eq!(commodity("X1", Format::Ledger).unwrap(), "\"X1\"");
    assert!(commodity("A\"B", Format::Ledger).is_err());
}

#[test]
fn amounts_are_exact_in_their_currencies_decimals() {
    let jpy = Currency::new("JPY", 0);
    let kwd = Currency::new("KWD", 3);
    let usd = Currency::new("USD", 2);
    assert_eq!(amount_text(&jpy, 500), "500");
    assert_eq!(amount_text(&jpy, -1), "-1");
    assert_eq!(amount_text(&kwd, 1250), "1.250");
    assert_eq!(amount_text(&kwd, -1), "-0.001");
    assert_eq!(amount_text(&usd, 5), "0.05");
    assert_eq!(amount_text(&usd, -5000), "-50.00");
    assert_eq!(
        amount_text(&usd, i64::MAX),
        "92233720368547758.07",
        "no floating point"
    );
    assert_eq!(decimals_text(&jpy), "");
    assert_eq!(decimals_text(&kwd), ".000");
}

const PARAMS: &str = r#"
company: { id: T, name: "Test; \"Co\"" }
accounting_currency: USD
currencies: { USD: { decimals: 2 }, JPY: { decimals: 0 }, KWD: { decimals: 3 } }
exchange_rates: { JPY: 0.0067, KWD: 3.25 }
minimum_reimbursement: 25.00
accounts: { receivables: "1200", payables: "2000", bank: "1000", opening_balance: "3999" }
one_time_vendor: { group: ONETIME, sequence: { prefix: OTV-, width: 4 } }
sequences:
  reimbursement: { prefix: RMB-, width: 6 }
  vendor_invoice: { prefix: VI-, width: 6 }
  payment: { prefix: PAY-, width: 6 }
  opening: { prefix: OPN-, width: 6 }
database: test.db
rules: reimburse.rhai
"#;

fn ledger(customers: &[&str]) -> Ledger {
    let company =
        crate::parameters::Company::from_yaml(std::path::Path::new("c.yaml"), PARAMS).unwrap();
    let l = Ledger::new(Store::in_memory().unwrap(), company.params).unwrap();
    for c in customers {
        l.create_customer(&crate::ledger::tests::customer(
            c,
            &format!("Customer {c}, Inc"),
        ))
        .unwrap();
    }
    l
}

fn post(l: &Ledger, date: &str, customer: &str, currency: &str, amount: &str) {
    let d = crate::money::parse_decimal(amount).unwrap();
    l.post_voucher(&VoucherDraft {
        sequence: "opening".into(),
        date: date.parse().unwrap(),
        description: "Opening; \"quoted\" line".into(),
        lines: vec![
            LineDraft {
                target: Target::Customer(customer.into()),
                currency: currency.into(),
                amount: d,
                document: None,
                kind: None,
            },
            LineDraft {
                target: Target::Account("3999".into()),
                currency: currency.into(),
                amount: -d,
                document: None,
                kind: None,
            },
        ],
    })
    .unwrap();
    // The ledger refuses a line break in a description; one written by an older version
    // must still come out on one line.
    l.store()
        .conn()
        .execute(
            "UPDATE vouchers SET description = 'Opening; \"quoted\"' || char(10) || 'line'",
            [],
        )
        .unwrap();
}

fn export(l: &Ledger, format: Format, from: Option<&str>, to: Option<&str>) -> String {
    let mut out = Vec::new();
    write_journal(
        l,
        format,
        from.map(|d| d.parse().unwrap()),
        to.map(|d| d.parse().unwrap()),
        &mut out,
    )
    .unwrap();
    String::from_utf8(out).unwrap()
}

/// The posting lines (indented by `indent`, not metadata), with their spaces collapsed; checks
/// that at least two spaces separate the account from the amount.
fn postings(text: &str, indent: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix(indent))
        .filter(|l| l.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|l| {
            let (account, amount) = l.split_once("  ").expect("two spaces before the amount");
            assert!(!account.contains(' '), "{l}");
            format!(
                "{account} {}",
                amount.split_whitespace().collect::<Vec<_>>().join(" ")
            )
        })
        .collect()
}

#[test]
fn exports_exact_amounts_in_both_formats() {
    let l = ledger(&["C-1"]);
    post(&l, "2026-10-02", "C-1", "JPY", "-500");
    post(&l, "2026-10-01", "C-1", "KWD", "1.250");
    post(&l, "2026-10-03", "C-1", "USD", "0.05");
    let text = export(&l, Format::Ledger, None, None);
    assert!(
        text.contains("commodity JPY\n    format 1000 JPY\n"),
        "{text}"
    );
    assert!(text.contains("    format 1000.000 KWD\n"), "{text}");
    assert!(
        text.contains("account Assets:Receivables:C-1\n    ; gl-account: 1200\n    ; customer: C-1\n    ; name: Customer C-1, Inc\n"),
        "{text}"
    );
    // In date order, whatever the posting order; `;` and line breaks are kept out.
    let kwd = text
        .find("2026-10-01 (OPN-000002) Opening, \"quoted\" line\n")
        .unwrap();
    let jpy = text.find("2026-10-02 (OPN-000001)").unwrap();
    assert!(kwd < jpy, "{text}");
    let lines = postings(&text, "    ");
    for posting in [
        "Assets:Receivables:C-1 -500 JPY",
        "Equity:Opening-Balances 500 JPY",
        "Assets:Receivables:C-1 1.250 KWD",
        "Equity:Opening-Balances -1.250 KWD",
        "Assets:Receivables:C-1 0.05 USD",
        "Equity:Opening-Balances -0.05 USD",
    ] {
        assert!(lines.contains(&posting.to_string()), "{posting}: {lines:?}");
    }

    let bean = export(&l, Format::Beancount, None, None);
    assert!(
        bean.contains("option \"title\" \"Test; \\\"Co\\\"\"\n"),
        "{bean}"
    );
    assert!(
        bean.contains("option \"operating_currency\" \"USD\"\n"),
        "{bean}"
    );
    assert!(bean.contains("2026-10-01 commodity JPY\n"), "{bean}");
    assert!(
        bean.contains(
            "2026-10-01 open Assets:Receivables:C-1\n  gl-account: \"1200\"\n  customer: \"C-1\"\n"
        ),
        "{bean}"
    );
    assert!(
        bean.contains("2026-10-01 * \"Opening; \\\"quoted\\\" line\"\n  voucher: \"OPN-000002\"\n  Assets:Receivables:C-1 "),
        "{bean}"
    );
    let lines = postings(&bean, "  ");
    assert!(
        lines.contains(&"Assets:Receivables:C-1 -500 JPY".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"Equity:Opening-Balances -1.250 KWD".to_string()),
        "{lines:?}"
    );
    assert_eq!(lines.len(), 6, "{lines:?}");
}

#[test]
fn exports_only_the_period() {
    let l = ledger(&["C-1", "C-2"]);
    post(&l, "2026-10-01", "C-1", "USD", "1.00");
    post(&l, "2026-10-15", "C-2", "USD", "2.00");
    post(&l, "2026-10-31", "C-1", "USD", "3.00");
    let text = export(
        &l,
        Format::Beancount,
        Some("2026-10-02"),
        Some("2026-10-31"),
    );
    assert!(!text.contains("2026-10-01"), "{text}");
    assert!(
        text.contains("2026-10-15 open Assets:Receivables:C-2\n"),
        "{text}"
    );
    assert!(
        text.contains("2026-10-31 open Assets:Receivables:C-1\n"),
        "{text}"
    );
    assert_eq!(text.matches(" * ").count(), 2, "{text}");
    let empty = export(&l, Format::Ledger, Some("2027-01-01"), None);
    assert!(!empty.contains("account "), "{empty}");
    let err = write_journal(
        &l,
        Format::Ledger,
        "2026-10-02".parse().ok(),
        "2026-10-01".parse().ok(),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("period is empty"), "{err}");
}

#[test]
fn colliding_names_fail_clearly() {
    let l = ledger(&["C 1", "C-1"]);
    post(&l, "2026-10-01", "C 1", "USD", "1.00");
    post(&l, "2026-10-01", "C-1", "USD", "2.00");
    let err = write_journal(&l, Format::Ledger, None, None, &mut Vec::new()).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(&err, ExportError::NameCollision { name, .. } if name == "Assets:Receivables:C-1"),
        "{text}"
    );
    assert!(
        text.contains("customer 'C 1'") && text.contains("customer 'C-1'"),
        "{text}"
    );
}
