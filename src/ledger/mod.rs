//! Ledger primitives: customers, vendors, balances, open transactions, postings, settlement,
//! number sequences and the trial balance.
//!
//! These are the only functions that change the books, and the rules engine hands exactly these to
//! scripts. Each checks what it is asked before it writes:
//! - [`Ledger::post_voucher`] is the one write path for amounts: a voucher is refused unless its
//!   lines balance per currency, every account, customer, vendor and currency exists, and every
//!   amount fits its currency's decimals. A line on a customer or vendor posts to the receivables or
//!   payables summary account *and* creates the sub-ledger transaction, so sub-ledgers and the
//!   general ledger cannot drift apart.
//! - [`Ledger::settle`] settles two transactions of one account against each other, never beyond
//!   their open amounts and never across currencies.
//!
//! Amounts follow the sign convention of the process document: debit positive, credit negative.
//! The ledger does not open transactions itself; callers wrap work in
//! [`Store::begin`]/[`Store::commit`] (a failed primitive writes nothing, so a caller may go on).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;

use chrono::NaiveDate;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use rust_decimal::Decimal;
use serde::Serialize;

mod batch;
mod control;
mod limits;
mod master_data;
mod numbers;

pub use batch::{IdentityBatch, PostedDocument, SeenIdentity};
pub use control::{
    ControlRole, Disagreement, MAX_ACCOUNT_TOTAL, MAX_PROCESS_TOTAL, PostingBound, ProcessPostings,
    TotalSide,
};
pub use master_data::{
    CUSTOMER_FIELDS, ChangeFilter, ChangeKind, ChangeOrigin, FieldChange, MasterDataChange,
    VENDOR_FIELDS, current_user, customer_changes, vendor_changes,
};

use crate::bank::{Bic, Iban};
use crate::money::{Currency, MoneyError};
use crate::parameters::Parameters;
use crate::store::{Store, StoreError};

/// An error of a ledger primitive. Nothing was written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// A customer, vendor, transaction, account or sequence does not exist.
    #[error("{what} '{key}' does not exist")]
    NotFound {
        /// What was looked for (`customer`, `vendor`, …).
        what: &'static str,
        /// Its key.
        key: String,
    },
    /// The currency is not one of the company's.
    #[error("unknown currency '{0}'")]
    UnknownCurrency(String),
    /// An amount does not fit its currency.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// A voucher's lines do not sum to zero in a currency.
    #[error("voucher does not balance in {currency}: the lines sum to {difference}")]
    Unbalanced {
        /// The currency that does not balance.
        currency: String,
        /// The sum of its lines.
        difference: Decimal,
    },
    /// The vendor is blocked for postings.
    #[error("vendor '{0}' is blocked")]
    VendorBlocked(String),
    /// A settlement that the books do not allow.
    #[error("settlement refused: {0}")]
    Settlement(String),
    /// A plain general-ledger line on a control account (receivables or payables summary).
    #[error(
        "account {account} is the {role} control account: it takes lines only through {} lines \
         (post to a {} instead), so that it always equals the sum of the {}s",
        role.party(), role.party(), role.party()
    )]
    ControlAccount {
        /// The account.
        account: String,
        /// Its role.
        role: ControlRole,
    },
    /// The parameters name another control account than the database keeps.
    #[error(
        "accounts.{role} is {given} in the parameters, but this database keeps its {}s' balances \
         on {stored}: set accounts.{role} back to {stored}. A control account cannot change under \
         existing books; to move to {given}, create a new company database with `reimburse init` \
         and bring the {}s and their open transactions over with `reimburse import`",
        role.party(), role.party()
    )]
    ControlAccountChanged {
        /// Receivables or payables.
        role: ControlRole,
        /// The account the database keeps.
        stored: String,
        /// The account the parameters name.
        given: String,
    },
    /// A posting would take an account's debits or credits in a currency past its bound
    /// ([`MAX_ACCOUNT_TOTAL`], [`MAX_PROCESS_TOTAL`] in a run or a payment).
    #[error(
        "account {account} would hold more than {max} {currency} of {side} (it has {had}): an \
         account holds at most {minor} minor units of debits and of credits per currency, so \
         that every balance and report stays exact; nothing was posted (carry the balances into \
         a new company database to go on)"
    )]
    TotalTooLarge {
        /// The general-ledger account.
        account: String,
        /// Currency.
        currency: String,
        /// Debits or credits.
        side: TotalSide,
        /// The bound, in the currency.
        max: Decimal,
        /// The bound, in minor units.
        minor: i64,
        /// What the account holds already.
        had: Decimal,
    },
    /// Any other refused request.
    #[error("{0}")]
    Invalid(String),
    /// A database error.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A date outside the years of the books ([`crate::dates`]).
    #[error(transparent)]
    Date(#[from] crate::dates::DateError),
    /// A text too long or holding a control character ([`crate::text`]).
    #[error(transparent)]
    Text(#[from] crate::text::TextError),
}

/// Which sub-ledger: accounts receivable (customers) or accounts payable (vendors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Customers (accounts receivable).
    Customer,
    /// Vendors (accounts payable).
    Vendor,
}

impl Side {
    fn transactions(self) -> &'static str {
        match self {
            Side::Customer => "customer_transactions",
            Side::Vendor => "vendor_transactions",
        }
    }
    /// `customer` or `vendor`.
    pub fn name(self) -> &'static str {
        match self {
            Side::Customer => "customer",
            Side::Vendor => "vendor",
        }
    }
}

/// A customer account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Customer {
    /// Account number, e.g. `C-001`.
    pub account: String,
    /// Name.
    pub name: String,
    /// Postal address.
    pub address: Option<String>,
    /// The customer's currency.
    pub currency: String,
    /// Customer group, e.g. `RETAIL`.
    pub group: String,
    /// The vendor account that receives the customer's credit, if any.
    pub vendor_account: Option<String>,
    /// True when the account is on hold for payments.
    pub payment_hold: bool,
    /// Tax id.
    pub tax_id: Option<String>,
    /// The customer's bank account (where a refund can be paid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iban: Option<Iban>,
    /// The bank's BIC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bic: Option<Bic>,
}

/// A vendor account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vendor {
    /// Account number, e.g. `V-100`.
    pub account: String,
    /// Name.
    pub name: String,
    /// Postal address.
    pub address: Option<String>,
    /// Vendor group.
    pub group: String,
    /// The vendor's currency.
    pub currency: String,
    /// True for a one-time vendor created automatically.
    pub one_time: bool,
    /// The customer the vendor was created for, if any.
    pub created_for: Option<String>,
    /// True when the vendor is blocked for postings.
    pub blocked: bool,
    /// Payment terms.
    pub payment_terms: Option<String>,
    /// Method of payment.
    pub method_of_payment: Option<String>,
    /// Tax id.
    pub tax_id: Option<String>,
    /// The vendor's bank account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iban: Option<Iban>,
    /// The bank's BIC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bic: Option<Bic>,
}

/// A customer or vendor transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transaction {
    /// Row id (used to settle it).
    pub id: i64,
    /// Customer or vendor sub-ledger.
    pub side: Side,
    /// The customer or vendor account.
    pub account: String,
    /// Voucher number.
    pub voucher: String,
    /// Date.
    pub date: NaiveDate,
    /// Document number (invoice, payment reference, …).
    pub document: String,
    /// Type: invoice, payment, credit_note, reimbursement, …
    pub kind: String,
    /// Currency.
    pub currency: String,
    /// Signed amount: debit positive, credit negative.
    pub amount: Decimal,
    /// The part not yet settled, same sign as `amount`.
    pub open: Decimal,
}

/// An account's balance in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Balance {
    /// The customer or vendor account.
    pub account: String,
    /// Currency.
    pub currency: String,
    /// Sum of all transactions (negative: credit balance).
    pub balance: Decimal,
    /// Sum of the open remainders of debit transactions (≥ 0).
    pub open_debit: Decimal,
    /// Sum of the open remainders of credit transactions (≤ 0).
    pub open_credit: Decimal,
    /// The date of the latest open transaction, if any is open. A run never reimburses a credit
    /// with open transactions dated after its posting date.
    #[serde(skip)]
    pub latest_open: Option<NaiveDate>,
}

/// A balance with the account it belongs to (for listings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountBalance {
    /// Account name.
    pub name: String,
    /// The account's bank account, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iban: Option<Iban>,
    /// The balance.
    #[serde(flatten)]
    pub balance: Balance,
}

/// A vendor to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewVendor {
    /// Account number; `None` takes the next number of the one-time vendor sequence.
    pub account: Option<String>,
    /// Name (required).
    pub name: String,
    /// Postal address.
    pub address: Option<String>,
    /// Vendor group; default: the one-time group for one-time vendors, else `DEFAULT`.
    pub group: Option<String>,
    /// Currency (required, one of the company's).
    pub currency: String,
    /// True for a one-time vendor.
    pub one_time: bool,
    /// The customer it is created for.
    pub created_for: Option<String>,
    /// Payment terms (default from the one-time vendor parameters).
    pub payment_terms: Option<String>,
    /// Method of payment (default from the one-time vendor parameters).
    pub method_of_payment: Option<String>,
    /// Tax id.
    pub tax_id: Option<String>,
    /// Bank account (a one-time vendor takes its customer's).
    pub iban: Option<Iban>,
    /// The bank's BIC.
    pub bic: Option<Bic>,
}

/// Where a voucher line posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A general-ledger account.
    Account(String),
    /// A customer: posts to the receivables summary account and the customer's sub-ledger.
    Customer(String),
    /// A vendor: posts to the payables summary account and the vendor's sub-ledger.
    Vendor(String),
}

/// One line of a voucher to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDraft {
    /// Where it posts.
    pub target: Target,
    /// Currency.
    pub currency: String,
    /// Signed amount (debit positive, credit negative), never zero.
    pub amount: Decimal,
    /// Document number of the sub-ledger transaction (default: the voucher number).
    pub document: Option<String>,
    /// Type of the sub-ledger transaction (default `journal`).
    pub kind: Option<String>,
}

/// A voucher to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherDraft {
    /// The number sequence that numbers it (`reimbursement`, `payment`, `opening`, …).
    pub sequence: String,
    /// Posting date.
    pub date: NaiveDate,
    /// Description.
    pub description: String,
    /// The lines; at least two, summing to zero per currency.
    pub lines: Vec<LineDraft>,
}

/// A posted voucher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostedVoucher {
    /// Row id.
    pub id: i64,
    /// Voucher number.
    pub number: String,
    /// Date.
    pub date: NaiveDate,
    /// Description.
    pub description: String,
    /// The general-ledger lines (account, currency, amount).
    pub lines: Vec<(String, String, Decimal)>,
    /// Ids of the customer transactions created, in line order.
    pub customer_transactions: Vec<i64>,
    /// Ids of the vendor transactions created, in line order.
    pub vendor_transactions: Vec<i64>,
    /// The sub-ledger transactions created, in line order.
    #[serde(skip)]
    pub sub_ledger: Vec<SubLedgerLine>,
}

/// A customer or vendor transaction created by a voucher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubLedgerLine {
    /// Customer or vendor.
    pub side: Side,
    /// The customer or vendor account.
    pub account: String,
    /// The transaction's id.
    pub id: i64,
    /// Its amount.
    pub amount: Decimal,
    /// Its document number.
    pub document: String,
}

/// A row of the trial balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrialBalanceRow {
    /// General-ledger account.
    pub account: String,
    /// Its name.
    pub name: String,
    /// Currency.
    pub currency: String,
    /// Balance (debit positive).
    pub balance: Decimal,
}

