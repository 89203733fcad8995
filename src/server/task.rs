//! Work the server starts on its own: a save point's BGSAVE, the save before exiting on
//! SIGTERM. Such work takes the same paths as a client's command (a [`Flow`] of rounds on other
//! shards, transaction locks included), driven by an internal client that has no socket, is in
//! no client list, and whose replies go nowhere.
//!
//! A task's client is addressed like a connection ([`ConnRef`]) with the slot [`TASK_SLOT`],
//! which no connection has, and the task's number as its generation; the event loop hands the
//! answers for that slot to [`deliver`].

use hashbrown::HashMap;

use crate::commands::Flow;
use crate::server::conn::Conn;
use crate::shard::mesh::JobOut;
use crate::shard::Core;

/// The slot of every task's client.
pub const TASK_SLOT: u32 = u32::MAX;

/// Tasks waiting for other shards, by number.
#[derive(Default)]
pub struct Tasks {
    waiting: HashMap<u32, Box<Conn>>,
    next: u32,
}

/// Starts `flow` as a task of this shard.
pub fn start(core: &mut Core, flow: impl FnOnce(&mut Core) -> Flow) {
    let mut client = Box::new(Conn::new(-1, 0, false, String::new(), String::new(), true));
    core.tasks.next = core.tasks.next.wrapping_add(1);
    client.slot = TASK_SLOT;
    client.gen = core.tasks.next;
    let flow = flow(core);
    crate::server::exec::drive(core, &mut client, flow);
    keep_if_waiting(core, client);
}

/// An answer for task `number` arrived.
pub fn deliver(core: &mut Core, number: u32, part: usize, out: JobOut) {
    let Some(mut client) = core.tasks.waiting.remove(&number) else { return };
    crate::server::exec::deliver(core, &mut client, part, out);
    keep_if_waiting(core, client);
}

fn keep_if_waiting(core: &mut Core, mut client: Box<Conn>) {
    client.out.buf.clear();
    if client.wait.is_some() {
        core.tasks.waiting.insert(client.gen, client);
    }
}
