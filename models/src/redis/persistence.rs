//! Persistence of a server's writes (`persistence` knob): AOF with `appendfsync everysec` /
//! `always` (aof.c `feedAppendOnlyFile`, `flushAppendOnlyFile`) and RDB save points
//! (server.c `serverCron` → `rdbSaveBackground`). The durable copy is what a restart loads.

use super::config::Persistence;
use super::msg::Cmd;
use super::server::Server;

impl Server {
    /// Record a write in logical database `db` for persistence (AOF, which carries SELECT as
    /// the replication stream does) and count it for RDB.
    pub(super) fn persist(&mut self, db: u32, cmd: &Cmd) {
        self.dirty += 1;
        match self.cfg.persistence {
            Persistence::AofEverysec => self.aof_os.push((db, cmd.clone())),
            // The AOF is replayed at the restart with the configuration file's stream node
            // settings (a CONFIG SET is gone by then), so its stream nodes are laid out so.
            Persistence::AofAlways => {
                let _ = self
                    .durable
                    .execute_in(db, cmd, self.now_ms, self.cfg.node_limits());
            }
            _ => {}
        }
    }

    /// The persistence part of serverCron (1 Hz): an AOF fsync per second, RDB save points.
    pub(super) fn persistence_cron(&mut self) {
        match self.cfg.persistence {
            // appendfsync everysec: one fsync per second.
            Persistence::AofEverysec => {
                for (db, cmd) in std::mem::take(&mut self.aof_os) {
                    let _ = self
                        .durable
                        .execute_in(db, &cmd, self.now_ms, self.cfg.node_limits());
                }
            }
            Persistence::Rdb { every_s }
                if self.dirty > 0 && every_s > 0 && self.now_s.is_multiple_of(every_s) =>
            {
                self.durable = self.data.clone();
                self.dirty = 0;
            }
            _ => {}
        }
    }
}