/// What the primitives wrote since the journal was last taken: lets the process check a hook's
/// work against the accounting rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Journal {
    /// Vouchers posted.
    pub vouchers: Vec<PostedVoucher>,
    /// Vendors created.
    pub vendors_created: Vec<String>,
    /// Settlements made.
    pub settlements: Vec<SettlementRecord>,
    /// Customers whose vendor link changed.
    pub links: Vec<(String, String)>,
    /// Numbers taken from number sequences (sequence, number).
    pub numbers: Vec<(String, String)>,
    /// Customers and vendors created or changed (besides `vendors_created` and `links`).
    pub master_data: Vec<(Side, String)>,
}

/// A settlement as the journal records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementRecord {
    /// Customer or vendor sub-ledger.
    pub side: Side,
    /// The account both transactions belong to.
    pub account: String,
    /// The debit transaction.
    pub debit: i64,
    /// The credit transaction.
    pub credit: i64,
    /// Amount settled, in minor units.
    pub minor: i64,
}

/// The columns a [`Customer`] is read from (`Ledger::customer_from_row` takes them in this order).
macro_rules! customer_columns {
    () => {
        "account, name, address, currency, customer_group, vendor_account, payment_hold, tax_id, \
         iban, bic"
    };
}

/// The columns a [`Vendor`] is read from (`Ledger::vendor_from_row` takes them in this order).
macro_rules! vendor_columns {
    () => {
        "account, name, address, vendor_group, currency, one_time, created_for, blocked, \
         payment_terms, method_of_payment, tax_id, iban, bic"
    };
}

/// The ledger of one company: its database and parameters.
pub struct Ledger {
    store: Store,
    params: Parameters,
    currencies: HashMap<String, Currency>,
    run_id: Cell<Option<i64>>,
    journal: RefCell<Journal>,
    /// Who makes master-data changes, for their audit trail.
    origin: RefCell<ChangeOrigin>,
    /// What this transaction has read or written already (see [`TransactionCache`]).
    cache: RefCell<TransactionCache>,
    /// The bound on account totals that postings are held to.
    bound: Cell<PostingBound>,
}

/// How many customers, and how many vendors, the transaction cache keeps (it starts again empty
/// beyond): more than a page of customers, little memory.
const KNOWN_ROWS: usize = 4096;

/// Adds `key` to a set of the transaction cache, which starts again empty beyond [`KNOWN_ROWS`].
fn remember(known: &mut HashSet<String>, key: &str) {
    if known.len() >= KNOWN_ROWS && !known.contains(key) {
        known.clear();
    }
    known.insert(key.to_string());
}

/// What the ledger knows inside one write transaction without reading it again: number
/// sequences; the customers, vendors (with the vendor's blocked flag) and general-ledger accounts
/// seen to exist; and the open transactions of the account settled last. It belongs to the store's
/// epoch it was filled in; every commit and rollback (also to a savepoint) moves the epoch and so
/// empties it, and outside a transaction nothing is kept (another connection may write between
/// two statements). Within a transaction nothing else writes: the store's transactions are
/// `BEGIN IMMEDIATE`, the ledger is the only writer of these rows (open amounts change only in
/// `post_voucher` and `apply_settlement`), and it never deletes a customer, vendor or account nor
/// changes a vendor's blocked flag.
#[derive(Default)]
struct TransactionCache {
    epoch: u64,
    /// Sequence name -> (prefix, width, next).
    sequences: HashMap<String, numbers::SequenceState>,
    /// Customers known to exist (at most [`KNOWN_ROWS`]: memory stays flat over a long run).
    customers: HashSet<String>,
    /// Vendors known to exist -> blocked.
    vendors: HashMap<String, bool>,
    /// General-ledger accounts known to exist (a company has a handful; at most [`KNOWN_ROWS`]).
    accounts: HashSet<String>,
    /// The open transactions of the account and currency settled last (one key only: memory stays
    /// flat), kept in step by the ledger's writes.
    open: Option<OpenList>,
    /// Debit and credit totals (minor units) of the accounts and currencies posted to, as the
    /// `account_totals` table holds them (see [`control`]).
    totals: HashMap<(String, String), (i64, i64)>,
}

/// The open transactions of one account in one currency: (id, open minor units, date), oldest
/// first (by date, then id), none with nothing open.
struct OpenList {
    side: Side,
    account: String,
    currency: String,
    rows: Vec<(i64, i64, String)>,
}

impl OpenList {
    fn is(&self, side: Side, account: &str, currency: &str) -> bool {
        self.side == side && self.account == account && self.currency == currency
    }
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("store", &self.store.path())
            .field("company", &self.params.company.id)
            .finish()
    }
}

type Res<T> = Result<T, LedgerError>;

/// Which transactions a query selects.
#[derive(Debug, Clone, Copy)]
enum TxFilter {
    Account,
    Open,
    OpenInCurrency,
    Id,
    Document,
}

macro_rules! transactions_query {
    ($table:literal, $filter:literal) => {
        concat!(
            "SELECT t.id, t.account, v.number, t.date, t.document, t.type, t.currency, \
             t.amount_minor, t.open_minor FROM ",
            $table,
            " t JOIN vouchers v ON v.id = t.voucher_id WHERE ",
            $filter,
            " ORDER BY t.date, t.id"
        )
    };
}

/// The SQL of a transaction query, fixed at compile time (no formatting on the hot path).
fn transactions_sql(side: Side, filter: TxFilter) -> &'static str {
    macro_rules! both {
        ($filter:literal) => {
            match side {
                Side::Customer => transactions_query!("customer_transactions", $filter),
                Side::Vendor => transactions_query!("vendor_transactions", $filter),
            }
        };
    }
    match filter {
        TxFilter::Account => both!("t.account = ?1"),
        TxFilter::Open => both!("t.account = ?1 AND t.open_minor <> 0"),
        TxFilter::OpenInCurrency => {
            both!("t.account = ?1 AND t.currency = ?2 AND t.open_minor <> 0")
        }
        TxFilter::Id => both!("t.id = ?1"),
        TxFilter::Document => both!("t.account = ?1 AND t.document = ?2"),
    }
}

/// Refuses to settle transaction `id`, dated `txn_date`, on the settlement date `on` (both
/// YYYY-MM-DD, so text order is date order) when it is dated later: a settlement cannot come
/// before what it settles (a reimbursement dated before the payment it gives back).
fn not_before(side: Side, id: i64, txn_date: &str, on: &str) -> Res<()> {
    // Stored dates are canonical `YYYY-MM-DD` in 1900..=9999 (`limits::book_date`): their text
    // order is the order of the days.
    debug_assert!(crate::dates::is_canonical(on), "{on}");
    if txn_date > on {
        return Err(LedgerError::Settlement(format!(
            "{} transaction #{id} is dated {txn_date}, after the settlement date {on} (a settlement cannot be dated before the transactions it settles)",
            side.name()
        )));
    }
    Ok(())
}

/// A date as stored (YYYY-MM-DD); `None` for none. (`str::parse` reads ISO dates directly;
/// `parse_from_str` would parse its pattern for every row.)
fn stored_date(text: Option<String>) -> Option<NaiveDate> {
    text.and_then(|t| t.parse().ok())
}

fn date_text(date: NaiveDate) -> String {
    use chrono::Datelike;
    // chrono's `format` parses its pattern at every call, and this is called for every row
    // written: the digits are written here.
    let Ok(year @ 0..=9999) = u32::try_from(date.year()) else {
        return date.format("%Y-%m-%d").to_string();
    };
    let (month, day) = (date.month(), date.day());
    let digits = [
        year / 1000,
        year / 100 % 10,
        year / 10 % 10,
        year % 10,
        month / 10,
        month % 10,
        day / 10,
        day % 10,
    ];
    let mut text = String::with_capacity(10);
    for (i, digit) in digits.into_iter().enumerate() {
        if i == 4 || i == 6 {
            text.push('-');
        }
        text.push(char::from(b'0' + digit as u8));
    }
    text
}

/// A currency of the company by code.
fn currency_in<'a>(currencies: &'a HashMap<String, Currency>, code: &str) -> Res<&'a Currency> {
    currencies
        .get(code)
        .ok_or_else(|| LedgerError::UnknownCurrency(code.to_string()))
}

/// The vendor with this account, over any connection to the database.
fn read_vendor(conn: &Connection, account: &str) -> rusqlite::Result<Option<Vendor>> {
    conn.prepare_cached(concat!(
        "SELECT ",
        vendor_columns!(),
        " FROM vendors WHERE account = ?1"
    ))
    .and_then(|mut s| s.query_row([account], Ledger::vendor_from_row).optional())
}

/// The reads the work of a read-ahead thread may make besides its pages
/// ([`Ledger::read_ahead_customers_with`]), over the thread's connection: they see the database
/// as the transaction began, not what it has written since.
#[derive(Clone)]
pub struct AheadReads {
    conn: Rc<Connection>,
    path: Rc<Path>,
}

impl AheadReads {
    /// The vendor with this account, as it was when the transaction began.
    pub fn vendor(&self, account: &str) -> Res<Option<Vendor>> {
        read_vendor(&self.conn, account).map_err(|e| sql_error(&self.path, e))
    }
}

/// The reads of a page of customers and their balances, over any connection to the database
/// (the ledger's own, or the read-ahead thread's).
struct PageReader<'a> {
    conn: &'a Connection,
    path: &'a Path,
    currencies: &'a HashMap<String, Currency>,
}

/// An SQL error on the database at `path`.
fn sql_error(path: &Path, e: rusqlite::Error) -> LedgerError {
    LedgerError::Store(StoreError::sqlite(path, e))
}

impl PageReader<'_> {
    fn sql_err(&self, e: rusqlite::Error) -> LedgerError {
        sql_error(self.path, e)
    }

    fn amount(&self, currency: &str, minor: i64) -> Res<Decimal> {
        Ok(currency_in(self.currencies, currency)?.from_minor(minor))
    }

    fn customers_page(
        &self,
        after: Option<&str>,
        limit: usize,
        groups: Option<&[String]>,
    ) -> Res<Vec<Customer>> {
        let mut sql = format!(
            "SELECT {} FROM customers WHERE account > ?1",
            Ledger::CUSTOMER_COLUMNS
        );
        let mut args: Vec<&dyn rusqlite::ToSql> = Vec::new();
        let after = after.unwrap_or("");
        args.push(&after);
        if let Some(groups) = groups {
            let list = (0..groups.len())
                .map(|i| format!("?{}", i + 3))
                .collect::<Vec<_>>()
                .join(",");
            sql.push_str(&format!(" AND customer_group IN ({list})"));
        }
        sql.push_str(" ORDER BY account LIMIT ?2");
        let limit = limit as i64;
        args.push(&limit);
        if let Some(groups) = groups {
            for g in groups {
                args.push(g);
            }
        }
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_map(args.as_slice(), Ledger::customer_from_row)?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.sql_err(e))
    }

    /// Customers (in account order) with their balances: one query for them all.
    fn with_balances(&self, customers: Vec<Customer>) -> Res<CustomerPage> {
        let balances = match (customers.first(), customers.last()) {
            (Some(first), Some(last)) => self.balances_between(&first.account, &last.account)?,
            _ => HashMap::new(),
        };
        Ok(CustomerPage {
            customers,
            balances,
        })
    }

    fn balances_between(&self, first: &str, last: &str) -> Res<HashMap<String, Vec<Balance>>> {
        let mut out: HashMap<String, Vec<Balance>> = HashMap::new();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT account, currency, SUM(amount_minor),
                        SUM(CASE WHEN open_minor > 0 THEN open_minor ELSE 0 END),
                        SUM(CASE WHEN open_minor < 0 THEN open_minor ELSE 0 END),
                        MAX(CASE WHEN open_minor <> 0 THEN date END)
                 FROM customer_transactions WHERE account BETWEEN ?1 AND ?2
                 GROUP BY account, currency ORDER BY account, currency",
            )
            .map_err(|e| self.sql_err(e))?;
        let mut rows = stmt.query([first, last]).map_err(|e| self.sql_err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.sql_err(e))? {
            let get = |i| r.get::<_, i64>(i).map_err(|e| self.sql_err(e));
            let account: String = r.get(0).map_err(|e| self.sql_err(e))?;
            let currency: String = r.get(1).map_err(|e| self.sql_err(e))?;
            let latest: Option<String> = r.get(5).map_err(|e| self.sql_err(e))?;
            let balance = Balance {
                balance: self.amount(&currency, get(2)?)?,
                open_debit: self.amount(&currency, get(3)?)?,
                open_credit: self.amount(&currency, get(4)?)?,
                account: account.clone(),
                currency,
                latest_open: stored_date(latest),
            };
            out.entry(account).or_default().push(balance);
        }
        Ok(out)
    }
}

