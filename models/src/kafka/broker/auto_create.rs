//! Topic auto-creation at a broker (`auto.create.topics.enable`): a MetadataRequest that asks
//! for it (`allowAutoTopicCreation`) and names a topic the metadata does not have makes the
//! broker ask the controller to create it (KafkaApis.handleTopicMetadataRequest →
//! AutoTopicCreationManager.createTopics, which sends CreateTopics with `num.partitions` and
//! `default.replication.factor`). The answer does not wait for it: the topic is absent
//! (Kafka answers LEADER_NOT_AVAILABLE for it) until the brokers learn of it from the
//! controller, so the client asks again. Extends `Broker` (like `admin.rs`).

use super::Broker;
use crate::kafka::wire::msg::{KEvent, KMsg, reply};
use msgsim_sim::{Ctx, NodeId, Via};

impl Broker {
    /// A client's MetadataRequest: the current metadata, after asking the controller to
    /// create each topic of `auto_create` the metadata lacks, when the broker allows it.
    /// Kafka's AutoTopicCreationManager keeps one request per topic in flight; here each
    /// MetadataRequest (paced by the client's retry.backoff.ms) asks again and the controller
    /// answers a repeated one as TOPIC_ALREADY_EXISTS.
    pub(super) fn on_metadata_request(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        from: NodeId,
        via: Via,
        auto_create: &[u32],
    ) {
        let Some(md) = self.md.clone() else {
            return;
        };
        if self.cfg.auto_create_topics_enable && !auto_create.is_empty() {
            let layouts = self.cfg.topic_layouts();
            let ctrl = self.ctrl();
            for &topic in auto_create {
                let Some(t) = layouts.get(topic as usize) else {
                    continue;
                };
                let absent = (md.parts.get(t.first as usize)).is_none_or(|s| s.replicas.is_empty());
                if absent {
                    ctx.sometimes("kafka:auto_create_topic_requested");
                    self.peers.send(ctx, ctrl, KMsg::CreateTopics { topic });
                }
            }
        }
        reply(ctx, from, via, KMsg::Metadata(md));
    }
}
