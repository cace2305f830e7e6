//! The bank file writer (`reimburse::bank_file`) through its public API: files written to disk,
//! validated against the schema by `xmllint` (`pain001::assert_valid_pain001`), read back by an
//! independent parser, and their counts and sums recomputed here, in integer cents, from the
//! transfers the test made.
// Amounts in cents are grouped euros_cents: `1_000_00` is 1,000.00 EUR.
#![allow(clippy::inconsistent_digit_grouping)]

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};
use reimburse::bank::{Bic, Iban};
use reimburse::bank_file::{
    BankFileError, BankFileSummary, CreditTransfer, CreditTransferMessage, Debtor,
    write_credit_transfers,
};
use rust_decimal::Decimal;

use crate::pain001::{
    Pain001, assert_sepa_charset, assert_totals_consistent, assert_valid_pain001, read_pain001,
};

/// Test IBANs (valid checksums) and BICs.
const DEBTOR_IBAN: &str = "DE44500105175407324931";
const IBANS: [&str; 4] = [
    "FR1420041010050500013M02606",
    "NL91ABNA0417164300",
    "AT611904300234573201",
    "BE68539007547034",
];
const BIC: &str = "BNPAFRPP";

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, day).unwrap()
}

fn created() -> NaiveDateTime {
    date(1).and_hms_opt(9, 30, 0).unwrap()
}

fn message(id: &str, debtor_bic: Option<&str>) -> CreditTransferMessage {
    CreditTransferMessage {
        message_id: id.into(),
        created_at: created(),
        initiating_party: "Contoso Europe B.V.".into(),
        debtor: Debtor {
            name: "Contoso Europe B.V.".into(),
            iban: Iban::parse(DEBTOR_IBAN).unwrap(),
            bic: debtor_bic.map(|b| Bic::parse(b).unwrap()),
        },
    }
}

/// A transfer of `cents` on `day`.
fn transfer(day: u32, id: &str, cents: i64, name: &str, bic: bool) -> CreditTransfer {
    CreditTransfer {
        execution_date: date(day),
        end_to_end_id: id.into(),
        amount: Decimal::new(cents, 2),
        creditor_name: name.into(),
        creditor_iban: Iban::parse(IBANS[id.len() % IBANS.len()]).unwrap(),
        creditor_bic: bic.then(|| Bic::parse(BIC).unwrap()),
        remittance: format!("Refund of your credit, customer C-{id}"),
    }
}

/// Writes the file into `dir` and returns its path and summary.
fn write(
    dir: &Path,
    name: &str,
    message: &CreditTransferMessage,
    transfers: &[CreditTransfer],
) -> (PathBuf, BankFileSummary) {
    let path = dir.join(name);
    let file = std::fs::File::create(&path).unwrap();
    let summary = write_credit_transfers(file, message, transfers).unwrap();
    (path, summary)
}

/// Validates, reads back and checks totals; the summary must say what the file says.
fn checked(path: &Path, summary: &BankFileSummary) -> Pain001 {
    assert_valid_pain001(path);
    assert_sepa_charset(path);
    let file = read_pain001(path);
    assert_totals_consistent(&file);
    assert_eq!(file.message_id, summary.message_id);
    assert_eq!(file.nb_of_txs, summary.transactions);
    assert_eq!(file.ctrl_sum, summary.control_sum);
    assert_eq!(file.blocks.len() as u64, summary.payment_blocks);
    file
}

/// Cents of a file's amount, which must have exactly two decimals.
fn cents(amount: Decimal) -> i64 {
    assert_eq!(
        amount.scale(),
        2,
        "{amount} is not written with two decimals"
    );
    i64::try_from(amount.mantissa()).unwrap()
}

