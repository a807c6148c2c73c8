//! A client's output path on the server: its output-buffer limit class and the write of its
//! buffer to the socket as far as the window allows (networking.c `getClientType`,
//! `writeToClient`).

use super::config::ServerConfig;
use super::msg::RCtx;
use super::msg::{Frame, PubRange, RedisMsg};
use super::pubsub::{ClientConn, ObufLimits};
use msgsim_sim::ConnId;

/// The output-buffer limit class of a client: pubsub while subscribed, normal otherwise
/// (networking.c `getClientType`).
pub(super) fn limits_of(cfg: &ServerConfig, c: &ClientConn) -> ObufLimits {
    if c.subscriptions() > 0 {
        pubsub_limits(cfg)
    } else {
        ObufLimits {
            hard: cfg.obuf_normal_hard_bytes,
            soft: 0,
            soft_seconds: 0,
        }
    }
}

/// The limits of the pubsub class (`client-output-buffer-limit pubsub`).
pub(super) fn pubsub_limits(cfg: &ServerConfig) -> ObufLimits {
    ObufLimits {
        hard: cfg.obuf_pubsub_hard_bytes,
        soft: cfg.obuf_pubsub_soft_bytes,
        soft_seconds: cfg.obuf_pubsub_soft_seconds,
    }
}

/// Write a client's output buffer to its socket as far as the window allows
/// (networking.c `writeToClient`); takes it off the pending-write list.
#[inline]
pub(super) fn write_client(ctx: &mut RCtx, window: u64, conn: ConnId, c: &mut ClientConn) {
    c.pending_write = false;
    // The fan-out's common case: the buffer holds one pub/sub range that fits the window; it
    // goes whole as `RedisMsg::Messages` (what the general path below produces for it).
    if c.obuf.len() == 1
        && let Some(Frame::Message(r)) = c.obuf.front()
        && (r.bytes() <= window.saturating_sub(c.in_flight) || c.in_flight == 0)
    {
        let Some(Frame::Message(r)) = c.obuf.pop_front() else {
            unreachable!("front is a message range")
        };
        let bytes = r.bytes();
        c.obuf_bytes -= bytes.min(c.obuf_bytes);
        c.in_flight += bytes;
        ctx.send_conn(conn, RedisMsg::Messages(r));
        return;
    }
    write_frames(ctx, window, conn, c);
}

/// `write_client` in general: frames while they fit, the last possibly a part of a range.
#[inline(never)]
fn write_frames(ctx: &mut RCtx, window: u64, conn: ConnId, c: &mut ClientConn) {
    let Some((first, mut bytes, whole)) = next_piece(c, window, 0) else {
        return;
    };
    let msg = if !whole || c.obuf.is_empty() {
        one_frame_msg(first, bytes)
    } else {
        let mut frames = vec![first];
        while let Some((f, fb, whole)) = next_piece(c, window, bytes) {
            bytes += fb;
            frames.push(f);
            if !whole {
                break;
            }
        }
        match frames.len() {
            1 => one_frame_msg(frames.pop().expect("one"), bytes),
            _ => RedisMsg::Frames { frames, bytes },
        }
    };
    c.obuf_bytes -= bytes.min(c.obuf_bytes);
    c.in_flight += bytes;
    ctx.send_conn(conn, msg);
}

/// Put a client on the pending-write list once (networking.c `putClientInPendingWriteQueue`),
/// kept in connection order (the order the model writes in; a fan-out appends in that order).
pub(super) fn mark_pending(pending: &mut Vec<ConnId>, conn: ConnId, c: &mut ClientConn) {
    if !c.pending_write {
        c.pending_write = true;
        // A fan-out visits clients in connection order: usually an append.
        if pending.last().is_none_or(|last| *last < conn) {
            pending.push(conn);
        } else {
            let at = pending.partition_point(|p| *p < conn);
            pending.insert(at, conn);
        }
    }
}

/// The next piece of a client's output buffer that fits the socket window once `written`
/// bytes of this write are counted: the front frame whole (popped; a frame larger than an empty
/// window goes whole too), or the first messages of a pub/sub range (the rest stays queued).
/// Returns the piece, its bytes, and whether it was whole (a partial piece ends the write).
#[inline]
fn next_piece(c: &mut ClientConn, window: u64, written: u64) -> Option<(Frame, u64, bool)> {
    let used = c.in_flight + written;
    let room = window.saturating_sub(used);
    let front = c.obuf.front_mut()?;
    let fb = front.bytes();
    if fb <= room || used == 0 {
        let f = c.obuf.pop_front().expect("front");
        return Some((f, fb, true));
    }
    let Frame::Message(r) = front else {
        return None;
    };
    let n = (room / r.bytes_each) as u32;
    if n == 0 {
        return None;
    }
    // The first `n` messages go; the rest of the range stays queued.
    let part = PubRange {
        sub: r.sub.clone(),
        count: n,
        ..*r
    };
    r.count -= n;
    r.first_seq += n as u64;
    let part_bytes = part.bytes();
    Some((Frame::Message(part), part_bytes, false))
}

/// The message for a write of exactly one frame: a range of pub/sub messages goes as
/// `RedisMsg::Messages` (same bytes, no list), anything else as a one-frame `Frames`.
#[inline]
fn one_frame_msg(frame: Frame, bytes: u64) -> RedisMsg {
    match frame {
        Frame::Message(r) => RedisMsg::Messages(r),
        frame => RedisMsg::Frames {
            frames: vec![frame],
            bytes,
        },
    }
}
