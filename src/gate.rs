//! Bounds what all workers hold in memory at once: documents parsed whole, members spooled.
//!
//! A PDF is parsed from a copy in memory, and parsing holds a few times its size. Two workers
//! on two large PDFs at once would add those up; through the gate, documents share a fixed
//! number of bytes, and one larger than all of them is parsed alone. A member that a parser
//! must seek in is copied to memory while the scan's allowance lasts (members nested in
//! members each hold their copy), and to a temporary file past it.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Bytes of whole documents parsed at once by default.
pub const DEFAULT_WHOLE_DOCUMENT_BYTES: u64 = 32 << 20;

/// A weighted gate: a document enters with its size and waits while the documents inside
/// would exceed the capacity with it. Cloning shares the gate.
#[derive(Debug, Clone)]
pub struct DocumentGate {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    capacity: u64,
    held: Mutex<u64>,
    left: Condvar,
}

impl Default for DocumentGate {
    fn default() -> Self {
        DocumentGate::new(DEFAULT_WHOLE_DOCUMENT_BYTES)
    }
}

/// Written as its capacity in bytes (summary.json's limits).
impl serde::Serialize for DocumentGate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.shared.capacity)
    }
}

impl DocumentGate {
    /// A gate for `capacity` bytes (at least one).
    pub fn new(capacity: u64) -> Self {
        DocumentGate {
            shared: Arc::new(Shared {
                capacity: capacity.max(1),
                held: Mutex::new(0),
                left: Condvar::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, u64> {
        // The count is plain data, right whenever the lock is free: a panic elsewhere while
        // holding it changes nothing.
        self.shared
            .held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits until a document of `bytes` fits beside those inside, then lets it in until the
    /// pass is dropped. A document larger than the capacity waits for the gate to empty. A
    /// thread that holds a pass already does not wait: while it waits inside a parse for work
    /// shared with other threads, rayon may hand it another item, whose document would
    /// otherwise wait for the parse that waits for it.
    pub fn enter(&self, bytes: u64) -> DocumentPass<'_> {
        let weight = self.weight(bytes);
        let nested = PASSES_HERE.get() > 0;
        let mut held = self.lock();
        while !nested && *held + weight > self.shared.capacity {
            held = self
                .shared
                .left
                .wait(held)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        *held += weight;
        PASSES_HERE.set(PASSES_HERE.get() + 1);
        DocumentPass { gate: self, weight }
    }

    /// Whether a document of `bytes` would go in now without waiting (it may not by the time it
    /// tries: other threads enter too).
    pub fn has_room_for(&self, bytes: u64) -> bool {
        *self.lock() + self.weight(bytes) <= self.shared.capacity
    }

    /// What a document of `bytes` takes of the gate: its size, or the whole gate at most.
    fn weight(&self, bytes: u64) -> u64 {
        bytes.min(self.shared.capacity)
    }

    /// Bytes of the documents inside now.
    pub fn held(&self) -> u64 {
        *self.lock()
    }
}

/// A document's place in the gate, given back when dropped (also on a panic while parsing).
#[must_use = "the document is let in only while the pass lives"]
pub struct DocumentPass<'g> {
    gate: &'g DocumentGate,
    weight: u64,
}

thread_local! {
    /// Passes the current thread holds.
    static PASSES_HERE: Cell<u32> = const { Cell::new(0) };
}

impl Drop for DocumentPass<'_> {
    fn drop(&mut self) {
        PASSES_HERE.set(PASSES_HERE.get().saturating_sub(1));
        let mut held = self.gate.lock();
        *held -= self.weight;
        drop(held);
        self.gate.shared.left.notify_all();
    }
}

/// Bytes of members spooled in memory by all workers at once by default.
pub const DEFAULT_SPOOLED_IN_MEMORY_BYTES: u64 = 64 << 20;

/// Bytes that the workers may hold at once, taken without waiting: what cannot be had goes
/// elsewhere. Cloning shares the allowance.
#[derive(Debug, Clone)]
pub struct MemoryAllowance {
    left: Arc<AtomicU64>,
}

impl Default for MemoryAllowance {
    fn default() -> Self {
        MemoryAllowance::new(DEFAULT_SPOOLED_IN_MEMORY_BYTES)
    }
}

impl MemoryAllowance {
    pub fn new(bytes: u64) -> Self {
        MemoryAllowance {
            left: Arc::new(AtomicU64::new(bytes)),
        }
    }

    /// A hold of nothing yet, grown as memory is filled and given back when dropped.
    pub fn hold(&self) -> MemoryHold {
        MemoryHold {
            allowance: self.clone(),
            bytes: 0,
        }
    }

    /// Bytes not held now.
    pub fn left(&self) -> u64 {
        self.left.load(Ordering::Acquire)
    }
}

/// Bytes taken from an allowance, given back when dropped.
#[derive(Debug)]
pub struct MemoryHold {
    allowance: MemoryAllowance,
    bytes: u64,
}

impl MemoryHold {
    /// Takes `more` bytes if that many are left; takes nothing and says false otherwise.
    pub fn grow(&mut self, more: u64) -> bool {
        let taken = self
            .allowance
            .left
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                left.checked_sub(more)
            })
            .is_ok();
        if taken {
            self.bytes += more;
        }
        taken
    }

    /// Gives back what is held beyond `bytes`.
    pub fn shrink_to(&mut self, bytes: u64) {
        if bytes < self.bytes {
            self.allowance
                .left
                .fetch_add(self.bytes - bytes, Ordering::AcqRel);
            self.bytes = bytes;
        }
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl Drop for MemoryHold {
    fn drop(&mut self) {
        self.shrink_to(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// A document entering the gate on a thread of its own, kept inside until it leaves.
    struct Elsewhere {
        inside: mpsc::Receiver<()>,
        leave: mpsc::Sender<()>,
        thread: std::thread::JoinHandle<()>,
    }

    impl Elsewhere {
        fn enter(gate: &DocumentGate, bytes: u64) -> Elsewhere {
            let (inside_tx, inside) = mpsc::channel();
            let (leave, leave_rx) = mpsc::channel::<()>();
            let gate = gate.clone();
            let thread = std::thread::spawn(move || {
                let _pass = gate.enter(bytes);
                inside_tx.send(()).expect("test listens");
                let _ = leave_rx.recv();
            });
            Elsewhere {
                inside,
                leave,
                thread,
            }
        }

        /// Still outside after a while.
        fn waits(&self) -> bool {
            self.inside
                .recv_timeout(Duration::from_millis(200))
                .is_err()
        }

        /// Inside within ten seconds, or the test fails.
        fn goes_in(&self, what: &str) {
            self.inside
                .recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|_| panic!("{what}"));
        }

        fn leaves(self) {
            self.leave.send(()).expect("thread listens");
            self.thread.join().expect("thread ends");
        }
    }

    #[test]
    fn documents_that_fit_together_are_inside_at_once() {
        let gate = DocumentGate::new(100);
        let first = gate.enter(40);
        let second = gate.enter(60);
        assert_eq!(gate.held(), 100);
        drop(first);
        drop(second);
        assert_eq!(gate.held(), 0);
    }

    #[test]
    fn a_document_that_does_not_fit_waits_until_room_is_left() {
        let gate = DocumentGate::new(100);
        let first = gate.enter(70);
        assert!(gate.has_room_for(30));
        assert!(!gate.has_room_for(31));
        let second = Elsewhere::enter(&gate, 40);
        assert!(second.waits(), "70 + 40 > 100 went in");
        drop(first);
        second.goes_in("went in once room was left");
        assert_eq!(gate.held(), 40);
        second.leaves();
        assert_eq!(gate.held(), 0);
    }

    #[test]
    fn a_document_larger_than_the_gate_is_inside_alone() {
        let gate = DocumentGate::new(100);
        let small = gate.enter(1);
        let large = Elsewhere::enter(&gate, 500);
        assert!(large.waits(), "went in beside another");
        drop(small);
        large.goes_in("went in alone");
        assert_eq!(gate.held(), 100, "weighs the whole gate, no more");
        let after = Elsewhere::enter(&gate, 1);
        assert!(after.waits(), "went in beside it");
        large.leaves();
        after.goes_in("went in after it");
        after.leaves();
        assert_eq!(gate.held(), 0);
    }

    #[test]
    fn a_thread_inside_the_gate_enters_again_without_waiting() {
        let gate = DocumentGate::new(100);
        let (entered_tx, entered_rx) = mpsc::channel();
        let inside = gate.clone();
        let handle = std::thread::spawn(move || {
            let _outer = inside.enter(100);
            let _nested = inside.enter(100);
            entered_tx.send(inside.held()).expect("test listens");
        });
        let held = entered_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the nested pass did not wait for the outer one");
        assert_eq!(held, 200);
        handle.join().expect("thread ends");
        assert_eq!(gate.held(), 0);
        // Other threads still wait for a full gate.
        let full = Elsewhere::enter(&gate, 100);
        full.goes_in("went in");
        let other = Elsewhere::enter(&gate, 1);
        assert!(other.waits(), "another thread went in beside a full gate");
        full.leaves();
        other.goes_in("went in once the gate emptied");
        other.leaves();
    }

    #[test]
    fn a_pass_is_given_back_when_its_parser_panics() {
        let gate = DocumentGate::new(100);
        let inside = gate.clone();
        let result = std::thread::spawn(move || {
            let _pass = inside.enter(100);
            panic!("parser failed");
        })
        .join();
        assert!(result.is_err());
        assert_eq!(gate.held(), 0);
        let _pass = gate.enter(100);
    }

    #[test]
    fn an_allowance_gives_what_is_left_and_takes_back_what_is_dropped() {
        let allowance = MemoryAllowance::new(100);
        let mut first = allowance.hold();
        assert!(first.grow(60));
        let mut second = allowance.hold();
        assert!(!second.grow(41), "60 + 41 > 100 was granted");
        assert_eq!(second.bytes(), 0, "a refused step takes nothing");
        assert!(second.grow(40));
        assert_eq!(allowance.left(), 0);
        first.shrink_to(10);
        assert_eq!(allowance.left(), 50);
        first.shrink_to(20);
        assert_eq!(first.bytes(), 10, "shrinking never grows");
        drop(second);
        assert_eq!(allowance.left(), 90);
        drop(first);
        assert_eq!(allowance.left(), 100);
    }
}