/// The stack of the read-ahead thread: that of every thread that runs scripts
/// (`scripting::guard::SCRIPT_STACK`, reserved, not resident until used), since it may run rule
/// scripts as deeply nested as the run does.
pub(crate) const READ_AHEAD_STACK: usize = 256 << 20;

/// A page of customers with the balances of each ([`Ledger::read_ahead_customers`]).
#[derive(Debug, Default)]
pub struct CustomerPage {
    /// The customers, in account order.
    pub customers: Vec<Customer>,
    /// Their balances per currency, by account (customers without transactions are left out).
    pub balances: HashMap<String, Vec<Balance>>,
}

/// The pages of [`Ledger::read_ahead_customers`], in order (the last one may be empty), each with
/// what the reading thread worked out from it (`T`, see [`Ledger::read_ahead_customers_with`]);
/// their customers are noted in the ledger's transaction cache as they are handed out. Dropping
/// it stops the reading thread and waits for it.
pub struct CustomerPages<'l, T = ()> {
    ledger: &'l Ledger,
    receiver: Option<std::sync::mpsc::Receiver<Res<(CustomerPage, T)>>>,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl<T> Iterator for CustomerPages<'_, T> {
    type Item = Res<(CustomerPage, T)>;

    fn next(&mut self) -> Option<Res<(CustomerPage, T)>> {
        let Ok(page) = self.receiver.as_ref()?.recv() else {
            // The thread has ended: after the last page, or because it failed, which must not
            // read as the end of the customers.
            self.receiver = None;
            let failed = self.worker.take().is_some_and(|w| w.join().is_err());
            return failed.then(|| {
                Err(LedgerError::Invalid(
                    "the thread reading customers ahead failed".into(),
                ))
            });
        };
        if let Ok((page, _)) = &page {
            self.ledger
                .known_customers(page.customers.iter().map(|c| c.account.as_str()));
        }
        Some(page)
    }
}

