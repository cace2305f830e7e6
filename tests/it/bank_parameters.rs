//! Issue 20, item 1: the company's bank account in the parameters (`bank_account:` name, IBAN,
//! BIC). A wrong one is refused by every command with one line naming the file, the line and
//! column, the key path and what is wrong, a non-zero exit, and the database byte for byte as
//! it was.

use crate::common::{Company, company_yaml, contoso_ledger, edit, line_of};

/// The section of the good parameters.
const BANK: &str = "bank_account:\n  name: Contoso Refunds\n  iban: DE89 3704 0044 0532 0130 00\n  \
                    bic: COBADEFFXXX\n";

/// The test parameters with [`BANK`] as their bank account (whatever the demo has).
fn good_yaml() -> String {
    let mut kept = String::new();
    let mut inside = false;
    for line in company_yaml().lines() {
        if line.starts_with("bank_account:") {
            inside = true;
        } else if inside && !line.starts_with(' ') {
            inside = false;
        }
        if !inside {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept + BANK
}

#[test]
fn the_bank_account_is_read_and_a_run_goes_on_as_before() {
    let c = Company::with_parameters(&good_yaml());
    c.ok(&["init", "--fixture", contoso_ledger().to_str().unwrap()]);
    let report = c.json(&["run", "--json", "--dry-run", "--date", "2026-11-30"]);
    assert_eq!(report["parameters_hash"].as_str().map(str::len), Some(64));
}

#[test]
fn a_bad_bank_account_is_refused_with_its_line_and_the_books_stay_as_they_were() {
    let good = good_yaml();
    let c = Company::with_parameters(&good);
    c.ok(&["init", "--fixture", contoso_ledger().to_str().unwrap()]);
    let before = c.snapshot();
    let iban_line = line_of(&good, "  iban:");
    let cases = [
        (
            "a wrong IBAN checksum",
            edit(&good, "0130 00", "0130 01"),
            format!(
                "{iban_line}:3: bank_account.iban: 'DE89 3704 0044 0532 0130 01' is not a valid \
                 IBAN (its check digits do not match: a digit is wrong or two are swapped)"
            ),
        ),
        (
            "a bad BIC",
            edit(&good, "bic: COBADEFFXXX", "bic: COBADEFF-X"),
            format!(
                "{}:3: bank_account.bic: 'COBADEFF-X' is not a valid BIC (8 or 11 characters: 4 \
                 letters for the bank, 2 for the country, 2 letters or digits for the location, \
                 optionally 3 for the branch)",
                iban_line + 1
            ),
        ),
        (
            "an empty name",
            edit(&good, "  name: Contoso Refunds", "  name: \"\""),
            format!("{}:3: bank_account.name: must not be empty", iban_line - 1),
        ),
        (
            "a name longer than 70 characters",
            edit(
                &good,
                "  name: Contoso Refunds",
                &format!("  name: {}", "Ø".repeat(71)),
            ),
            format!(
                "{}:3: bank_account.name: 71 characters is more than 70 (the SEPA limit for a \
                 name)",
                iban_line - 1
            ),
        ),
        (
            "an unknown key",
            edit(
                &good,
                "  bic: COBADEFFXXX",
                "  bic: COBADEFFXXX\n  account: \"1010\"",
            ),
            format!(
                "{}:3: bank_account.account: unknown field `account`, expected one of `name`, \
                 `iban`, `bic`",
                iban_line + 2
            ),
        ),
    ];
    for (what, yaml, expected) in cases {
        c.write("company.yaml", &yaml);
        for args in [
            &["run", "--date", "2026-11-30"][..],
            &["pay", "--date", "2026-11-30"],
            &["balances"],
        ] {
            let err = c.fails(1, args);
            assert_eq!(
                err,
                format!("error: {}:{expected}\n", c.yaml.display()),
                "{what}: reimburse {args:?}"
            );
            c.assert_unchanged(&before, what);
        }
    }
    // Put right, the company works again.
    c.write("company.yaml", &good);
    c.ok(&["balances"]);
    c.assert_unchanged(&before, "balances");
}
