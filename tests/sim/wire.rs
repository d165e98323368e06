//! The real sync protocol between simulated replicas: per-connection [`SyncState`]s,
//! messages that are lost, cut or damaged, sessions run to quiescence, reconnects.

use everlog::sync::{decode_message, generate_message};

use super::check::{ensure, Res};
use super::world::World;

/// A session that has not gone quiet after this many rounds is a protocol bug.
const MAX_ROUNDS: usize = 64;

impl World {
    /// Both ends of the `a`–`b` connection start over.
    pub(super) fn reconnect(&mut self, a: usize, b: usize) {
        self.sync.remove(&(a, b));
        self.sync.remove(&(b, a));
        self.silent_loss.remove(&(a.min(b), a.max(b)));
    }

    /// `from` generates its next message for `to`; the message meets its fate.
    /// Returns whether there was a message.
    pub(super) fn sync_message(&mut self, from: usize, to: usize, fate: u8, at: u16) -> Res<bool> {
        if from == to {
            return Ok(false);
        }
        let state = self.sync.entry((from, to)).or_default();
        let Some(mut bytes) = generate_message(&self.replicas[from].log, state) else { return Ok(false) };
        self.stats.messages += 1;
        let damaged = match fate % 8 {
            // Lost, and the connection with it (what a WebSocket does): both ends start over.
            0 => {
                self.reconnect(from, to);
                return Ok(true);
            }
            // Lost silently while the connection stays up. The protocol assumes reliable
            // in-order connections; it notices the gap only when a later message arrives.
            3 => {
                self.silent_loss.insert((from.min(to), from.max(to)));
                return Ok(true);
            }
            1 => {
                bytes.truncate(at as usize % bytes.len().max(1));
                true
            }
            2 => {
                let i = at as usize % bytes.len().max(1);
                bytes[i] ^= 0x04;
                true
            }
            _ => false,
        };
        let state = self.sync.entry((to, from)).or_default();
        match decode_message(&self.replicas[to].log, state, &bytes) {
            Ok(incoming) => {
                ensure!(damaged || incoming.error.is_none(), "an intact message decoded with {:?}", incoming.error);
                self.stats.damaged += incoming.error.is_some() as u64;
                self.receive(to, incoming.events)?;
            }
            Err(e) => {
                ensure!(damaged, "an intact sync message was refused: {e}");
                self.stats.damaged += 1;
            }
        }
        Ok(true)
    }

    /// Messages both ways, delivered whole, until neither side has anything to say; then
    /// `a` and `b` must hold the same events. After a silent loss on this connection a
    /// quiet session may be apart (nothing tells either side): then they reconnect, as a
    /// real transport would after a timeout, and must converge.
    pub(super) fn sync_session(&mut self, a: usize, b: usize) -> Res {
        if a == b {
            return Ok(());
        }
        for _ in 0..MAX_ROUNDS {
            let sent_ab = self.sync_message(a, b, 7, 0)?;
            let sent_ba = self.sync_message(b, a, 7, 0)?;
            if !sent_ab && !sent_ba {
                let (va, vb) = (self.replicas[a].log.version(), self.replicas[b].log.version());
                if va != vb && self.silent_loss.contains(&(a.min(b), a.max(b))) {
                    self.reconnect(a, b);
                    continue;
                }
                ensure!(va == vb, "sync session {a}<->{b} went quiet apart: {va:?} vs {vb:?}");
                return Ok(());
            }
        }
        Err(format!("sync session {a}<->{b} still talking after {MAX_ROUNDS} rounds"))
    }
}
