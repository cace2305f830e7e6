use std::path::Path;

use rust_decimal::Decimal;

use super::*;
use crate::money::{self, Rounding};

pub(crate) const SAMPLE: &str = r#"
company: { id: TEST, name: Test Company }
accounting_currency: USD
currencies:
  USD: { decimals: 2 }
  EUR: { decimals: 2, rounding: half_even }
exchange_rates:
  EUR: 1.0850
minimum_reimbursement: 25.00
accounts:
  receivables: "1200"
  payables: "2000"
  bank: "1000"
  opening_balance: "3999"
one_time_vendor:
  group: ONETIME
  sequence: { prefix: OTV-, width: 5 }
sequences:
  reimbursement: { prefix: RMB-, width: 6 }
  vendor_invoice: { prefix: VI-, width: 6 }
  payment: { prefix: PAY-, width: 6 }
  opening: { prefix: OPN-, width: 6 }
database: test.db
rules: rules/reimburse.rhai
"#;

fn load(text: &str) -> Result<Company, YamlError> {
    Company::from_yaml(Path::new("dir/company.yaml"), text)
}

#[test]
fn sample_loads_exactly() {
    let c = load(SAMPLE).unwrap();
    assert_eq!(c.params.minimum_reimbursement.to_string(), "25.00");
    assert_eq!(c.params.exchange_rates["EUR"].to_string(), "1.0850");
    assert_eq!(c.params.accounts.receivables, "1200");
    assert_eq!(c.params.open_debits, OpenDebits::Net);
    assert!(c.params.one_time_vendor.link_to_customer);
    assert_eq!(c.database_path, Path::new("dir/test.db"));
    assert_eq!(c.rules_path, Path::new("dir/rules/reimburse.rhai"));
    assert_eq!(c.currency("EUR").unwrap().rounding, Rounding::HalfEven);
    let str_min = SAMPLE.replace("25.00", "\"0.10\"");
    let c = load(&str_min).unwrap();
    assert_eq!(c.params.minimum_reimbursement.to_string(), "0.10");
}

