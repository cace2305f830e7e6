//! The selected customers, a page at a time with their balances, in account order: read ahead on
//! a second connection (with `ReadAhead`'s verdicts) when the run began the transaction, else in
//! place. Also how many customers a selection counts. Reads only.

use super::error::RunError;
use super::hooks::Rules;
use super::options::Selection;
use super::read_ahead::{PostingsAhead, ReadAhead, ReadAheadCustomer};
use crate::ledger::{Customer, CustomerPage, CustomerPages, Ledger};
use crate::scripting::Session;

/// How many customers `selection` names (all of them for a `--where`, which is worked out
/// customer by customer).
pub(super) fn count_selection(ledger: &Ledger, selection: &Selection) -> Result<u64, RunError> {
    Ok(match selection {
        Selection::Customers(list) => list.len() as u64,
        Selection::Groups(groups) => ledger.count_customers(Some(groups))?,
        _ => ledger.count_customers(None)?,
    })
}

/// Streams the selected customers in account order, a page at a time with their balances (memory
/// stays flat).
pub(super) struct CustomerPager<'a> {
    selection: &'a Selection,
    after: Option<String>,
    list_pos: usize,
    done: bool,
    /// The pages of all customers or of groups, read ahead by a thread of their own when the run
    /// began the transaction itself (see [`Ledger::read_ahead_customers`]).
    ahead: Option<CustomerPages<'a, Vec<ReadAheadCustomer>>>,
}

const PAGE: usize = 1000;

impl<'a> CustomerPager<'a> {
    /// `read_ahead`: the run began the write transaction itself, so nothing it has not written
    /// yet is uncommitted, and a second connection reads the customers as they are; the reading
    /// thread also works out `--where`, `eligible` and `vendor_for` where it can ([`ReadAhead`]),
    /// and the posting hooks with `postings`.
    pub(super) fn new(
        selection: &'a Selection,
        ledger: &'a Ledger,
        read_ahead: Option<(&Rules, &Session, Option<PostingsAhead>)>,
    ) -> Self {
        let groups = match selection {
            Selection::Customers(_) => None,
            Selection::Groups(groups) => Some(Some(groups.clone())),
            Selection::All | Selection::Where(_) => Some(None),
        };
        let ahead = groups
            .zip(read_ahead)
            .and_then(|(groups, (rules, session, postings))| {
                ledger.read_ahead_customers_with(
                    groups,
                    PAGE,
                    ReadAhead::prepare(rules, session, selection, postings),
                )
            });
        CustomerPager {
            selection,
            after: None,
            list_pos: 0,
            done: false,
            ahead,
        }
    }

    /// The next page, with the verdicts worked out ahead (none when read in place).
    pub(super) fn next(
        &mut self,
        ledger: &Ledger,
    ) -> Result<Option<(CustomerPage, Vec<ReadAheadCustomer>)>, RunError> {
        if self.done {
            return Ok(None);
        }
        let mut read_ahead = Vec::new();
        let page =
            match (&mut self.ahead, self.selection) {
                (Some(ahead), _) => match ahead.next().transpose()? {
                    Some((page, verdicts)) => {
                        read_ahead = verdicts;
                        page
                    }
                    None => CustomerPage::default(),
                },
                (None, Selection::Customers(list)) => {
                    let mut sorted: Vec<&String> = list.iter().collect();
                    sorted.sort();
                    sorted.dedup();
                    let customers: Vec<Customer> = sorted
                        .iter()
                        .skip(self.list_pos)
                        .take(PAGE)
                        .map(|a| ledger.require_customer(a))
                        .collect::<Result<_, _>>()?;
                    self.list_pos += customers.len();
                    ledger.with_balances(customers)?
                }
                (None, Selection::Groups(groups)) => ledger.with_balances(
                    ledger.customers_page(self.after.as_deref(), PAGE, Some(groups))?,
                )?,
                (None, Selection::All | Selection::Where(_)) => ledger
                    .with_balances(ledger.customers_page(self.after.as_deref(), PAGE, None)?)?,
            };
        if page.customers.len() < PAGE {
            self.done = true;
        }
        self.after = page.customers.last().map(|c| c.account.clone());
        Ok(if page.customers.is_empty() {
            None
        } else {
            Some((page, read_ahead))
        })
    }
}
