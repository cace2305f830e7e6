//! Pages of customers with their balances: read in place ([`Ledger::customers_page`],
//! [`Ledger::with_balances`]), or ahead of the caller on a second, read-only connection in a thread
//! of its own ([`Ledger::read_ahead_customers_with`], [`CustomerPages`], [`ReadAheadLedger`]).
//!
//! It reads, never writes; the reading thread shares nothing with the ledger but the currencies
//! (cloned) and must not touch the ledger's connection or cache (only the pages handed out are
//! noted in the cache, on the caller's thread).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::mpsc::SyncSender;

use rusqlite::{Connection, OpenFlags};
use rust_decimal::Decimal;

use super::cache::OpenRow;
use super::rows::{currency_in, read_vendor, sql_error, stored_date};
use super::{Balance, Customer, Ledger, LedgerError, Res, Vendor};
use crate::money::Currency;

/// The reads the work of a read-ahead thread may make besides its pages
/// ([`Ledger::read_ahead_customers_with`]), over the thread's connection: they see the database
/// as the transaction began, not what it has written since.
#[derive(Clone)]
pub struct ReadAheadLedger {
    conn: Rc<Connection>,
    path: Rc<Path>,
}

impl ReadAheadLedger {
    /// The vendor with this account, as it was when the transaction began.
    pub fn vendor(&self, account: &str) -> Res<Option<Vendor>> {
        read_vendor(&self.conn, account).map_err(|e| sql_error(&self.path, e))
    }

    /// Whether the general-ledger account exists.
    pub fn account_exists(&self, account: &str) -> Res<bool> {
        self.conn
            .prepare_cached("SELECT 1 FROM gl_accounts WHERE account = ?1")
            .and_then(|mut s| s.exists([account]))
            .map_err(|e| sql_error(&self.path, e))
    }

    /// The open customer transactions of every account from `first` to `last` (inclusive), as
    /// the transaction began: one query for a page of customers.
    pub fn open_items_between(&self, first: &str, last: &str) -> Res<OpenItems> {
        let mut items = OpenItems::default();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT account, currency, id, open_minor, date FROM customer_transactions
                 WHERE account BETWEEN ?1 AND ?2 AND open_minor <> 0",
            )
            .map_err(|e| sql_error(&self.path, e))?;
        let mut rows = stmt
            .query([first, last])
            .map_err(|e| sql_error(&self.path, e))?;
        while let Some(r) = rows.next().map_err(|e| sql_error(&self.path, e))? {
            let get = |i| -> Res<String> { r.get(i).map_err(|e| sql_error(&self.path, e)) };
            let (account, currency) = (get(0)?, get(1)?);
            let row = OpenRow {
                id: r.get(2).map_err(|e| sql_error(&self.path, e))?,
                open: r.get(3).map_err(|e| sql_error(&self.path, e))?,
                date: get(4)?,
            };
            items
                .0
                .entry(account)
                .or_default()
                .entry(currency)
                .or_default()
                .push(row);
        }
        for rows in items.0.values_mut().flat_map(|c| c.values_mut()) {
            // Oldest first, as the ledger settles them.
            rows.sort_unstable_by(|a, b| (&a.date, a.id).cmp(&(&b.date, b.id)));
        }
        Ok(items)
    }
}

/// The open customer transactions of a page of customers, per account and currency, oldest first
/// ([`ReadAheadLedger::open_items_between`]).
#[derive(Debug, Default)]
pub struct OpenItems(HashMap<String, HashMap<String, Vec<OpenRow>>>);

impl OpenItems {
    /// Takes the open transactions of one customer out, per currency.
    pub(super) fn take(&mut self, account: &str) -> HashMap<String, Vec<OpenRow>> {
        self.0.remove(account).unwrap_or_default()
    }
}

/// The reads of a page of customers and their balances, over any connection to the database
/// (the ledger's own, or the read-ahead thread's).
struct PageReader<'a> {
    conn: &'a Connection,
    path: &'a Path,
    currencies: &'a HashMap<String, Currency>,
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

