//! Echo server: replies to every request after its processing time.

use super::config::EchoConfig;
use super::msg::{EchoEvent, EchoMsg};
use msgsim_sim::{Actor, CrashKind, Ctx, NodeId, SimDuration, TimerId, Via};
use std::any::Any;

pub struct EchoServer {
    reply_bytes: u64,
    cost_ns: u64,
    cost_ns_per_byte: u64,
    /// Requests handled since the last start (volatile).
    pub handled: u64,
}

impl EchoServer {
    pub fn new(config: &EchoConfig) -> EchoServer {
        EchoServer {
            reply_bytes: config.reply_bytes,
            cost_ns: config.server_cost_ns,
            cost_ns_per_byte: config.server_cost_ns_per_byte,
            handled: 0,
        }
    }
}

impl Actor<EchoMsg, EchoEvent> for EchoServer {
    fn on_start(&mut self, _ctx: &mut Ctx<'_, EchoMsg, EchoEvent>) {}

    fn on_message(
        &mut self,
        ctx: &mut Ctx<'_, EchoMsg, EchoEvent>,
        from: NodeId,
        via: Via,
        msg: EchoMsg,
    ) {
        let EchoMsg::Request { id, bytes } = msg else {
            return;
        };
        self.handled += 1;
        let cost = self.cost_ns + self.cost_ns_per_byte * bytes;
        if cost > 0 {
            ctx.busy(SimDuration::from_nanos(cost));
        }
        let reply = EchoMsg::Reply {
            id,
            bytes: self.reply_bytes,
        };
        match via {
            Via::Datagram => ctx.send(from, reply),
            Via::Conn(conn) => ctx.send_conn(conn, reply),
        }
    }

    fn on_timer(&mut self, _ctx: &mut Ctx<'_, EchoMsg, EchoEvent>, _timer: TimerId, _tag: u64) {}

    fn on_crash(&mut self, _kind: CrashKind) {
        self.handled = 0;
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
