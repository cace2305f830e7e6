//! Applying checked rows to the ledger: a customer or vendor created, changed (each field in the
//! audit trail) or left as it is; a transaction posted through the ledger's one write path
//! against the import's counter account, or found already posted with the same values; an
//! `applies_to` settled for as much as both transactions have open.

use std::path::Path;

use super::ImportReport;
use super::problems::{Place, Problem, Problems};
use super::rows::{CustomerRow, Field, TransactionRow, VendorRow, fingerprint};
use crate::ledger::{
    Customer, CustomerTransactionId, Ledger, LedgerError, LineDraft, PostedDocument, Side, Target,
    VoucherDraft,
};

/// A settlement a transaction asks for (`applies_to`), waiting for its other transaction when
/// that comes later in the file.
#[derive(Debug, Clone)]
pub struct Pending {
    file: std::path::PathBuf,
    place: Place,
    customer: String,
    currency: String,
    id: CustomerTransactionId,
    applies_to: String,
}

/// The batch's kind of identity for customer rows that were refused (their transactions say so).
const REFUSED_CUSTOMER: &str = "refused customer";

/// The import's state while rows are applied.
pub struct Applier<'l> {
    ledger: &'l Ledger,
    /// What was done so far.
    pub report: ImportReport,
    /// What is wrong so far.
    pub problems: Problems,
    /// Settlements whose other transaction was not there yet.
    pending: Vec<Pending>,
    /// The customer of the last transaction row (rows often come grouped by customer).
    last_customer: Option<Customer>,
}

fn ledger_problem(file: &Path, place: &Place, column: Option<&str>, e: LedgerError) -> Problem {
    Problem::new(file, place, column, e)
}

impl<'l> Applier<'l> {
    /// A new import over `ledger`.
    pub fn new(ledger: &'l Ledger, dry_run: bool) -> Self {
        Applier {
            ledger,
            report: ImportReport {
                dry_run,
                ..ImportReport::default()
            },
            problems: Problems::default(),
            pending: Vec::new(),
            last_customer: None,
        }
    }

    /// Notes a customer's or vendor's account for this import; `false` (with a problem) when the
    /// import had it already with other values, or when it is a repeat to skip (counted
    /// unchanged).
    fn first_time(
        &mut self,
        (file, place): (&Path, &Place),
        party: Side,
        account: &str,
        print: u64,
    ) -> Result<bool, LedgerError> {
        let line = place.number().unwrap_or_default();
        match self
            .ledger
            .note_identity(party.name(), account, line, print)?
        {
            None => Ok(true),
            Some(seen) if seen.same => Ok(false),
            Some(seen) => {
                let earlier = match place {
                    Place::Entry { section, .. } => {
                        format!("{section}[{}]", seen.line.saturating_sub(1))
                    }
                    _ => format!("line {}", seen.line),
                };
                self.problems.push(Problem::new(
                    file,
                    place,
                    Some("account"),
                    format!(
                        "the same {} {account} is earlier in this import ({earlier}) with other \
                         values",
                        party.name()
                    ),
                ));
                Ok(false)
            }
        }
    }

    /// Applies a vendor row.
    pub fn vendor(
        &mut self,
        file: &Path,
        place: &Place,
        row: &VendorRow,
    ) -> Result<(), LedgerError> {
        if !self.first_time((file, place), Side::Vendor, &row.account, fingerprint(row))? {
            self.report.vendors.unchanged += 1;
            return Ok(());
        }
        self.ledger.set_origin_line(place.number());
        let stored = self.ledger.vendor(&row.account)?;
        let vendor = row.vendor(stored.as_ref());
        let result = match &stored {
            None => self.ledger.insert_vendor(&vendor).map(|()| None),
            Some(_) => self.ledger.update_vendor(&vendor).map(Some),
        };
        match result {
            Ok(changes) => self.report.vendors.add(changes.as_deref()),
            Err(e) => self.problems.push(ledger_problem(file, place, None, e)),
        }
        Ok(())
    }

