//! Checks of a `pain.001.001.09` bank file that do not trust the code that wrote it: the schema
//! (`schemas/iso20022/pain.001.001.09.xsd`) through `xmllint`, and the file read back with an
//! independent parser (`roxmltree`) so tests can count and sum its transfers themselves. Used by
//! `bank_file` and by the tests of `pay --bank-file`.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::Once;

use roxmltree::{Document, Node};
use rust_decimal::Decimal;

/// The namespace every element of the file is in.
pub const NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";

/// Validates with `xmllint --noout --schema schemas/iso20022/pain.001.001.09.xsd`; panics with
/// xmllint's output when invalid. When xmllint is missing: panics if the environment variable
/// REIMBURSE_REQUIRE_XMLLINT is set (CI sets it), else prints a warning once and skips.
pub fn assert_valid_pain001(path: &Path) {
    let schema = crate::common::root().join("schemas/iso20022/pain.001.001.09.xsd");
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(path)
        .output();
    match output {
        Ok(out) => assert!(
            out.status.success(),
            "xmllint refuses {} (exit {:?}):\n{}{}",
            path.display(),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::env::var_os("REIMBURSE_REQUIRE_XMLLINT").is_some() {
                panic!(
                    "xmllint is not installed, and REIMBURSE_REQUIRE_XMLLINT is set: install \
                     libxml2-utils to validate the bank files against the schema"
                );
            }
            static WARNING: Once = Once::new();
            WARNING.call_once(|| {
                // Straight to the process's standard error: the test harness captures eprintln!.
                let _ = writeln!(
                    std::io::stderr(),
                    "warning: xmllint is not installed (Debian: libxml2-utils): the bank files \
                     are not validated against the schema; counts and sums are still checked"
                );
            });
        }
        Err(e) => panic!("cannot run xmllint: {e}"),
    }
}

/// The file read back with an independent parser (add `roxmltree` as a dev-dependency):
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pain001 {
    /// `GrpHdr/MsgId`.
    pub message_id: String,
    /// `GrpHdr/NbOfTxs`.
    pub nb_of_txs: u64,
    /// `GrpHdr/CtrlSum`.
    pub ctrl_sum: Decimal,
    /// The `PmtInf` blocks, in file order.
    pub blocks: Vec<Block>,
}

/// One `PmtInf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// `ReqdExctnDt/Dt`, as written (`YYYY-MM-DD`).
    pub execution_date: String,
    /// `PmtInf/NbOfTxs`.
    pub nb_of_txs: u64,
    /// `PmtInf/CtrlSum`.
    pub ctrl_sum: Decimal,
    /// `DbtrAcct/Id/IBAN`.
    pub debtor_iban: String,
    /// Its `CdtTrfTxInf`, in file order.
    pub transfers: Vec<Transfer>,
}

/// One `CdtTrfTxInf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// `PmtId/EndToEndId`.
    pub end_to_end_id: String,
    /// `Amt/InstdAmt` (whose `Ccy` must be EUR), as written (scale kept: `12.30`).
    pub amount: Decimal,
    /// `Cdtr/Nm`.
    pub creditor_name: String,
    /// `CdtrAcct/Id/IBAN`.
    pub creditor_iban: String,
    /// `CdtrAgt/FinInstnId/BICFI`, when there is a creditor agent.
    pub creditor_bic: Option<String>,
    /// `RmtInf/Ustrd`; empty when there is none.
    pub remittance: String,
}

/// Reads a bank file back; panics, naming the element, when it is not shaped as a pain.001.
pub fn read_pain001(path: &Path) -> Pain001 {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let doc =
        Document::parse(&text).unwrap_or_else(|e| panic!("{} is not XML: {e}", path.display()));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "Document");
    assert_eq!(root.tag_name().namespace(), Some(NAMESPACE));
    let initiation = child(root, "CstmrCdtTrfInitn");
    let header = child(initiation, "GrpHdr");
    Pain001 {
        message_id: text_at(header, &["MsgId"]),
        nb_of_txs: count(&text_at(header, &["NbOfTxs"])),
        ctrl_sum: decimal(&text_at(header, &["CtrlSum"])),
        blocks: elements(initiation, "PmtInf").map(read_block).collect(),
    }
}

