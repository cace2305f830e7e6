
-- 2: a reimbursement is paid when its vendor invoice is settled in full, by `pay` or any other
-- payment (a script's, say): its status, payment voucher and date follow the vendor ledger.
CREATE TRIGGER reimbursement_paid AFTER INSERT ON vendor_settlements
WHEN (SELECT open_minor FROM vendor_transactions WHERE id = NEW.credit_id) = 0
BEGIN
    UPDATE reimbursements
    SET status = 'paid',
        payment_voucher_id = (SELECT voucher_id FROM vendor_transactions WHERE id = NEW.debit_id),
        paid_date = NEW.date
    WHERE vendor_txn_id = NEW.credit_id AND status = 'open';
END;
UPDATE reimbursements
SET status = 'paid',
    payment_voucher_id = (
        SELECT t.voucher_id FROM vendor_settlements s JOIN vendor_transactions t ON t.id = s.debit_id
        WHERE s.credit_id = reimbursements.vendor_txn_id ORDER BY s.id DESC LIMIT 1),
    paid_date = (SELECT MAX(date) FROM vendor_settlements WHERE credit_id = reimbursements.vendor_txn_id)
WHERE status = 'open'
  AND (SELECT open_minor FROM vendor_transactions WHERE id = reimbursements.vendor_txn_id) = 0;
