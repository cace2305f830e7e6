//! The books worked out ahead ([`AheadBooks`]): on the read-ahead thread, a posting hook's ledger
//! calls are answered from a view of its own customer ([`AheadCustomer`]: the customer and its
//! open transactions as the run began) and the counters predicted for the moment the run reaches
//! it, and recorded with what they returned ([`Recording`]) for the writing thread to replay.
//!
//! The view is exact because a hook changes only its own customer (the engine refuses anything
//! else). What the view cannot answer (another customer, a vendor that did not exist when the run
//! began, a vendor transaction) is an error here: the hook is then worked out in place. Nothing
//! here reads what a run writes, and nothing is written.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::super::cache::OpenRow;
use super::super::parties::with_defaults;
use super::super::read_ahead::{OpenItems, ReadAheadLedger};
use super::super::rows::{date_text, stored_date};
use super::super::settle::not_before;
use super::super::settle_plan::{apply_to_rows, plan_against, plan_open_debits};
use super::super::{
    Balance, Customer, CustomerTransactionId, LedgerError, NewVendor, PostedVoucher, Res, Side,
    SubLedgerLine, Target, TransactionRef, Vendor, VendorTransactionId, VoucherDraft, VoucherId,
    limits,
};
use super::calls::{CallResult, LedgerCall, LedgerCalls, RecordedCall};
use super::counters::{Counters, CountersUsed, RowKind, Sequences};
use crate::money::Currency;
use crate::parameters::Parameters;

/// One customer as the books worked out ahead see it: the customer, its open transactions per
/// currency (oldest first) and the vendors its hooks created.
#[derive(Debug, Clone)]
pub struct AheadCustomer {
    customer: Customer,
    open: HashMap<String, Vec<OpenRow>>,
    vendors: Vec<Vendor>,
    /// The customer's balances as the run began (the page's), and what its hooks posted since
    /// (minor units per currency).
    balances: Vec<Balance>,
    posted: BTreeMap<String, i64>,
}

impl AheadCustomer {
    /// The view of `customer` with its open transactions, taken from a page's `items`, and its
    /// `balances` as the page has them.
    pub fn new(customer: Customer, items: &mut OpenItems, balances: &[Balance]) -> AheadCustomer {
        let open = items.take(&customer.account);
        AheadCustomer {
            customer,
            open,
            vendors: Vec::new(),
            balances: balances.to_vec(),
            posted: BTreeMap::new(),
        }
    }

    /// The customer as the hooks see it now (a vendor linked since shows).
    pub fn customer(&self) -> &Customer {
        &self.customer
    }
}

/// The ledger calls of one hook worked out ahead: the counters it used as they stood when it began,
/// and each call with what it returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recording {
    /// The counters used, as they stood when first used.
    pub used: CountersUsed,
    /// The calls, in order.
    pub calls: Vec<RecordedCall>,
}

/// Where the books worked out ahead stand: the customer being worked out and the counters.
#[derive(Debug, Clone)]
pub struct AheadState {
    customer: Option<AheadCustomer>,
    counters: Counters,
}

/// The books worked out ahead, for one thread: see the module's documentation.
pub struct AheadBooks {
    reads: ReadAheadLedger,
    params: Rc<Parameters>,
    sequences: Sequences,
    state: RefCell<AheadState>,
    /// While a hook is recorded: its recording (calls made otherwise are refused).
    recording: RefCell<Option<Recording>>,
}

/// What the books worked out ahead cannot answer.
fn unknown(what: impl Into<String>) -> LedgerError {
    LedgerError::Invalid(format!("not known ahead: {}", what.into()))
}

impl AheadBooks {
    /// Books over `reads`, with the counters as they stand when the run begins.
    pub fn new(
        reads: ReadAheadLedger,
        params: Rc<Parameters>,
        sequences: Sequences,
        counters: Counters,
    ) -> AheadBooks {
        AheadBooks {
            reads,
            params,
            sequences,
            state: RefCell::new(AheadState {
                customer: None,
                counters,
            }),
            recording: RefCell::new(None),
        }
    }

    /// The number sequences the counters follow.
    pub fn sequences(&self) -> &Sequences {
        &self.sequences
    }

