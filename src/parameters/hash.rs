//! The parameters' hash: SHA-256 of their canonical form ([`Parameters::hash`]), and the
//! serialisers and tests that make the form canonical.
//!
//! The canonical form is compact JSON of the derived `Serialize` of [`Parameters`], with every
//! object's keys sorted, decimals as their exact text (`"25.00"`), IBANs and BICs in their one
//! normal form, and every optional field that is absent and every field at its default left out.
//! So comments, key order, whitespace and quoting in the YAML do not change it, nor does a new
//! optional key that a file does not use; any value that changes does.

use std::collections::BTreeMap;
use std::path::Path;

use rust_decimal::Decimal;
use serde::Serializer;
use sha2::{Digest, Sha256};

use super::Parameters;
use super::company::hex;

impl Parameters {
    /// SHA-256 (lower-case hex) of the parameters' canonical form, recorded with each run.
    ///
    /// What is hashed: compact JSON of every parameter as read (after a fixture's overrides,
    /// when it has some), object keys sorted, decimals as their exact text (`25.00` and `25`
    /// differ, `25.00` and `"25.00"` do not), IBANs and BICs in their normal form (no spaces,
    /// upper case), paths as written (not resolved). An optional key that is absent, or a key
    /// at its default value, is left out, so a key added to the parameters later leaves the hash
    /// of a file that does not use it as it was.
    pub fn hash(&self) -> String {
        hex(&Sha256::digest(self.canonical_json().as_bytes()))
    }

    /// The canonical form that [`Parameters::hash`] hashes.
    pub(super) fn canonical_json(&self) -> String {
        // Serialising our own types cannot fail: every map key is a string, every path is
        // written as text (lossily: parameters are read from UTF-8 YAML).
        let mut value = serde_json::to_value(self).expect("parameters serialise to JSON");
        value.sort_all_objects();
        let json = value.to_string();
        debug_assert!(!json.contains('\n'), "the canonical form is compact");
        json
    }
}

/// Serialises a decimal as its exact text (`25.00`), whatever rust_decimal's serde features.
pub(super) fn decimal<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_string())
}

/// Serialises exchange rates: currency code to the rate's exact text.
pub(super) fn rates<S: Serializer>(m: &BTreeMap<String, Decimal>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(m.iter().map(|(code, rate)| (code, rate.to_string())))
}

/// Serialises a path as written (as text; never fails).
pub(super) fn path<S: Serializer>(p: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&p.to_string_lossy())
}

