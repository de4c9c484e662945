//! The spending order, and what is left unspent of each purchase under it.
//!
//! Credit is spent in a documented order: **promotional credit first, then purchases oldest
//! first**. The ledger does not say which credit a charge took, so it is worked out by replaying
//! an account's entries in id order:
//! - every credit makes a *lot*: promotional (bonuses, commissions, promotional codes), the
//!   purchase of an order (a `payment` credit), or other paid credit (codes not promotional,
//!   positive adjustments);
//! - every debit (charges, negative adjustments, commissions taken back) consumes promotional
//!   lots first, oldest first, then the other lots, oldest first;
//! - a refund's debit consumes the lot of the order it refunds (that is what it pays back), and
//!   a failed refund's return credit restores that lot; whatever of either does not fit the lot
//!   follows the general rule.
//!
//! Money in flight counts as spent: the holds of requests in flight are consumed last, by the
//! same rule, as if they were charged now. What is left of an order's lot then is its unspent
//! part, exact to the micro-credit. Pure: no store, no clock.

use std::collections::HashMap;

use codexkey_common::Micros;
use codexkey_common::api::LedgerKind;

use crate::store::SpendingEntry;

#[derive(Debug, Clone)]
struct Lot {
    order: Option<i64>,
    promotional: bool,
    left: i128,
}

/// What is left of each lot after replaying `history` (id order) and then spending `held`.
fn replay(history: &[SpendingEntry], held: Micros) -> Vec<Lot> {
    let mut lots: Vec<Lot> = Vec::new();
    for e in history {
        let amount = i128::from(e.amount.0);
        let refunded_order = e.refund_of.filter(|_| e.kind == LedgerKind::Refund);
        if amount > 0 {
            if let Some(order) = refunded_order
                && let Some(lot) = lots.iter_mut().find(|l| l.order == Some(order))
            {
                lot.left += amount;
                continue;
            }
            lots.push(Lot {
                order: e.paid_order,
                promotional: e.promotional,
                left: amount,
            });
        } else if amount < 0 {
            let mut due = -amount;
            if let Some(order) = refunded_order
                && let Some(lot) = lots.iter_mut().find(|l| l.order == Some(order))
            {
                let take = due.min(lot.left);
                lot.left -= take;
                due -= take;
            }
            spend(&mut lots, due);
        }
    }
    spend(&mut lots, i128::from(held.0.max(0)));
    lots
}

/// Takes `due` from promotional lots first, then the others, each oldest first. What no lot
/// covers (a balance that was negative) is dropped.
fn spend(lots: &mut [Lot], mut due: i128) {
    for promotional in [true, false] {
        for lot in lots.iter_mut().filter(|l| l.promotional == promotional) {
            if due == 0 {
                return;
            }
            let take = due.min(lot.left.max(0));
            lot.left -= take;
            due -= take;
        }
    }
}

/// The unspent part of each order's purchase, given the account's `history` in id order and
/// what requests in flight hold now.
pub fn unspent_by_order(history: &[SpendingEntry], held: Micros) -> HashMap<i64, Micros> {
    replay(history, held)
        .into_iter()
        .filter_map(|l| {
            let order = l.order?;
            let left = i64::try_from(l.left.max(0)).unwrap_or(i64::MAX);
            Some((order, Micros(left)))
        })
        .collect()
}

/// The unspent part of order `order`'s purchase (zero when it has none left, or no lot).
pub fn unspent(history: &[SpendingEntry], held: Micros, order: i64) -> Micros {
    unspent_by_order(history, held)
        .get(&order)
        .copied()
        .unwrap_or(Micros::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, kind: LedgerKind, amount: i64) -> SpendingEntry {
        SpendingEntry {
            id,
            kind,
            amount: Micros(amount),
            promotional: matches!(kind, LedgerKind::Bonus | LedgerKind::ReferralCommission),
            paid_order: None,
            refund_of: None,
        }
    }

    fn paid(id: i64, order: i64, amount: i64) -> SpendingEntry {
        SpendingEntry {
            paid_order: Some(order),
            ..entry(id, LedgerKind::Payment, amount)
        }
    }

    fn refund(id: i64, order: i64, amount: i64) -> SpendingEntry {
        SpendingEntry {
            refund_of: Some(order),
            ..entry(id, LedgerKind::Refund, amount)
        }
    }

    /// The README's worked example.
    #[test]
    fn promotional_first_then_purchases_oldest_first() {
        let history = [
            paid(1, 101, 10_000_000),
            entry(2, LedgerKind::Bonus, 3_000_000),
            entry(3, LedgerKind::Charge, -4_500_000),
            paid(4, 102, 20_000_000),
            entry(5, LedgerKind::Charge, -9_250_001),
        ];
        // 13.750001 spent: 3 of the bonus, then 10 of order 101, then 0.750001 of order 102.
        assert_eq!(unspent(&history, Micros::ZERO, 101), Micros::ZERO);
        assert_eq!(unspent(&history, Micros::ZERO, 102), Micros(19_249_999));
        // 0.5 held by a request in flight comes out of order 102 too.
        assert_eq!(unspent(&history, Micros(500_000), 102), Micros(18_749_999));
        // Nothing is promotional's to refund, and no order 103 exists.
        assert_eq!(unspent(&history, Micros::ZERO, 103), Micros::ZERO);
    }

    #[test]
    fn a_refund_takes_its_own_order_and_a_failed_one_gives_it_back() {
        let mut history = vec![
            paid(1, 101, 10_000_000),
            paid(2, 102, 10_000_000),
            entry(3, LedgerKind::Charge, -1_000_000),
            refund(4, 102, -6_000_000),
        ];
        assert_eq!(unspent(&history, Micros::ZERO, 101), Micros(9_000_000));
        assert_eq!(unspent(&history, Micros::ZERO, 102), Micros(4_000_000));
        history.push(refund(5, 102, 6_000_000));
        assert_eq!(unspent(&history, Micros::ZERO, 102), Micros(10_000_000));
        // Later charges still take the oldest purchase first.
        history.push(entry(6, LedgerKind::Charge, -9_500_000));
        assert_eq!(unspent(&history, Micros::ZERO, 101), Micros::ZERO);
        assert_eq!(unspent(&history, Micros::ZERO, 102), Micros(9_500_000));
    }

    #[test]
    fn negative_adjustments_and_clawbacks_spend_promotional_first() {
        let history = [
            entry(1, LedgerKind::ReferralCommission, 1_234_567),
            paid(2, 7, 5_000_000),
            entry(3, LedgerKind::Adjustment, -2_000_000),
            entry(4, LedgerKind::Adjustment, 500_000),
            entry(5, LedgerKind::Charge, -600_000),
        ];
        // -2 takes the 1.234567 commission, then 0.765433 of order 7; the +0.5 adjustment is
        // paid credit of its own, newer than order 7: the 0.6 charge takes order 7 first.
        assert_eq!(unspent(&history, Micros::ZERO, 7), Micros(3_634_567));
    }
}
