//! The work done a page ahead, on the thread that reads the customers ahead of the run
//! (`ReadAhead`): the `--where` expression, `eligible` and `vendor_for` worked out by an engine of
//! its own, as far as they read only what cannot change during the run; and the posting hooks
//! (`create_one_time_vendor`, `post_reimbursement`) worked out against books of the customer's
//! own, their ledger calls recorded for the run to replay (`posting`), with the counters' way back
//! (`feedback`). Also the candidate credits the run considers, with what was worked out for them.
//! Depends on `hooks` (how a hook is called and read) and the ledger's read-ahead; never writes.

mod feedback;
mod posting;

use chrono::NaiveDate;
use rhai::Dynamic;
use rust_decimal::Decimal;

use super::hooks::{
    Eligibility, Hooked, Rules, VendorChoice, call_hook, eligibility, eval_filter, vendor_choice,
};
use super::options::Selection;
use crate::ledger::{
    Balance, Counters, Customer, CustomerPage, ReadAheadLedger, Sequences, Vendor,
};
use crate::parameters::Parameters;
use crate::scripting::{ReadAheadEngine, ScriptFault, Session, compile_text};

pub(super) use feedback::{Correction, Feedback};
pub(super) use posting::{Worked, WorkedOutcome};

/// What the read-ahead thread worked out for one candidate credit (`None`: the run calls the
/// hook itself).
#[derive(Debug, Clone, Default)]
pub(super) struct ReadAheadCredit {
    pub(super) eligible: Option<Eligibility>,
    pub(super) vendor: Option<VendorChoice>,
    /// The customer as the hooks saw it, when an earlier currency's hooks changed it (`None`: as
    /// the page has it). The run uses what was worked out only for the customer as it finds it.
    pub(super) customer: Option<Box<Customer>>,
    /// `create_one_time_vendor`, worked out ahead.
    pub(super) one_time_vendor: Option<Worked<Vendor>>,
    /// `post_reimbursement`, worked out ahead.
    pub(super) posting: Option<Worked<()>>,
}

impl ReadAheadCredit {
    /// Whether what was worked out holds for `customer`, as the run hands it to the hooks.
    pub(super) fn holds_for(&self, page_customer: &Customer, customer: &Customer) -> bool {
        self.customer.as_deref().unwrap_or(page_customer) == customer
    }
}

/// What the run and its read-ahead thread share to work the posting hooks out ahead: the number
/// sequences, the counters when the run began, and the way back for corrections.
#[derive(Debug, Clone)]
pub(super) struct PostingsAhead {
    pub(super) sequences: Sequences,
    pub(super) counters: Counters,
    pub(super) feedback: Feedback,
}

/// A credit the run considers, with what was worked out ahead for it.
pub(super) struct Candidate {
    pub(super) credit: Balance,
    pub(super) ahead: ReadAheadCredit,
}

/// Whether a balance is one the run considers: it has open credits.
pub(super) fn is_candidate(balance: &Balance) -> bool {
    balance.open_credit < Decimal::ZERO
}

/// What the read-ahead thread worked out for one customer of a page (one per customer, in page
/// order).
#[derive(Debug, Default)]
pub(super) struct ReadAheadCustomer {
    /// Whether the `--where` expression selects the customer; `None`: the run evaluates it.
    pub(super) selected: Option<bool>,
    /// Per candidate credit, in balance order.
    pub(super) credits: Vec<ReadAheadCredit>,
}

/// What the read-ahead thread does with each page.
type ReadAheadWork = Box<dyn FnMut(&CustomerPage) -> Vec<ReadAheadCustomer>>;

