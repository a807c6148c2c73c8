//! A transactional producer's wait for a topic's metadata (KafkaProducer.waitOnMetadata, which
//! `send` runs for every producer, transactional or not): a send to a topic the client's metadata
//! does not list yet (created later by a CreateTopic admin step or by auto-creation) blocks,
//! asking for metadata updates, until the partition appears or max.block.ms passes. The scripted
//! client (`clients/script.rs`) keeps the step blocked and its deadline, as for a plain producer.

use super::TxnClient;
use crate::kafka::wire::msg::{KEvent, KMsg};
use msgsim_sim::Ctx;

impl TxnClient {
    /// Whether the client's metadata knows partition `p` (its topic exists: it has replicas);
    /// if not, ask for an update (Metadata.requestUpdateForTopic in waitOnMetadata), for topic
    /// `auto_create`'s auto-creation too when given (a producer's metadata requests allow it:
    /// ProducerMetadata).
    pub fn wait_on_metadata(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        p: u32,
        auto_create: Option<u32>,
    ) -> bool {
        if let Some(topic) = auto_create {
            self.md_requests.ask_auto_create(topic);
        }
        if (self.md.as_ref()).is_some_and(|m| m.has_partition(p)) {
            return true;
        }
        self.request_metadata(ctx);
        false
    }
}
