//! Issue 7, part 5: the bad-input catalogue. Every way a user can hand `reimburse` bad input —
//! company YAML, fixture ledgers, the database file, the command line — has a case here that
//! runs the real binary and checks the exit code (2 for usage errors found by clap, 1 for the
//! CLI's own errors), the one error message (file, `line:column` where the YAML parser gives one,
//! key path, reason), that nothing panicked or printed a backtrace (every case runs with
//! `RUST_BACKTRACE=1`), and that the company folder — database included — is byte for byte what
//! it was.
//!
//! Cases already covered by `foundation` (unknown keys `accounts.bnak` and `colour`, a
//! negative number minimum, a missing company file, a missing database for the read commands, a
//! text file or another application's SQLite file as the database, a newer schema for `balances`
//! and `run`, conflicting selections, bad fixtures at `init`) and by `crash` (a run
//! beside a session holding the write lock) are not repeated; the catalogue extends them.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::common::{company_yaml, contoso_ledger, edit, line_of};

const BIN: &str = env!("CARGO_BIN_EXE_reimburse");

/// What the company folder holds before the command runs.
#[derive(Clone)]
enum Db {
    /// No database file.
    Absent,
    /// The Contoso demo database (made once by `init`, copied into each case).
    Contoso,
    /// These bytes as `company.db`.
    Bytes(Vec<u8>),
}

/// One bad input and what `reimburse` must say about it.
struct Case {
    /// What the case is about.
    name: String,
    /// The company YAML (`company.yaml`); the good test parameters unless a case breaks them.
    company: String,
    /// The database.
    db: Db,
    /// Other files written into the folder (name, bytes), e.g. a fixture ledger; a name ending
    /// in `/` is an empty folder.
    files: Vec<(String, Vec<u8>)>,
    /// The arguments after `--company company.yaml` (the command runs in the company folder, so
    /// messages name `company.yaml`, `./company.db` and `ledger.yaml` as written here).
    args: Vec<String>,
    /// The expected exit code.
    code: i32,
    /// Texts the error message must contain.
    expect: Vec<String>,
}

fn case(name: &str, args: &[&str], code: i32, expect: &[&str]) -> Case {
    Case {
        name: name.to_string(),
        company: company_yaml(),
        db: Db::Contoso,
        files: Vec::new(),
        args: args.iter().map(|a| a.to_string()).collect(),
        code,
        expect: expect.iter().map(|e| e.to_string()).collect(),
    }
}

impl Case {
    fn company(mut self, yaml: String) -> Case {
        self.company = yaml;
        self
    }
    fn db(mut self, db: Db) -> Case {
        self.db = db;
        self
    }
    fn file(mut self, name: &str, text: impl Into<Vec<u8>>) -> Case {
        self.files.push((name.to_string(), text.into()));
        self
    }
    fn expect(mut self, text: String) -> Case {
        self.expect.push(text);
        self
    }
}

/// The Contoso database, made once.
fn contoso_db() -> &'static [u8] {
    static DB: OnceLock<Vec<u8>> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("company.yaml"), company_yaml()).unwrap();
        let out = reimburse(
            dir.path(),
            &["init", "--fixture", contoso_ledger().to_str().unwrap()],
        );
        assert!(out.status.success(), "{out:?}");
        std::fs::read(dir.path().join("company.db")).unwrap()
    })
}

/// Runs `reimburse --company company.yaml <args>` in `dir`, with backtraces enabled.
fn reimburse(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--company")
        .arg("company.yaml")
        .args(args)
        .current_dir(dir)
        .env_remove("REIMBURSE_COMPANY")
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LIB_BACKTRACE", "1")
        .env("REIMBURSE_HISTORY", "")
        .stdin(Stdio::null())
        .output()
        .expect("run the reimburse binary")
}

/// Every file in a folder (not recursive) with its bytes.
fn folder(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// The checks every failing command must pass; returns what is wrong (empty when all hold).
fn check_failure(out: &Output, code: i32, expect: &[String]) -> Vec<String> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut wrong = Vec::new();
    if out.status.code() != Some(code) {
        wrong.push(format!(
            "exit code {:?}, expected {code}",
            out.status.code()
        ));
    }
    for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        if stderr.contains(bad) {
            wrong.push(format!("standard error contains {bad:?}"));
        }
    }
    if !stderr.starts_with("error: ") {
        wrong.push("standard error does not start with `error: `".into());
    }
    // The CLI's own errors are one line; clap adds usage and a hint to its own.
    if code == 1 && stderr.lines().count() != 1 {
        wrong.push("the error is not one line".into());
    }
    if !stdout.is_empty() {
        wrong.push(format!("standard output is not empty: {stdout}"));
    }
    for e in expect {
        if !stderr.contains(e.as_str()) {
            wrong.push(format!("the message lacks {e:?}"));
        }
    }
    wrong
}

