//! Byte buffers kept per thread from one file to the next: a scan reads thousands of files,
//! and a fresh megabyte buffer for each was freed and allocated again thousands of times a
//! second, which the allocator answered with memory it had to zero, purge and map anew.

use std::cell::Cell;
use std::ops::{Deref, DerefMut};
use std::thread::LocalKey;

/// A buffer that grew past this is freed rather than kept: a huge line once must not stay
/// resident for the rest of the scan.
const KEEP_AT_MOST: usize = 8 << 20;

/// One kind of buffer a thread keeps: each use takes the one there and puts it back.
pub type Slot = LocalKey<Cell<Vec<u8>>>;

thread_local! {
    /// The block `stream_text` reads a file into.
    pub static READ_BLOCK: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    /// The text a line chunker holds until it makes a chunk.
    pub static PENDING_LINES: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// A buffer taken from a thread's slot, given back when dropped. Its contents are whatever the
/// last user left: callers clear or overwrite it. Nested uses on one thread (a file inside an
/// archive) find the slot empty and start a buffer of their own.
pub struct Reused {
    buffer: Vec<u8>,
    slot: &'static Slot,
}

impl Reused {
    pub fn take(slot: &'static Slot) -> Reused {
        Reused {
            buffer: slot.try_with(Cell::take).unwrap_or_default(),
            slot,
        }
    }
}

impl Deref for Reused {
    type Target = Vec<u8>;

    fn deref(&self) -> &Vec<u8> {
        &self.buffer
    }
}

impl DerefMut for Reused {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buffer
    }
}

impl Drop for Reused {
    fn drop(&mut self) {
        let buffer = std::mem::take(&mut self.buffer);
        if buffer.capacity() <= KEEP_AT_MOST {
            // Kept unless the thread is ending, when its slots are gone.
            let _ = self.slot.try_with(|slot| slot.set(buffer));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static TEST_SLOT: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    }

    #[test]
    fn a_buffer_comes_back_to_the_next_use_unless_it_grew_too_large() {
        let mut first = Reused::take(&TEST_SLOT);
        first.extend_from_slice(b"abc");
        let kept = first.as_ptr();
        {
            // A nested use while the first is out gets a buffer of its own.
            let nested = Reused::take(&TEST_SLOT);
            assert_eq!(nested.capacity(), 0);
        }
        drop(first);
        let mut second = Reused::take(&TEST_SLOT);
        assert_eq!(second.as_ptr(), kept, "the same allocation, reused");
        assert_eq!(&second[..], b"abc", "contents are left to the caller");
        second.reserve(KEEP_AT_MOST + 1);
        drop(second);
        assert_eq!(Reused::take(&TEST_SLOT).capacity(), 0, "too large to keep");
    }
}
