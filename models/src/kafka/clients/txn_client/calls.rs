//! The application's view of the transactional client: which calls its state allows
//! (TransactionManager's transitions; Java throws IllegalStateException or the abortable
//! error), and the per-batch outcomes a scripted client waits for.

use super::{St, TxnClient};
use crate::kafka::wire::msg::KErr;

/// A transactional call the application makes (TransactionManager's state transitions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnCall {
    Init,
    Begin,
    /// send or sendOffsetsToTransaction: inside a transaction.
    InTxn,
    Commit,
    Abort,
}

impl TxnClient {
    /// Whether the application may make `call` now (TransactionManager.maybeFailWithError and
    /// its state transitions): `PRODUCER_FENCED` once fenced, `INVALID_TXN_STATE` for a call
    /// its state does not allow (Java: IllegalStateException), and for commitTransaction in an
    /// abortable error, that error (the application must abort).
    pub fn check(&self, call: TxnCall) -> Result<(), KErr> {
        if self.state == St::Fenced {
            return Err(KErr::ProducerFenced);
        }
        let ok = match call {
            TxnCall::Init => self.state == St::Idle,
            TxnCall::Begin => self.state == St::Ready,
            TxnCall::InTxn | TxnCall::Abort => self.state == St::InTxn,
            TxnCall::Commit if self.state == St::InTxn && self.abortable => {
                return Err(self.last_error.unwrap_or(KErr::TransactionAborted));
            }
            TxnCall::Commit => self.state == St::InTxn,
        };
        if ok {
            Ok(())
        } else {
            Err(KErr::InvalidTxnState)
        }
    }

    /// The error that made the transaction abortable, if any.
    pub fn last_error(&self) -> Option<KErr> {
        self.last_error
    }

    pub(super) fn note_outcome(&mut self, values: &[u64], res: Result<Option<u64>, KErr>) {
        if let (Some(o), Some(v)) = (self.outcomes.as_mut(), values.first()) {
            o.push((*v, res));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::config::KafkaConfig;
    use std::rc::Rc;

    #[test]
    fn calls_follow_the_transaction_manager_states() {
        let mut c = TxnClient::new(Rc::new(KafkaConfig::default()), Some(1), None, 0);
        assert_eq!(c.check(TxnCall::Init), Ok(()));
        for call in [
            TxnCall::Begin,
            TxnCall::InTxn,
            TxnCall::Commit,
            TxnCall::Abort,
        ] {
            assert_eq!(
                c.check(call),
                Err(KErr::InvalidTxnState),
                "{call:?} before init"
            );
        }
        c.state = St::Ready;
        assert_eq!(c.check(TxnCall::Init), Err(KErr::InvalidTxnState));
        assert_eq!(c.check(TxnCall::Begin), Ok(()));
        assert_eq!(c.check(TxnCall::Commit), Err(KErr::InvalidTxnState));
        c.begin();
        assert_eq!(c.check(TxnCall::InTxn), Ok(()));
        assert_eq!(c.check(TxnCall::Commit), Ok(()));
        // An abortable error: commitTransaction throws it, abortTransaction is allowed.
        c.abortable = true;
        c.last_error = Some(KErr::DeliveryTimeout);
        assert_eq!(c.check(TxnCall::Commit), Err(KErr::DeliveryTimeout));
        assert_eq!(c.check(TxnCall::Abort), Ok(()));
        c.state = St::Fenced;
        assert_eq!(c.check(TxnCall::Abort), Err(KErr::ProducerFenced));
    }
}
