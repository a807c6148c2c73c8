//! A transactional producer's wait for a topic's metadata (KafkaProducer.waitOnMetadata, which
//! `send` runs for every producer, transactional or not): a send to a topic the client's metadata
//! does not list yet (created later by a CreateTopic admin step or by auto-creation) blocks,
//! asking for metadata updates, until the partition appears or max.block.ms passes. The scripted
//! client (`clients/script.rs`) keeps the step blocked and its deadline, as for a plain producer.

use super::TxnClient;
use crate::kafka::wire::msg::{KEvent, KMsg};
use msgsim_sim::Ctx;

impl TxnClient {
    /// Whether the client's metadata knows partition `p` (its topic exists: it has replicas).
    pub fn knows_partition(&self, p: u32) -> bool {
        (self.md.as_ref()).is_some_and(|m| m.has_partition(p))
    }

    /// Ask for topic `topic`'s auto-creation in every metadata request from now on (a
    /// producer's metadata requests allow auto-creation: ProducerMetadata).
    pub fn ask_auto_create(&mut self, topic: u32) {
        self.md_requests.ask_auto_create(topic);
    }

    /// Ask for a metadata update (Metadata.requestUpdateForTopic in waitOnMetadata).
    pub fn want_metadata(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        self.request_metadata(ctx);
    }
}