#[test]
fn several_dates_a_bic_and_none_the_hostile_name_and_a_long_remittance() {
    let dir = tempfile::tempdir().unwrap();
    let long_remittance = format!("Erstattung für Kunde Ø-{}", "x".repeat(200));
    assert!(long_remittance.chars().count() > 200);
    let mut transfers = vec![
        transfer(3, "VI-000003", 12_50, "Åsa Öberg & Søn <AB>", false),
        transfer(1, "VI-000001", 1_000_00, "Müller GmbH", true),
        transfer(3, "VI-000004", 1, "Zoë \"Z\" O'Brien", true),
        transfer(2, "VI-000002", 99_999_999_999, "Ærøskøbing Café", false),
        transfer(1, "VI-000005", 37_05, "Straße & Söhne", false),
    ];
    transfers[0].remittance = long_remittance;
    let (path, summary) = write(
        dir.path(),
        "several.xml",
        &message("PAY-000007", Some("DEUTDEFF")),
        &transfers,
    );
    let file = checked(&path, &summary);

    // Counted and summed here, in cents, from the transfers as given.
    let given: i64 = 12_50 + 1_000_00 + 1 + 99_999_999_999 + 37_05;
    assert_eq!(summary.transactions, 5);
    assert_eq!(summary.payment_blocks, 3);
    assert_eq!(cents(file.ctrl_sum), given);
    assert_eq!(file.ctrl_sum.to_string(), "1000001049.55");

    // One block per date, in date order, transfers in the given order within it.
    let dates: Vec<&str> = file
        .blocks
        .iter()
        .map(|b| b.execution_date.as_str())
        .collect();
    assert_eq!(dates, ["2026-12-01", "2026-12-02", "2026-12-03"]);
    let ids: Vec<Vec<&str>> = file
        .blocks
        .iter()
        .map(|b| {
            b.transfers
                .iter()
                .map(|t| t.end_to_end_id.as_str())
                .collect()
        })
        .collect();
    assert_eq!(
        ids,
        [
            vec!["VI-000001", "VI-000005"],
            vec!["VI-000002"],
            vec!["VI-000003", "VI-000004"]
        ]
    );
    let block_sums: Vec<i64> = file.blocks.iter().map(|b| cents(b.ctrl_sum)).collect();
    assert_eq!(block_sums, [1_037_05, 99_999_999_999, 12_51]);
    assert!(file.blocks.iter().all(|b| b.debtor_iban == DEBTOR_IBAN));

    let third = &file.blocks[2].transfers;
    assert_eq!(third[0].creditor_name, "Asa Oberg + Son (AB)");
    assert_eq!(third[0].creditor_bic, None);
    assert_eq!(third[0].amount.to_string(), "12.50");
    assert_eq!(third[0].remittance.chars().count(), 140);
    assert!(
        third[0]
            .remittance
            .starts_with("Erstattung fur Kunde O-xxx")
    );
    assert_eq!(third[1].creditor_name, "Zoe 'Z' O'Brien");
    assert_eq!(third[1].creditor_bic.as_deref(), Some(BIC));
    assert_eq!(third[1].amount.to_string(), "0.01");
    assert_eq!(file.blocks[0].transfers[1].creditor_name, "Strasse + Sohne");
    assert_eq!(
        file.blocks[1].transfers[0].creditor_name,
        "AEroskobing Cafe"
    );
    assert_eq!(
        file.blocks[1].transfers[0].amount.to_string(),
        "999999999.99"
    );
    assert_eq!(
        file.blocks[0].transfers[0].creditor_iban,
        IBANS[9 % IBANS.len()]
    );

    // The debtor's BIC is its agent; the raw text shows the purpose code and the PmtInfIds.
    let xml = std::fs::read_to_string(&path).unwrap();
    assert_eq!(xml.matches("<BICFI>DEUTDEFF</BICFI>").count(), 3);
    assert_eq!(xml.matches("<Cd>REFU</Cd>").count(), 5);
    for n in 1..=3 {
        assert!(xml.contains(&format!("<PmtInfId>PAY-000007-{n}</PmtInfId>")));
    }
    assert!(xml.contains("<CreDtTm>2026-12-01T09:30:00</CreDtTm>"));
    assert!(!xml.contains("NOTPROVIDED"));
}

