//! The posting hooks worked out ahead ([`PostingWork`]): for each customer with candidate credits,
//! its credits in the order the run takes them, each through `eligible`, `vendor_for`,
//! `create_one_time_vendor` (once per customer) and `post_reimbursement`, the last two against
//! books of the customer's own ([`AheadBooks`]), their ledger calls recorded ([`Worked`]). Where
//! a hook uses what the books cannot answer, the customer's later work is left to the run, and the
//! books are put back as they were before that credit. A skipped credit puts them back too: the
//! run undoes a skipped credit's writes.

use std::cell::RefCell;
use std::rc::Rc;

use super::feedback::PredictionLog;
use super::{GiveUp, PostingsAhead, ReadAhead, ReadAheadCredit, is_candidate};
use crate::ledger::{
    AheadBooks, AheadCustomer, Balance, Customer, CustomerPage, OpenItems, ReadAheadLedger,
    Recording, Vendor,
};
use crate::parameters::Parameters;
use crate::process::credit::engine_skip;
use crate::process::hooks::{Eligibility, Hooked, VendorChoice};

/// What a posting hook gave, worked out ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::process) enum WorkedOutcome<T> {
    /// It returned this (`create_one_time_vendor`: the new vendor; `post_reimbursement`: nothing
    /// the run uses).
    Value(T),
    /// It called `skip(reason)`.
    Skip(String),
}

/// A posting hook worked out ahead: its ledger calls, and what it gave.
#[derive(Debug, Clone)]
pub(in crate::process) struct Worked<T> {
    pub(in crate::process) recording: Recording,
    pub(in crate::process) outcome: WorkedOutcome<T>,
}

/// The posting hooks' work on the read-ahead thread: the books, the reads for a page's open items
/// and the predictions of the counters.
pub(super) struct PostingWork {
    books: Rc<AheadBooks>,
    reads: ReadAheadLedger,
    log: RefCell<PredictionLog>,
    /// Customers whose posting hooks could not be worked out here, among those tried.
    given_up: GiveUp,
}

impl PostingWork {
    pub(super) fn new(reads: ReadAheadLedger, params: &Parameters, p: PostingsAhead) -> Self {
        let books = AheadBooks::new(
            reads.clone(),
            Rc::new(params.clone()),
            p.sequences,
            p.counters,
        );
        PostingWork {
            books: Rc::new(books),
            reads,
            log: RefCell::new(PredictionLog::new(p.feedback)),
            given_up: GiveUp::default(),
        }
    }

    /// Stops working the posting hooks out ahead.
    pub(super) fn give_up(&self) {
        self.given_up.now();
    }

    /// The books, for the engine's ledger functions.
    pub(super) fn books(&self) -> Rc<AheadBooks> {
        Rc::clone(&self.books)
    }

    /// Whether the posting hooks are still worked out ahead.
    pub(super) fn in_use(&self) -> bool {
        self.given_up.trying()
    }

    /// The open items of a page's customers (none when they cannot be read: every customer is
    /// then worked out in place, as its view is empty and no posting hook's call finds its
    /// transactions).
    pub(super) fn open_items(&self, page: &CustomerPage) -> OpenItems {
        match (page.customers.first(), page.customers.last()) {
            (Some(first), Some(last)) => self
                .reads
                .open_items_between(&first.account, &last.account)
                .unwrap_or_default(),
            _ => OpenItems::default(),
        }
    }
}

impl ReadAhead {
    /// The hooks for one customer's candidate credits (those of its `balances`, in the run's
    /// order), posting hooks included.
    pub(super) fn customer_with_postings(
        &self,
        work: &PostingWork,
        customer: &Customer,
        balances: &[Balance],
        items: &mut OpenItems,
    ) -> Vec<ReadAheadCredit> {
        let credits: Vec<&Balance> = balances.iter().filter(|b| is_candidate(b)).collect();
        let books = &work.books;
        let corrected = work.log.borrow_mut().corrected(&books.counters());
        if let Some(counters) = corrected {
            books.set_counters(counters);
        }
        books.set_customer(Some(AheadCustomer::new(customer.clone(), items, balances)));
        let mut walk = CustomerWalk {
            read_ahead: self,
            books,
            page_customer: customer,
            seen: customer.clone(),
            one_time_vendor: None,
            stopped: false,
            tried: false,
        };
        let worked: Vec<ReadAheadCredit> = credits.iter().map(|c| walk.credit(c)).collect();
        if walk.tried || walk.stopped {
            work.given_up.note(!walk.stopped);
        }
        books.set_customer(None);
        work.log
            .borrow_mut()
            .note(&customer.account, books.counters());
        worked
    }
}

/// One customer's credits on their way through the hooks on the read-ahead thread.
struct CustomerWalk<'a> {
    read_ahead: &'a ReadAhead,
    books: &'a AheadBooks,
    page_customer: &'a Customer,
    /// The customer as the hooks see it now.
    seen: Customer,
    one_time_vendor: Option<Vendor>,
    /// Set when a hook used what cannot be worked out here: the rest is the run's.
    stopped: bool,
    /// Set when a credit reached the posting hooks.
    tried: bool,
}

