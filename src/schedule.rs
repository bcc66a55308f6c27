//! Hands walked items to the workers largest first, within a bounded window, so that one big
//! file does not start last and leave every other core idle while it finishes.

use std::collections::BinaryHeap;
use std::sync::{Condvar, Mutex, MutexGuard};

use crate::discover::Item;

/// A bounded queue that the walker fills and the workers drain, biggest item first.
pub struct LargestFirst {
    state: Mutex<State>,
    item_ready: Condvar,
    room_ready: Condvar,
    capacity: usize,
}

struct State {
    waiting: BinaryHeap<Queued>,
    /// Items pushed so far: ties in size leave in walk order.
    pushed: u64,
    /// The walker is done.
    closed: bool,
    /// The workers are gone: the walker should stop waiting for room.
    abandoned: bool,
}

struct Queued {
    size: u64,
    order: u64,
    item: Item,
}

impl Queued {
    fn key(&self) -> (u64, std::cmp::Reverse<u64>) {
        (self.size, std::cmp::Reverse(self.order))
    }
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Queued {}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl LargestFirst {
    /// A queue that holds at most `capacity` items (at least one) before the walker waits.
    pub fn new(capacity: usize) -> LargestFirst {
        LargestFirst {
            state: Mutex::new(State {
                waiting: BinaryHeap::new(),
                pushed: 0,
                closed: false,
                abandoned: false,
            }),
            item_ready: Condvar::new(),
            room_ready: Condvar::new(),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves plain data behind: keep going.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds an item, waiting for room; false when no worker is left to take it.
    pub fn push(&self, item: Item) -> bool {
        let mut state = self.lock();
        while state.waiting.len() >= self.capacity && !state.abandoned {
            state = self
                .room_ready
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        if state.abandoned {
            return false;
        }
        let order = state.pushed;
        state.pushed += 1;
        state.waiting.push(Queued {
            size: item.size,
            order,
            item,
        });
        drop(state);
        self.item_ready.notify_one();
        true
    }

    /// The largest waiting item; None once the walker is done and nothing waits.
    pub fn pop(&self) -> Option<Item> {
        let mut state = self.lock();
        loop {
            if let Some(queued) = state.waiting.pop() {
                drop(state);
                self.room_ready.notify_one();
                return Some(queued.item);
            }
            if state.closed {
                return None;
            }
            state = self
                .item_ready
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// The walker is done and nothing waits: a worker that asks now gets nothing, so from here
    /// on threads fall idle and can help with the files still being scanned.
    pub fn is_drained(&self) -> bool {
        let state = self.lock();
        state.closed && state.waiting.is_empty()
    }

    /// The walker is done: workers drain what waits, then stop.
    pub fn close(&self) {
        self.lock().closed = true;
        self.item_ready.notify_all();
    }

    /// Closes the queue when dropped, however the walk ends.
    pub fn closer(&self) -> OnDrop<'_> {
        OnDrop(self, LargestFirst::close)
    }

    /// Abandons the queue when dropped, however the workers end.
    pub fn abandoner(&self) -> OnDrop<'_> {
        OnDrop(self, LargestFirst::abandon)
    }

    /// The workers are done: a walker waiting for room gives up.
    pub fn abandon(&self) {
        self.lock().abandoned = true;
        self.room_ready.notify_all();
    }
}

/// Runs its action on the queue when dropped.
pub struct OnDrop<'a>(&'a LargestFirst, fn(&LargestFirst));

impl Drop for OnDrop<'_> {
    fn drop(&mut self) {
        (self.1)(self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::Disposition;
    use std::path::PathBuf;

    fn item(name: &str, size: u64) -> Item {
        Item {
            path: PathBuf::from(name),
            display: name.to_string(),
            size,
            modified: None,
            disposition: Disposition::Scan,
        }
    }

    #[test]
    fn items_leave_largest_first_and_equal_sizes_in_walk_order() {
        let queue = LargestFirst::new(8);
        for (name, size) in [("a", 10), ("b", 500), ("c", 10), ("d", 70)] {
            assert!(queue.push(item(name, size)));
        }
        queue.close();
        let order: Vec<String> = std::iter::from_fn(|| queue.pop())
            .map(|i| i.display)
            .collect();
        assert_eq!(order, ["b", "d", "a", "c"]);
    }

    #[test]
    fn a_full_queue_waits_for_the_workers_and_gives_up_when_they_are_gone() {
        let queue = LargestFirst::new(2);
        assert!(queue.push(item("x", 0)));
        assert!(queue.push(item("x", 1)));
        std::thread::scope(|scope| {
            let walker = scope.spawn(|| (2..5).map(|i| queue.push(item("x", i))).collect());
            // The queue is full, so the walker waits and the largest of the first two leaves.
            assert_eq!(queue.pop().map(|i| i.size), Some(1));
            while queue.lock().pushed < 3 {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            queue.abandon();
            let pushed: Vec<bool> = walker.join().expect("walker thread");
            assert_eq!(pushed, [true, false, false]);
        });
    }
}
