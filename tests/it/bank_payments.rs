//! Paying at the bank (`pay --bank-file`, `bank-file --run`) and the check before paying: the
//! files are validated against the schema and read back by an independent parser; counts, sums
//! and creditor accounts are compared with what `pay --json` and the master data say.

use std::path::Path;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::common::{Company, company_yaml, rows};
use crate::pain001::{Pain001, assert_totals_consistent, assert_valid_pain001, read_pain001};

/// Four customers: one with a vendor account that has an IBAN and a BIC (and a name outside the
/// SEPA character set), one without a vendor but with an IBAN (its one-time vendor takes it), one
/// without any bank account, one in USD.
const LEDGER: &str = r#"
customers:
  - { account: C-1, name: "Åsa Öberg & Søn <AB>", currency: EUR, vendor_account: V-1 }
  - { account: C-2, name: Berta Klein, currency: EUR, iban: "FR14 2004 1010 0505 0001 3M02 606" }
  - { account: C-3, name: No Bank GmbH, currency: EUR }
  - { account: C-4, name: Dollar Inc, currency: USD }
vendors:
  - { account: V-1, name: "Åsa Öberg & Søn <AB>", currency: EUR, iban: "NL91ABNA0417164300", bic: ABNANL2A }
transactions:
  - { customer: C-1, date: 2026-10-01, type: payment, document: P-1, amount: -120.00, currency: EUR }
  - { customer: C-2, date: 2026-10-02, type: payment, document: P-2, amount: -80.50, currency: EUR }
  - { customer: C-3, date: 2026-10-03, type: payment, document: P-3, amount: -60.00, currency: EUR }
  - { customer: C-4, date: 2026-10-04, type: payment, document: P-4, amount: -45.00 }
"#;

const BANK: &str =
    "bank_account:\n  name: Contoso Ltd\n  iban: DE89 3704 0044 0532 0130 00\n  bic: COBADEFFXXX\n";

/// The test parameters with the company's bank account (the demo's, or this one).
fn parameters() -> String {
    let yaml = company_yaml();
    if yaml.contains("\nbank_account:") {
        yaml
    } else {
        format!("{yaml}\n{BANK}")
    }
}

/// `yaml` without its `bank_account:` section.
fn without_bank_account(yaml: &str) -> String {
    let mut inside = false;
    let mut kept = Vec::new();
    for line in yaml.lines() {
        if line.starts_with("bank_account:") {
            inside = true;
        } else if inside && !line.starts_with(' ') {
            inside = false;
        }
        if !inside {
            kept.push(line);
        }
    }
    kept.join("\n")
}

/// The company of [`LEDGER`], run on 2026-11-30.
fn reimbursed(parameters: &str) -> Company {
    let c = Company::with(parameters, LEDGER);
    c.ok(&["run", "--date", "2026-11-30"]);
    c
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}"))
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// The file's transfers, by end-to-end id: (amount, creditor IBAN, creditor name).
fn transfers(p: &Pain001) -> Vec<(String, Decimal, String, String)> {
    let mut all: Vec<_> = p
        .blocks
        .iter()
        .flat_map(|b| &b.transfers)
        .map(|t| {
            (
                t.end_to_end_id.clone(),
                t.amount,
                t.creditor_iban.clone(),
                t.creditor_name.clone(),
            )
        })
        .collect();
    all.sort();
    all
}

