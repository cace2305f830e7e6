//! Customers and vendors: reads (one, all, whether one exists or is blocked), creation
//! ([`Ledger::create_customer`], [`Ledger::create_vendor`], [`Ledger::insert_vendor`]) and the
//! vendor link ([`Ledger::link_vendor`]), each written with its audit-trail rows
//! ([`super::master_data`]).
//!
//! It must not depend on posting, settling or the reports.

use rusqlite::{OptionalExtension, params};

use super::rows::{execute_with_customer, execute_with_vendor, read_vendor};
use super::{ChangeKind, Customer, FieldChange, Ledger, LedgerError, NewVendor, Res, Side, Vendor};
use crate::parameters::Parameters;

impl Ledger {
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
    pub(super) fn check_customer(&self, account: &str) -> Res<()> {
        self.require_known(
            |c| &mut c.customers,
            "SELECT 1 FROM customers WHERE account = ?1",
            account,
            "customer",
        )
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
    pub(super) fn vendor_blocked(&self, account: &str) -> Res<bool> {
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
            .and_then(|mut s| execute_with_customer(&mut s, c));
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

    /// Finds a vendor by account.
    pub fn vendor(&self, account: &str) -> Res<Option<Vendor>> {
        read_vendor(self.store.conn(), account)
            .map_err(|e| self.sql_err(e))
            .inspect(|v| {
                if let Some(v) = v {
                    // What the cache kept of the vendor is what the database holds.
                    debug_assert!(
                        self.cache()
                            .and_then(|c| c.vendors.get(&v.account).copied())
                            .is_none_or(|blocked| blocked == v.blocked),
                        "the transaction cache has vendor {} blocked flag out of date",
                        v.account
                    );
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
        let vendor = with_defaults(&self.params, account, v);
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
            .and_then(|mut s| execute_with_vendor(&mut s, v))
            .map_err(|e| self.sql_err(e))?;
        self.known_vendor(&v.account, v.blocked);
        self.insert_change(Side::Vendor, &v.account, ChangeKind::Created, None)
    }
}

/// The vendor `v` becomes under `account`: a one-time vendor takes the one-time vendor group,
/// payment terms and method of payment of the parameters where it names none; any other vendor
/// the group `DEFAULT`. What `create_vendor` inserts, and what the books worked out ahead answer.
pub(super) fn with_defaults(params: &Parameters, account: String, v: &NewVendor) -> Vendor {
    let defaults = &params.one_time_vendor;
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
    Vendor {
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
    }
}

#[cfg(test)]
mod tests {
    use crate::ledger::NewVendor;
    use crate::ledger::tests::ledger;

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