impl CustomerWalk<'_> {
    /// One credit through the hooks, as the run takes it (see `process::credit`).
    fn credit(&mut self, credit: &Balance) -> ReadAheadCredit {
        if self.stopped {
            return ReadAheadCredit::default();
        }
        let mut out = ReadAheadCredit {
            customer: (self.seen != *self.page_customer).then(|| Box::new(self.seen.clone())),
            ..ReadAheadCredit::default()
        };
        let r = self.read_ahead;
        let currency = r.engine_params().currency(&credit.currency);
        if engine_skip(currency.as_ref(), r.date(), credit).is_some() {
            return out;
        }
        let decided = r.credit(&self.seen, credit);
        (out.eligible, out.vendor) = (decided.eligible, decided.vendor);
        let vendor = match (&out.eligible, &out.vendor) {
            (Some(Eligibility::Eligible), Some(choice)) => match self.payee(choice) {
                Some(Some(vendor)) => vendor,
                Some(None) => return out,
                None => return self.stop(out),
            },
            (Some(Eligibility::Skip(_)), _) => return out,
            _ => return self.stop(out),
        };
        self.tried = true;
        self.post(credit, vendor, out)
    }

    /// The vendor `choice` names (`Some(None)`: it skips; `None`: not known here).
    fn payee(&self, choice: &VendorChoice) -> Option<Option<Payee>> {
        let vendor = match choice {
            VendorChoice::Skip(_) => return Some(None),
            VendorChoice::Existing(v) => Payee::Known(v.clone()),
            VendorChoice::ByAccount(account) => Payee::Known(Box::new(self.books.vendor(account)?)),
            VendorChoice::OneTime => match &self.one_time_vendor {
                Some(v) => Payee::Known(Box::new(v.clone())),
                None => Payee::OneTime,
            },
        };
        match &vendor {
            Payee::Known(v) if v.blocked => None,
            _ => Some(Some(vendor)),
        }
    }

    /// The posting hooks for an eligible credit to `payee`.
    fn post(
        &mut self,
        credit: &Balance,
        payee: Payee,
        mut out: ReadAheadCredit,
    ) -> ReadAheadCredit {
        let before = self.books.state();
        let had_vendor = self.one_time_vendor.is_some();
        let vendor = match payee {
            Payee::Known(v) => *v,
            Payee::OneTime => {
                let (hooked, recording) = self.record(credit, None, "create_one_time_vendor");
                let vendor = match hooked {
                    Some(Hooked::Skip(reason)) => {
                        out.one_time_vendor = Some(Worked {
                            recording,
                            outcome: WorkedOutcome::Skip(reason),
                        });
                        self.books.restore(before);
                        return out;
                    }
                    Some(Hooked::Value(v)) => v.try_cast::<Vendor>(),
                    None => None,
                };
                let Some(vendor) = vendor else {
                    self.books.restore(before);
                    return self.stop(out);
                };
                out.one_time_vendor = Some(Worked {
                    recording,
                    outcome: WorkedOutcome::Value(vendor.clone()),
                });
                self.one_time_vendor = Some(vendor.clone());
                vendor
            }
        };
        let (hooked, recording) = self.record(credit, Some(&vendor), "post_reimbursement");
        let outcome = match hooked {
            Some(Hooked::Skip(reason)) => WorkedOutcome::Skip(reason),
            Some(Hooked::Value(_)) => WorkedOutcome::Value(()),
            None => {
                self.books.restore(before);
                if !had_vendor {
                    self.one_time_vendor = None;
                }
                out.one_time_vendor = None;
                return self.stop(out);
            }
        };
        let skipped = matches!(outcome, WorkedOutcome::Skip(_));
        out.posting = Some(Worked { recording, outcome });
        if skipped {
            self.books.restore(before);
            if !had_vendor {
                self.one_time_vendor = None;
            }
        } else if !had_vendor
            && self.one_time_vendor.is_some()
            && let Some(now) = self.books.customer()
        {
            // The run reads the customer again after the credit that created its one-time
            // vendor (the hook may have linked it).
            self.seen = now;
        }
        out
    }

    /// Calls a posting hook with its ledger calls recorded; `None` when it used what cannot be
    /// worked out here (or failed).
    fn record(
        &self,
        credit: &Balance,
        vendor: Option<&Vendor>,
        hook: &str,
    ) -> (Option<Hooked>, Recording) {
        self.books.start_recording();
        let hooked = self.read_ahead.call_with(&self.seen, credit, vendor, hook);
        let recording = self.books.stop_recording().unwrap_or_default();
        (hooked, recording)
    }

    /// Leaves the rest of the customer's work to the run.
    fn stop(&mut self, out: ReadAheadCredit) -> ReadAheadCredit {
        self.stopped = true;
        out
    }
}

/// The vendor a credit goes to, as far as known before the posting hooks.
enum Payee {
    Known(Box<Vendor>),
    /// The one-time vendor `create_one_time_vendor` is to create.
    OneTime,
}