#[test]
fn pay_writes_a_valid_bank_file_of_the_eur_payments() {
    let c = reimbursed(&parameters());
    let file = c.path("payments.xml");
    let paid = c.json(&[
        "pay",
        "--date",
        "2026-12-01",
        "--json",
        "--bank-file",
        file.to_str().unwrap(),
    ]);
    assert_valid_pain001(&file);
    let p = read_pain001(&file);
    assert_totals_consistent(&p);
    // Counts and sums equal what pay reports for EUR.
    assert_eq!(paid["totals"]["EUR"], "200.50");
    assert_eq!(p.nb_of_txs, 2);
    assert_eq!(p.ctrl_sum, dec("200.50"));
    assert_eq!(paid["bank_file"]["transactions"], 2);
    assert_eq!(paid["bank_file"]["control_sum"], "200.50");
    assert_eq!(p.message_id, text(&paid["bank_file"], "message_id"));
    assert_eq!(p.blocks.len(), 1);
    assert_eq!(p.blocks[0].execution_date, "2026-12-01");
    assert_eq!(
        p.blocks[0].debtor_iban, "DE02120300000000202051",
        "the demo's bank account"
    );
    // Every creditor IBAN is the vendor's (the one-time vendor's is its customer's).
    let by_customer = |customer: &str| {
        let pay = rows(&paid["payments"])
            .iter()
            .find(|p| p["customer"] == customer)
            .cloned();
        pay.unwrap_or_else(|| panic!("{customer} paid"))
    };
    let (c1, c2) = (by_customer("C-1"), by_customer("C-2"));
    assert_eq!(
        transfers(&p),
        vec![
            (
                text(&c1, "vendor_invoice").to_string(),
                dec("120.00"),
                "NL91ABNA0417164300".into(),
                "Asa Oberg + Son (AB)".into()
            ),
            (
                text(&c2, "vendor_invoice").to_string(),
                dec("80.50"),
                "FR1420041010050500013M02606".into(),
                "Berta Klein".into()
            ),
        ]
    );
    let one_time = text(&c2, "vendor");
    let vendor_iban = c.query(&format!(
        "SELECT iban FROM vendors WHERE account = '{one_time}'"
    ));
    assert_eq!(
        vendor_iban,
        vec![vec!["FR1420041010050500013M02606".to_string()]]
    );
    // The BIC when known, the remittance names the customer and the reimbursement.
    let t1 = p.blocks[0]
        .transfers
        .iter()
        .find(|t| t.end_to_end_id == text(&c1, "vendor_invoice"))
        .unwrap();
    assert_eq!(t1.creditor_bic.as_deref(), Some("ABNANL2A"));
    assert!(
        t1.remittance.contains("C-1") && t1.remittance.contains("RMB-"),
        "{}",
        t1.remittance
    );
    // USD is paid in the ledger and listed as outside the file.
    let c4 = by_customer("C-4");
    assert_eq!(c4["amount"], "45.00");
    assert_eq!(c4["not_in_bank_file"], "not in the bank file (currency)");
    assert!(c1.get("not_in_bank_file").is_none(), "{c1}");
}

#[test]
fn a_eur_vendor_without_an_iban_is_not_paid_and_named() {
    let c = reimbursed(&parameters());
    let file = c.path("payments.xml");
    let paid = c.json(&[
        "pay",
        "--date",
        "2026-12-01",
        "--json",
        "--bank-file",
        file.to_str().unwrap(),
    ]);
    let not_paid = rows(&paid["not_paid"]);
    assert_eq!(not_paid.len(), 1, "{paid}");
    assert_eq!(not_paid[0]["customer"], "C-3");
    assert_eq!(not_paid[0]["reason"], "no bank account");
    assert_eq!(not_paid[0]["amount"], "60.00");
    assert_eq!(paid["no_bank_account"], 1);
    assert_eq!(rows(&paid["payments"]).len(), 3);
    // It stays open (not held) and the table names it with the reason.
    let open = c.json(&["reimbursements", "--status", "open", "--json"]);
    let open = rows(&open["reimbursements"]);
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["customer"], "C-3");
    assert_eq!(open[0]["hold_reason"], Value::Null);
    let again = c.path("again.xml");
    let table = c.ok(&[
        "pay",
        "--date",
        "2026-12-02",
        "--bank-file",
        again.to_str().unwrap(),
    ]);
    assert!(
        table.contains("no bank account") && table.contains("C-3"),
        "{table}"
    );
    assert!(table.contains("none written"), "{table}");
    assert!(!again.exists());
    // Without a bank file it is paid like any other.
    let plain = c.json(&["pay", "--date", "2026-12-02", "--json"]);
    assert_eq!(rows(&plain["payments"]).len(), 1);
    assert_eq!(plain["payments"][0]["customer"], "C-3");
}