    /// Applies a customer row; a vendor account that names no vendor is a warning (a run skips
    /// the customer, with that reason, until the vendor exists).
    pub fn customer(
        &mut self,
        file: &Path,
        place: &Place,
        row: &CustomerRow,
    ) -> Result<(), LedgerError> {
        if !self.first_time(
            (file, place),
            Side::Customer,
            &row.account,
            fingerprint(row),
        )? {
            self.report.customers.unchanged += 1;
            return Ok(());
        }
        self.ledger.set_origin_line(place.number());
        let stored = self.ledger.customer(&row.account)?;
        let customer = row.customer(stored.as_ref());
        if let Some(old) = stored
            .as_ref()
            .filter(|old| old.currency != customer.currency)
        {
            self.report.warnings.push(Problem::new(
                file,
                place,
                Some("currency"),
                format!(
                    "the customer's currency changes from {} to {}: transactions already \
                     posted stay in their currency, and so do their reimbursements",
                    old.currency, customer.currency
                ),
            ));
        }
        let linked_before = stored.as_ref().and_then(|c| c.vendor_account.as_ref());
        if let Field::Set(v) = &row.vendor_account
            && linked_before != Some(v)
            && self.ledger.vendor(v)?.is_none()
        {
            self.report.warnings.push(Problem::new(
                file,
                place,
                Some("vendor_account"),
                format!(
                    "vendor '{v}' does not exist (yet): a run skips this customer until it does"
                ),
            ));
        }
        let result = match &stored {
            None => self.ledger.create_customer(&customer).map(|()| None),
            Some(_) => self.ledger.update_customer(&customer).map(Some),
        };
        match result {
            Ok(changes) => self.report.customers.add(changes.as_deref()),
            Err(e) => {
                self.problems.push(ledger_problem(file, place, None, e));
                self.refused_customer(place, &row.account)?;
            }
        }
        Ok(())
    }

    /// Notes a customer row that was refused, so that its transactions say why their customer
    /// is missing.
    pub fn refused_customer(&mut self, place: &Place, account: &str) -> Result<(), LedgerError> {
        let line = place.number().unwrap_or_default();
        self.ledger
            .note_identity(REFUSED_CUSTOMER, account, line, 0)?;
        Ok(())
    }

    /// The customer a transaction names (from the last row's, when it is the same).
    fn customer_of(&mut self, account: &str) -> Result<Option<Customer>, LedgerError> {
        if let Some(c) = &self.last_customer
            && c.account == account
        {
            return Ok(Some(c.clone()));
        }
        self.last_customer = self.ledger.customer(account)?;
        Ok(self.last_customer.clone())
    }

    /// Applies a transaction row.
    pub fn transaction(
        &mut self,
        file: &Path,
        place: &Place,
        row: &TransactionRow,
    ) -> Result<(), LedgerError> {
        let Some(customer) = self.customer_of(&row.customer)? else {
            let message = match self.ledger.identity_line(REFUSED_CUSTOMER, &row.customer)? {
                Some(line) => format!(
                    "customer '{}' is not imported: its row (line or entry {line}) has problems",
                    row.customer
                ),
                None => format!(
                    "customer '{}' is neither in the database nor in this import",
                    row.customer
                ),
            };
            self.problems
                .push(Problem::new(file, place, Some("customer"), message));
            return Ok(());
        };
        let currency = row.currency.clone().unwrap_or(customer.currency);
        let amount = match self.ledger.currency(&currency).and_then(|c| {
            c.to_minor(row.amount)?;
            Ok(c.check(row.amount)?)
        }) {
            Ok(a) => a,
            Err(e) => {
                self.problems
                    .push(ledger_problem(file, place, Some("amount"), e));
                return Ok(());
            }
        };
        if let Some(positive) = crate::fixtures::customer_sign(&row.kind)
            && amount.is_sign_positive() != positive
        {
            self.problems.push(Problem::new(
                file,
                place,
                Some("amount"),
                format!(
                    "{} {} must be {} (debit +, credit −), not {amount}",
                    row.kind,
                    row.document,
                    if positive { "positive" } else { "negative" }
                ),
            ));
            return Ok(());
        }
        // A document posted before, by an earlier import or earlier in this one, is compared.
        if let Some(posted) = self.ledger.posted_document(&row.customer, &row.document)? {
            self.compare_posted(file, place, row, (&currency, amount), &posted);
            return Ok(());
        }
        let id = match self.post(row, &currency, amount) {
            Ok(id) => id,
            Err(e) => {
                self.problems.push(ledger_problem(file, place, None, e));
                return Ok(());
            }
        };
        self.report.transactions.new += 1;
        if let Some(applies_to) = &row.applies_to {
            let pending = Pending {
                file: file.to_path_buf(),
                place: place.clone(),
                customer: row.customer.clone(),
                currency,
                id,
                applies_to: applies_to.clone(),
            };
            if !self.settle(&pending, false)? {
                self.pending.push(pending);
            }
        }
        Ok(())
    }

