//! The counters' way back ([`Feedback`]): the read-ahead thread predicts the numbers and row ids
//! each customer's posting hooks take, from where they stood when the run began and what it worked
//! out for the customers before. Where the run worked a customer out in place, it may have taken
//! others (a hook that could not be worked out ahead, a failure, a skip); it then tells where they
//! really stood after that customer, and the read-ahead thread moves its prediction by the
//! difference ([`PredictionLog`]). The customers worked out ahead meanwhile do not replay (their
//! counters disagree) and are worked out in place: correct, and only slower for a page or two.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::ledger::Counters;

/// Where the counters stood after one customer, as the run found them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::process) struct Correction {
    /// The customer.
    pub(in crate::process) customer: String,
    /// The counters after its work.
    pub(in crate::process) counters: Counters,
}

/// The latest correction, from the writing thread to the read-ahead thread.
#[derive(Debug, Clone, Default)]
pub(in crate::process) struct Feedback(Arc<Mutex<Option<Correction>>>);

impl Feedback {
    /// Tells the read-ahead thread where the counters stood after `customer` (a later correction
    /// replaces one not taken yet: it says all there is to say).
    pub(in crate::process) fn publish(&self, correction: Correction) {
        if let Ok(mut latest) = self.0.lock() {
            *latest = Some(correction);
        }
    }

    /// The latest correction, if one came since the last call.
    fn take(&self) -> Option<Correction> {
        self.0.lock().ok().and_then(|mut latest| latest.take())
    }
}

/// How many customers' predictions the read-ahead thread keeps: more than it can be ahead of the
/// run (a page in the channel, one being read, one being worked out; a page is 1,000 customers).
const KEPT: usize = 8192;

/// The counters the read-ahead thread predicted after each recent customer with credits, oldest
/// first, to move them when a correction comes.
#[derive(Debug, Default)]
pub(super) struct PredictionLog {
    feedback: Feedback,
    predicted: VecDeque<(String, Counters)>,
}

impl PredictionLog {
    pub(super) fn new(feedback: Feedback) -> PredictionLog {
        PredictionLog {
            feedback,
            predicted: VecDeque::new(),
        }
    }

    /// Notes the counters predicted after `customer`.
    pub(super) fn note(&mut self, customer: &str, counters: Counters) {
        if self.predicted.len() == KEPT {
            self.predicted.pop_front();
        }
        self.predicted.push_back((customer.to_string(), counters));
    }

    /// `current` moved by the latest correction, if one came: by what the run found after a
    /// customer less what was predicted there. The predictions after it move too; those up to it
    /// are done with. `None` when no correction came or its customer is not known here.
    pub(super) fn corrected(&mut self, current: &Counters) -> Option<Counters> {
        let Correction { customer, counters } = self.feedback.take()?;
        let at = self.predicted.iter().position(|(c, _)| *c == customer)?;
        let predicted = self.predicted[at].1.clone();
        for (_, later) in self.predicted.iter_mut().skip(at + 1) {
            *later = later.moved(&predicted, &counters);
        }
        self.predicted.drain(..=at);
        Some(current.moved(&predicted, &counters))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(voucher: i64, number: i64) -> Counters {
        Counters {
            rows: [voucher, 1, 1],
            numbers: vec![number],
        }
    }

    #[test]
    fn a_correction_moves_the_prediction_and_the_later_ones() {
        let feedback = Feedback::default();
        let mut log = PredictionLog::new(feedback.clone());
        log.note("C-1", at(10, 5));
        log.note("C-2", at(11, 6));
        log.note("C-3", at(12, 7));
        assert_eq!(log.corrected(&at(12, 7)), None);
        // C-1 was worked out in place and took two more vouchers and one more number.
        feedback.publish(Correction {
            customer: "C-1".into(),
            counters: at(12, 6),
        });
        assert_eq!(log.corrected(&at(12, 7)), Some(at(14, 8)));
        // C-3 took as predicted, after the correction: nothing moves.
        feedback.publish(Correction {
            customer: "C-3".into(),
            counters: at(14, 8),
        });
        assert_eq!(log.corrected(&at(14, 8)), Some(at(14, 8)));
        // A customer no longer kept: no correction.
        feedback.publish(Correction {
            customer: "C-1".into(),
            counters: at(99, 99),
        });
        assert_eq!(log.corrected(&at(14, 8)), None);
    }
}