/// Asserts header/block counts and sums equal the transfers' (recomputed from the transfers).
pub fn assert_totals_consistent(p: &Pain001) {
    assert!(!p.blocks.is_empty(), "{}: no PmtInf", p.message_id);
    let mut all_count = 0u64;
    let mut all_sum = Decimal::ZERO;
    for block in &p.blocks {
        let sum: Decimal = block.transfers.iter().map(|t| t.amount).sum();
        assert_eq!(
            block.nb_of_txs,
            block.transfers.len() as u64,
            "NbOfTxs of the block of {}",
            block.execution_date
        );
        assert_eq!(
            block.ctrl_sum, sum,
            "CtrlSum of the block of {}",
            block.execution_date
        );
        all_count += block.transfers.len() as u64;
        all_sum += sum;
    }
    assert_eq!(p.nb_of_txs, all_count, "GrpHdr/NbOfTxs");
    assert_eq!(p.ctrl_sum, all_sum, "GrpHdr/CtrlSum");
}

/// Asserts that every text of the file (element content and attribute values) is in the EPC's
/// Latin character set (`a-z A-Z 0-9 / - ? : ( ) . , ' +` and space), which the schema does not
/// check, and that no identifier (`MsgId`, `PmtInfId`, `EndToEndId`) starts or ends with `/` or
/// holds `//`.
pub fn assert_sepa_charset(path: &Path) {
    let text = std::fs::read_to_string(path).expect("readable bank file");
    let doc = Document::parse(&text).expect("XML");
    let in_set = |c: char| c.is_ascii_alphanumeric() || "/-?:().,'+ ".contains(c);
    for node in doc.descendants() {
        if node.is_text() && !node.text().unwrap_or("").trim().is_empty() {
            let value = node.text().unwrap_or("");
            let element = node
                .parent_element()
                .map(|e| e.tag_name().name())
                .unwrap_or("");
            assert!(
                value.chars().all(in_set),
                "<{element}> holds {value:?}, outside the SEPA set"
            );
            if ["MsgId", "PmtInfId", "EndToEndId"].contains(&element) {
                assert!(
                    !value.starts_with('/') && !value.ends_with('/') && !value.contains("//"),
                    "<{element}> {value:?} breaks the slash rule"
                );
            }
        }
        for attribute in node.attributes() {
            assert!(
                attribute.value().chars().all(in_set),
                "attribute {}={:?}",
                attribute.name(),
                attribute.value()
            );
        }
    }
}

/// One `PmtInf` read back.
fn read_block(node: Node) -> Block {
    Block {
        execution_date: text_at(node, &["ReqdExctnDt", "Dt"]),
        nb_of_txs: count(&text_at(node, &["NbOfTxs"])),
        ctrl_sum: decimal(&text_at(node, &["CtrlSum"])),
        debtor_iban: text_at(node, &["DbtrAcct", "Id", "IBAN"]),
        transfers: elements(node, "CdtTrfTxInf").map(read_transfer).collect(),
    }
}

/// One `CdtTrfTxInf` read back.
fn read_transfer(node: Node) -> Transfer {
    let amount = child(child(node, "Amt"), "InstdAmt");
    assert_eq!(amount.attribute("Ccy"), Some("EUR"), "InstdAmt/@Ccy");
    Transfer {
        end_to_end_id: text_at(node, &["PmtId", "EndToEndId"]),
        amount: decimal(amount.text().unwrap_or("")),
        creditor_name: text_at(node, &["Cdtr", "Nm"]),
        creditor_iban: text_at(node, &["CdtrAcct", "Id", "IBAN"]),
        creditor_bic: elements(node, "CdtrAgt")
            .next()
            .map(|agent| text_at(agent, &["FinInstnId", "BICFI"])),
        remittance: elements(node, "RmtInf")
            .next()
            .map(|r| text_at(r, &["Ustrd"]))
            .unwrap_or_default(),
    }
}

/// The child elements of `node` named `name` (in the namespace).
fn elements<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(move |c| {
        c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(NAMESPACE)
    })
}

/// The one child element of `node` named `name`.
fn child<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> Node<'a, 'i> {
    let mut found = elements(node, name);
    let first = found
        .next()
        .unwrap_or_else(|| panic!("<{}> has no <{name}>", node.tag_name().name()));
    assert!(
        found.next().is_none(),
        "<{}> has two <{name}>",
        node.tag_name().name()
    );
    first
}

/// The text of the element at `path` below `node`.
fn text_at(node: Node, path: &[&'static str]) -> String {
    let target = path.iter().fold(node, |n, name| child(n, name));
    target.text().unwrap_or("").to_string()
}

/// A count (`NbOfTxs`).
fn count(text: &str) -> u64 {
    text.parse()
        .unwrap_or_else(|e| panic!("NbOfTxs {text:?}: {e}"))
}

/// An amount or control sum, scale kept.
fn decimal(text: &str) -> Decimal {
    text.parse()
        .unwrap_or_else(|e| panic!("amount {text:?}: {e}"))
}