/// Whether a value is its type's default (such a key is left out of the canonical form).
pub(super) fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// Whether a flag is on (for flags on by default).
pub(super) fn is_true(flag: &bool) -> bool {
    *flag
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::tests::SAMPLE;
    use super::super::{Company, Parameters};

    /// The demo company's hash without its `bank_account` section, pinned: a key added to the
    /// parameters later must not move it (a file that does not use the key hashes as before).
    const DEMO_WITHOUT_BANK: &str =
        "dffbd58c6e0b36588283d150033fdc814b0221e3de2e01dd1d5ba77f8b10aba3";

    const DEMO: &str = include_str!("../../examples/contoso/company.yaml");

    fn params(text: &str) -> Parameters {
        Company::from_yaml(Path::new("company.yaml"), text)
            .unwrap()
            .params
    }

    /// `text` without the top-level `key:` and the lines indented under it.
    fn without_section(text: &str, key: &str) -> String {
        let mut inside = false;
        let mut kept = String::new();
        for line in text.lines() {
            if line.starts_with(&format!("{key}:")) {
                inside = true;
            } else if inside && !line.starts_with(' ') {
                inside = false;
            }
            if !inside {
                kept.push_str(line);
                kept.push('\n');
            }
        }
        kept
    }

    #[test]
    fn the_canonical_form_is_compact_sorted_json_without_defaults() {
        assert_eq!(
            params(SAMPLE).canonical_json(),
            concat!(
                r#"{"accounting_currency":"USD","#,
                r#""accounts":{"bank":"1000","opening_balance":"3999","payables":"2000","receivables":"1200"},"#,
                r#""company":{"id":"TEST","name":"Test Company"},"#,
                r#""currencies":{"EUR":{"decimals":2,"rounding":"half_even"},"USD":{"decimals":2}},"#,
                r#""database":"test.db","exchange_rates":{"EUR":"1.0850"},"#,
                r#""minimum_reimbursement":"25.00","#,
                r#""one_time_vendor":{"group":"ONETIME","sequence":{"prefix":"OTV-","width":5}},"#,
                r#""rules":"rules/reimburse.rhai","#,
                r#""sequences":{"opening":{"prefix":"OPN-","width":6},"payment":{"prefix":"PAY-","width":6},"#,
                r#""reimbursement":{"prefix":"RMB-","width":6},"vendor_invoice":{"prefix":"VI-","width":6}}}"#
            )
        );
    }

    #[test]
    fn the_demo_without_a_bank_account_hashes_as_pinned() {
        // The demo has a bank account: with it, the hash is another.
        assert!(params(DEMO).bank_account.is_some());
        assert_ne!(params(DEMO).hash(), DEMO_WITHOUT_BANK);
        let demo = without_section(DEMO, "bank_account");
        assert!(!demo.contains("bank_account:"), "{demo}");
        let p = params(&demo);
        assert_eq!(p.bank_account, None);
        assert_eq!(p.hash(), DEMO_WITHOUT_BANK);
        // Company records the same hash.
        let company = Company::from_yaml(Path::new("c.yaml"), &demo).unwrap();
        assert_eq!(company.hash, DEMO_WITHOUT_BANK);
        assert_eq!(company.hash.len(), 64);
    }

    #[test]
    fn comments_key_order_whitespace_and_quoting_do_not_change_the_hash() {
        // SAMPLE written otherwise: block style, keys in another order, quoted scalars,
        // comments, blank lines, other indentation.
        let rewritten = r#"
# the same company, written otherwise
rules: "rules/reimburse.rhai"
database: 'test.db'   # relative
sequences:
    vendor_invoice: {width: 6, prefix: "VI-"}
    reimbursement:
        width: 6
        prefix: RMB-
    payment: { prefix: 'PAY-', width: 6 }

    opening: { prefix: OPN-, width: 6 }
one_time_vendor:
    sequence: { width: 5, prefix: OTV- }
    group: "ONETIME"
accounts: { bank: "1000", receivables: "1200", opening_balance: "3999", payables: "2000" }
minimum_reimbursement: "25.00"
exchange_rates: { EUR: "1.0850" }
currencies:
    EUR: { rounding: half_even, decimals: 2 }
    USD:
        decimals: 2
accounting_currency: "USD"
company:
    name: "Test Company"
    id: TEST
"#;
        assert_eq!(params(rewritten), params(SAMPLE));
        assert_eq!(params(rewritten).hash(), params(SAMPLE).hash());
    }

    #[test]
    fn keys_written_at_their_default_do_not_change_the_hash() {
        let base = params(SAMPLE).hash();
        let text = SAMPLE.replace(
            "database: test.db",
            "database: test.db\nopen_debits: net\ncheck_before_paying: true\n\
             limits: { max_seconds: 60, max_operations: 1000000 }",
        );
        let text = text.replace(
            "  group: ONETIME",
            "  group: ONETIME\n  link_to_customer: true",
        );
        let text = text.replace(
            "USD: { decimals: 2 }",
            "USD: { decimals: 2, rounding: half_away_from_zero }",
        );
        assert_eq!(params(&text).hash(), base);
    }

    #[test]
    fn a_value_that_changes_changes_the_hash() {
        let base = params(SAMPLE).hash();
        let bank = "\nbank_account:\n  name: Test Company\n  iban: DE89 3704 0044 0532 0130 00\n";
        let changes = [
            ("25.00", "25.01"),
            ("25.00", "25.0"),
            ("EUR: 1.0850", "EUR: 1.085"),
            ("rounding: half_even", "rounding: up"),
            ("name: Test Company", "name: Test Company Ltd"),
            ("database: test.db", "database: other.db"),
            ("database: test.db", "database: test.db\nopen_debits: skip"),
            (
                "database: test.db",
                "database: test.db\ncheck_before_paying: false",
            ),
            (
                "database: test.db",
                "database: test.db\nlimits: { max_seconds: 61 }",
            ),
            (
                "  group: ONETIME",
                "  group: ONETIME\n  link_to_customer: false",
            ),
            (
                "  group: ONETIME",
                "  group: ONETIME\n  payment_terms: NET10",
            ),
            (
                "  opening_balance: \"3999\"",
                "  opening_balance: \"3999\"\n  import: \"3999\"",
            ),
            (
                "rules: rules/reimburse.rhai",
                &format!("rules: rules/reimburse.rhai{bank}"),
            ),
        ];
        let mut seen = vec![base.clone()];
        for (from, to) in changes {
            assert!(SAMPLE.contains(from), "{from}");
            let hash = params(&SAMPLE.replacen(from, to, 1)).hash();
            assert!(
                !seen.contains(&hash),
                "{from} -> {to} gave a hash seen before"
            );
            seen.push(hash);
        }
        // A BIC added changes it; an IBAN written with spaces or without, in any case, does not.
        let with_bank = params(&format!("{SAMPLE}{bank}")).hash();
        let compact = bank.replace("DE89 3704 0044 0532 0130 00", "de89370400440532013000");
        assert_eq!(params(&format!("{SAMPLE}{compact}")).hash(), with_bank);
        let with_bic = format!("{SAMPLE}{bank}  bic: COBADEFFXXX\n");
        assert_ne!(params(&with_bic).hash(), with_bank);
        assert_eq!(
            params(&with_bic.replace("COBADEFFXXX", "cobadeffxxx")).hash(),
            params(&with_bic).hash()
        );
    }
}