/// How many pages the reading thread may be ahead of the caller, besides the one it is reading.
pub(crate) const PAGES_AHEAD: usize = 3;

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
    /// runs on it once, with the thread's [`ReadAheadLedger`], and gives the function that works
    /// something out from each page (`T`), handed out with the page. That function need not be
    /// `Send` (it can hold a script engine of its own); it sees the database as the transaction
    /// began, like the reads.
    pub fn read_ahead_customers_with<T, F>(
        &self,
        groups: Option<Vec<String>>,
        page: usize,
        prepare: impl FnOnce(ReadAheadLedger) -> F + Send + 'static,
    ) -> Option<CustomerPages<'_, T>>
    where
        T: Send + 'static,
        F: FnMut(&CustomerPage) -> T,
    {
        let (conn, path) = self.read_ahead_connection()?;
        let currencies = self.currencies.clone();
        let page = page.max(1);
        // A few pages wait in the channel while the next is read, so a page the reading thread
        // takes longer over does not hold the caller up: memory stays flat.
        let (sender, receiver) = std::sync::mpsc::sync_channel(PAGES_AHEAD);
        let worker = std::thread::Builder::new()
            .name("reimburse-read-ahead".into())
            // The scripts it evaluates may recurse as deep as on the main thread.
            .stack_size(READ_AHEAD_STACK)
            .spawn(move || {
                let reads = ReadAheadLedger {
                    conn: Rc::new(conn),
                    path: Rc::from(path),
                };
                let work = prepare(reads.clone());
                let reader = PageReader {
                    conn: &reads.conn,
                    path: &reads.path,
                    currencies: &currencies,
                };
                send_pages(&reader, groups.as_deref(), page, work, &sender);
            })
            .ok()?;
        Some(CustomerPages {
            ledger: self,
            receiver: Some(receiver),
            worker: Some(worker),
        })
    }

    /// The second, read-only connection to read ahead on, and the database's path: `None`
    /// outside a transaction, over an in-memory database or one not in WAL mode, or when it
    /// cannot be opened.
    fn read_ahead_connection(&self) -> Option<(Connection, PathBuf)> {
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
        Some((conn, path))
    }
}

/// The work of the read-ahead thread: the pages of `page` customers (of `groups`) in order, each
/// sent with what `work` makes of it, until the last page (one shorter than `page`), an error, or
/// the caller has stopped reading.
fn send_pages<T, F>(
    reader: &PageReader<'_>,
    groups: Option<&[String]>,
    page: usize,
    mut work: F,
    sender: &SyncSender<Res<(CustomerPage, T)>>,
) where
    F: FnMut(&CustomerPage) -> T,
{
    let mut after: Option<String> = None;
    loop {
        let next = reader
            .customers_page(after.as_deref(), page, groups)
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
}

#[cfg(test)]
mod tests {
    use crate::ledger::tests::{customer, d, ledger, opening, sample_company};
    use crate::ledger::{Customer, CustomerPage, Ledger, LedgerError};
    use crate::store::Store;

    /// A ledger over a file in `dir` with customers C-1 to C-5 (groups ODD and EVEN), each but
    /// C-3 with a payment and an invoice.
    fn five_customers(dir: &tempfile::TempDir) -> Ledger {
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
        l
    }

    #[test]
    fn customers_read_ahead_are_the_pages_read_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let l = five_customers(&dir);
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
        l.store().rollback();
    }

    #[test]
    fn the_work_on_each_page_comes_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let l = five_customers(&dir);
        l.store().begin().unwrap();
        let counted: Vec<usize> = l
            .read_ahead_customers_with(None, 2, |_| |page: &CustomerPage| page.customers.len())
            .unwrap()
            .map(|p| p.unwrap().1)
            .collect();
        assert_eq!(counted, [2, 2, 1]);
        // A thread that fails is an error, not the end of the customers.
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
}