#[test]
fn many_transfers_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let n: i64 = 2_500;
    let transfers: Vec<CreditTransfer> = (0..n)
        .map(|i| {
            let cents = (i * 7_919) % 10_000_000 + 1;
            transfer(
                1 + (i % 7) as u32,
                &format!("VI-{i:06}"),
                cents,
                "Åsa Öberg & Søn <AB>",
                i % 3 == 0,
            )
        })
        .collect();
    let (path, summary) = write(
        dir.path(),
        "many.xml",
        &message("PAY-000100", None),
        &transfers,
    );
    let file = checked(&path, &summary);
    let expected: i64 = (0..n).map(|i| (i * 7_919) % 10_000_000 + 1).sum();
    assert_eq!(summary.transactions, 2_500);
    assert_eq!(summary.payment_blocks, 7);
    assert_eq!(cents(summary.control_sum), expected);
    let per_block: Vec<u64> = file.blocks.iter().map(|b| b.nb_of_txs).collect();
    assert_eq!(per_block, [358, 357, 357, 357, 357, 357, 357]);
    for (day, block) in file.blocks.iter().enumerate() {
        let expected: i64 = (0..n)
            .filter(|i| i % 7 == day as i64)
            .map(|i| (i * 7_919) % 10_000_000 + 1)
            .sum();
        assert_eq!(cents(block.ctrl_sum), expected, "block {day}");
        let with_bic = block
            .transfers
            .iter()
            .filter(|t| t.creditor_bic.is_some())
            .count();
        let expected_bic = (0..n).filter(|i| i % 7 == day as i64 && i % 3 == 0).count();
        assert_eq!(with_bic, expected_bic);
    }
    let xml = std::fs::read_to_string(&path).unwrap();
    assert_eq!(xml.matches("<Id>NOTPROVIDED</Id>").count(), 7);
}

#[test]
fn hostile_texts_come_out_valid() {
    let dir = tempfile::tempdir().unwrap();
    let texts = [
        "Åsa Öberg & Søn <AB>",
        "]]> <![CDATA[ x ]]>",
        "&amp; &lt; &#x26; \"quotes\" 'single'",
        "tab\there\nnew line\r\n and \u{0}nul\u{7f}",
        "Ελληνικά Ονόματα",
        "Иванов Иван",
        "北京市 商店",
        "e\u{301}te\u{301} combining",
        "\u{202e}rtl override\u{202c}",
        "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ",
        "a\u{a0}b\u{2003}c\u{feff}d",
        "/leading//double/slashes/",
        &"Ω".repeat(300),
    ];
    let transfers: Vec<CreditTransfer> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| CreditTransfer {
            end_to_end_id: format!("{text}{i}"),
            remittance: text.to_string(),
            ..transfer(1 + (i % 2) as u32, "x", 100 + i as i64, text, i % 2 == 0)
        })
        .collect();
    let mut hostile = message("//PAY <&> 1//", None);
    hostile.initiating_party = "Hôtel \"L'Étoile\" & Spa <Paris>".into();
    hostile.debtor.name = "Ørsted A/S".into();
    let (path, summary) = write(dir.path(), "hostile.xml", &hostile, &transfers);
    let file = checked(&path, &summary);
    assert_eq!(file.message_id, "PAY (+) 1");
    assert_eq!(summary.transactions, texts.len() as u64);
    let names: Vec<&str> = file
        .blocks
        .iter()
        .flat_map(|b| &b.transfers)
        .map(|t| t.creditor_name.as_str())
        .collect();
    assert!(names.contains(&"Asa Oberg + Son (AB)"));
    assert!(names.contains(&"Ellenika Onomata"));
    assert!(
        names
            .iter()
            .all(|n| !n.is_empty() && n.chars().count() <= 70)
    );
    let xml = std::fs::read_to_string(&path).unwrap();
    assert!(xml.contains("<Nm>Hotel &apos;L&apos;Etoile&apos; + Spa (Paris)</Nm>"));
    assert!(xml.contains("<Nm>Orsted A/S</Nm>"));
}