    /// Where the books stand (to undo what a skipped credit did, [`AheadBooks::restore`]).
    pub fn state(&self) -> AheadState {
        self.state.borrow().clone()
    }

    /// Puts the books back where `state` was.
    pub fn restore(&self, state: AheadState) {
        *self.state.borrow_mut() = state;
    }

    /// The counters as predicted now.
    pub fn counters(&self) -> Counters {
        self.state.borrow().counters.clone()
    }

    /// Moves the counters (a correction from the writing thread).
    pub fn set_counters(&self, counters: Counters) {
        self.state.borrow_mut().counters = counters;
    }

    /// Makes `customer` the one the hooks work on (`None`: none).
    pub fn set_customer(&self, customer: Option<AheadCustomer>) {
        self.state.borrow_mut().customer = customer;
    }

    /// The customer as the hooks see it now.
    pub fn customer(&self) -> Option<Customer> {
        let state = self.state.borrow();
        state.customer.as_ref().map(|c| c.customer.clone())
    }

    /// The vendor with this account as the hooks of the current customer find it: one they
    /// created, or one there when the run began (`None`: not known here; the run may have created
    /// it since).
    pub fn vendor(&self, account: &str) -> Option<Vendor> {
        self.created_vendor(account)
            .or_else(|| self.existing_vendor(account).ok().flatten())
    }

    /// A vendor the current customer's hooks created.
    pub fn created_vendor(&self, account: &str) -> Option<Vendor> {
        let state = self.state.borrow();
        let customer = state.customer.as_ref()?;
        customer
            .vendors
            .iter()
            .find(|v| v.account == account)
            .cloned()
    }

    /// Starts recording a hook's calls.
    pub fn start_recording(&self) {
        *self.recording.borrow_mut() = Some(Recording::default());
    }

    /// Stops recording; the calls since [`AheadBooks::start_recording`].
    pub fn stop_recording(&self) -> Option<Recording> {
        self.recording.borrow_mut().take()
    }

    /// Answers `call` from the view and records it (a read outside a posting hook is answered
    /// and not recorded).
    fn answer(&self, call: LedgerCall) -> Res<CallResult> {
        let recording = self.recording.borrow().is_some();
        if !recording && !call.reads_only() {
            return Err(unknown("a ledger call outside a posting hook"));
        }
        let mut used = CountersUsed::default();
        let result = {
            let mut state = self.state.borrow_mut();
            let AheadState { customer, counters } = &mut *state;
            let customer = customer.as_mut().ok_or_else(|| unknown("no customer"))?;
            let mut work = Work {
                books: self,
                customer,
                counters,
                used: &mut used,
            };
            work.make(&call)?
        };
        let mut recording = self.recording.borrow_mut();
        let Some(recording) = recording.as_mut() else {
            return Ok(result);
        };
        for (i, row) in used.rows.iter().enumerate() {
            if let Some(next) = row {
                recording.used.rows[i].get_or_insert(*next);
            }
        }
        for &(position, next) in &used.numbers {
            recording.used.number(position, next);
        }
        recording.calls.push(RecordedCall {
            call,
            result: result.clone(),
        });
        Ok(result)
    }

    fn currency(&self, code: &str) -> Res<Currency> {
        self.params
            .currency(code)
            .ok_or_else(|| LedgerError::NotFound {
                what: "currency",
                key: code.to_string(),
            })
    }

    /// A vendor that existed when the run began.
    fn existing_vendor(&self, account: &str) -> Res<Option<Vendor>> {
        self.reads.vendor(account)
    }
}

