//! The work done a page ahead, on the thread that reads the customers ahead of the run
//! (`ReadAhead`): the `--where` expression, `eligible` and `vendor_for` worked out by an engine of
//! its own, as far as they read only what cannot change during the run. Also the candidate
//! credits the run considers, with what was worked out for them. Depends on `hooks` (how a hook
//! is called and read) and the ledger's read-ahead; never writes.

use rhai::Dynamic;
use rust_decimal::Decimal;

use super::hooks::{
    Eligibility, Hooked, Rules, VendorChoice, call_hook, eligibility, eval_filter, vendor_choice,
};
use super::options::Selection;
use crate::ledger::{Balance, Customer, CustomerPage, ReadAheadLedger};
use crate::scripting::{ReadAheadEngine, ScriptFault, Session, compile_text};

/// What the read-ahead thread worked out for one candidate credit (`None`: the run calls the
/// hook itself).
#[derive(Debug, Clone, Default)]
pub(super) struct ReadAheadCredit {
    pub(super) eligible: Option<Eligibility>,
    pub(super) vendor: Option<VendorChoice>,
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
/// works it out itself. The run uses a result only while the customer is as the page has it (an
/// earlier currency's hooks may have linked a vendor to it).
pub(super) struct ReadAhead {
    engine: ReadAheadEngine,
    ast: rhai::AST,
    filter: Option<rhai::AST>,
    /// Set by the first result that does not count, of each hook and of the expression: it uses
    /// more than it may here, or fails (and the run will most likely stop at that customer), so
    /// working it out ahead would only double the work.
    eligible_given_up: std::cell::Cell<bool>,
    vendor_given_up: std::cell::Cell<bool>,
    filter_given_up: std::cell::Cell<bool>,
}

impl ReadAhead {
    /// What the read-ahead thread runs to work out a page's verdicts (see
    /// [`crate::ledger::Ledger::read_ahead_customers_with`]); it gives none if the rules do not compile there.
    pub(super) fn prepare(
        rules: &Rules,
        session: &Session,
        selection: &Selection,
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
            let engine = ReadAheadEngine::new(params, date, Some(&dir), &api, Some(reads));
            let filter_given_up = std::cell::Cell::new(false);
            let filter = filter.and_then(|expr| {
                let ast = engine.engine.compile_expression(&expr).ok();
                filter_given_up.set(ast.is_none());
                ast
            });
            match compile_text(&engine.engine, &file, &text) {
                Ok(ast) => {
                    let read_ahead = ReadAhead {
                        engine,
                        ast,
                        filter,
                        eligible_given_up: std::cell::Cell::new(false),
                        vendor_given_up: std::cell::Cell::new(false),
                        filter_given_up,
                    };
                    Box::new(move |page| read_ahead.page(page))
                }
                Err(_) => Box::new(|_| Vec::new()),
            }
        }
    }

    fn page(&self, page: &CustomerPage) -> Vec<ReadAheadCustomer> {
        page.customers
            .iter()
            .map(|customer| {
                let selected = self.filter.as_ref().and_then(|ast| {
                    unless_given_up(&self.filter_given_up, || {
                        let value = eval_filter(&self.engine.engine, ast, customer);
                        if self.engine.touched() {
                            return None;
                        }
                        value.ok()?.as_bool().ok()
                    })
                });
                if selected == Some(false) {
                    return ReadAheadCustomer::default();
                }
                let credits = page
                    .balances
                    .get(&customer.account)
                    .into_iter()
                    .flatten()
                    .filter(|b| is_candidate(b))
                    .map(|credit| self.credit(customer, credit))
                    .collect();
                ReadAheadCustomer { selected, credits }
            })
            .collect()
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
        ReadAheadCredit { eligible, vendor }
    }

    /// A hook called as [`Rules::call`] calls it; `None` when its result does not count (it
    /// used more than it may here, or failed).
    fn call(&self, customer: &Customer, credit: &Balance, hook: &str) -> Option<Hooked> {
        let args = vec![
            Dynamic::from(customer.clone()).into_shared(),
            Dynamic::from(credit.clone()).into_shared(),
        ];
        let result = call_hook(&self.engine.engine, &self.ast, hook, args);
        if self.engine.touched() {
            return None;
        }
        Some(match result {
            Ok(value) => Hooked::Value(value),
            Err(e) => Hooked::Skip(ScriptFault::from_error(&e).skip?),
        })
    }
}

/// `work()` unless `given_up`; the first `None` it gives sets `given_up`.
fn unless_given_up<T>(
    given_up: &std::cell::Cell<bool>,
    work: impl FnOnce() -> Option<T>,
) -> Option<T> {
    if given_up.get() {
        return None;
    }
    let result = work();
    given_up.set(result.is_none());
    result
}