#[test]
fn a_payment_that_fails_leaves_no_file_and_no_payment() {
    let c = reimbursed(&parameters());
    let file = c.path("payments.xml");
    let before = c.snapshot();
    // Dated before the reimbursements: refused, all or nothing.
    let err = c.fails(
        1,
        &[
            "pay",
            "--date",
            "2026-11-01",
            "--bank-file",
            file.to_str().unwrap(),
        ],
    );
    assert!(err.contains("cannot pay"), "{err}");
    c.assert_unchanged(&before, "a failed pay --bank-file");
    let left: Vec<_> = std::fs::read_dir(c.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with("company."))
        .collect();
    assert_eq!(
        left,
        vec!["ledger.yaml".to_string()],
        "no bank file, no temporary file"
    );
    // A dry run writes no file either, and says what the file would hold.
    let dry = c.json(&[
        "pay",
        "--date",
        "2026-12-01",
        "--dry-run",
        "--json",
        "--bank-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(dry["bank_file"]["control_sum"], "200.50");
    assert!(!file.exists());
    c.assert_unchanged(&before, "a dry run");
}

#[test]
fn pay_with_a_bank_file_needs_the_company_bank_account() {
    let yaml = without_bank_account(&company_yaml());
    assert!(!yaml.contains("bank_account"), "{yaml}");
    let c = reimbursed(&yaml);
    let before = c.snapshot();
    let file = c.path("payments.xml");
    let err = c.fails(
        1,
        &[
            "pay",
            "--date",
            "2026-12-01",
            "--bank-file",
            file.to_str().unwrap(),
        ],
    );
    assert!(err.contains("bank_account"), "{err}");
    c.assert_unchanged(&before, "pay --bank-file without a bank account");
    assert!(!file.exists());
}

#[test]
fn the_bank_file_of_a_run_is_written_again_with_the_same_bytes() {
    let c = reimbursed(&parameters());
    let first = c.path("payments.xml");
    let paid = c.json(&[
        "pay",
        "--date",
        "2026-12-01",
        "--json",
        "--bank-file",
        first.to_str().unwrap(),
    ]);
    let run = paid["run"].as_i64().unwrap().to_string();
    // The master data change after the payment; the file does not.
    c.write(
        "rename.csv",
        "account,name,currency,iban\nV-1,Someone Else,EUR,DE44500105175407324931\n",
    );
    c.ok(&[
        "import",
        "--vendors",
        c.path("rename.csv").to_str().unwrap(),
    ]);
    let again = c.path("again.xml");
    let out = c.ok(&["bank-file", "--run", &run, "-o", again.to_str().unwrap()]);
    assert!(out.contains("2 transfers"), "{out}");
    assert_valid_pain001(&again);
    let without_time = |p: &Path| {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .filter(|l| !l.contains("<CreDtTm>"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(without_time(&first), without_time(&again));
    // A previous bank file may be replaced; the books and other files may not.
    c.ok(&["bank-file", "--run", &run, "-o", again.to_str().unwrap()]);
    let err = c.fails(
        1,
        &["bank-file", "--run", &run, "-o", c.yaml.to_str().unwrap()],
    );
    assert!(err.contains("parameters"), "{err}");
    let err = c.fails(
        1,
        &[
            "bank-file",
            "--run",
            &run,
            "-o",
            c.path("ledger.yaml").to_str().unwrap(),
        ],
    );
    assert!(err.contains("--force"), "{err}");
    // A payment run without a bank file has none to write.
    let plain = c.json(&["pay", "--date", "2026-12-02", "--json"]);
    let plain_run = plain["run"].as_i64().unwrap().to_string();
    let x = c.path("x.xml");
    let err = c.fails(
        1,
        &["bank-file", "--run", &plain_run, "-o", x.to_str().unwrap()],
    );
    assert!(err.contains("wrote no bank file"), "{err}");
    assert!(!c.path("x.xml").exists());
}

#[test]
fn the_check_before_paying_holds_a_refund_whose_customer_has_a_new_invoice() {
    let c = reimbursed(&parameters());
    c.write(
        "invoice.csv",
        "customer,date,type,document,amount,currency\nC-1,2026-12-01,invoice,INV-9,30.00,EUR\nC-4,2026-11-15,invoice,INV-8,5.00,\n",
    );
    c.ok(&[
        "import",
        "--transactions",
        c.path("invoice.csv").to_str().unwrap(),
    ]);
    let paid = c.json(&["pay", "--date", "2026-12-02", "--json"]);
    let held: Vec<_> = rows(&paid["not_paid"])
        .iter()
        .map(|n| {
            (
                text(n, "customer").to_string(),
                text(n, "reason").to_string(),
            )
        })
        .collect();
    let reason = "customer has open debits since the reimbursement";
    assert_eq!(
        held,
        vec![("C-1".into(), reason.into()), ("C-4".into(), reason.into())]
    );
    assert_eq!(paid["held"], 2);
    assert_eq!(paid["paid"], 2);
    // The page shows them held, with the reason.
    let page = c.json(&["reimbursements", "--status", "held", "--json"]);
    let page = rows(&page["reimbursements"]);
    assert_eq!(page.len(), 2);
    assert!(
        page.iter()
            .all(|r| r["status"] == "held" && r["hold_reason"] == reason),
        "{page:?}"
    );
    let csv = c.ok(&["reimbursements", "--status", "held", "--csv"]);
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",hold_reason,last_decision,decided_by,decided_at"),
        "{csv}"
    );
    assert!(csv.contains(reason), "{csv}");
    // Once C-1 pays its invoice, the next payment run pays the refund; C-4 still owes.
    c.write(
        "payment.csv",
        "customer,date,type,document,amount,currency,applies_to\nC-1,2026-12-03,payment,PAY-9,-30.00,EUR,INV-9\n",
    );
    c.ok(&[
        "import",
        "--transactions",
        c.path("payment.csv").to_str().unwrap(),
    ]);
    let next = c.json(&["pay", "--date", "2026-12-04", "--json"]);
    assert_eq!(rows(&next["payments"]).len(), 1);
    assert_eq!(next["payments"][0]["customer"], "C-1");
    assert_eq!(next["payments"][0]["amount"], "120.00");
    assert_eq!(rows(&next["not_paid"]).len(), 1);
    assert_eq!(next["not_paid"][0]["customer"], "C-4");
    let status = c.query(
        "SELECT customer, status, hold_reason IS NULL FROM reimbursements ORDER BY customer",
    );
    assert_eq!(status[0], vec!["C-1", "paid", "1"]);
    assert_eq!(status[3], vec!["C-4", "open", "0"]);
}

#[test]
fn the_check_before_paying_can_be_turned_off() {
    let yaml = format!("{}\ncheck_before_paying: false\n", parameters());
    let c = reimbursed(&yaml);
    c.write(
        "invoice.csv",
        "customer,date,type,document,amount,currency\nC-1,2026-12-01,invoice,INV-9,30.00,EUR\n",
    );
    c.ok(&[
        "import",
        "--transactions",
        c.path("invoice.csv").to_str().unwrap(),
    ]);
    let paid = c.json(&["pay", "--date", "2026-12-02", "--json"]);
    assert_eq!(rows(&paid["not_paid"]).len(), 0, "{paid}");
    assert_eq!(rows(&paid["payments"]).len(), 4);
}

#[test]
fn the_demo_pays_its_eur_refunds_at_the_bank() {
    let c = Company::contoso();
    c.ok(&["run", "--date", "2026-11-30"]);
    let file = c.path("payments.xml");
    let paid = c.json(&[
        "pay",
        "--date",
        "2026-12-01",
        "--json",
        "--bank-file",
        file.to_str().unwrap(),
    ]);
    assert_valid_pain001(&file);
    let p = read_pain001(&file);
    assert_totals_consistent(&p);
    let eur: Vec<&Value> = rows(&paid["payments"])
        .iter()
        .filter(|p| p["currency"] == "EUR")
        .collect();
    assert_eq!(p.nb_of_txs as usize, eur.len());
    assert_eq!(p.ctrl_sum, dec(text(&paid["totals"], "EUR")));
    for t in p.blocks.iter().flat_map(|b| &b.transfers) {
        let pay = eur
            .iter()
            .find(|p| p["vendor_invoice"] == t.end_to_end_id.as_str())
            .unwrap();
        let vendor = text(pay, "vendor");
        let iban = c.query(&format!(
            "SELECT COALESCE(c.iban, v.iban) FROM vendors v LEFT JOIN customers c
             ON v.one_time = 1 AND c.account = v.created_for WHERE v.account = '{vendor}'"
        ));
        assert_eq!(iban[0][0], t.creditor_iban, "{vendor}");
        assert_eq!(dec(text(pay, "amount")), t.amount);
    }
}

#[test]
fn a_one_time_vendor_is_paid_to_its_customer_account_as_it_is_now() {
    let c = reimbursed(&parameters());
    // C-2 changes its IBAN after the run; C-1's vendor keeps its own.
    c.write(
        "customers.csv",
        "account,name,currency,iban\nC-2,Berta Klein,EUR,BE68 5390 0754 7034\n",
    );
    c.ok(&[
        "import",
        "--customers",
        c.path("customers.csv").to_str().unwrap(),
    ]);
    let file = c.path("payments.xml");
    let paid = c.json(&[
        "pay",
        "--date",
        "2026-12-01",
        "--json",
        "--bank-file",
        file.to_str().unwrap(),
    ]);
    let p = read_pain001(&file);
    let c2 = rows(&paid["payments"])
        .iter()
        .find(|p| p["customer"] == "C-2")
        .unwrap()
        .clone();
    let t = p.blocks[0]
        .transfers
        .iter()
        .find(|t| t.end_to_end_id == text(&c2, "vendor_invoice"))
        .unwrap();
    assert_eq!(t.creditor_iban, "BE68539007547034");

    // A customer whose account was removed is not paid, whatever its one-time vendor kept.
    let c = reimbursed(&parameters());
    let file = c.path("payments.xml");
    c.write(
        "customers.csv",
        "account,name,currency,iban\nC-2,Berta Klein,EUR,\n",
    );
    c.ok(&[
        "import",
        "--customers",
        c.path("customers.csv").to_str().unwrap(),
    ]);
    let paid = c.json(&[
        "pay",
        "--date",
        "2026-12-01",
        "--json",
        "--bank-file",
        file.to_str().unwrap(),
    ]);
    let reasons: Vec<_> = rows(&paid["not_paid"])
        .iter()
        .map(|n| {
            (
                text(n, "customer").to_string(),
                text(n, "reason").to_string(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("C-2".into(), "no bank account".into()),
            ("C-3".into(), "no bank account".into())
        ]
    );
}

#[test]
fn a_transfer_sepa_cannot_carry_is_not_paid_and_the_rest_is() {
    let ledger = LEDGER
        .replace(
            "name: No Bank GmbH, currency: EUR }",
            "name: Rio Ltda, currency: EUR, iban: \"BR1800360305000010009795493C1\" }",
        )
        .replace(
            "amount: -80.50, currency: EUR",
            "amount: -1000000000.00, currency: EUR",
        );
    let c = Company::with(&parameters(), &ledger);
    c.ok(&["run", "--date", "2026-11-30"]);
    let file = c.path("payments.xml");
    let paid = c.json(&[
        "pay",
        "--date",
        "2026-12-01",
        "--json",
        "--bank-file",
        file.to_str().unwrap(),
    ]);
    let not_paid: Vec<_> = rows(&paid["not_paid"])
        .iter()
        .map(|n| {
            (
                text(n, "customer").to_string(),
                text(n, "reason").to_string(),
                text(n, "detail").to_string(),
            )
        })
        .collect();
    assert_eq!(not_paid.len(), 2, "{paid}");
    assert_eq!(not_paid[0].0, "C-2");
    assert_eq!(not_paid[0].1, "not payable by SEPA transfer");
    assert!(not_paid[0].2.contains("999999999.99"), "{}", not_paid[0].2);
    assert_eq!(not_paid[1].0, "C-3");
    assert!(not_paid[1].2.contains("BR"), "{}", not_paid[1].2);
    assert_eq!(paid["totals"]["EUR"], "120.00");
    assert_eq!(paid["totals"]["USD"], "45.00");
    assert_valid_pain001(&file);
    assert_eq!(read_pain001(&file).nb_of_txs, 1);
}

#[test]
fn a_bank_file_is_never_written_over_and_says_where_it_cannot_go() {
    let c = reimbursed(&parameters());
    let before = c.snapshot();
    let err = c.fails(
        1,
        &[
            "pay",
            "--date",
            "2026-12-01",
            "--dry-run",
            "--bank-file",
            c.path("nodir/x.xml").to_str().unwrap(),
        ],
    );
    assert!(
        err.contains("the folder") && err.contains("does not exist"),
        "{err}"
    );
    assert!(!err.contains(".reimburse-bank-file"), "{err}");
    let file = c.path("payments.xml");
    let paid = c.json(&[
        "pay",
        "--date",
        "2026-12-01",
        "--json",
        "--bank-file",
        file.to_str().unwrap(),
    ]);
    let first = std::fs::read(&file).unwrap();
    // The next payment run may not replace the file of this one.
    c.write(
        "invoice.csv",
        "customer,date,type,document,amount,currency\nC-9,2026-12-02,payment,P-9,-50.00,EUR\n",
    );
    let err = c.fails(
        1,
        &[
            "pay",
            "--date",
            "2026-12-03",
            "--bank-file",
            file.to_str().unwrap(),
        ],
    );
    assert!(err.contains("give a new file name"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), first);
    // Nothing in EUR to pay: the JSON says no file was written.
    let none = c.json(&[
        "pay",
        "--date",
        "2026-12-03",
        "--json",
        "--bank-file",
        c.path("none.xml").to_str().unwrap(),
    ]);
    assert_eq!(none["bank_file"]["written"], false);
    assert_eq!(none["bank_file"]["transactions"], 0);
    assert!(!c.path("none.xml").exists());
    // bank-file names what is wrong with the run asked for.
    let run = paid["run"].as_i64().unwrap();
    let out = c.path("again.xml");
    let err = c.fails(1, &["bank-file", "--run", "1", "-o", out.to_str().unwrap()]);
    assert!(err.contains("run 1 is a reimbursement run"), "{err}");
    let err = c.fails(
        1,
        &["bank-file", "--run", "99", "-o", out.to_str().unwrap()],
    );
    assert!(err.contains("there is no run 99"), "{err}");
    // Another run's bank file is replaced only with --force.
    let err = c.fails(
        1,
        &[
            "bank-file",
            "--run",
            &(run + 1).to_string(),
            "-o",
            file.to_str().unwrap(),
        ],
    );
    assert!(
        err.contains("wrote no bank file") || err.contains("--force"),
        "{err}"
    );
    let _ = before;
}

#[test]
fn an_unapplied_payment_counts_against_a_new_invoice() {
    let c = reimbursed(&parameters());
    c.write(
        "t.csv",
        "customer,date,type,document,amount,currency\nC-1,2026-12-01,invoice,INV-9,30.00,EUR\nC-1,2026-12-01,payment,PAY-9,-30.00,EUR\n",
    );
    c.ok(&[
        "import",
        "--transactions",
        c.path("t.csv").to_str().unwrap(),
    ]);
    let paid = c.json(&["pay", "--date", "2026-12-02", "--json"]);
    assert_eq!(rows(&paid["not_paid"]).len(), 0, "{paid}");
    assert_eq!(paid["paid"], 4);
}