impl LedgerCalls for AheadBooks {
    fn next_number(&self, sequence: &str) -> Res<String> {
        match self.answer(LedgerCall::NextNumber {
            sequence: sequence.to_string(),
        })? {
            CallResult::Number(n) => Ok(n),
            other => Err(unknown(format!("{other:?}"))),
        }
    }
    fn post_voucher(&self, draft: &VoucherDraft) -> Res<PostedVoucher> {
        match self.answer(LedgerCall::PostVoucher {
            draft: draft.clone(),
        })? {
            CallResult::Voucher(v) => Ok(*v),
            other => Err(unknown(format!("{other:?}"))),
        }
    }
    fn settle_against_open(&self, id: CustomerTransactionId, date: NaiveDate) -> Res<Decimal> {
        match self.answer(LedgerCall::SettleAgainstOpen { id, date })? {
            CallResult::Settled(d) => Ok(d),
            other => Err(unknown(format!("{other:?}"))),
        }
    }
    fn settle_open_debits(&self, customer: &str, currency: &str, date: NaiveDate) -> Res<Decimal> {
        match self.answer(LedgerCall::SettleOpenDebits {
            customer: customer.to_string(),
            currency: currency.to_string(),
            date,
        })? {
            CallResult::Settled(d) => Ok(d),
            other => Err(unknown(format!("{other:?}"))),
        }
    }
    fn create_vendor(&self, vendor: &NewVendor) -> Res<Vendor> {
        match self.answer(LedgerCall::CreateVendor {
            vendor: Box::new(vendor.clone()),
        })? {
            CallResult::Vendor(v) => Ok(*v),
            other => Err(unknown(format!("{other:?}"))),
        }
    }
    fn link_vendor(&self, customer: &str, vendor: Option<&str>) -> Res<()> {
        self.answer(LedgerCall::LinkVendor {
            customer: customer.to_string(),
            vendor: vendor.map(str::to_string),
        })
        .map(|_| ())
    }
    fn balances(&self, customer: &str) -> Res<Vec<Balance>> {
        match self.answer(LedgerCall::Balances {
            customer: customer.to_string(),
        })? {
            CallResult::Balances(b) => Ok(b),
            other => Err(unknown(format!("{other:?}"))),
        }
    }
}

/// One call being answered: the books, the customer's view, the counters, and the counters the
/// call used.
struct Work<'a> {
    books: &'a AheadBooks,
    customer: &'a mut AheadCustomer,
    counters: &'a mut Counters,
    used: &'a mut CountersUsed,
}

impl Work<'_> {
    fn make(&mut self, call: &LedgerCall) -> Res<CallResult> {
        Ok(match call {
            LedgerCall::NextNumber { sequence } => CallResult::Number(self.next_number(sequence)?),
            LedgerCall::PostVoucher { draft } => {
                CallResult::Voucher(Box::new(self.post_voucher(draft)?))
            }
            LedgerCall::SettleAgainstOpen { id, date } => {
                CallResult::Settled(self.settle_against_open(*id, *date)?)
            }
            LedgerCall::SettleOpenDebits {
                customer,
                currency,
                date,
            } => CallResult::Settled(self.settle_open_debits(customer, currency, *date)?),
            LedgerCall::CreateVendor { vendor } => {
                CallResult::Vendor(Box::new(self.create_vendor(vendor)?))
            }
            LedgerCall::LinkVendor { customer, vendor } => {
                self.link_vendor(customer, vendor.as_deref())?;
                CallResult::Done
            }
            LedgerCall::Balances { customer } => CallResult::Balances(self.balances(customer)?),
        })
    }

    fn own(&self, account: &str) -> Res<()> {
        if account == self.customer.customer.account {
            Ok(())
        } else {
            Err(unknown(format!("customer {account}")))
        }
    }

    fn next_number(&mut self, sequence: &str) -> Res<String> {
        let position = self
            .books
            .sequences
            .iter()
            .position(|s| s.name == sequence)
            .ok_or_else(|| unknown(format!("sequence {sequence}")))?;
        let next = self.counters.numbers[position];
        self.used.number(position, next);
        self.counters.numbers[position] = next + 1;
        Ok(self.books.sequences[position].format(next))
    }

    fn next_row(&mut self, kind: RowKind) -> i64 {
        let next = self.counters.rows[kind as usize];
        self.used.row(kind, next);
        self.counters.rows[kind as usize] = next + 1;
        next
    }

    /// A vendor as the hooks may name it: created by this customer's hooks, or there when the run
    /// began.
    fn vendor(&self, account: &str) -> Res<Vendor> {
        if let Some(v) = self.customer.vendors.iter().find(|v| v.account == account) {
            return Ok(v.clone());
        }
        self.books
            .existing_vendor(account)?
            .ok_or_else(|| unknown(format!("vendor {account}")))
    }

    fn vendor_exists(&self, account: &str) -> Res<bool> {
        Ok(self.customer.vendors.iter().any(|v| v.account == account)
            || self.books.existing_vendor(account)?.is_some())
    }
}