/// The `--where` expression, `eligible` and `vendor_for` worked out ahead, on the thread that
/// reads the customers ahead of the run, by an engine of its own ([`ReadAheadEngine`]): it sees the
/// customer and the credit as the run will hand them over, the parameters, the posting date and
/// the vendors that existed when the run began. Where a hook or the expression uses anything else
/// (the ledger, output, a vendor the run may have created), its result is left out and the run
/// works it out itself. The run uses a result only while the customer is as the hooks saw it here
/// (an earlier currency's hooks may have linked a vendor to it).
pub(super) struct ReadAhead {
    engine: ReadAheadEngine,
    ast: rhai::AST,
    filter: Option<rhai::AST>,
    /// When to stop working out each hook and the expression ahead: a result that does not count
    /// (it uses more than it may here, or fails) is worked out again by the run, so a rule whose
    /// results mostly do not count would only double the work.
    eligible_given_up: GiveUp,
    vendor_given_up: GiveUp,
    filter_given_up: GiveUp,
    /// The posting hooks worked out ahead (`None`: the run calls them itself).
    posting: Option<posting::PostingWork>,
    /// The company's parameters and the posting date, as the run has them.
    params: Parameters,
    date: NaiveDate,
}

impl ReadAhead {
    /// What the read-ahead thread runs to work out a page's verdicts (see
    /// [`crate::ledger::Ledger::read_ahead_customers_with`]); it gives none if the rules do not compile there.
    pub(super) fn prepare(
        rules: &Rules,
        session: &Session,
        selection: &Selection,
        postings: Option<PostingsAhead>,
    ) -> impl FnOnce(ReadAheadLedger) -> ReadAheadWork + Send + 'static {
        let filter = match selection {
            Selection::Where(expr) => Some(expr.clone()),
            _ => None,
        };
        let (text, file, dir, api) = (
            rules.text.clone(),
            rules.file.clone(),
            rules.dir.clone(),
            rules.api.clone(),
        );
        let (params, date) = (session.ledger().params().clone(), session.date());
        move |reads| -> ReadAheadWork {
            let posting = postings.map(|p| posting::PostingWork::new(reads.clone(), &params, p));
            let books = posting.as_ref().map(posting::PostingWork::books);
            let engine =
                ReadAheadEngine::new(params.clone(), date, Some(&dir), &api, Some(reads), books);
            let filter_given_up = GiveUp::default();
            let filter = filter.and_then(|expr| {
                let ast = engine.engine.compile_expression(&expr).ok();
                if ast.is_none() {
                    filter_given_up.now();
                }
                ast
            });
            match compile_text(&engine.engine, &file, &text) {
                Ok(ast) => {
                    let read_ahead = ReadAhead {
                        engine,
                        ast,
                        filter,
                        eligible_given_up: GiveUp::default(),
                        vendor_given_up: GiveUp::default(),
                        filter_given_up,
                        posting,
                        params,
                        date,
                    };
                    Box::new(move |page| read_ahead.page(page))
                }
                Err(_) => Box::new(|_| Vec::new()),
            }
        }
    }

    fn page(&self, page: &CustomerPage) -> Vec<ReadAheadCustomer> {
        let mut items = None;
        page.customers
            .iter()
            .map(|customer| {
                let selected = self.filter.as_ref().and_then(|ast| {
                    unless_given_up(&self.filter_given_up, || {
                        let value = eval_filter(&self.engine.engine, ast, customer);
                        if self.engine.touched() {
                            return None;
                        }
                        match value {
                            Ok(value) => value.as_bool().ok(),
                            Err(_) => {
                                self.give_up_all();
                                None
                            }
                        }
                    })
                });
                if selected == Some(false) {
                    return ReadAheadCustomer::default();
                }
                let balances = page
                    .balances
                    .get(&customer.account)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let credits: Vec<&Balance> = balances.iter().filter(|b| is_candidate(b)).collect();
                // The posting hooks are worked out only for a customer the run will take: one
                // it does not would leave the predicted counters ahead of the run's.
                let taken = self.filter.is_none() || selected == Some(true);
                let credits = match &self.posting {
                    Some(work) if taken && !credits.is_empty() && work.in_use() => {
                        let items = items.get_or_insert_with(|| work.open_items(page));
                        self.customer_with_postings(work, customer, balances, items)
                    }
                    _ => credits
                        .into_iter()
                        .map(|credit| self.credit(customer, credit))
                        .collect(),
                };
                ReadAheadCustomer { selected, credits }
            })
            .collect()
    }

    /// The company's parameters.
    fn engine_params(&self) -> &Parameters {
        &self.params
    }

    /// The posting date.
    fn date(&self) -> NaiveDate {
        self.date
    }

    /// `eligible`, and `vendor_for` for an eligible credit.
    fn credit(&self, customer: &Customer, credit: &Balance) -> ReadAheadCredit {
        let eligible = unless_given_up(&self.eligible_given_up, || {
            eligibility(self.call(customer, credit, "eligible")?).ok()
        });
        let vendor = match eligible {
            Some(Eligibility::Eligible) => unless_given_up(&self.vendor_given_up, || {
                vendor_choice(self.call(customer, credit, "vendor_for")?).ok()
            }),
            _ => None,
        };
        ReadAheadCredit {
            eligible,
            vendor,
            ..ReadAheadCredit::default()
        }
    }

    /// A hook called as [`Rules::call`] calls it; `None` when its result does not count (it
    /// used more than it may here, or failed).
    fn call(&self, customer: &Customer, credit: &Balance, hook: &str) -> Option<Hooked> {
        self.call_with(customer, credit, None, hook)
    }

    /// [`ReadAhead::call`], with the vendor as third argument when given (`post_reimbursement`).
    fn call_with(
        &self,
        customer: &Customer,
        credit: &Balance,
        vendor: Option<&Vendor>,
        hook: &str,
    ) -> Option<Hooked> {
        let mut args = vec![
            Dynamic::from(customer.clone()).into_shared(),
            Dynamic::from(credit.clone()).into_shared(),
        ];
        args.extend(vendor.map(|v| Dynamic::from(v.clone())));
        let result = call_hook(&self.engine.engine, &self.ast, hook, args);
        if self.engine.touched() {
            return None;
        }
        Some(match result {
            Ok(value) => Hooked::Value(value),
            Err(e) => match ScriptFault::from_error(&e).skip {
                Some(reason) => Hooked::Skip(reason),
                None => {
                    self.give_up_all();
                    return None;
                }
            },
        })
    }

    /// Stops working anything out ahead: a hook failed here, so the run will most likely stop at
    /// that customer, and a hook that fails for one customer (an endless loop stopped by the
    /// operations limit) may fail for every one, each time at the full cost of the limit.
    fn give_up_all(&self) {
        self.eligible_given_up.now();
        self.vendor_given_up.now();
        self.filter_given_up.now();
        if let Some(posting) = &self.posting {
            posting.give_up();
        }
    }
}