#[test]
fn unknown_key_names_file_line_and_path() {
    let text = SAMPLE.replace("  bank: \"1000\"", "  bank: \"1000\"\n  bnak: \"1001\"");
    let e = load(&text).unwrap_err();
    assert_eq!(e.path, "accounts.bnak");
    assert!(e.message.contains("unknown field `bnak`"), "{e}");
    assert_eq!(e.line, Some(14));
    assert!(e.to_string().starts_with("dir/company.yaml:14:"), "{e}");
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn a_key_indented_wrongly_is_reported_at_its_line() {
    for (indent, column) in ["", " "].into_iter().zip([1, 2]) {
        let text = format!(
            "company:\n  id: TEST\n{indent}name: Test Company\n{}",
            SAMPLE.replace("company: { id: TEST, name: Test Company }\n", "")
        );
        let e = load(&text).unwrap_err();
        assert_eq!((e.line, e.column), (Some(3), Some(column)), "{e}");
        assert_eq!(e.path, "company");
        assert!(
            e.message
                .starts_with("missing field `name` (this `name:` is indented by"),
            "{e}"
        );
    }
    // A key of a mapping written on the next lines, not indented under its parent key.
    let text = SAMPLE.replace(
        "one_time_vendor:\n  group: ONETIME\n",
        "one_time_vendor:\ngroup: ONETIME\n",
    );
    let e = load(&text).unwrap_err();
    assert_eq!(e.path, "one_time_vendor", "{e}");
    assert_eq!(e.line, Some(line_of(&text, "group: ONETIME")), "{e}");
    assert!(
        e.message
            .starts_with("missing field `group` (this `group:` is indented by 0"),
        "{e}"
    );
    // A key indented deeper than its neighbours.
    let text = SAMPLE.replace("  payables:", "    payables:");
    let e = load(&text).unwrap_err();
    assert!(
        e.message
            .starts_with("did not find expected key (is this line"),
        "{e}"
    );
    // A key that is really missing is reported where its mapping begins, as before.
    let text = format!(
        "company:\n  id: TEST\n{}",
        SAMPLE.replace("company: { id: TEST, name: Test Company }\n", "")
    );
    let e = load(&text).unwrap_err();
    assert_eq!(
        (e.line, e.message.as_str()),
        (Some(2), "missing field `name`")
    );
}

#[test]
fn missing_key_is_an_error() {
    let text = SAMPLE.replace("  payables: \"2000\"\n", "");
    let e = load(&text).unwrap_err();
    assert!(e.message.contains("missing field `payables`"), "{e}");
    assert_eq!(e.path, "accounts");
}

#[test]
fn wrong_type_is_an_error_with_path() {
    let text = SAMPLE.replace("width: 6 }\n  vendor", "width: six }\n  vendor");
    let e = load(&text).unwrap_err();
    assert_eq!(e.path, "sequences.reimbursement.width");
    assert!(e.line.is_some());
    let text = SAMPLE.replace("25.00", "lots");
    let e = load(&text).unwrap_err();
    assert_eq!(e.path, "minimum_reimbursement");
    assert!(e.message.contains("decimal number"), "{e}");
}

#[test]
fn negative_minimum_is_refused_with_its_line() {
    let e = load(&SAMPLE.replace("25.00", "-1.00")).unwrap_err();
    assert_eq!(e.path, "minimum_reimbursement");
    assert!(e.message.contains("must not be negative"));
    assert_eq!(e.line, Some(9));
    let e = load(&SAMPLE.replace("25.00", "25.001")).unwrap_err();
    assert!(e.message.contains("more decimals"), "{e}");
}

#[test]
fn unknown_currencies_are_refused() {
    let e =
        load(&SAMPLE.replace("accounting_currency: USD", "accounting_currency: GBP")).unwrap_err();
    assert_eq!(e.path, "accounting_currency");
    assert!(e.message.contains("unknown currency 'GBP'"));
    let e = load(&SAMPLE.replace("  EUR: 1.0850", "  EUR: 1.0850\n  CHF: 1.1")).unwrap_err();
    assert_eq!(e.path, "exchange_rates.CHF");
    let e = load(&SAMPLE.replace("  EUR: 1.0850", "")).unwrap_err();
    assert!(e.message.contains("missing the rate of EUR"), "{e}");
}

#[test]
fn sequences_that_could_share_numbers_are_refused() {
    let e = load(&SAMPLE.replace("{ prefix: PAY-, width", "{ prefix: RMB-, width")).unwrap_err();
    assert_eq!(e.path, "sequences.payment.prefix");
    assert_eq!(
        e.message,
        "'RMB-' can give the same numbers as sequences.reimbursement ('RMB-'): give each sequence a prefix of its own"
    );
    assert_eq!(e.line, Some(21));
    // `R` and `R0`: R0000001 is both R + 0000001 and R0 + 000001.
    let text = SAMPLE
        .replace("{ prefix: VI-, width", "{ prefix: R, width")
        .replace("{ prefix: OPN-, width", "{ prefix: R0, width");
    assert_eq!(load(&text).unwrap_err().path, "sequences.opening.prefix");
    // A prefix that goes on with a letter cannot meet, nor can the vendor accounts.
    let text = SAMPLE
        .replace("{ prefix: VI-, width", "{ prefix: RMB-V, width")
        .replace("{ prefix: OTV-, width", "{ prefix: RMB-, width");
    assert!(load(&text).is_ok());
}

#[test]
fn overrides_replace_keys() {
    let mut c = load(SAMPLE).unwrap();
    let o: ParameterOverrides =
        serde_yaml::from_str("minimum_reimbursement: 0.10\nopen_debits: skip").unwrap();
    o.apply(&mut c.params);
    assert_eq!(c.params.minimum_reimbursement.to_string(), "0.10");
    assert_eq!(c.params.open_debits, OpenDebits::Skip);
    assert!(serde_yaml::from_str::<ParameterOverrides>("database: x.db").is_err());
    // The bank account and the check before paying, as a fixture's rule test may need them.
    let o: ParameterOverrides = serde_yaml::from_str(
        "check_before_paying: false\nbank_account: { name: T, iban: DE89370400440532013000 }",
    )
    .unwrap();
    o.apply(&mut c.params);
    assert!(!c.params.check_before_paying);
    assert_eq!(
        c.params.bank_account.unwrap().iban.as_str(),
        "DE89370400440532013000"
    );
}

#[test]
fn conversion_to_accounting_currency() {
    let c = load(SAMPLE).unwrap();
    let d = |s: &str| money::parse_decimal(s).unwrap();
    assert_eq!(
        c.params.to_accounting(d("-100.00"), "EUR").ok(),
        Some(d("-108.500000"))
    );
    assert_eq!(c.params.to_accounting(d("5"), "USD"), Ok(d("5")));
    assert_eq!(
        c.params.to_accounting(d("5"), "XXX"),
        Err(ConversionError::NoRate("XXX".into()))
    );
    // An amount too large to convert is an overflow, not a missing rate.
    let e = c.params.to_accounting(Decimal::MAX, "EUR").unwrap_err();
    assert!(matches!(e, ConversionError::Overflow { .. }), "{e}");
    assert!(
        e.to_string().contains("is too large to convert to USD"),
        "{e}"
    );
}

/// SAMPLE with a `bank_account:` section of these lines (indented by the caller).
fn with_bank(lines: &str) -> String {
    format!("{SAMPLE}bank_account:\n{lines}")
}

#[test]
fn bank_account_is_read_checked_and_optional() {
    let c = load(SAMPLE).unwrap();
    assert_eq!(c.params.bank_account, None);
    assert!(c.params.check_before_paying);
    let text = with_bank(
        "  name: Test Company\n  iban: de89 3704 0044 0532 0130 00\n  bic: cobadeffxxx\n",
    );
    let bank = load(&text).unwrap().params.bank_account.unwrap();
    assert_eq!(bank.name, "Test Company");
    assert_eq!(bank.iban.as_str(), "DE89370400440532013000");
    assert_eq!(bank.bic.unwrap().as_str(), "COBADEFFXXX");
    let text = format!("{SAMPLE}check_before_paying: false\n");
    assert!(!load(&text).unwrap().params.check_before_paying);
}

#[test]
fn bank_account_errors_name_the_line_and_the_key() {
    let iban = "  iban: DE89 3704 0044 0532 0130 00\n";
    let long = format!("  name: {}\n{iban}", "Å".repeat(71));
    let cases = [
        (
            "  name: Test\n  iban: DE89 3704 0044 0532 0130 01\n".to_string(),
            "27:3: bank_account.iban: 'DE89 3704 0044 0532 0130 01' is not a valid IBAN (its check \
             digits do not match: a digit is wrong or two are swapped)",
        ),
        (
            format!("  name: Test\n{iban}  bic: COBA-DEFF\n"),
            "28:3: bank_account.bic: 'COBA-DEFF' is not a valid BIC (8 or 11 characters: 4 letters \
             for the bank, 2 for the country, 2 letters or digits for the location, optionally 3 \
             for the branch)",
        ),
        (
            format!("  name: \"  \"\n{iban}"),
            "26:3: bank_account.name: must not be empty",
        ),
        (
            format!("  name: \"a\\tb\"\n{iban}"),
            "26:3: bank_account.name: must not contain control characters (a line break, a tab)",
        ),
        (
            long,
            "26:3: bank_account.name: 71 characters is more than 70 (the SEPA limit for a name)",
        ),
        (
            format!("  name: Test\n{iban}  account: \"1010\"\n"),
            "28:3: bank_account.account: unknown field `account`, expected one of `name`, `iban`, \
             `bic`",
        ),
        (
            "  name: Test\n".to_string(),
            "26:3: bank_account: missing field `iban`",
        ),
    ];
    for (lines, expected) in cases {
        let e = load(&with_bank(&lines)).unwrap_err();
        assert_eq!(e.to_string(), format!("dir/company.yaml:{expected}"));
    }
    // 70 characters (not bytes) are allowed.
    let text = with_bank(&format!("  name: {}\n{iban}", "Å".repeat(70)));
    assert_eq!(
        load(&text).unwrap().params.bank_account.unwrap().name.len(),
        140
    );
}

#[test]
fn write_off_section_is_read_and_checked() {
    let section = "write_off: { below: 5.00, after_days: 180, account: \"7990\" }\n";
    let c = load(&format!("{SAMPLE}{section}")).unwrap();
    let w = c.params.write_off.as_ref().unwrap();
    assert_eq!(w.below.to_string(), "5.00");
    assert_eq!((w.after_days, w.account.as_str()), (180, "7990"));
    for (bad, message) in [
        ("below: 5.00", "below: 0", "must be more than zero"),
        ("below: 5.00", "below: -1.00", "must be more than zero"),
        ("below: 5.00", "below: 5.001", "more decimals"),
        ("account: \"7990\"", "account: \" \"", "must not be empty"),
        (
            "account: \"7990\"",
            "account: \"1200\"",
            "receivables control account",
        ),
        (
            "account: \"7990\"",
            "account: \"2000\"",
            "payables control account",
        ),
    ]
    .map(|(from, to, m)| (section.replace(from, to), m))
    {
        let e = load(&format!("{SAMPLE}{bad}")).unwrap_err();
        assert!(e.path.starts_with("write_off."), "{e}");
        assert!(e.message.contains(message), "{e}");
        assert_eq!(e.line, Some(SAMPLE.lines().count() + 1), "{e}");
    }
}

#[test]
fn a_fixture_may_give_the_write_off_section() {
    let mut params = load(SAMPLE).unwrap().params;
    assert!(params.write_off.is_none());
    let o: ParameterOverrides =
        serde_yaml::from_str("write_off: { below: 2.50, after_days: 30, account: \"7990\" }")
            .unwrap();
    assert!(!o.is_empty());
    o.apply(&mut params);
    assert_eq!(params.write_off.unwrap().below.to_string(), "2.50");
}

/// SAMPLE with an `approval:` section of these lines (indented by the caller).
fn with_approval(lines: &str) -> String {
    format!("{SAMPLE}approval:\n{lines}")
}

#[test]
fn approval_is_read_exactly_and_optional() {
    assert_eq!(load(SAMPLE).unwrap().params.approval, None);
    let text = with_approval(
        "  required_above: 1000.00\n  approvers: { alice: 5000.00, bob: 100000.00 }\n",
    );
    let approval = load(&text).unwrap().params.approval.unwrap();
    assert_eq!(approval.required_above, Decimal::new(100000, 2));
    assert_eq!(approval.approvers.len(), 2);
    assert_eq!(approval.approvers["alice"], Decimal::new(500000, 2));
    assert_eq!(approval.approvers["bob"], Decimal::new(10000000, 2));
}

#[test]
fn approval_errors_name_the_line_and_the_key() {
    let cases = [
        (
            "  required_above: -1.00\n",
            "26:3: approval.required_above: -1.00 must not be negative",
        ),
        (
            "  required_above: 1.001\n",
            "26:3: approval.required_above: 1.001 has more decimals than USD allows (2)",
        ),
        (
            "  required_above: 10.00\n  approvers:\n    alice: 0.00\n",
            "28:5: approval.approvers.alice: the limit 0.00 must be more than zero",
        ),
        (
            "  required_above: 10.00\n  approvers:\n    \"al ice\": 5.00\n",
            "27:3: approval.approvers: 'al ice' is not a user name (not empty, no spaces)",
        ),
    ];
    for (lines, expected) in cases {
        let e = load(&with_approval(lines)).unwrap_err();
        assert_eq!(e.to_string(), format!("dir/company.yaml:{expected}"));
    }
}

#[test]
fn a_fixture_may_override_the_approval() {
    let mut params = load(SAMPLE).unwrap().params;
    let overrides: ParameterOverrides =
        serde_yaml::from_str("approval: { required_above: 50.00, approvers: { carol: 75.00 } }")
            .unwrap();
    overrides.apply(&mut params);
    let approval = params.approval.unwrap();
    assert_eq!(approval.required_above, Decimal::new(5000, 2));
    assert_eq!(approval.approvers["carol"], Decimal::new(7500, 2));
}

#[test]
fn approval_is_needed_above_the_threshold_in_the_accounting_currency() {
    let text = with_approval("  required_above: 1000.00\n  approvers: { alice: 5000.00 }\n");
    let params = load(&text).unwrap().params;
    let d = |minor: i64| Decimal::new(minor, 2);
    assert_eq!(params.approval_needed(d(100000), "USD").unwrap(), None);
    assert_eq!(
        params.approval_needed(d(100001), "USD").unwrap(),
        Some(d(100001))
    );
    // 921.65 EUR is 999.99525 USD; 921.66 EUR is 1000.0011 USD (unrounded, like the minimum).
    assert_eq!(params.approval_needed(d(92165), "EUR").unwrap(), None);
    assert_eq!(
        params.approval_needed(d(92166), "EUR").unwrap(),
        Some(Decimal::new(1000001100, 6))
    );
    assert_eq!(
        load(SAMPLE)
            .unwrap()
            .params
            .approval_needed(d(1), "USD")
            .unwrap(),
        None
    );
}