#[test]
fn a_long_message_id_keeps_distinct_block_ids() {
    let dir = tempfile::tempdir().unwrap();
    let long_id = "R".repeat(60);
    let transfers: Vec<CreditTransfer> = (1..=12)
        .map(|d| transfer(d, &format!("E{d}"), 1_00, "Name", false))
        .collect();
    let (path, summary) = write(
        dir.path(),
        "long-id.xml",
        &message(&long_id, None),
        &transfers,
    );
    checked(&path, &summary);
    assert_eq!(summary.message_id, "R".repeat(35));
    let xml = std::fs::read_to_string(&path).unwrap();
    assert!(xml.contains(&format!("<PmtInfId>{}-1</PmtInfId>", "R".repeat(33))));
    assert!(xml.contains(&format!("<PmtInfId>{}-12</PmtInfId>", "R".repeat(32))));
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let transfers = [
        transfer(2, "VI-1", 5_00, "Åsa Öberg & Søn <AB>", true),
        transfer(1, "VI-2", 7_25, "Other", false),
    ];
    let bytes = |message: &CreditTransferMessage| {
        let mut out = Vec::new();
        write_credit_transfers(&mut out, message, &transfers).unwrap();
        String::from_utf8(out).unwrap()
    };
    let first = bytes(&message("PAY-1", None));
    assert_eq!(first, bytes(&message("PAY-1", None)));
    assert!(first.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns="));
    assert!(first.ends_with("</Document>\n"));
    // Written again later: only the creation time differs.
    let mut later = message("PAY-1", None);
    later.created_at = date(5).and_hms_opt(17, 0, 1).unwrap();
    let again = bytes(&later);
    let differing: Vec<(&str, &str)> = first
        .lines()
        .zip(again.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(
        differing,
        [(
            "      <CreDtTm>2026-12-01T09:30:00</CreDtTm>",
            "      <CreDtTm>2026-12-05T17:00:01</CreDtTm>"
        )]
    );
}

#[test]
fn the_expected_file_of_the_unit_test_is_valid() {
    let path = crate::common::root().join("tests/bank_file/two_dates.xml");
    assert_valid_pain001(&path);
    assert_sepa_charset(&path);
    let file = read_pain001(&path);
    assert_totals_consistent(&file);
    assert_eq!(
        (file.nb_of_txs, file.ctrl_sum.to_string()),
        (2, "15.10".to_string())
    );
}

#[test]
fn what_cannot_be_paid_writes_nothing() {
    let good = transfer(1, "VI-1", 10_00, "Name", false);
    let attempt = |message: &CreditTransferMessage, transfers: &[CreditTransfer]| {
        let mut out = Vec::new();
        let result = write_credit_transfers(&mut out, message, transfers);
        assert!(
            out.is_empty(),
            "{} bytes written before {result:?}",
            out.len()
        );
        result.unwrap_err()
    };
    let m = message("PAY-1", None);
    assert!(matches!(attempt(&m, &[]), BankFileError::NoTransfers));

    let with = |f: &dyn Fn(&mut CreditTransfer)| {
        let mut bad = transfer(2, "VI-BAD", 1_00, "Name", false);
        f(&mut bad);
        vec![good.clone(), bad]
    };
    let e = attempt(&m, &with(&|t| t.amount = "12.345".parse().unwrap()));
    assert!(
        matches!(&e, BankFileError::AmountDecimals { end_to_end_id, .. } if end_to_end_id == "VI-BAD"),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "credit transfer 'VI-BAD': 12.345 EUR has more than 2 decimals"
    );
    for amount in ["0.00", "-5.00", "1000000000.00"] {
        let e = attempt(&m, &with(&|t| t.amount = amount.parse().unwrap()));
        assert!(
            matches!(&e, BankFileError::AmountOutOfRange { end_to_end_id, .. } if end_to_end_id == "VI-BAD"),
            "{e:?}"
        );
    }
    let e = attempt(&m, &with(&|t| t.creditor_name = "🦄 ★".into()));
    assert_eq!(
        e.to_string(),
        "the creditor name of credit transfer 'VI-BAD' '🦄 ★' is empty once written in the SEPA character set"
    );
    let e = attempt(&m, &with(&|t| t.end_to_end_id = "//".into()));
    assert!(matches!(e, BankFileError::EmptyText { .. }), "{e:?}");
    let e = attempt(
        &m,
        &with(&|t| t.execution_date = NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap()),
    );
    assert!(matches!(e, BankFileError::Date { .. }), "{e:?}");
    assert!(matches!(
        attempt(&message("///", None), std::slice::from_ref(&good)),
        BankFileError::EmptyText { .. }
    ));
    let mut nameless = message("PAY-1", None);
    nameless.debtor.name = "   ".into();
    assert!(matches!(
        attempt(&nameless, std::slice::from_ref(&good)),
        BankFileError::EmptyText { .. }
    ));
}

#[test]
fn the_checks_bite() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(crate::common::root().join("tests/bank_file/two_dates.xml"))
        .unwrap();
    let broken = |name: &str, from: &str, to: &str| {
        assert!(good.contains(from), "{from}");
        let path = dir.path().join(name);
        std::fs::write(&path, good.replacen(from, to, 1)).unwrap();
        path
    };
    let fails =
        |check: &dyn Fn()| std::panic::catch_unwind(std::panic::AssertUnwindSafe(check)).is_err();

    // A control sum that is not the transfers' is valid for the schema, not for the totals.
    let wrong_sum = broken(
        "sum.xml",
        "<CtrlSum>15.10</CtrlSum>",
        "<CtrlSum>15.11</CtrlSum>",
    );
    assert!(fails(&|| assert_totals_consistent(&read_pain001(
        &wrong_sum
    ))));
    let wrong_count = broken("count.xml", "<NbOfTxs>1</NbOfTxs>", "<NbOfTxs>2</NbOfTxs>");
    assert!(fails(&|| assert_totals_consistent(&read_pain001(
        &wrong_count
    ))));
    // A character outside the SEPA set is valid for the schema, not for the guidelines.
    let accent = broken(
        "accent.xml",
        "<Nm>Contoso GmbH</Nm>",
        "<Nm>Contoso GmbH é</Nm>",
    );
    assert!(fails(&|| assert_sepa_charset(&accent)));
    let slash = broken(
        "slash.xml",
        "<EndToEndId>VI-1</EndToEndId>",
        "<EndToEndId>VI//1</EndToEndId>",
    );
    assert!(fails(&|| assert_sepa_charset(&slash)));
    // What the schema refuses, xmllint refuses (when it is here to ask).
    if std::process::Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok()
    {
        for (name, from, to) in [
            ("method.xml", "<PmtMtd>TRF</PmtMtd>", "<PmtMtd>CHK</PmtMtd>"),
            ("cents.xml", "Ccy=\"EUR\">5.00<", "Ccy=\"EUR\">5.001<"),
            ("missing.xml", "<PmtMtd>TRF</PmtMtd>", ""),
            ("order.xml", "<DbtrAgt>", "<ChrgBr>SLEV</ChrgBr><DbtrAgt>"),
            (
                "name.xml",
                "<Nm>Contoso GmbH</Nm>",
                &format!("<Nm>{}</Nm>", "x".repeat(71)),
            ),
        ] {
            let path = broken(name, from, to);
            assert!(
                fails(&|| assert_valid_pain001(&path)),
                "{name} passed xmllint"
            );
        }
    }
}
