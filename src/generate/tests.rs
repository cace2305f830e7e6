//! Unit tests of `generate`.

use super::*;
use crate::ledger::Side;

#[test]
fn same_seed_same_company_and_sound_books() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for dir in [a.path(), b.path()] {
        generate(&GenerateOptions {
            customers: 300,
            seed: 7,
            dir: dir.to_path_buf(),
            force: false,
            csv: false,
        })
        .unwrap();
    }
    let open =
        |dir: &Path| Ledger::open(&Company::load(&dir.join("company.yaml")).unwrap()).unwrap();
    let (la, lb) = (open(a.path()), open(b.path()));
    assert_eq!(
        la.all_balances(Side::Customer).unwrap(),
        lb.all_balances(Side::Customer).unwrap()
    );
    for total in la.trial_balance_totals().unwrap().values() {
        assert!(total.is_zero());
    }
    let credits = la
        .all_balances(Side::Customer)
        .unwrap()
        .into_iter()
        .filter(|b| b.balance.balance.is_sign_negative() && !b.balance.balance.is_zero())
        .count();
    assert!((100..200).contains(&credits), "{credits} credits of 300");
}