impl Work<'_> {
    /// As [`crate::ledger::Ledger::post_voucher`] would post it, checked as far as the view can.
    fn post_voucher(&mut self, draft: &VoucherDraft) -> Res<PostedVoucher> {
        limits::check_voucher(draft)?;
        if draft.lines.len() < 2 {
            return Err(unknown("a voucher of fewer than two lines"));
        }
        let accounts = &self.books.params.accounts;
        let mut sums: HashMap<&str, i64> = HashMap::new();
        let mut lines = Vec::with_capacity(draft.lines.len());
        for line in &draft.lines {
            let minor = self.books.currency(&line.currency)?.to_minor(line.amount)?;
            if minor == 0 {
                return Err(unknown("a zero line"));
            }
            *sums.entry(line.currency.as_str()).or_default() += minor;
            let account = match &line.target {
                Target::Account(a) => {
                    if *a == accounts.receivables || *a == accounts.payables {
                        return Err(unknown("a plain line on a control account"));
                    }
                    if !self.books.reads.account_exists(a)? {
                        return Err(unknown(format!("account {a}")));
                    }
                    a.clone()
                }
                Target::Customer(c) => {
                    self.own(c)?;
                    accounts.receivables.clone()
                }
                Target::Vendor(v) => {
                    if self.vendor(v)?.blocked {
                        return Err(unknown(format!("blocked vendor {v}")));
                    }
                    accounts.payables.clone()
                }
            };
            lines.push((account, minor));
        }
        if sums.values().any(|s| *s != 0) {
            return Err(unknown("an unbalanced voucher"));
        }
        let number = self.next_number(&draft.sequence)?;
        Ok(self.posted(draft, number, lines))
    }

    /// The voucher posted: its ids taken, its customer transactions added to the view.
    fn posted(
        &mut self,
        draft: &VoucherDraft,
        number: String,
        lines: Vec<(String, i64)>,
    ) -> PostedVoucher {
        let id = VoucherId(self.next_row(RowKind::Voucher));
        let date = date_text(draft.date);
        let mut posted = PostedVoucher {
            id,
            number: number.clone(),
            date: draft.date,
            description: draft.description.clone(),
            lines: Vec::with_capacity(lines.len()),
            customer_transactions: Vec::new(),
            vendor_transactions: Vec::new(),
            sub_ledger: Vec::new(),
        };
        for (line, (account, minor)) in draft.lines.iter().zip(lines) {
            posted
                .lines
                .push((account, line.currency.clone(), line.amount));
            let (transaction, party) = match &line.target {
                Target::Account(_) => continue,
                Target::Customer(c) => {
                    let row = self.next_row(RowKind::CustomerTransaction);
                    self.add_open(&line.currency, row, minor, &date);
                    *self
                        .customer
                        .posted
                        .entry(line.currency.clone())
                        .or_default() += minor;
                    posted
                        .customer_transactions
                        .push(CustomerTransactionId(row));
                    (TransactionRef::Customer(CustomerTransactionId(row)), c)
                }
                Target::Vendor(v) => {
                    let row = self.next_row(RowKind::VendorTransaction);
                    posted.vendor_transactions.push(VendorTransactionId(row));
                    (TransactionRef::Vendor(VendorTransactionId(row)), v)
                }
            };
            posted.sub_ledger.push(SubLedgerLine {
                transaction,
                account: party.clone(),
                amount: line.amount,
                document: line.document.clone().unwrap_or_else(|| number.clone()),
            });
        }
        posted
    }

    /// A new customer transaction in the view's open list of its currency, kept oldest first.
    fn add_open(&mut self, currency: &str, id: i64, open: i64, date: &str) {
        let rows = self.customer.open.entry(currency.to_string()).or_default();
        let row = OpenRow {
            id,
            open,
            date: date.to_string(),
        };
        let at = rows.partition_point(|r| (&r.date, r.id) < (&row.date, row.id));
        rows.insert(at, row);
    }

    fn settle_against_open(&mut self, id: CustomerTransactionId, date: NaiveDate) -> Res<Decimal> {
        let on = limits::book_date(date)?;
        let (currency, rows) = self
            .customer
            .open
            .iter_mut()
            .find(|(_, rows)| rows.iter().any(|r| r.id == id.0))
            .ok_or_else(|| unknown(format!("customer transaction #{}", id.0)))?;
        let c = self
            .books
            .params
            .currency(currency)
            .ok_or_else(|| unknown(format!("currency {currency}")))?;
        let own = rows.iter().find(|r| r.id == id.0).cloned();
        let Some(own) = own else {
            return Err(unknown("a transaction settled already"));
        };
        not_before(Side::Customer, own.id, &own.date, &on)?;
        let plan = plan_against(Side::Customer, (own.id, own.open), rows, &on)?;
        Ok(c.from_minor(apply_to_rows(rows, &plan)))
    }

    fn settle_open_debits(
        &mut self,
        customer: &str,
        currency: &str,
        date: NaiveDate,
    ) -> Res<Decimal> {
        self.own(customer)?;
        let c = self.books.currency(currency)?;
        let on = limits::book_date(date)?;
        let rows = self.customer.open.entry(currency.to_string()).or_default();
        let plan = plan_open_debits(Side::Customer, rows, &on)?;
        Ok(c.from_minor(apply_to_rows(rows, &plan)))
    }
}