impl<T> Drop for CustomerPages<'_, T> {
    fn drop(&mut self) {
        // Closing the channel first makes the thread stop at its next page.
        self.receiver = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl Ledger {
    /// Opens the ledger over a company database: checks that the database agrees with the
    /// parameters (currency decimals) and records the company's accounts, currencies and number
    /// sequences where they are missing or changed.
    pub fn new(store: Store, params: Parameters) -> Res<Ledger> {
        let currencies = params
            .currencies
            .keys()
            .filter_map(|code| params.currency(code).map(|c| (code.clone(), c)))
            .collect();
        let ledger = Ledger {
            store,
            params,
            currencies,
            run_id: Cell::new(None),
            journal: RefCell::new(Journal::default()),
            origin: RefCell::new(ChangeOrigin::default()),
            cache: RefCell::new(TransactionCache::default()),
            bound: Cell::new(PostingBound::Books),
        };
        ledger.sync_setup()?;
        Ok(ledger)
    }

    /// The transaction cache, emptied first unless it belongs to the current transaction; `None`
    /// outside a transaction, where nothing may be kept.
    fn cache(&self) -> Option<std::cell::RefMut<'_, TransactionCache>> {
        if !self.store.in_transaction() {
            return None;
        }
        let mut cache = self.cache.borrow_mut();
        let epoch = self.store.epoch();
        if cache.epoch != epoch {
            *cache = TransactionCache {
                epoch,
                ..TransactionCache::default()
            };
        }
        Some(cache)
    }

    /// Opens the company's database (from its parameters) as a ledger.
    pub fn open(company: &crate::parameters::Company) -> Res<Ledger> {
        Ledger::new(Store::open(&company.database_path)?, company.params.clone())
    }

    /// Opens the company's database to read it, also where its folder is read-only
    /// ([`Store::open_for_reading`]).
    pub fn open_for_reading(company: &crate::parameters::Company) -> Res<Ledger> {
        Ledger::new(
            Store::open_for_reading(&company.database_path)?,
            company.params.clone(),
        )
    }

    fn sync_setup(&self) -> Res<()> {
        let conn = self.store.conn();
        let sql = |e| self.sql_err(e);
        let stored: HashMap<String, u32> = conn
            .prepare("SELECT code, decimals FROM currencies")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()
            })
            .map_err(sql)?;
        for (code, currency) in &self.currencies {
            if let Some(decimals) = stored.get(code)
                && *decimals != currency.decimals
            {
                return Err(LedgerError::Invalid(format!(
                    "currency {code} has {} decimals in the parameters but {decimals} in the database",
                    currency.decimals
                )));
            }
        }
        let accounts: HashMap<String, String> = conn
            .prepare("SELECT account, name FROM gl_accounts")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()
            })
            .map_err(sql)?;
        let sequences: HashMap<String, (String, u32)> = conn
            .prepare("SELECT name, prefix, width FROM number_sequences")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
                    .collect::<Result<_, _>>()
            })
            .map_err(sql)?;
        let controls = self.unrecorded_control_accounts()?;
        let mut wanted_sequences: Vec<(&str, &crate::parameters::SequenceSettings)> =
            self.params.sequences.all();
        wanted_sequences.push(("one_time_vendor", &self.params.one_time_vendor.sequence));
        let needs_write = !controls.is_empty()
            || self.currencies.keys().any(|c| !stored.contains_key(c))
            || self
                .params
                .accounts
                .all()
                .iter()
                .any(|(a, _)| !accounts.contains_key(*a))
            || wanted_sequences
                .iter()
                .any(|(name, s)| sequences.get(*name) != Some(&(s.prefix.clone(), s.width)));
        if !needs_write {
            return Ok(());
        }
        let own_transaction = !self.store.in_transaction();
        if own_transaction {
            self.store.begin()?;
        }
        let result = (|| -> rusqlite::Result<()> {
            for (code, c) in &self.currencies {
                conn.execute(
                    "INSERT OR IGNORE INTO currencies(code, decimals) VALUES (?1, ?2)",
                    params![code, c.decimals],
                )?;
            }
            for (account, name) in self.params.accounts.all() {
                conn.execute(
                    "INSERT OR IGNORE INTO gl_accounts(account, name) VALUES (?1, ?2)",
                    params![account, name],
                )?;
            }
            for (name, s) in &wanted_sequences {
                conn.execute(
                    "INSERT INTO number_sequences(name, prefix, width) VALUES (?1, ?2, ?3)
                     ON CONFLICT(name) DO UPDATE SET prefix = excluded.prefix, width = excluded.width",
                    params![name, s.prefix, s.width],
                )?;
            }
            control::record_control_accounts(conn, &self.params, &controls)
        })();
        match result {
            Ok(()) if own_transaction => Ok(self.store.commit()?),
            Ok(()) => Ok(()),
            Err(e) => {
                if own_transaction {
                    self.store.rollback();
                }
                Err(self.sql_err(e))
            }
        }
    }

    fn sql_err(&self, e: rusqlite::Error) -> LedgerError {
        sql_error(self.store.path(), e)
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The company parameters.
    pub fn params(&self) -> &Parameters {
        &self.params
    }

    /// The currency with this code.
    pub fn currency(&self, code: &str) -> Res<&Currency> {
        currency_in(&self.currencies, code)
    }

    /// Sets the run that new vouchers and settlements are traced to.
    pub fn set_run(&self, run_id: Option<i64>) {
        self.run_id.set(run_id);
    }

    /// The run new postings are traced to.
    pub fn run_id(&self) -> Option<i64> {
        self.run_id.get()
    }

    /// Takes what the primitives wrote since the last call.
    pub fn take_journal(&self) -> Journal {
        std::mem::take(&mut *self.journal.borrow_mut())
    }

    fn amount(&self, currency: &str, minor: i64) -> Res<Decimal> {
        Ok(self.currency(currency)?.from_minor(minor))
    }

    // ----- customers and vendors -----

    fn customer_from_row(r: &Row) -> rusqlite::Result<Customer> {
        Ok(Customer {
            account: r.get(0)?,
            name: r.get(1)?,
            address: r.get(2)?,
            currency: r.get(3)?,
            group: r.get(4)?,
            vendor_account: r.get(5)?,
            payment_hold: r.get(6)?,
            tax_id: r.get(7)?,
            iban: r.get::<_, Option<String>>(8)?.map(Iban::stored),
            bic: r.get::<_, Option<String>>(9)?.map(Bic::stored),
        })
    }

    const CUSTOMER_COLUMNS: &'static str = customer_columns!();

    /// Whether a run (of any kind) with this id was recorded.
    pub fn run_exists(&self, id: i64) -> Res<bool> {
        self.store
            .conn()
            .prepare_cached("SELECT 1 FROM runs WHERE id = ?1")
            .and_then(|mut s| s.exists([id]))
            .map_err(|e| self.sql_err(e))
    }

    /// Whether any customer is in this customer group (groups are compared exactly).
    pub fn customer_group_exists(&self, group: &str) -> Res<bool> {
        self.store
            .conn()
            .prepare_cached("SELECT 1 FROM customers WHERE customer_group = ?1")
            .and_then(|mut s| s.exists([group]))
            .map_err(|e| self.sql_err(e))
    }

    /// Finds a customer by account.
    pub fn customer(&self, account: &str) -> Res<Option<Customer>> {
        self.store
            .conn()
            .prepare_cached(concat!(
                "SELECT ",
                customer_columns!(),
                " FROM customers WHERE account = ?1"
            ))
            .and_then(|mut s| s.query_row([account], Self::customer_from_row).optional())
            .map_err(|e| self.sql_err(e))
            .inspect(|c| {
                if let Some(c) = c {
                    self.known_customers([c.account.as_str()]);
                }
            })
    }

    /// A customer that must exist.
    pub fn require_customer(&self, account: &str) -> Res<Customer> {
        self.customer(account)?
            .ok_or_else(|| LedgerError::NotFound {
                what: "customer",
                key: account.to_string(),
            })
    }

    /// Checks that a customer exists (a lean read for the write paths, once per transaction).
    fn check_customer(&self, account: &str) -> Res<()> {
        self.require_known(
            |c| &mut c.customers,
            "SELECT 1 FROM customers WHERE account = ?1",
            account,
            "customer",
        )
    }

    /// Notes in the transaction cache that customers exist.
    fn known_customers<'a>(&self, accounts: impl IntoIterator<Item = &'a str>) {
        if let Some(mut cache) = self.cache() {
            for account in accounts {
                remember(&mut cache.customers, account);
            }
        }
    }

    /// [`Ledger::require_row`] once per transaction: a key found is kept in the set of the
    /// transaction cache that `known` picks.
    fn require_known(
        &self,
        known: fn(&mut TransactionCache) -> &mut HashSet<String>,
        sql: &str,
        key: &str,
        what: &'static str,
    ) -> Res<()> {
        let mut cache = self.cache();
        if let Some(c) = cache.as_mut()
            && known(c).contains(key)
        {
            return Ok(());
        }
        self.require_row(sql, key, what)?;
        if let Some(c) = cache.as_mut() {
            remember(known(c), key);
        }
        Ok(())
    }

    /// Notes in the transaction cache that a vendor exists, and whether it is blocked.
    fn known_vendor(&self, account: &str, blocked: bool) {
        if let Some(mut cache) = self.cache() {
            if cache.vendors.len() >= KNOWN_ROWS {
                cache.vendors.clear();
            }
            cache.vendors.insert(account.to_string(), blocked);
        }
    }

    /// Checks that `sql` (a `SELECT 1 ... WHERE key = ?1`) finds a row; `what` names the thing
    /// that is not found otherwise.
    fn require_row(&self, sql: &str, key: &str, what: &'static str) -> Res<()> {
        self.one_row(sql, [key], |r| r.get::<_, i64>(0), what, || key.to_string())
            .map(|_| ())
    }

    /// The one row `sql` finds for `params`, read by `row`; [`LedgerError::NotFound`] naming
    /// `what` and `key` when there is none.
    fn one_row<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        row: impl FnOnce(&Row) -> rusqlite::Result<T>,
        what: &'static str,
        key: impl FnOnce() -> String,
    ) -> Res<T> {
        self.store
            .conn()
            .prepare_cached(sql)
            .and_then(|mut s| s.query_row(params, row).optional())
            .map_err(|e| self.sql_err(e))?
            .ok_or_else(|| LedgerError::NotFound { what, key: key() })
    }

    /// Whether a vendor is blocked (`None`: it does not exist); read once per transaction.
    fn vendor_state(&self, account: &str) -> Res<Option<bool>> {
        if let Some(&blocked) = self
            .cache()
            .and_then(|c| c.vendors.get(account).copied())
            .as_ref()
        {
            return Ok(Some(blocked));
        }
        let state: Option<bool> = self
            .store
            .conn()
            .prepare_cached("SELECT blocked FROM vendors WHERE account = ?1")
            .and_then(|mut s| s.query_row([account], |r| r.get(0)).optional())
            .map_err(|e| self.sql_err(e))?;
        if let Some(blocked) = state {
            self.known_vendor(account, blocked);
        }
        Ok(state)
    }

    /// Whether a vendor is blocked; an error when it does not exist (a lean read for the write
    /// paths).
    fn vendor_blocked(&self, account: &str) -> Res<bool> {
        self.vendor_state(account)?
            .ok_or_else(|| LedgerError::NotFound {
                what: "vendor",
                key: account.to_string(),
            })
    }

    /// All customers, ordered by account.
    pub fn customers(&self) -> Res<Vec<Customer>> {
        self.store
            .conn()
            .prepare_cached(&format!(
                "SELECT {} FROM customers ORDER BY account",
                Self::CUSTOMER_COLUMNS
            ))
            .and_then(|mut s| {
                s.query_map([], Self::customer_from_row)?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.sql_err(e))
    }

    /// Up to `limit` customers with accounts after `after`, in account order, optionally only
    /// those in `groups` (for streaming through all customers with flat memory).
    pub fn customers_page(
        &self,
        after: Option<&str>,
        limit: usize,
        groups: Option<&[String]>,
    ) -> Res<Vec<Customer>> {
        self.page_reader()
            .customers_page(after, limit, groups)
            .inspect(|page| self.known_customers(page.iter().map(|c| c.account.as_str())))
    }

    /// Adds a customer (recorded in the audit trail of master-data changes).
    pub fn create_customer(&self, c: &Customer) -> Res<()> {
        self.check_customer_fields(c)?;
        let exists = || LedgerError::Invalid(format!("customer '{}' already exists", c.account));
        if self
            .cache()
            .is_some_and(|cache| cache.customers.contains(&c.account))
        {
            return Err(exists());
        }
        let inserted = self
            .store
            .conn()
            .prepare_cached(
                "INSERT INTO customers(account, name, address, currency, customer_group,
                     vendor_account, payment_hold, tax_id, iban, bic)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    c.account,
                    c.name,
                    c.address,
                    c.currency,
                    c.group,
                    c.vendor_account,
                    c.payment_hold,
                    c.tax_id,
                    c.iban.as_ref().map(Iban::as_str),
                    c.bic.as_ref().map(Bic::as_str)
                ])
            });
        // The primary key refuses an account that exists (no read before the write).
        match inserted {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
            {
                return Err(exists());
            }
            other => other.map_err(|e| self.sql_err(e))?,
        };
        self.known_customers([c.account.as_str()]);
        self.record_creation(Side::Customer, &c.account)
    }

    /// Sets (or clears) the vendor account that receives a customer's credit (a change kept in
    /// the audit trail of master-data changes).
    pub fn link_vendor(&self, customer: &str, vendor: Option<&str>) -> Res<()> {
        let old: Option<String> = self.one_row(
            "SELECT vendor_account FROM customers WHERE account = ?1",
            [customer],
            |r| r.get(0),
            "customer",
            || customer.to_string(),
        )?;
        if let Some(v) = vendor {
            self.vendor_blocked(v)?;
        }
        self.store
            .conn()
            .prepare_cached("UPDATE customers SET vendor_account = ?2 WHERE account = ?1")
            .and_then(|mut s| s.execute(params![customer, vendor]))
            .map_err(|e| self.sql_err(e))?;
        self.journal
            .borrow_mut()
            .links
            .push((customer.to_string(), vendor.unwrap_or_default().to_string()));
        let new = vendor.map(str::to_string);
        if old != new {
            let change = FieldChange {
                field: "vendor_account",
                old,
                new,
            };
            self.insert_change(Side::Customer, customer, ChangeKind::Changed, Some(&change))?;
        }
        Ok(())
    }

    fn vendor_from_row(r: &Row) -> rusqlite::Result<Vendor> {
        Ok(Vendor {
            account: r.get(0)?,
            name: r.get(1)?,
            address: r.get(2)?,
            group: r.get(3)?,
            currency: r.get(4)?,
            one_time: r.get(5)?,
            created_for: r.get(6)?,
            blocked: r.get(7)?,
            payment_terms: r.get(8)?,
            method_of_payment: r.get(9)?,
            tax_id: r.get(10)?,
            iban: r.get::<_, Option<String>>(11)?.map(Iban::stored),
            bic: r.get::<_, Option<String>>(12)?.map(Bic::stored),
        })
    }

    const VENDOR_COLUMNS: &'static str = vendor_columns!();

    /// Finds a vendor by account.
    pub fn vendor(&self, account: &str) -> Res<Option<Vendor>> {
        read_vendor(self.store.conn(), account)
            .map_err(|e| self.sql_err(e))
            .inspect(|v| {
                if let Some(v) = v {
                    self.known_vendor(&v.account, v.blocked);
                }
            })
    }

    /// A vendor that must exist.
    pub fn require_vendor(&self, account: &str) -> Res<Vendor> {
        self.vendor(account)?.ok_or_else(|| LedgerError::NotFound {
            what: "vendor",
            key: account.to_string(),
        })
    }

    /// All vendors, ordered by account.
    pub fn vendors(&self) -> Res<Vec<Vendor>> {
        self.store
            .conn()
            .prepare_cached(&format!(
                "SELECT {} FROM vendors ORDER BY account",
                Self::VENDOR_COLUMNS
            ))
            .and_then(|mut s| {
                s.query_map([], Self::vendor_from_row)?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.sql_err(e))
    }

    /// Creates a vendor; without an account number it takes the next number of the one-time
    /// vendor sequence (skipping numbers already in use). Returns the new vendor.
    pub fn create_vendor(&self, v: &NewVendor) -> Res<Vendor> {
        self.currency(&v.currency)?;
        if v.name.trim().is_empty() {
            return Err(LedgerError::Invalid("a vendor needs a name".into()));
        }
        if let Some(c) = &v.created_for {
            self.check_customer(c)?;
        }
        let account = match &v.account {
            Some(a) if a.trim().is_empty() => {
                return Err(LedgerError::Invalid(
                    "a vendor account must not be empty".into(),
                ));
            }
            Some(a) => {
                if self.vendor_state(a)?.is_some() {
                    return Err(LedgerError::Invalid(format!("vendor '{a}' already exists")));
                }
                a.clone()
            }
            None => loop {
                let n = self.next_number("one_time_vendor")?;
                if self.vendor_state(&n)?.is_none() {
                    break n;
                }
            },
        };
        let defaults = &self.params.one_time_vendor;
        let group = v.group.clone().unwrap_or_else(|| {
            if v.one_time {
                defaults.group.clone()
            } else {
                "DEFAULT".into()
            }
        });
        let (terms, method) = if v.one_time {
            (
                v.payment_terms.clone().or(defaults.payment_terms.clone()),
                v.method_of_payment
                    .clone()
                    .or(defaults.method_of_payment.clone()),
            )
        } else {
            (v.payment_terms.clone(), v.method_of_payment.clone())
        };
        let vendor = Vendor {
            account,
            name: v.name.clone(),
            address: v.address.clone(),
            group,
            currency: v.currency.clone(),
            one_time: v.one_time,
            created_for: v.created_for.clone(),
            blocked: false,
            payment_terms: terms,
            method_of_payment: method,
            tax_id: v.tax_id.clone(),
            iban: v.iban.clone(),
            bic: v.bic.clone(),
        };
        self.insert_vendor(&vendor)?;
        self.journal
            .borrow_mut()
            .vendors_created
            .push(vendor.account.clone());
        Ok(vendor)
    }

    /// Inserts a vendor as given (fixture loading, an import); see [`Ledger::create_vendor`] for
    /// new ones with defaults and numbers. Recorded in the audit trail of master-data changes.
    pub fn insert_vendor(&self, v: &Vendor) -> Res<()> {
        self.check_vendor_fields(v)?;
        self.store
            .conn()
            .prepare_cached(
                "INSERT INTO vendors(account, name, address, vendor_group, currency, one_time,
                     created_for, blocked, payment_terms, method_of_payment, tax_id, iban, bic)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    v.account,
                    v.name,
                    v.address,
                    v.group,
                    v.currency,
                    v.one_time,
                    v.created_for,
                    v.blocked,
                    v.payment_terms,
                    v.method_of_payment,
                    v.tax_id,
                    v.iban.as_ref().map(Iban::as_str),
                    v.bic.as_ref().map(Bic::as_str)
                ])
            })
            .map_err(|e| self.sql_err(e))?;
        self.known_vendor(&v.account, v.blocked);
        self.insert_change(Side::Vendor, &v.account, ChangeKind::Created, None)
    }

    // ----- balances and open transactions -----

    /// An account's balance per currency (currencies without transactions are left out).
    pub fn balances(&self, side: Side, account: &str) -> Res<Vec<Balance>> {
        let sql = format!(
            "SELECT currency, SUM(amount_minor),
                    SUM(CASE WHEN open_minor > 0 THEN open_minor ELSE 0 END),
                    SUM(CASE WHEN open_minor < 0 THEN open_minor ELSE 0 END),
                    MAX(CASE WHEN open_minor <> 0 THEN date END)
             FROM {} WHERE account = ?1 GROUP BY currency ORDER BY currency",
            side.transactions()
        );
        type Row = (String, i64, i64, i64, Option<String>);
        let rows: Vec<Row> = self
            .store
            .conn()
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_map([account], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<Result<_, _>>()
            })
            .map_err(|e| self.sql_err(e))?;
        rows.into_iter()
            .map(|(currency, bal, deb, cred, latest)| {
                Ok(Balance {
                    account: account.to_string(),
                    balance: self.amount(&currency, bal)?,
                    open_debit: self.amount(&currency, deb)?,
                    open_credit: self.amount(&currency, cred)?,
                    currency,
                    latest_open: stored_date(latest),
                })
            })
            .collect()
    }

    /// The customer balances of every account from `first` to `last` (inclusive), per account:
    /// one query for a whole page of customers.
    pub fn customer_balances_between(
        &self,
        first: &str,
        last: &str,
    ) -> Res<HashMap<String, Vec<Balance>>> {
        self.page_reader().balances_between(first, last)
    }

    /// Customers in account order (a page of them) with their balances, read in one query.
    pub fn with_balances(&self, customers: Vec<Customer>) -> Res<CustomerPage> {
        self.page_reader().with_balances(customers)
    }

    /// The reads of [`Ledger::customers_page`] and [`Ledger::customer_balances_between`] over
    /// this ledger's connection.
    fn page_reader(&self) -> PageReader<'_> {
        PageReader {
            conn: self.store.conn(),
            path: self.store.path(),
            currencies: &self.currencies,
        }
    }

    /// Pages of customers in account order (all of them, or those of `groups`), each with the
    /// balances of its customers, read ahead of the caller by a thread of its own on a second,
    /// read-only connection: the next page is read while the caller works on this one.
    ///
    /// For a write transaction that began with nothing uncommitted: `None` outside a
    /// transaction, over an in-memory database or one not in WAL mode, or when the second
    /// connection cannot be opened (read page by page then). Inside the transaction no other
    /// connection can commit, so the second connection reads the database as the transaction
    /// began; it does not see what the transaction wrote since, so a caller must only change the
    /// customers it has been given already.
    pub fn read_ahead_customers(
        &self,
        groups: Option<Vec<String>>,
        page: usize,
    ) -> Option<CustomerPages<'_>> {
        self.read_ahead_customers_with(groups, page, |_| |_: &CustomerPage| ())
    }

    /// Like [`Ledger::read_ahead_customers`], with more work for the reading thread: `prepare`
    /// runs on it once, with the thread's [`AheadReads`], and gives the function that works
    /// something out from each page (`T`), handed out with the page. That function need not be
    /// `Send` (it can hold a script engine of its own); it sees the database as the transaction
    /// began, like the reads.
    pub fn read_ahead_customers_with<T, F>(
        &self,
        groups: Option<Vec<String>>,
        page: usize,
        prepare: impl FnOnce(AheadReads) -> F + Send + 'static,
    ) -> Option<CustomerPages<'_, T>>
    where
        T: Send + 'static,
        F: FnMut(&CustomerPage) -> T,
    {
        if !self.store.in_transaction() || self.store.path() == Path::new(":memory:") {
            return None;
        }
        // Only beside a WAL writer does a reader never hold it up.
        let mode: String = self
            .store
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .ok()?;
        if !mode.eq_ignore_ascii_case("wal") {
            return None;
        }
        let path = self.store.path().to_path_buf();
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ok()?;
        conn.busy_timeout(crate::store::BUSY_TIMEOUT).ok()?;
        let currencies = self.currencies.clone();
        let page = page.max(1);
        // One page waits in the channel while the next is read: memory stays flat.
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        let worker = std::thread::Builder::new()
            .name("reimburse-read-ahead".into())
            // The scripts it evaluates may recurse as deep as on the main thread.
            .stack_size(READ_AHEAD_STACK)
            .spawn(move || {
                let reads = AheadReads {
                    conn: Rc::new(conn),
                    path: Rc::from(path),
                };
                let mut work = prepare(reads.clone());
                let reader = PageReader {
                    conn: &reads.conn,
                    path: &reads.path,
                    currencies: &currencies,
                };
                let mut after: Option<String> = None;
                loop {
                    let next = reader
                        .customers_page(after.as_deref(), page, groups.as_deref())
                        .and_then(|customers| reader.with_balances(customers))
                        .map(|page| {
                            let worked = work(&page);
                            (page, worked)
                        });
                    let done = match &next {
                        Ok((next, _)) => {
                            after = next.customers.last().map(|c| c.account.clone());
                            next.customers.len() < page
                        }
                        Err(_) => true,
                    };
                    // The caller has stopped reading when the channel is closed.
                    if sender.send(next).is_err() || done {
                        return;
                    }
                }
            })
            .ok()?;
        Some(CustomerPages {
            ledger: self,
            receiver: Some(receiver),
            worker: Some(worker),
        })
    }

    /// Every account's balance per currency, ordered by account and currency.
    pub fn all_balances(&self, side: Side) -> Res<Vec<AccountBalance>> {
        let (parties, key) = match side {
            Side::Customer => ("customers", "account"),
            Side::Vendor => ("vendors", "account"),
        };
        let sql = format!(
            "SELECT t.account, p.name, t.currency, SUM(t.amount_minor),
                    SUM(CASE WHEN t.open_minor > 0 THEN t.open_minor ELSE 0 END),
                    SUM(CASE WHEN t.open_minor < 0 THEN t.open_minor ELSE 0 END),
                    MAX(CASE WHEN t.open_minor <> 0 THEN t.date END), p.iban
             FROM {} t JOIN {parties} p ON p.{key} = t.account
             GROUP BY t.account, t.currency ORDER BY t.account, t.currency",
            side.transactions()
        );
        type Row = (
            String,
            String,
            String,
            (i64, i64, i64),
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = self
            .store
            .conn()
            .prepare(&sql)
            .and_then(|mut s| {
                s.query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        (r.get(3)?, r.get(4)?, r.get(5)?),
                        r.get(6)?,
                        r.get(7)?,
                    ))
                })?
                .collect::<Result<_, _>>()
            })
            .map_err(|e| self.sql_err(e))?;
        rows.into_iter()
            .map(
                |(account, name, currency, (bal, deb, cred), latest, iban)| {
                    Ok(AccountBalance {
                        name,
                        iban: iban.map(Iban::stored),
                        balance: Balance {
                            account: account.clone(),
                            balance: self.amount(&currency, bal)?,
                            open_debit: self.amount(&currency, deb)?,
                            open_credit: self.amount(&currency, cred)?,
                            currency,
                            latest_open: stored_date(latest),
                        },
                    })
                },
            )
            .collect()
    }

    pub(super) fn transaction_from_row(
        &self,
        side: Side,
        r: &Row,
    ) -> rusqlite::Result<Transaction> {
        let currency: String = r.get(6)?;
        let decimals = self.currencies.get(&currency).map_or(0, |c| c.decimals);
        let date: String = r.get(3)?;
        Ok(Transaction {
            id: r.get(0)?,
            side,
            account: r.get(1)?,
            voucher: r.get(2)?,
            date: NaiveDate::parse_from_str(&date, "%Y-%m-%d").unwrap_or_default(),
            document: r.get(4)?,
            kind: r.get(5)?,
            amount: Decimal::new(r.get(7)?, decimals),
            open: Decimal::new(r.get(8)?, decimals),
            currency,
        })
    }

    fn transactions_where(
        &self,
        side: Side,
        filter: TxFilter,
        args: &[&dyn rusqlite::ToSql],
    ) -> Res<Vec<Transaction>> {
        self.store
            .conn()
            .prepare_cached(transactions_sql(side, filter))
            .and_then(|mut s| {
                s.query_map(args, |r| self.transaction_from_row(side, r))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.sql_err(e))
    }

    /// An account's open transactions (optionally in one currency), oldest first.
    pub fn open_transactions(
        &self,
        side: Side,
        account: &str,
        currency: Option<&str>,
    ) -> Res<Vec<Transaction>> {
        match currency {
            Some(c) => self.transactions_where(side, TxFilter::OpenInCurrency, &[&account, &c]),
            None => self.transactions_where(side, TxFilter::Open, &[&account]),
        }
    }

    /// All of an account's transactions, oldest first.
    pub fn transactions(&self, side: Side, account: &str) -> Res<Vec<Transaction>> {
        self.transactions_where(side, TxFilter::Account, &[&account])
    }

    /// An account's transactions with this document number, oldest first.
    pub fn transactions_by_document(
        &self,
        side: Side,
        account: &str,
        document: &str,
    ) -> Res<Vec<Transaction>> {
        self.transactions_where(side, TxFilter::Document, &[&account, &document])
    }

    /// One transaction by id.
    pub fn transaction(&self, side: Side, id: i64) -> Res<Transaction> {
        self.transactions_where(side, TxFilter::Id, &[&id])?
            .pop()
            .ok_or_else(|| LedgerError::NotFound {
                what: "transaction",
                key: format!("{} #{id}", side.name()),
            })
    }

    // ----- posting -----

    /// Posts a voucher: the one write path for amounts. Refused, with nothing written, unless it
    /// has at least two lines, no zero amount, every amount fits its currency, every account,
    /// customer and vendor exists (and no vendor is blocked), and the lines sum to zero in each
    /// currency.
    pub fn post_voucher(&self, draft: &VoucherDraft) -> Res<PostedVoucher> {
        limits::check_voucher(draft)?;
        if draft.lines.len() < 2 {
            return Err(LedgerError::Invalid(
                "a voucher needs at least two lines".into(),
            ));
        }
        // Check everything first: nothing is written unless the whole voucher is valid.
        let mut sums: BTreeMap<&str, i64> = BTreeMap::new();
        let mut checked = Vec::with_capacity(draft.lines.len());
        for line in &draft.lines {
            let currency = self.currency(&line.currency)?;
            if line.amount.is_zero() {
                return Err(LedgerError::Invalid(
                    "a voucher line must not be zero".into(),
                ));
            }
            let minor = currency.to_minor(line.amount)?;
            let sum = sums.entry(line.currency.as_str()).or_default();
            *sum = sum
                .checked_add(minor)
                .ok_or_else(|| LedgerError::Invalid("voucher amounts are too large".into()))?;
            let (account, customer, vendor) = match &line.target {
                Target::Account(a) => {
                    self.refuse_control_line(a)?;
                    self.require_account(a)?;
                    (a.clone(), None, None)
                }
                Target::Customer(c) => {
                    self.check_customer(c)?;
                    (
                        self.params.accounts.receivables.clone(),
                        Some(c.clone()),
                        None,
                    )
                }
                Target::Vendor(v) => {
                    if self.vendor_blocked(v)? {
                        return Err(LedgerError::VendorBlocked(v.clone()));
                    }
                    (self.params.accounts.payables.clone(), None, Some(v.clone()))
                }
            };
            checked.push((line, account, customer, vendor, minor));
        }
        for (currency, sum) in &sums {
            if *sum != 0 {
                return Err(LedgerError::Unbalanced {
                    currency: currency.to_string(),
                    difference: self.amount(currency, *sum)?,
                });
            }
        }
        let totals =
            self.check_account_totals(checked.iter().map(|(line, account, _, _, minor)| {
                (account.as_str(), line.currency.as_str(), *minor)
            }))?;
        let number = self.next_number(&draft.sequence)?;
        let date = date_text(draft.date);
        let conn = self.store.conn();
        let result = (|| -> rusqlite::Result<PostedVoucher> {
            // `insert` returns the new rowid: cheaper than `RETURNING`, which SQLite runs
            // through a temporary table.
            let voucher_id = conn
                .prepare_cached(
                    "INSERT INTO vouchers(number, date, description, run_id) VALUES (?1, ?2, ?3, ?4)",
                )?
                .insert(params![number, date, draft.description, self.run_id.get()])?;
            let mut posted = PostedVoucher {
                id: voucher_id,
                number: number.clone(),
                date: draft.date,
                description: draft.description.clone(),
                lines: Vec::with_capacity(checked.len()),
                customer_transactions: Vec::new(),
                vendor_transactions: Vec::new(),
                sub_ledger: Vec::new(),
            };
            for (line, account, customer, vendor, minor) in &checked {
                conn.prepare_cached(
                    "INSERT INTO voucher_lines(voucher_id, account, currency, amount_minor, customer, vendor)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![voucher_id, account, line.currency, minor, customer, vendor])?;
                posted
                    .lines
                    .push((account.clone(), line.currency.clone(), line.amount));
                let party = customer
                    .as_ref()
                    .map(|c| (Side::Customer, c))
                    .or(vendor.as_ref().map(|v| (Side::Vendor, v)));
                if let Some((side, party)) = party {
                    let sql = match side {
                        Side::Customer => {
                            "INSERT INTO customer_transactions(account, voucher_id, date, document,
                                 type, currency, amount_minor, open_minor)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
                        }
                        Side::Vendor => {
                            "INSERT INTO vendor_transactions(account, voucher_id, date, document,
                                 type, currency, amount_minor, open_minor)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
                        }
                    };
                    let id = conn.prepare_cached(sql)?.insert(params![
                        party,
                        voucher_id,
                        date,
                        line.document.as_deref().unwrap_or(&number),
                        line.kind.as_deref().unwrap_or("journal"),
                        line.currency,
                        minor
                    ])?;
                    match side {
                        Side::Customer => posted.customer_transactions.push(id),
                        Side::Vendor => posted.vendor_transactions.push(id),
                    }
                    posted.sub_ledger.push(SubLedgerLine {
                        side,
                        account: party.to_string(),
                        id,
                        amount: line.amount,
                        document: line.document.clone().unwrap_or_else(|| number.clone()),
                    });
                }
            }
            Ok(posted)
        })();
        let posted = result.map_err(|e| self.sql_err(e))?;
        self.totals_posted(totals);
        // The sub-ledger lines follow the voucher lines that name a customer or a vendor.
        let parties = checked
            .iter()
            .filter(|(_, _, c, v, _)| c.is_some() || v.is_some());
        for (new, (line, _, _, _, minor)) in posted.sub_ledger.iter().zip(parties) {
            self.posted_in_cache(
                new.side,
                &new.account,
                &line.currency,
                new.id,
                *minor,
                &date,
            );
        }
        self.journal.borrow_mut().vouchers.push(posted.clone());
        Ok(posted)
    }

    fn require_account(&self, account: &str) -> Res<()> {
        self.require_known(
            |c| &mut c.accounts,
            "SELECT 1 FROM gl_accounts WHERE account = ?1",
            account,
            "general-ledger account",
        )
    }

    // ----- settlement -----

    /// The account, currency and open minor units of one transaction (a lean read for settling).
    fn open_state(&self, side: Side, id: i64) -> Res<(String, String, i64, String)> {
        if let Some(list) = self.cache().as_ref().and_then(|c| c.open.as_ref())
            && list.side == side
            && let Some(row) = list.rows.iter().find(|row| row.0 == id)
        {
            return Ok((
                list.account.clone(),
                list.currency.clone(),
                row.1,
                row.2.clone(),
            ));
        }
        let sql = match side {
            Side::Customer => {
                "SELECT account, currency, open_minor, date FROM customer_transactions WHERE id = ?1"
            }
            Side::Vendor => {
                "SELECT account, currency, open_minor, date FROM vendor_transactions WHERE id = ?1"
            }
        };
        self.one_row(
            sql,
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            "transaction",
            || format!("{} #{id}", side.name()),
        )
    }

    /// The open amount (in minor units) of one transaction.
    pub fn open_minor(&self, side: Side, id: i64) -> Res<i64> {
        Ok(self.open_state(side, id)?.2)
    }

    /// Settles two open transactions of one account against each other: one debit, one credit,
    /// same account, same currency. `amount` (positive) defaults to the most that can be settled;
    /// it may not exceed either open remainder. Returns the amount settled.
    pub fn settle(
        &self,
        side: Side,
        first: i64,
        second: i64,
        amount: Option<Decimal>,
        date: NaiveDate,
    ) -> Res<Decimal> {
        let (a_account, a_currency, a_open, a_date) = self.open_state(side, first)?;
        let (b_account, b_currency, b_open, b_date) = self.open_state(side, second)?;
        let on = limits::book_date(date)?;
        not_before(side, first, &a_date, &on)?;
        not_before(side, second, &b_date, &on)?;
        if a_account != b_account {
            return Err(LedgerError::Settlement(format!(
                "transactions #{first} and #{second} belong to different accounts ({a_account} and {b_account})"
            )));
        }
        if a_currency != b_currency {
            return Err(LedgerError::Settlement(format!(
                "transactions #{first} ({a_currency}) and #{second} ({b_currency}) are in different currencies"
            )));
        }
        let currency = self.currency(&a_currency)?;
        let ((debit, debit_open), (credit, credit_open)) = if a_open > 0 && b_open < 0 {
            ((first, a_open), (second, b_open))
        } else if b_open > 0 && a_open < 0 {
            ((second, b_open), (first, a_open))
        } else {
            return Err(LedgerError::Settlement(format!(
                "transactions #{first} (open {}) and #{second} (open {}) are not an open debit and an open credit",
                currency.from_minor(a_open),
                currency.from_minor(b_open)
            )));
        };
        let most = debit_open.min(-credit_open);
        let minor = match amount {
            None => most,
            Some(amount) => {
                if amount <= Decimal::ZERO {
                    return Err(LedgerError::Settlement(format!(
                        "the amount to settle must be positive, not {amount}"
                    )));
                }
                let minor = currency.to_minor(amount)?;
                if minor > most {
                    return Err(LedgerError::Settlement(format!(
                        "{amount} {} is more than is open (debit #{debit} open {}, credit #{credit} open {})",
                        currency.code,
                        currency.from_minor(debit_open),
                        currency.from_minor(credit_open)
                    )));
                }
                minor
            }
        };
        self.apply_settlement(side, &a_account, debit, credit, minor, date)?;
        Ok(currency.from_minor(minor))
    }

    /// Writes a checked settlement: both open amounts move toward zero by `minor`.
    fn apply_settlement(
        &self,
        side: Side,
        account: &str,
        debit: i64,
        credit: i64,
        minor: i64,
        date: NaiveDate,
    ) -> Res<()> {
        let conn = self.store.conn();
        let (update, insert) = match side {
            Side::Customer => (
                "UPDATE customer_transactions SET open_minor = open_minor + ?2 WHERE id = ?1",
                "INSERT INTO customer_settlements(debit_id, credit_id, amount_minor, date, run_id) VALUES (?1, ?2, ?3, ?4, ?5)",
            ),
            Side::Vendor => (
                "UPDATE vendor_transactions SET open_minor = open_minor + ?2 WHERE id = ?1",
                "INSERT INTO vendor_settlements(debit_id, credit_id, amount_minor, date, run_id) VALUES (?1, ?2, ?3, ?4, ?5)",
            ),
        };
        let result = (|| -> rusqlite::Result<()> {
            conn.prepare_cached(update)?
                .execute(params![debit, -minor])?;
            conn.prepare_cached(update)?
                .execute(params![credit, minor])?;
            conn.prepare_cached(insert)?.execute(params![
                debit,
                credit,
                minor,
                date_text(date),
                self.run_id.get()
            ])?;
            Ok(())
        })();
        result.map_err(|e| self.sql_err(e))?;
        self.settled_in_cache(side, account, debit, credit, minor);
        self.journal
            .borrow_mut()
            .settlements
            .push(SettlementRecord {
                side,
                account: account.to_string(),
                debit,
                credit,
                minor,
            });
        Ok(())
    }

    /// The open transactions (id, open minor units) of an account in one currency, oldest first.
    #[cfg(test)]
    fn open_ids(&self, side: Side, account: &str, currency: &str) -> Res<Vec<(i64, i64)>> {
        Ok(self
            .open_rows(side, account, currency)?
            .into_iter()
            .map(|(id, open, _)| (id, open))
            .collect())
    }

    /// The open transactions (id, open minor units, date) of an account in one currency, oldest
    /// first.
    fn open_rows(&self, side: Side, account: &str, currency: &str) -> Res<Vec<(i64, i64, String)>> {
        if let Some(list) = self.cache().as_ref().and_then(|c| c.open.as_ref())
            && list.is(side, account, currency)
        {
            return Ok(list.rows.clone());
        }
        // Sorted here, not by `ORDER BY`: an account has a handful of open transactions, and
        // SQLite would build a temporary sorter for each call.
        let sql = match side {
            Side::Customer => {
                "SELECT id, open_minor, date FROM customer_transactions WHERE account = ?1 AND currency = ?2 AND open_minor <> 0"
            }
            Side::Vendor => {
                "SELECT id, open_minor, date FROM vendor_transactions WHERE account = ?1 AND currency = ?2 AND open_minor <> 0"
            }
        };
        let mut rows: Vec<(i64, i64, String)> = self
            .store
            .conn()
            .prepare_cached(sql)
            .and_then(|mut s| {
                s.query_map([account, currency], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.sql_err(e))?;
        // Dates are stored as YYYY-MM-DD, so text order is date order.
        rows.sort_unstable_by(|a, b| (&a.2, a.0).cmp(&(&b.2, b.0)));
        if let Some(mut cache) = self.cache() {
            cache.open = Some(OpenList {
                side,
                account: account.to_string(),
                currency: currency.to_string(),
                rows: rows.clone(),
            });
        }
        Ok(rows)
    }

    /// Keeps the cached open transactions in step with a settlement of `minor` between `debit`
    /// and `credit` on `account`.
    fn settled_in_cache(&self, side: Side, account: &str, debit: i64, credit: i64, minor: i64) {
        let Some(mut cache) = self.cache() else {
            return;
        };
        let Some(list) = cache.open.as_mut() else {
            return;
        };
        if list.side != side || list.account != account {
            return;
        }
        for row in &mut list.rows {
            if row.0 == debit {
                row.1 -= minor;
            } else if row.0 == credit {
                row.1 += minor;
            }
        }
        list.rows.retain(|row| row.1 != 0);
    }

    /// Adds a transaction just posted to the cached open transactions of its account and currency.
    fn posted_in_cache(
        &self,
        side: Side,
        account: &str,
        currency: &str,
        id: i64,
        minor: i64,
        date: &str,
    ) {
        let Some(mut cache) = self.cache() else {
            return;
        };
        let Some(list) = cache.open.as_mut() else {
            return;
        };
        if !list.is(side, account, currency) {
            return;
        }
        let at = list
            .rows
            .partition_point(|row| (row.2.as_str(), row.0) < (date, id));
        list.rows.insert(at, (id, minor, date.to_string()));
    }

    /// Settles one transaction against the open transactions of the opposite sign on the same
    /// account and currency, oldest first, until it is settled or nothing is left. Returns the
    /// amount settled.
    pub fn settle_against_open(&self, side: Side, id: i64, date: NaiveDate) -> Res<Decimal> {
        let on = limits::book_date(date)?;
        let (account, currency, open, txn_date) = self.open_state(side, id)?;
        let c = self.currency(&currency)?;
        if open == 0 {
            return Ok(c.from_minor(0));
        }
        not_before(side, id, &txn_date, &on)?;
        let others = self.open_rows(side, &account, &currency)?;
        Ok(c.from_minor(self.settle_with(side, &account, (id, open), &others, date)?))
    }

    /// Like [`Ledger::settle_against_open`], but only against transactions dated on or before
    /// `date` (the later ones are left open, not an error): what `pay` settles an invoice against
    /// before it pays what is left.
    pub fn settle_against_open_until(&self, side: Side, id: i64, date: NaiveDate) -> Res<Decimal> {
        let (account, currency, open, txn_date) = self.open_state(side, id)?;
        let c = self.currency(&currency)?;
        let on = date_text(date);
        if open == 0 || txn_date > on {
            return Ok(c.from_minor(0));
        }
        let mut others = self.open_rows(side, &account, &currency)?;
        others.retain(|(_, _, other_date)| *other_date <= on);
        Ok(c.from_minor(self.settle_with(side, &account, (id, open), &others, date)?))
    }

    /// Settles `(id, open)` against `others` (oldest first) as far as it goes; minor units settled.
    fn settle_with(
        &self,
        side: Side,
        account: &str,
        (id, open): (i64, i64),
        others: &[(i64, i64, String)],
        date: NaiveDate,
    ) -> Res<i64> {
        let mut remaining = open.abs();
        let on = date_text(date);
        for (other, other_open, other_date) in others {
            let (other, other_open) = (*other, *other_open);
            if remaining == 0 {
                break;
            }
            if other == id || (other_open > 0) == (open > 0) {
                continue;
            }
            not_before(side, other, other_date, &on)?;
            let minor = remaining.min(other_open.abs());
            let (debit, credit) = if open > 0 { (id, other) } else { (other, id) };
            self.apply_settlement(side, account, debit, credit, minor, date)?;
            remaining -= minor;
        }
        Ok(open.abs() - remaining)
    }

    /// Settles an account's open debits against its open credits in one currency, oldest first
    /// (the `net` policy). Returns the amount settled.
    pub fn settle_open_debits(
        &self,
        side: Side,
        account: &str,
        currency: &str,
        date: NaiveDate,
    ) -> Res<Decimal> {
        let c = self.currency(currency)?;
        // An account that does not exist is an error, not "nothing to settle".
        match side {
            Side::Customer => self.check_customer(account)?,
            Side::Vendor => {
                self.vendor_blocked(account)?;
            }
        }
        let on = limits::book_date(date)?;
        let mut open = self.open_rows(side, account, currency)?;
        let mut settled = 0;
        for i in 0..open.len() {
            let (id, mut remaining) = (open[i].0, open[i].1);
            if remaining <= 0 {
                continue;
            }
            not_before(side, id, &open[i].2, &on)?;
            // Settle this debit against the credits still open, oldest first.
            for slot in open.iter_mut().filter(|(_, o, _)| *o < 0) {
                if remaining == 0 {
                    break;
                }
                not_before(side, slot.0, &slot.2, &on)?;
                let minor = remaining.min(-slot.1);
                self.apply_settlement(side, account, id, slot.0, minor, date)?;
                slot.1 += minor;
                remaining -= minor;
                settled += minor;
            }
            open[i].1 = remaining;
        }
        Ok(c.from_minor(settled))
    }

    // ----- reports -----

    /// The trial balance: every general-ledger account's balance per currency.
    pub fn trial_balance(&self) -> Res<Vec<TrialBalanceRow>> {
        let rows: Vec<(String, String, String, i64)> = self
            .store
            .conn()
            .prepare(
                "SELECT l.account, a.name, l.currency, SUM(l.amount_minor)
                 FROM voucher_lines l JOIN gl_accounts a ON a.account = l.account
                 GROUP BY l.account, l.currency ORDER BY l.account, l.currency",
            )
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect::<Result<_, _>>()
            })
            .map_err(|e| self.sql_err(e))?;
        rows.into_iter()
            .map(|(account, name, currency, minor)| {
                Ok(TrialBalanceRow {
                    balance: self.amount(&currency, minor)?,
                    account,
                    name,
                    currency,
                })
            })
            .collect()
    }

    /// The trial balance's total per currency: zero in every currency for sound books.
    pub fn trial_balance_totals(&self) -> Res<BTreeMap<String, Decimal>> {
        let mut totals = BTreeMap::new();
        for row in self.trial_balance()? {
            *totals.entry(row.currency).or_insert(Decimal::ZERO) += row.balance;
        }
        Ok(totals)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::parameters::Company;

    pub(crate) fn sample_company() -> Company {
        crate::sample_company().unwrap()
    }

    fn d(s: &str) -> Decimal {
        crate::money::parse_decimal(s).unwrap()
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
    }

    /// A USD customer of group RETAIL, with nothing else set.
    pub(crate) fn customer(account: &str, name: &str) -> Customer {
        Customer {
            account: account.into(),
            name: name.into(),
            address: None,
            currency: "USD".into(),
            group: "RETAIL".into(),
            vendor_account: None,
            payment_hold: false,
            tax_id: None,
            iban: None,
            bic: None,
        }
    }

    fn ledger() -> Ledger {
        let l = Ledger::new(Store::in_memory().unwrap(), sample_company().params).unwrap();
        l.create_customer(&customer("C-1", "One")).unwrap();
        l
    }

    fn opening(l: &Ledger, customer: &str, amount: &str, doc: &str) -> i64 {
        let posted = l
            .post_voucher(&VoucherDraft {
                sequence: "opening".into(),
                date: day(),
                description: "opening".into(),
                lines: vec![
                    LineDraft {
                        target: Target::Customer(customer.into()),
                        currency: "USD".into(),
                        amount: d(amount),
                        document: Some(doc.into()),
                        kind: Some("invoice".into()),
                    },
                    LineDraft {
                        target: Target::Account("3999".into()),
                        currency: "USD".into(),
                        amount: -d(amount),
                        document: None,
                        kind: None,
                    },
                ],
            })
            .unwrap();
        posted.customer_transactions[0]
    }

    fn dump(l: &Ledger) -> String {
        let conn = l.store().conn();
        let mut out = String::new();
        for table in [
            "vouchers",
            "voucher_lines",
            "customer_transactions",
            "customer_settlements",
            "number_sequences",
        ] {
            let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    Ok((0..n)
                        .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                        .collect::<Vec<_>>()
                        .join("|"))
                })
                .unwrap();
            for row in rows {
                out.push_str(&row.unwrap());
                out.push('\n');
            }
        }
        out
    }

    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        for (y, m, dd) in [
            (2026, 11, 30),
            (1, 1, 1),
            (0, 2, 29),
            (9999, 12, 31),
            (10000, 1, 1),
            (-5, 3, 4),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, dd).unwrap();
            assert_eq!(date_text(date), date.format("%Y-%m-%d").to_string());
        }
        assert_eq!(date_text(day()), "2026-11-01");
    }

    #[test]
    fn posting_balances_and_trial_balance_is_zero() {
        let l = ledger();
        opening(&l, "C-1", "100.00", "INV-1");
        opening(&l, "C-1", "-150.00", "PAY-1");
        let b = l.balances(Side::Customer, "C-1").unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].balance.to_string(), "-50.00");
        assert_eq!(b[0].open_debit.to_string(), "100.00");
        assert_eq!(b[0].open_credit.to_string(), "-150.00");
        let totals = l.trial_balance_totals().unwrap();
        assert_eq!(totals["USD"], Decimal::ZERO);
        let tb = l.trial_balance().unwrap();
        assert_eq!(tb[0].account, "1200");
        assert_eq!(tb[0].balance.to_string(), "-50.00");
        assert_eq!(l.next_number("opening").unwrap(), "OPN-000003");
    }

    #[test]
    fn unbalanced_voucher_is_refused_and_writes_nothing() {
        let l = ledger();
        opening(&l, "C-1", "100.00", "INV-1");
        let before = dump(&l);
        let err = l
            .post_voucher(&VoucherDraft {
                sequence: "reimbursement".into(),
                date: day(),
                description: "bad".into(),
                lines: vec![
                    LineDraft {
                        target: Target::Customer("C-1".into()),
                        currency: "USD".into(),
                        amount: d("10.00"),
                        document: None,
                        kind: None,
                    },
                    LineDraft {
                        target: Target::Account("1000".into()),
                        currency: "USD".into(),
                        amount: d("-9.99"),
                        document: None,
                        kind: None,
                    },
                ],
            })
            .unwrap_err();
        assert!(
            matches!(&err, LedgerError::Unbalanced { currency, difference } if currency == "USD" && difference.to_string() == "0.01"),
            "{err}"
        );
        assert_eq!(dump(&l), before);
    }

    #[test]
    fn voucher_checks_accounts_and_precision() {
        let l = ledger();
        let line = |target: Target, amount: &str| LineDraft {
            target,
            currency: "USD".into(),
            amount: d(amount),
            document: None,
            kind: None,
        };
        let post = |lines| {
            l.post_voucher(&VoucherDraft {
                sequence: "opening".into(),
                date: day(),
                description: "x".into(),
                lines,
            })
        };
        let e = post(vec![
            line(Target::Account("9999".into()), "1"),
            line(Target::Account("1000".into()), "-1"),
        ])
        .unwrap_err();
        assert!(
            e.to_string().contains("general-ledger account '9999'"),
            "{e}"
        );
        let e = post(vec![
            line(Target::Customer("C-404".into()), "1"),
            line(Target::Account("1000".into()), "-1"),
        ])
        .unwrap_err();
        assert!(
            e.to_string().contains("customer 'C-404' does not exist"),
            "{e}"
        );
        let e = post(vec![
            line(Target::Account("1000".into()), "1.001"),
            line(Target::Account("3999".into()), "-1.001"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("more decimals"), "{e}");
        assert!(dump(&l).lines().all(|r| !r.contains("OPN-")));
    }

    #[test]
    fn over_settlement_is_refused_and_writes_nothing() {
        let l = ledger();
        let inv = opening(&l, "C-1", "100.00", "INV-1");
        let pay = opening(&l, "C-1", "-30.00", "PAY-1");
        let before = dump(&l);
        let e = l
            .settle(Side::Customer, inv, pay, Some(d("30.01")), day())
            .unwrap_err();
        assert!(e.to_string().contains("more than is open"), "{e}");
        assert_eq!(dump(&l), before);
        let e = l.settle(Side::Customer, inv, inv, None, day()).unwrap_err();
        assert!(
            e.to_string()
                .contains("not an open debit and an open credit")
        );
        assert_eq!(
            l.settle(Side::Customer, inv, pay, None, day())
                .unwrap()
                .to_string(),
            "30.00"
        );
        let open = l.open_transactions(Side::Customer, "C-1", None).unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].open.to_string(), "70.00");
        let b = l.balances(Side::Customer, "C-1").unwrap();
        assert_eq!(b[0].balance.to_string(), "70.00");
        // A fully settled credit cannot be settled again.
        assert!(l.settle(Side::Customer, inv, pay, None, day()).is_err());
    }

    #[test]
    fn settle_open_debits_nets_oldest_first() {
        let l = ledger();
        opening(&l, "C-1", "-40.00", "PAY-1");
        opening(&l, "C-1", "25.00", "INV-1");
        opening(&l, "C-1", "-20.00", "CN-1");
        let settled = l
            .settle_open_debits(Side::Customer, "C-1", "USD", day())
            .unwrap();
        assert_eq!(settled.to_string(), "25.00");
        let b = &l.balances(Side::Customer, "C-1").unwrap()[0];
        assert_eq!(b.open_debit, Decimal::ZERO);
        assert_eq!(b.open_credit.to_string(), "-35.00");
        assert_eq!(b.balance.to_string(), "-35.00");
    }

    /// An account's open transactions as the database has them: (id, open), oldest first.
    fn open_in_db(l: &Ledger, account: &str) -> Vec<(i64, i64)> {
        l.store()
            .conn()
            .prepare(
                "SELECT id, open_minor FROM customer_transactions
                 WHERE account = ?1 AND currency = 'USD' AND open_minor <> 0 ORDER BY date, id",
            )
            .unwrap()
            .query_map([account], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn open_transactions_kept_in_a_transaction_follow_postings_settlements_and_rollbacks() {
        let l = ledger();
        let store = l.store();
        let same = |l: &Ledger| {
            assert_eq!(
                l.open_ids(Side::Customer, "C-1", "USD").unwrap(),
                open_in_db(l, "C-1")
            )
        };
        store.begin().unwrap();
        opening(&l, "C-1", "100.00", "INV-1");
        let cr1 = opening(&l, "C-1", "-30.00", "CR-1");
        let cr2 = opening(&l, "C-1", "-120.00", "CR-2");
        same(&l);
        // INV-1 is netted against CR-1 and 70.00 of CR-2.
        let settled = l
            .settle_open_debits(Side::Customer, "C-1", "USD", day())
            .unwrap();
        assert_eq!(settled, d("100.00"));
        assert_eq!(
            l.open_ids(Side::Customer, "C-1", "USD").unwrap(),
            vec![(cr2, -5000)]
        );
        same(&l);
        // A transaction posted after the list was read joins it.
        let debit = opening(&l, "C-1", "40.00", "RMB-1");
        same(&l);
        store.savepoint("x").unwrap();
        let settled = l.settle_against_open(Side::Customer, debit, day()).unwrap();
        assert_eq!(settled, d("40.00"));
        assert_eq!(l.open_minor(Side::Customer, debit).unwrap(), 0);
        same(&l);
        // The rollback undoes the settlement, and the ledger must not remember it.
        store.rollback_to("x").unwrap();
        assert_eq!(l.open_minor(Side::Customer, debit).unwrap(), 4000);
        assert_eq!(l.open_minor(Side::Customer, cr1).unwrap(), 0);
        same(&l);
        let settled = l.settle_against_open(Side::Customer, debit, day()).unwrap();
        assert_eq!(settled, d("40.00"));
        assert_eq!(
            l.open_ids(Side::Customer, "C-1", "USD").unwrap(),
            vec![(cr2, -1000)]
        );
        same(&l);
        store.commit().unwrap();
        same(&l);
    }

    #[test]
    fn a_settlement_cannot_be_dated_before_what_it_settles() {
        let l = ledger();
        l.store().begin().unwrap();
        let invoice = opening(&l, "C-1", "100.00", "INV-1");
        let credit = opening(&l, "C-1", "-30.00", "CR-1");
        let before = day().pred_opt().unwrap();
        let refused = "is dated 2026-11-01, after the settlement date 2026-10-31";
        for err in [
            l.settle(Side::Customer, invoice, credit, None, before),
            l.settle_against_open(Side::Customer, invoice, before),
            l.settle_open_debits(Side::Customer, "C-1", "USD", before),
        ] {
            let err = err.unwrap_err().to_string();
            assert!(err.contains(refused), "{err}");
        }
        assert_eq!(l.open_minor(Side::Customer, credit).unwrap(), -3000);
        // On the day itself it settles.
        let settled = l
            .settle_against_open(Side::Customer, invoice, day())
            .unwrap();
        assert_eq!(settled, d("30.00"));
    }

    #[test]
    fn customers_and_vendors_known_in_a_transaction_are_forgotten_on_rollback() {
        let l = ledger();
        let store = l.store();
        store.begin().unwrap();
        store.savepoint("x").unwrap();
        let vendor = l
            .create_vendor(&NewVendor {
                name: "Once".into(),
                currency: "USD".into(),
                one_time: true,
                ..Default::default()
            })
            .unwrap();
        l.create_customer(&customer("C-2", "Two")).unwrap();
        l.link_vendor("C-2", Some(&vendor.account)).unwrap();
        store.rollback_to("x").unwrap();
        let err = l.link_vendor("C-1", Some(&vendor.account)).unwrap_err();
        assert!(
            matches!(err, LedgerError::NotFound { what: "vendor", .. }),
            "{err}"
        );
        let err = l.link_vendor("C-2", None).unwrap_err();
        assert!(
            matches!(
                err,
                LedgerError::NotFound {
                    what: "customer",
                    ..
                }
            ),
            "{err}"
        );
        store.rollback();
    }

    #[test]
    fn customers_read_ahead_are_the_pages_read_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::new(
            Store::create(&dir.path().join("c.db")).unwrap(),
            sample_company().params,
        )
        .unwrap();
        for i in 1..=5 {
            let account = format!("C-{i}");
            l.create_customer(&Customer {
                group: if i % 2 == 0 { "EVEN" } else { "ODD" }.into(),
                ..customer(&account, &format!("Customer {i}"))
            })
            .unwrap();
            if i != 3 {
                opening(&l, &account, &format!("-{i}0.00"), &format!("PAY-{i}"));
                opening(&l, &account, "7.50", &format!("INV-{i}"));
            }
        }
        // Only in a write transaction, and only over a file.
        assert!(l.read_ahead_customers(None, 2).is_none());
        assert!(ledger().read_ahead_customers(None, 2).is_none());

        l.store().begin().unwrap();
        let pages: Vec<CustomerPage> = l
            .read_ahead_customers(None, 2)
            .unwrap()
            .map(|p| p.unwrap().0)
            .collect();
        let accounts = |p: &CustomerPage| -> Vec<String> {
            p.customers.iter().map(|c| c.account.clone()).collect()
        };
        assert_eq!(
            pages.iter().map(accounts).collect::<Vec<_>>(),
            [vec!["C-1", "C-2"], vec!["C-3", "C-4"], vec!["C-5"]]
        );
        let mut after: Option<String> = None;
        for page in &pages {
            let in_place = l.customers_page(after.as_deref(), 2, None).unwrap();
            assert_eq!(page.customers, in_place);
            let (first, last) = (&in_place[0].account, &in_place[in_place.len() - 1].account);
            assert_eq!(
                page.balances,
                l.customer_balances_between(first, last).unwrap()
            );
            after = Some(last.clone());
        }
        assert_eq!(pages[1].balances["C-4"][0].balance, d("-32.50"));
        assert!(!pages[1].balances.contains_key("C-3"));

        let groups = Some(vec!["EVEN".to_string()]);
        let even: Vec<Vec<String>> = l
            .read_ahead_customers(groups, 2)
            .unwrap()
            .map(|p| accounts(&p.unwrap().0))
            .collect();
        assert_eq!(even, [vec!["C-2", "C-4"], vec![]]);
        // A page of none is a page of one: five of them, and the empty one that ends the list.
        assert_eq!(l.read_ahead_customers(None, 0).unwrap().count(), 6);
        // Stopping early stops the thread (this would hang otherwise).
        let mut pages = l.read_ahead_customers(None, 1).unwrap();
        assert!(pages.next().is_some());
        drop(pages);

        // The work done on each page comes with it; a thread that fails is an error, not the
        // end of the customers.
        let counted: Vec<usize> = l
            .read_ahead_customers_with(None, 2, |_| |page: &CustomerPage| page.customers.len())
            .unwrap()
            .map(|p| p.unwrap().1)
            .collect();
        assert_eq!(counted, [2, 2, 1]);
        let mut pages = l
            .read_ahead_customers_with(None, 2, |_| {
                let mut seen = 0;
                move |_: &CustomerPage| {
                    seen += 1;
                    assert!(seen < 2, "the work fails on the second page");
                }
            })
            .unwrap();
        assert!(pages.next().unwrap().is_ok());
        assert!(matches!(pages.next(), Some(Err(LedgerError::Invalid(_)))));
        assert!(pages.next().is_none());
        l.store().rollback();
    }

    #[test]
    fn numbers_kept_in_a_transaction_follow_rollbacks_and_other_writers() {
        let l = ledger();
        let store = l.store();
        let take = || l.next_number("vendor_invoice").unwrap();
        store.begin().unwrap();
        let first = take();
        let second = take();
        assert_ne!(first, second);
        store.savepoint("s").unwrap();
        let undone = take();
        store.rollback_to("s").unwrap();
        assert_eq!(take(), undone, "a rolled-back number is taken again");
        store.begin().unwrap(); // nested: a savepoint
        let nested = take();
        store.rollback();
        assert_eq!(
            take(),
            nested,
            "a number rolled back with a nested begin is taken again"
        );
        store.rollback();
        assert_eq!(take(), first, "a rolled-back transaction took no number");
        // Between transactions another writer may move a sequence: the next transaction sees it.
        store
            .conn()
            .execute(
                "UPDATE number_sequences SET next = 500 WHERE name = 'vendor_invoice'",
                [],
            )
            .unwrap();
        store.begin().unwrap();
        assert!(take().ends_with("000500"));
        assert!(take().ends_with("000501"));
        store.commit().unwrap();
        let next: i64 = store
            .conn()
            .query_row(
                "SELECT next FROM number_sequences WHERE name = 'vendor_invoice'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(next, 502, "every number taken is written");
        // Transactions begun and ended past the store (as a rusqlite transaction is): SQLite's
        // commit and rollback hooks drop what was read.
        let raw = |sql: &str| store.conn().execute_batch(sql).unwrap();
        raw("UPDATE number_sequences SET next = 600 WHERE name = 'vendor_invoice'");
        raw("BEGIN IMMEDIATE");
        assert!(take().ends_with("000600"), "what another writer committed");
        raw("ROLLBACK");
        raw("BEGIN IMMEDIATE");
        assert!(take().ends_with("000600"), "the rolled-back number again");
        raw("COMMIT");
    }

    #[test]
    fn one_time_vendors_take_numbers_and_defaults() {
        let l = ledger();
        let v = l
            .create_vendor(&NewVendor {
                name: "One".into(),
                currency: "USD".into(),
                one_time: true,
                created_for: Some("C-1".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(v.account, "OTV-000001");
        assert_eq!(v.group, "ONETIME");
        l.link_vendor("C-1", Some(&v.account)).unwrap();
        assert_eq!(
            l.customer("C-1")
                .unwrap()
                .unwrap()
                .vendor_account
                .as_deref(),
            Some("OTV-000001")
        );
        assert!(
            l.create_vendor(&NewVendor {
                account: Some("OTV-000001".into()),
                name: "dup".into(),
                currency: "USD".into(),
                ..Default::default()
            })
            .is_err()
        );
        assert_eq!(
            l.take_journal().vendors_created,
            vec!["OTV-000001".to_string()]
        );
    }
}