/// When to stop working something out ahead: after [`GiveUp::AFTER`] results that did not count
/// (the hook used more than it may there, or failed), once they are more than half of those tried,
/// or at once ([`GiveUp::now`]). A rule that touches something else for a few customers (a vendor
/// account that does not exist) keeps the others worked out ahead; one that does for most stops
/// doubling the work.
#[derive(Debug, Default)]
pub(super) struct GiveUp {
    tried: std::cell::Cell<u32>,
    failed: std::cell::Cell<u32>,
    now: std::cell::Cell<bool>,
}

impl GiveUp {
    /// How many results that do not count are tolerated before the ratio decides.
    const AFTER: u32 = 64;

    /// Gives up from now on.
    pub(super) fn now(&self) {
        self.now.set(true);
    }

    /// Whether it is still worth trying.
    pub(super) fn trying(&self) -> bool {
        let (tried, failed) = (self.tried.get(), self.failed.get());
        !self.now.get() && (failed < Self::AFTER || failed * 2 <= tried)
    }

    /// Counts one attempt and whether it counted.
    pub(super) fn note(&self, counted: bool) {
        self.tried.set(self.tried.get().saturating_add(1));
        if !counted {
            self.failed.set(self.failed.get().saturating_add(1));
        }
    }
}

/// `work()` unless `given_up` says to stop trying; counts what it gives.
fn unless_given_up<T>(given_up: &GiveUp, work: impl FnOnce() -> Option<T>) -> Option<T> {
    if !given_up.trying() {
        return None;
    }
    let result = work();
    given_up.note(result.is_some());
    result
}