impl Work<'_> {
    /// As [`crate::ledger::Ledger::balances`] would read them: per currency (in currency order)
    /// the balance as the run began plus what was posted since, and the open amounts and latest
    /// open date from the view.
    fn balances(&self, account: &str) -> Res<Vec<Balance>> {
        self.own(account)?;
        let c = &self.customer;
        let currencies: BTreeSet<&String> = c
            .balances
            .iter()
            .map(|b| &b.currency)
            .chain(c.open.keys())
            .chain(c.posted.keys())
            .collect();
        let mut out = Vec::with_capacity(currencies.len());
        for code in currencies {
            let currency = self.books.currency(code)?;
            let before = match c.balances.iter().find(|b| &b.currency == code) {
                Some(b) => currency.to_minor(b.balance)?,
                None => 0,
            };
            let rows = c.open.get(code).map(Vec::as_slice).unwrap_or_default();
            let debit: i64 = rows.iter().filter(|r| r.open > 0).map(|r| r.open).sum();
            let credit: i64 = rows.iter().filter(|r| r.open < 0).map(|r| r.open).sum();
            let latest = rows.iter().map(|r| r.date.clone()).max();
            out.push(Balance {
                account: account.to_string(),
                currency: code.clone(),
                balance: currency.from_minor(before + c.posted.get(code).copied().unwrap_or(0)),
                open_debit: currency.from_minor(debit),
                open_credit: currency.from_minor(credit),
                latest_open: stored_date(latest),
            });
        }
        Ok(out)
    }

    /// As [`crate::ledger::Ledger::create_vendor`] would create it.
    fn create_vendor(&mut self, v: &NewVendor) -> Res<Vendor> {
        self.books.currency(&v.currency)?;
        if v.name.trim().is_empty() {
            return Err(unknown("a vendor without a name"));
        }
        if let Some(c) = &v.created_for {
            self.own(c)?;
        }
        let account = match &v.account {
            Some(a) if a.trim().is_empty() || self.vendor_exists(a)? => {
                return Err(unknown(format!("vendor account '{a}'")));
            }
            Some(a) => a.clone(),
            None => loop {
                let n = self.next_number("one_time_vendor")?;
                if !self.vendor_exists(&n)? {
                    break n;
                }
            },
        };
        let vendor = with_defaults(&self.books.params, account, v);
        self.customer.vendors.push(vendor.clone());
        Ok(vendor)
    }

    fn link_vendor(&mut self, customer: &str, vendor: Option<&str>) -> Res<()> {
        self.own(customer)?;
        if let Some(v) = vendor {
            self.vendor(v)?;
        }
        self.customer.customer.vendor_account = vendor.map(str::to_string);
        Ok(())
    }
}