    /// A row whose customer and document are posted already: the same values (unchanged), or
    /// an error naming both (a posted transaction is never changed).
    fn compare_posted(
        &mut self,
        file: &Path,
        place: &Place,
        row: &TransactionRow,
        (currency, amount): (&str, rust_decimal::Decimal),
        posted: &PostedDocument,
    ) {
        let t = &posted.transaction;
        let mut differences = Vec::new();
        if t.amount != amount {
            differences.push(format!("amount {} (this row: {amount})", t.amount));
        }
        if t.currency != currency {
            differences.push(format!("currency {} (this row: {currency})", t.currency));
        }
        if t.date != row.date {
            differences.push(format!("date {} (this row: {})", t.date, row.date));
        }
        if t.kind != row.kind {
            differences.push(format!("type {} (this row: {})", t.kind, row.kind));
        }
        if differences.is_empty() {
            self.report.transactions.unchanged += 1;
            return;
        }
        let message = if posted.run.is_some() && posted.run == self.ledger.run_id() {
            format!(
                "the same document {} of customer {} is earlier in this import with {}",
                row.document,
                row.customer,
                differences.join(", ")
            )
        } else {
            format!(
                "customer {} already has document {} (voucher {}) with {}; a posted transaction \
                 is never changed: correct it with a new document (a credit note, say)",
                row.customer,
                row.document,
                t.voucher,
                differences.join(", ")
            )
        };
        self.problems
            .push(Problem::new(file, place, Some("document"), message));
    }

    /// Posts a new transaction against the import's counter account; returns its id.
    fn post(
        &self,
        row: &TransactionRow,
        currency: &str,
        amount: rust_decimal::Decimal,
    ) -> Result<CustomerTransactionId, LedgerError> {
        let params = self.ledger.params();
        let posted = self.ledger.post_voucher(&VoucherDraft {
            sequence: params.sequences.import_sequence().into(),
            date: row.date,
            description: format!("Import {} {} {}", row.kind, row.customer, row.document),
            lines: vec![
                LineDraft {
                    target: Target::Customer(row.customer.clone()),
                    currency: currency.to_string(),
                    amount,
                    document: Some(row.document.clone()),
                    kind: Some(row.kind.clone()),
                },
                LineDraft {
                    target: Target::Account(params.accounts.import_counter().to_string()),
                    currency: currency.to_string(),
                    amount: -amount,
                    document: None,
                    kind: None,
                },
            ],
        })?;
        debug_assert_eq!(posted.customer_transactions.len(), 1);
        Ok(posted.customer_transactions[0])
    }

    /// Settles a transaction against the one its `applies_to` names. Returns false when that
    /// one does not exist yet and `last_chance` is false (the caller tries again at the end).
    fn settle(&mut self, p: &Pending, last_chance: bool) -> Result<bool, LedgerError> {
        let column = Some("applies_to");
        let found =
            self.ledger
                .transactions_by_document(Side::Customer, &p.customer, &p.applies_to)?;
        let Some(other) = found.iter().find(|t| t.id != p.id.row()) else {
            if last_chance {
                self.problems.push(Problem::new(
                    &p.file,
                    &p.place,
                    column,
                    format!(
                        "customer {} has no transaction with document '{}'",
                        p.customer, p.applies_to
                    ),
                ));
            }
            return Ok(last_chance);
        };
        let me = self.ledger.transaction(p.id)?;
        let refuse = if other.currency != p.currency {
            Some(format!(
                "'{}' is in {}, this transaction in {}",
                p.applies_to, other.currency, p.currency
            ))
        } else if other.open.is_zero() {
            Some(format!("'{}' has nothing open to settle", p.applies_to))
        } else if other.amount.is_sign_positive() == me.amount.is_sign_positive() {
            Some(format!(
                "'{}' is a {} too: a settlement pairs a debit with a credit",
                p.applies_to,
                if me.amount.is_sign_positive() {
                    "debit"
                } else {
                    "credit"
                }
            ))
        } else {
            None
        };
        if let Some(message) = refuse {
            self.problems
                .push(Problem::new(&p.file, &p.place, column, message));
            return Ok(true);
        }
        let (debit, credit) = if me.amount.is_sign_positive() {
            (me.id, other.id)
        } else {
            (other.id, me.id)
        };
        let (debit, credit) = (CustomerTransactionId(debit), CustomerTransactionId(credit));
        match self
            .ledger
            .settle(debit, credit, None, me.date.max(other.date))
        {
            Ok(_) => self.report.settlements += 1,
            Err(e) => self
                .problems
                .push(ledger_problem(&p.file, &p.place, column, e)),
        }
        Ok(true)
    }

    /// Settles what waited for a transaction later in the files; what still finds nothing is a
    /// problem.
    pub fn settle_pending(&mut self) -> Result<(), LedgerError> {
        for p in std::mem::take(&mut self.pending) {
            self.settle(&p, true)?;
        }
        Ok(())
    }
}