/// Runs every case in a fresh folder; reports all the cases that fail at once.
fn check_all(cases: Vec<Case>) {
    let mut failures = Vec::new();
    let n = cases.len();
    for c in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("company.yaml"), &c.company).unwrap();
        match &c.db {
            Db::Absent => {}
            Db::Contoso => std::fs::write(dir.path().join("company.db"), contoso_db()).unwrap(),
            Db::Bytes(b) => std::fs::write(dir.path().join("company.db"), b).unwrap(),
        }
        for (name, bytes) in &c.files {
            match name.strip_suffix('/') {
                Some(folder) => std::fs::create_dir(dir.path().join(folder)).unwrap(),
                None => std::fs::write(dir.path().join(name), bytes).unwrap(),
            }
        }
        let before = folder(dir.path());
        let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
        let out = reimburse(dir.path(), &args);
        let mut wrong = check_failure(&out, c.code, &c.expect);
        let after = folder(dir.path());
        if after.keys().ne(before.keys()) {
            wrong.push(format!(
                "the folder changed: {:?} -> {:?}",
                before.keys().collect::<Vec<_>>(),
                after.keys().collect::<Vec<_>>()
            ));
        } else {
            for (name, bytes) in &before {
                if after[name] != *bytes {
                    wrong.push(format!("{name} changed"));
                }
            }
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{}: reimburse {}\n    {}\n    stderr: {}",
                c.name,
                c.args.join(" "),
                wrong.join("\n    "),
                String::from_utf8_lossy(&out.stderr).replace('\n', "\n            ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

const RUN: &[&str] = &["run", "--date", "2026-11-30"];

/// `FILE:LINE:COLUMN: ` of the first occurrence of `needle` in `text`.
fn position(file: &str, text: &str, needle: &str) -> String {
    format!("{file}:{}: ", crate::common::line_column(text, needle))
}

/// `company.yaml:LINE:COLUMN: ` of the first occurrence of `needle` in `yaml`.
fn at(yaml: &str, needle: &str) -> String {
    position("company.yaml", yaml, needle)
}

/// A case whose company YAML is `yaml`; the command is a committing run over the Contoso
/// database, which must stay as it was.
fn company_case(name: &str, yaml: String, expect: &[&str]) -> Case {
    case(name, RUN, 1, expect).company(yaml)
}

#[test]
fn bad_company_parameters() {
    let good = company_yaml();
    let mut cases = Vec::new();

    // Malformed YAML: the parser's line and column.
    let y = edit(&good, "  payables: \"2000\"", "    payables: \"2000\"");
    cases.push(
        company_case(
            "bad indentation",
            y.clone(),
            &["accounts: did not find expected key"],
        )
        .expect(at(&y, "payables:")),
    );
    let y = edit(&good, "  payables: \"2000\"", "\tpayables: \"2000\"");
    cases.push(
        company_case(
            "a tab for indentation",
            y.clone(),
            &["accounts: found character that cannot start any token (a tab: indent with spaces)"],
        )
        .expect(at(&y, "\tpayables:")),
    );
    let y = edit(&good, "  bank: \"1010\"", "  bank: \"1010");
    // The quoted text runs on to the next quote, so the parser stops on the line after.
    cases.push(
        company_case(
            "an unclosed quote",
            y.clone(),
            &["accounts: did not find expected key"],
        )
        .expect(at(&y, "3999\"")),
    );
    let y = edit(
        &good,
        "minimum_reimbursement: 25.00",
        "minimum_reimbursement: 25.00\nminimum_reimbursement: 30.00",
    );
    cases.push(
        company_case("a key given twice", y.clone(), &["duplicate"])
            .expect(format!("company.yaml:{}:", line_of(&y, "30.00"))),
    );
    cases.push(company_case(
        "an empty company file",
        String::new(),
        &["company.yaml:1:1: missing field `company`"],
    ));
    cases.push(company_case(
        "a list instead of a mapping",
        "- company\n- accounts\n".into(),
        &[
            "company.yaml:1:1: ",
            "invalid type: sequence, expected struct Parameters",
        ],
    ));

    // Unknown and missing keys, with their key path.
    let y = edit(
        &good,
        "  payment: { prefix: PAY-, width: 6 }",
        "  payment: { prefix: PAY-, width: 6, prefx: P- }",
    );
    cases.push(
        company_case(
            "an unknown key in a nested mapping",
            y.clone(),
            &["sequences.payment.prefx: unknown field `prefx`"],
        )
        .expect(at(&y, "prefx")),
    );
    let y = edit(&good, "  payables: \"2000\"", "");
    cases.push(company_case(
        "a missing key",
        y,
        &["company.yaml:", "accounts: missing field `payables`"],
    ));
    let y = edit(&good, "accounting_currency: USD\n", "");
    cases.push(company_case(
        "a missing top-level key",
        y,
        &["company.yaml:", "missing field `accounting_currency`"],
    ));

    // Wrong types.
    let y = edit(
        &good,
        "reimbursement: { prefix: RMB-, width: 6 }",
        "reimbursement: { prefix: RMB-, width: six }",
    );
    cases.push(
        company_case(
            "text for a number",
            y.clone(),
            &["sequences.reimbursement.width: invalid type: string \"six\""],
        )
        .expect(format!("company.yaml:{}:", line_of(&y, "width: six"))),
    );
    let y = edit(&good, "link_to_customer: true", "link_to_customer: maybe");
    cases.push(
        company_case(
            "text for a yes/no",
            y.clone(),
            &["one_time_vendor.link_to_customer: invalid type: string \"maybe\", expected a boolean"],
        )
        .expect(at(&y, "maybe")),
    );
    let y = edit(&good, "open_debits: net", "open_debits: sometimes");
    cases.push(
        company_case(
            "an unknown policy",
            y.clone(),
            &["open_debits: unknown variant `sometimes`, expected one of `net`, `skip`, `ignore`"],
        )
        .expect(at(&y, "sometimes")),
    );
    let y = edit(&good, "  USD: { decimals: 2 }", "  USD: { decimals: 7 }");
    cases.push(
        company_case(
            "too many decimals for a currency",
            y.clone(),
            &["currencies.USD.decimals: 7 is more than 6"],
        )
        .expect(format!("company.yaml:{}:", line_of(&y, "decimals: 7"))),
    );

    // Amounts: negative, over-precise, not a number.
    let y = edit(
        &good,
        "minimum_reimbursement: 25.00",
        "minimum_reimbursement: \"-0.01\"",
    );
    cases.push(
        company_case(
            "a negative minimum as a string",
            y.clone(),
            &["minimum_reimbursement: -0.01 must not be negative"],
        )
        .expect(at(&y, "minimum_reimbursement")),
    );
    let y = edit(
        &good,
        "minimum_reimbursement: 25.00",
        "minimum_reimbursement: 25.001",
    );
    cases.push(
        company_case(
            "an over-precise minimum",
            y.clone(),
            &["minimum_reimbursement: 25.001 has more decimals than USD allows (2)"],
        )
        .expect(at(&y, "minimum_reimbursement")),
    );
    let y = edit(
        &good,
        "minimum_reimbursement: 25.00",
        "minimum_reimbursement: \"25.001\"",
    );
    cases.push(
        company_case(
            "an over-precise minimum as a string",
            y.clone(),
            &["minimum_reimbursement: 25.001 has more decimals than USD allows (2)"],
        )
        .expect(at(&y, "minimum_reimbursement")),
    );
    let y = edit(
        &good,
        "minimum_reimbursement: 25.00",
        "minimum_reimbursement: 25,00",
    );
    cases.push(
        company_case(
            "a decimal comma",
            y.clone(),
            &["minimum_reimbursement: ", "decimal number"],
        )
        .expect(at(&y, "25,00")),
    );

    // Currencies and exchange rates.
    let y = edit(
        &good,
        "accounting_currency: USD",
        "accounting_currency: GBP",
    );
    cases.push(
        company_case(
            "an unknown accounting currency",
            y.clone(),
            &["accounting_currency: unknown currency 'GBP' (not in currencies: EUR, USD)"],
        )
        .expect(at(&y, "accounting_currency")),
    );
    let y = edit(&good, "  EUR: 1.0850", "  EUR: 1.0850\n  CHF: 1.1200");
    cases.push(
        company_case(
            "an unknown currency in exchange_rates",
            y.clone(),
            &["exchange_rates.CHF: unknown currency 'CHF'"],
        )
        .expect(at(&y, "CHF")),
    );
    let y = edit(&good, "  EUR: 1.0850", "  EUR: 0");
    cases.push(
        company_case(
            "a zero exchange rate",
            y.clone(),
            &["exchange_rates.EUR: rate 0 must be positive"],
        )
        .expect(at(&y, "EUR: 0")),
    );
    let y = edit(&good, "  EUR: 1.0850", "  EUR: -1.0850");
    cases.push(
        company_case(
            "a negative exchange rate",
            y.clone(),
            &["exchange_rates.EUR: rate -1.0850 must be positive"],
        )
        .expect(at(&y, "EUR: -1.0850")),
    );
    let y = edit(&good, "  EUR: 1.0850", "  EUR: one");
    cases.push(
        company_case(
            "an exchange rate that is not a number",
            y.clone(),
            &["exchange_rates.EUR: ", "decimal number"],
        )
        .expect(format!("company.yaml:{}:", line_of(&y, "EUR: one"))),
    );
    let y = edit(&good, "  EUR: 1.0850\n", "");
    cases.push(company_case(
        "a currency without an exchange rate",
        y,
        &["exchange_rates: missing the rate of EUR to USD"],
    ));

    check_all(cases);
}

/// A small, good fixture ledger: a USD customer with a vendor account, a EUR customer.
const FIXTURE: &str = "\
customers:
  - { account: C-001, name: Northwind Traders, vendor_account: V-100 }
  - { account: C-002, name: Euro GmbH, currency: EUR }
vendors:
  - { account: V-100, name: Northwind Traders }
transactions:
  - { customer: C-001, date: 2026-10-01, type: payment, document: PAY-1, amount: -30.00 }
  - { customer: C-002, date: 2026-10-02, type: credit_note, document: CN-1, amount: -40.00 }
vendor_transactions:
  - { vendor: V-100, date: 2026-10-03, type: invoice, document: VI-1, amount: -5.00 }
";

/// `init --force --fixture ledger.yaml` with a broken fixture: refused, and the Contoso database
/// it would have replaced stays as it was (with no temporary file left beside it).
fn fixture_case(name: &str, fixture: String, expect: &[&str]) -> Case {
    case(
        name,
        &["init", "--force", "--fixture", "ledger.yaml"],
        1,
        expect,
    )
    .file("ledger.yaml", fixture)
}

/// `ledger.yaml:LINE:COLUMN: ` of the first occurrence of `needle` in `fixture`.
fn fat(fixture: &str, needle: &str) -> String {
    position("ledger.yaml", fixture, needle)
}

#[test]
fn bad_fixture_ledgers() {
    let mut cases = Vec::new();
    let f = edit(FIXTURE, "name: Euro GmbH", "name: \"Euro GmbH");
    cases.push(
        fixture_case(
            "malformed: an unclosed quote",
            f.clone(),
            &["customers: found unexpected end of stream"],
        )
        .expect(format!("ledger.yaml:{}:", f.lines().count() + 1)),
    );
    let f = edit(
        FIXTURE,
        "name: Euro GmbH, currency: EUR }",
        "name: Euro GmbH, currency: EUR",
    );
    cases.push(
        fixture_case(
            "malformed: an unclosed flow mapping",
            f.clone(),
            &["customers[1]: did not find expected ',' or '}'"],
        )
        // Where the parser noticed: the colon of the next key.
        .expect(format!("ledger.yaml:{}:8: ", line_of(&f, "vendors:"))),
    );
    let f = edit(FIXTURE, "customers:\n", "customers:\n\t");
    cases.push(
        fixture_case(
            "malformed: a tab",
            f.clone(),
            &["customers: found character that cannot start any token (a tab: indent with spaces)"],
        )
        .expect(fat(&f, "\t")),
    );
    let f = edit(FIXTURE, "amount: -30.00", "amout: -30.00");
    cases.push(
        fixture_case(
            "an unknown key",
            f.clone(),
            &["transactions[0].amout: unknown field `amout`"],
        )
        .expect(fat(&f, "amout")),
    );
    let f = edit(FIXTURE, "document: CN-1, ", "");
    cases.push(fixture_case(
        "a missing key",
        f,
        &["ledger.yaml:", "transactions[1]: missing field `document`"],
    ));
    let f = edit(FIXTURE, "date: 2026-10-01", "date: 2026-02-30");
    cases.push(
        fixture_case(
            "a date that does not exist",
            f.clone(),
            &["transactions[0].date: 2026-02-30 is not a date that exists"],
        )
        .expect(fat(&f, "2026-02-30")),
    );
    let f = edit(FIXTURE, "date: 2026-10-01", "date: 01/10/2026");
    cases.push(
        fixture_case(
            "a date in another format",
            f.clone(),
            &["transactions[0].date: '01/10/2026' is not a date written YYYY-MM-DD"],
        )
        .expect(fat(&f, "01/10/2026")),
    );
    let f = edit(FIXTURE, "amount: -40.00", "amount: -40.001");
    cases.push(fixture_case(
        "an amount over-precise for its currency (EUR)",
        f,
        &["ledger.yaml: transactions[1] (customer C-002): -40.001 has more decimals than EUR allows (2)"],
    ));
    let f = edit(FIXTURE, "amount: -40.00", "amount: \"-40.00 EUR\"");
    cases.push(
        fixture_case(
            "an amount with a currency in it",
            f.clone(),
            &["transactions[1].amount: ", "decimal number"],
        )
        .expect(format!("ledger.yaml:{}:", line_of(&f, "-40.00 EUR"))),
    );
    let f = edit(FIXTURE, "amount: -5.00", "amount: -5.00, currency: XYZ");
    cases.push(fixture_case(
        "an unknown currency on a vendor transaction",
        f,
        &["ledger.yaml: vendor_transactions[0] (vendor V-100): unknown currency 'XYZ'"],
    ));
    let f = edit(
        FIXTURE,
        "name: Northwind Traders }",
        "name: Northwind Traders, currency: usd }",
    );
    cases.push(fixture_case(
        "a vendor in an unknown (lower-case) currency",
        f,
        &["ledger.yaml: vendors[0] (V-100): unknown currency 'usd'"],
    ));
    let f = edit(FIXTURE, "vendor: V-100, date", "vendor: V-999, date");
    cases.push(fixture_case(
        "a vendor transaction for an unknown vendor",
        f,
        &["ledger.yaml: vendor_transactions[0] (vendor V-999): unknown vendor 'V-999'"],
    ));
    let f = edit(FIXTURE, "customer: C-001, date", "customer: c-001, date");
    cases.push(fixture_case(
        "a transaction for an unknown customer (accounts are case-sensitive)",
        f,
        &["ledger.yaml: transactions[0] (customer c-001): unknown customer 'c-001'"],
    ));
    let f = edit(
        FIXTURE,
        "  - { account: C-002, name: Euro GmbH, currency: EUR }",
        "  - { account: C-001, name: Euro GmbH, currency: EUR }",
    );
    cases.push(fixture_case(
        "a customer listed twice",
        f,
        &["ledger.yaml: customers[1] (C-001): customer 'C-001' already exists"],
    ));
    let f = format!(
        "{FIXTURE}  - {{ vendor: V-100, date: 2026-10-04, type: payment, document: VP-1, amount: -1.00 }}\n"
    );
    cases.push(fixture_case(
        "a wrong sign",
        f,
        &["ledger.yaml: vendor_transactions[1] (vendor V-100): a payment on a vendor must be positive (debit +, credit −), not -1.00"],
    ));
    let f = edit(
        FIXTURE,
        "vendor_transactions:",
        "settlements:\n  - { customer: C-001, debit: INV-1, credit: PAY-1 }\nvendor_transactions:",
    );
    cases.push(fixture_case(
        "a settlement naming an unknown document",
        f,
        &["ledger.yaml: settlements[0] (customer C-001): no transaction with document 'INV-1' on customer C-001"],
    ));
    cases.push(
        case(
            "a fixture that is not UTF-8",
            &["init", "--force", "--fixture", "ledger.yaml"],
            1,
            &["ledger.yaml: cannot read the fixture: stream did not contain valid UTF-8"],
        )
        .file(
            "ledger.yaml",
            b"customers:\n  - { account: C-\xff01, name: X }\n".to_vec(),
        ),
    );
    cases.push(case(
        "a missing fixture",
        &["init", "--force", "--fixture", "nowhere.yaml"],
        1,
        &["nowhere.yaml: cannot read the fixture: No such file or directory"],
    ));
    check_all(cases);
}

#[test]
fn bad_databases() {
    let contoso = contoso_db().to_vec();
    let newer = {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        std::fs::write(&path, &contoso).unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        conn.execute_batch(&format!("PRAGMA user_version = {}", v + 1))
            .unwrap();
        drop(conn);
        std::fs::read(&path).unwrap()
    };
    let foreign = {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        let conn = rusqlite::Connection::open(&path).unwrap();
        // Rollback-journal mode, as most applications leave their files: switching it to WAL
        // would rewrite the header.
        conn.execute_batch("CREATE TABLE notes(x); INSERT INTO notes VALUES (1);")
            .unwrap();
        drop(conn);
        std::fs::read(&path).unwrap()
    };
    let mut cases = Vec::new();
    for args in [
        vec!["export", "--format", "ledger"],
        vec!["script", "check.rhai"],
        vec!["repl"],
    ] {
        cases.push(
            case(
                &format!("no database for {}", args[0]),
                &args,
                1,
                &["./company.db: no company database here (create it with `reimburse init`)"],
            )
            .db(Db::Absent)
            .file("check.rhai", "1 + 1\n"),
        );
    }
    for args in [
        vec!["balances"],
        vec!["run", "--date", "2026-11-30"],
        vec!["init"],
    ] {
        let reason = if args[0] == "init" {
            "./company.db: a database already exists (use --force to replace it)"
        } else {
            "./company.db: not a reimburse company database (an empty file, 0 bytes)"
        };
        cases.push(
            case(
                &format!("a 0-byte database, {}", args[0]),
                &args,
                1,
                &[reason],
            )
            .db(Db::Bytes(Vec::new())),
        );
    }
    cases.push(
        case(
            "another application's SQLite file, run (left in its journal mode)",
            RUN,
            1,
            &["./company.db: not a reimburse company database (an SQLite file of another application, with 1 tables)"],
        )
        .db(Db::Bytes(foreign.clone())),
    );
    cases.push(
        case(
            "an SQLite file with the header only",
            &["balances"],
            1,
            &["./company.db: not a reimburse company database (an empty SQLite file)"],
        )
        .db(Db::Bytes({
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("x.db");
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch("PRAGMA user_version = 0; VACUUM;")
                .unwrap();
            drop(conn);
            std::fs::read(&path).unwrap()
        })),
    );
    let mut truncated = contoso.clone();
    truncated.truncate(contoso.len() / 2);
    cases.push(
        case(
            "a truncated database",
            RUN,
            1,
            &["./company.db: ", "malformed"],
        )
        .db(Db::Bytes(truncated)),
    );
    for args in [
        vec!["pay", "--date", "2026-11-30"],
        vec!["export", "--format", "beancount"],
        vec!["script", "check.rhai"],
        vec!["reimbursements"],
    ] {
        cases.push(
            case(
                &format!("a newer schema, {}", args[0]),
                &args,
                1,
                &[&format!(
                    "./company.db: the database has schema version {}, newer than this build knows ({}); upgrade reimburse",
                    reimburse::store::SCHEMA_VERSION + 1,
                    reimburse::store::SCHEMA_VERSION
                )],
            )
            .db(Db::Bytes(newer.clone()))
            .file("check.rhai", "1 + 1\n"),
        );
    }
    let y = edit(&company_yaml(), "database: company.db", "database: books");
    cases.push(
        case(
            "the database is a folder",
            RUN,
            1,
            &["./books: not a reimburse company database (a folder)"],
        )
        .company(y)
        .db(Db::Absent)
        .file("books/", ""),
    );
    check_all(cases);
}

#[test]
fn bad_command_lines() {
    let mut cases = vec![
        case(
            "an unknown flag",
            &["run", "--bogus"],
            2,
            &["unexpected argument '--bogus'"],
        ),
        case(
            "an unknown command",
            &["reimbursee"],
            2,
            &["unrecognized subcommand 'reimbursee'"],
        ),
        case(
            "a month that does not exist",
            &["run", "--date", "2026-13-01"],
            2,
            &[
                "invalid value '2026-13-01' for '--date <DATE>': expected a date as YYYY-MM-DD, e.g. 2026-11-30 (2026-13-01 is not a date that exists)",
            ],
        ),
        case(
            "a day that does not exist",
            &["run", "--date", "2026-02-30"],
            2,
            &[
                "invalid value '2026-02-30' for '--date <DATE>': expected a date as YYYY-MM-DD, e.g. 2026-11-30 (2026-02-30 is not a date that exists)",
            ],
        ),
        case(
            "pay with a day that does not exist",
            &["pay", "--date", "2026-02-30"],
            2,
            &["invalid value '2026-02-30' for '--date <DATE>'"],
        ),
        case(
            "pay --dry-run with a bad date",
            &["pay", "--dry-run", "--date", "tomorrow"],
            2,
            &[
                "invalid value 'tomorrow' for '--date <DATE>': expected a date as YYYY-MM-DD, e.g. 2026-11-30 ('tomorrow' is not a date written YYYY-MM-DD)",
            ],
        ),
        case(
            "a bad --from",
            &["reimbursements", "--from", "2026-02-29"],
            2,
            &["invalid value '2026-02-29' for '--from <FROM>'"],
        ),
        case(
            "an empty item in --customers",
            &["run", "--date", "2026-11-30", "--customers", "C-001,,C-002"],
            2,
            &[
                "invalid value '' for '--customers <CUSTOMERS>': an empty item in the comma-separated list",
            ],
        ),
        case(
            "an empty --customers",
            &["run", "--date", "2026-11-30", "--customers", ""],
            2,
            &["for '--customers <CUSTOMERS>': an empty item"],
        ),
        case(
            "a blank item in --groups",
            &["run", "--date", "2026-11-30", "--groups", "RETAIL, "],
            2,
            &["for '--groups <GROUPS>': an empty item"],
        ),
        case(
            "an unknown customer in --customers",
            &["run", "--date", "2026-11-30", "--customers", "C-001,C-999"],
            1,
            &["unknown customer 'C-999'"],
        ),
        case(
            "a group no customer is in (groups are case-sensitive)",
            &["run", "--date", "2026-11-30", "--groups", "RETAIL,retail"],
            1,
            &["no customer is in group 'retail' (groups are case-sensitive)"],
        ),
        case(
            "pay for an unknown customer",
            &["pay", "--customer", "C-999"],
            1,
            &["customer 'C-999' does not exist"],
        ),
        case(
            "pay to an unknown vendor",
            &["pay", "--vendor", "NOPE", "--dry-run"],
            1,
            &["vendor 'NOPE' does not exist"],
        ),
        case(
            "the reimbursements of a run that was never made",
            &["reimbursements", "--run", "99"],
            1,
            &["run '99' does not exist"],
        ),
        case(
            "a --where with a syntax error",
            &[
                "run",
                "--date",
                "2026-11-30",
                "--where",
                "customer.group ==",
            ],
            1,
            &["--where: Script is incomplete"],
        ),
        case(
            "a --where that is not true or false",
            &["run", "--date", "2026-11-30", "--where", "customer.account"],
            1,
            &["--where must give true or false, not string (customer C-001)"],
        ),
        case(
            "a --where naming an unknown property",
            &[
                "run",
                "--date",
                "2026-11-30",
                "--where",
                "customer.colour == \"red\"",
            ],
            1,
            &["--where, customer C-001: ", "colour"],
        ),
        case(
            "generate 0 customers",
            &["generate", "--customers", "0", "--out", "synthetic"],
            2,
            &[
                "invalid value '0' for '--customers <CUSTOMERS>': a company needs at least 1 customer",
            ],
        ),
        case(
            "generate a negative number of customers",
            &["generate", "--customers", "-3", "--out", "synthetic"],
            2,
            &["unexpected argument '-3'"],
        ),
        case(
            "generate a non-numeric number of customers",
            &["generate", "--customers", "ten", "--out", "synthetic"],
            2,
            &["invalid value 'ten' for '--customers <CUSTOMERS>': expected a whole number"],
        ),
        case(
            "generate without --customers",
            &["generate", "--out", "synthetic"],
            2,
            &["--customers <CUSTOMERS>"],
        ),
        case(
            "an unknown export format",
            &["export", "--format", "nope"],
            2,
            &[
                "invalid value 'nope' for '--format <FORMAT>'",
                "ledger, hledger, beancount",
            ],
        ),
        case(
            "script --arg without =",
            &["script", "check.rhai", "--arg", "as_of"],
            2,
            &["invalid value 'as_of' for '--arg <KEY=VALUE>': expected KEY=VALUE, not 'as_of'"],
        ),
        case(
            "script --arg without a key",
            &["script", "check.rhai", "--arg", "=2026-11-30"],
            2,
            &["expected KEY=VALUE, not '=2026-11-30'"],
        ),
        case("script without a file", &["script"], 2, &["<FILE>"]),
        case(
            "a script file that does not exist",
            &["script", "nowhere.rhai"],
            1,
            &["nowhere.rhai"],
        ),
        case(
            "a non-numeric --run",
            &["pay", "--run", "last"],
            2,
            &["invalid value 'last' for '--run <RUN>'"],
        ),
        case(
            "an unknown status",
            &["reimbursements", "--status", "unpaid"],
            2,
            &[
                "invalid value 'unpaid' for '--status <STATUS>'",
                "open, pending, \"pending approval\", held, paid, reversed",
            ],
        ),
        case(
            "test with a folder without fixtures",
            &["test", "empty"],
            1,
            &["no fixtures (*.yaml) found in empty"],
        )
        .file("empty/", ""),
    ];
    for c in &mut cases {
        c.files.push(("check.rhai".into(), b"1 + 1\n".to_vec()));
    }
    check_all(cases);
}

#[test]
fn a_customer_naming_an_unknown_vendor_account_loads_and_is_skipped_with_the_reason() {
    // Documented: a vendor account missing from the vendor table is kept; the rules decide.
    let c = crate::common::Company::new(&edit(
        FIXTURE,
        "vendor_account: V-100",
        "vendor_account: V-999",
    ));
    let report = c.run_json(&[]);
    let skipped = crate::common::rows(&report["skipped"]);
    let c001: Vec<_> = skipped
        .iter()
        .filter(|k| k["customer"] == "C-001")
        .collect();
    assert_eq!(c001.len(), 1, "{report:#}");
    assert_eq!(c001[0]["reason"], "vendor account V-999 does not exist");
    assert!(
        !crate::common::customers_of(&report["reimbursements"]).contains(&"C-001".to_string()),
        "{report:#}"
    );
}

#[test]
fn reimburse_test_reports_an_unreadable_fixture_and_runs_the_others() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("company.yaml"), company_yaml()).unwrap();
    let fixtures = dir.path().join("fixtures");
    std::fs::create_dir(&fixtures).unwrap();
    std::fs::copy(
        crate::common::root().join("tests/fixtures/below_minimum.yaml"),
        fixtures.join("below_minimum.yaml"),
    )
    .unwrap();
    // A dangling link and a file that is not UTF-8: neither can be read, whoever runs the test.
    std::os::unix::fs::symlink("nowhere.yaml", fixtures.join("gone.yaml")).unwrap();
    std::fs::write(fixtures.join("latin1.yaml"), b"description: caf\xe9\n").unwrap();
    let rules = crate::common::default_rules();
    let out = reimburse(
        dir.path(),
        &["test", "fixtures", "--rules", rules.to_str().unwrap()],
    );
    let stderr = crate::common::no_panic(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
    assert!(
        stdout.contains("PASS fixtures/below_minimum.yaml"),
        "{stdout}"
    );
    assert!(stdout.contains("FAIL fixtures/gone.yaml"), "{stdout}");
    assert!(
        stdout.contains("fixtures/gone.yaml: cannot read the fixture: No such file or directory"),
        "{stdout}"
    );
    assert!(stdout.contains("FAIL fixtures/latin1.yaml"), "{stdout}");
    assert!(
        stdout.contains(
            "fixtures/latin1.yaml: cannot read the fixture: stream did not contain valid UTF-8"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 passed, 2 failed (3 fixtures"),
        "{stdout}"
    );

    let out = reimburse(
        dir.path(),
        &[
            "test",
            "fixtures",
            "--json",
            "--rules",
            rules.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (doc["passed"].as_u64(), doc["failed"].as_u64()),
        (Some(1), Some(2))
    );
}

/// True when this process can write a file whose mode forbids it (root, or CAP_DAC_OVERRIDE).
fn permissions_are_bypassed(dir: &Path) -> bool {
    let probe = dir.join("probe");
    std::fs::write(&probe, "x").unwrap();
    set_mode(&probe, 0o444);
    let bypassed = std::fs::OpenOptions::new().write(true).open(&probe).is_ok();
    std::fs::remove_file(&probe).unwrap();
    bypassed
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Runs the binary so that file permissions apply to it: as it is for an ordinary user; for root,
/// through `setpriv` without the capabilities that bypass permissions. `None` when root and
/// `setpriv` cannot do it.
fn as_ordinary_user(dir: &Path, args: &[&str], bypassed: bool) -> Option<Output> {
    if !bypassed {
        return Some(reimburse(dir, args));
    }
    let out = Command::new("setpriv")
        .args([
            "--bounding-set=-dac_override,-dac_read_search,-fowner",
            "--",
            BIN,
        ])
        .arg("--company")
        .arg("company.yaml")
        .args(args)
        .current_dir(dir)
        .env_remove("REIMBURSE_COMPANY")
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    // setpriv itself failing (not permitted in this container) exits before running reimburse.
    let stderr = String::from_utf8_lossy(&out.stderr);
    (!stderr.starts_with("setpriv:")).then_some(out)
}

fn one_error(out: &Output, expect: &str) {
    let wrong = check_failure(out, 1, &[expect.to_string()]);
    assert!(
        wrong.is_empty(),
        "{}\nstderr: {}",
        wrong.join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn contoso_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("company.yaml"), company_yaml()).unwrap();
    std::fs::write(dir.path().join("company.db"), contoso_db()).unwrap();
    dir
}

#[test]
fn a_read_only_database_file() {
    let dir = contoso_folder();
    let db = dir.path().join("company.db");
    let bypassed = permissions_are_bypassed(dir.path());
    set_mode(&db, 0o444);
    if bypassed {
        // Documented: root (or CAP_DAC_OVERRIDE) writes whatever the mode says, so the run works.
        let out = reimburse(dir.path(), RUN);
        assert!(out.status.success(), "{out:?}");
        let conn = rusqlite::Connection::open(&db).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM reimbursements", [], |r| r.get(0))
            .unwrap();
        assert!(n > 0, "root's run on a 0444 file reimbursed nothing");
        drop(conn);
        std::fs::write(&db, contoso_db()).unwrap();
        set_mode(&db, 0o444);
    }
    let Some(out) = as_ordinary_user(dir.path(), RUN, bypassed) else {
        eprintln!(
            "NOTE: running as root without a working setpriv: the refusal of a read-only \
             database by an ordinary user is not exercised here"
        );
        return;
    };
    let refused = "./company.db: the database is read-only: the file is not writable";
    one_error(&out, refused);
    // A dry run and a payment take the write lock too: refused the same way.
    for args in [
        &["run", "--dry-run", "--date", "2026-11-30"][..],
        &["pay", "--date", "2026-11-30"],
    ] {
        one_error(
            &as_ordinary_user(dir.path(), args, bypassed).unwrap(),
            refused,
        );
    }
    // Reading works.
    let out = as_ordinary_user(dir.path(), &["balances", "--json"], bypassed).unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        std::fs::read(&db).unwrap() == contoso_db(),
        "the database changed"
    );

    // SQLite leaves its -wal/-shm files beside a read-only database it read, as read-only as the
    // database; once the database is writable again, the message names the file still in the way.
    set_mode(&db, 0o644);
    let shm = dir.path().join("company.db-shm");
    if shm.exists() {
        let out = as_ordinary_user(dir.path(), RUN, bypassed).unwrap();
        one_error(
            &out,
            "./company.db: the database is read-only: ./company.db-shm is not writable (make it writable, or remove it while no one uses the database)",
        );
        std::fs::remove_file(&shm).unwrap();
        let _ = std::fs::remove_file(dir.path().join("company.db-wal"));
    }
    let out = as_ordinary_user(dir.path(), RUN, bypassed).unwrap();
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn a_read_only_folder() {
    let dir = contoso_folder();
    let bypassed = permissions_are_bypassed(dir.path());
    set_mode(dir.path(), 0o555);
    let result = std::panic::catch_unwind(|| {
        if bypassed {
            // Documented: root creates the -wal file in a 0555 folder anyway.
            let out = reimburse(dir.path(), &["balances"]);
            assert!(out.status.success(), "{out:?}");
        }
        let Some(out) = as_ordinary_user(dir.path(), RUN, bypassed) else {
            eprintln!(
                "NOTE: running as root without a working setpriv: a read-only folder is not \
                 exercised here"
            );
            return;
        };
        // In WAL mode SQLite needs the -wal and -shm files beside the database, even to read.
        let folder_refused = "./company.db: the database is read-only: its folder . is not writable (SQLite keeps the -wal and -shm files beside the database)";
        one_error(&out, folder_refused);
        // Reading works all the same, read-only and leaving no file behind.
        for args in [
            &["balances", "--json"][..],
            &["trial-balance"],
            &["reimbursements"],
            &["runs"],
            &["export", "--format", "ledger"],
        ] {
            let out = as_ordinary_user(dir.path(), args, bypassed).unwrap();
            assert!(out.status.success(), "{args:?}: {out:?}");
        }
        let out = as_ordinary_user(dir.path(), &["balances", "--json"], bypassed).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(doc.to_string().contains("C-001"), "{doc}");
        one_error(
            &as_ordinary_user(dir.path(), &["init", "--force"], bypassed).unwrap(),
            "./company.db: cannot create the database: cannot write in .: Permission denied",
        );
        assert!(std::fs::read(dir.path().join("company.db")).unwrap() == contoso_db());
        let names: Vec<_> = folder(dir.path()).into_keys().collect();
        assert_eq!(names, ["company.db", "company.yaml"]);
    });
    set_mode(dir.path(), 0o755);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn a_database_locked_by_another_process() {
    let dir = contoso_folder();
    std::fs::write(dir.path().join("check.rhai"), "1 + 1\n").unwrap();
    let db = dir.path().join("company.db");
    // Another process (a REPL session, a run) holds the write lock.
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let writers: Vec<Vec<&str>> = vec![
        vec!["run", "--date", "2026-11-30"],
        vec!["pay", "--date", "2026-11-30"],
        vec!["script", "check.rhai"],
        vec!["repl"],
        // Replacing the database under a process that writes to it would lose its work.
        vec!["init", "--force"],
    ];
    let start = Instant::now();
    let outs: Vec<(Vec<&str>, Output, Duration)> = std::thread::scope(|s| {
        let handles: Vec<_> = writers
            .iter()
            .map(|args| {
                let dir = dir.path();
                s.spawn(move || {
                    let t = Instant::now();
                    let out = reimburse(dir, args);
                    (args.clone(), out, t.elapsed())
                })
            })
            .collect();
        // Readers are not blocked by a writer (WAL).
        let out = reimburse(dir.path(), &["balances", "--json"]);
        assert!(out.status.success(), "{out:?}");
        assert!(start.elapsed() < Duration::from_secs(3), "balances waited");
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (args, out, waited) in outs {
        let wrong = check_failure(
            &out,
            1,
            &["./company.db: database busy: another run or session is writing to it; try again when it ends".to_string()],
        );
        assert!(
            wrong.is_empty(),
            "{args:?}: {}\nstderr: {}",
            wrong.join("\n"),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            waited < Duration::from_secs(20),
            "{args:?} waited {waited:?}"
        );
    }
    // A dry run only reads what was committed: it works on a copy, and says so.
    let out = reimburse(
        dir.path(),
        &["run", "--dry-run", "--json", "--date", "2026-11-30"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.starts_with("note: ./company.db is being written by another session"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["reimbursements"].as_array().map(Vec::len), Some(13));
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
    assert!(
        std::fs::read(&db).unwrap() == contoso_db(),
        "the database changed"
    );
    assert!(reimburse(dir.path(), RUN).status.success());
}
