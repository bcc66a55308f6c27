//! Hands memory that a finished phase freed back to the system, through a hook the binary
//! installs for its allocator (the library does not choose one).

use std::sync::OnceLock;

static RELEASE: OnceLock<fn()> = OnceLock::new();

/// Installs `release`, which returns the calling thread's freed memory to the system. The
/// first hook installed stays.
pub fn install_release_hook(release: fn()) {
    let _ = RELEASE.set(release);
}

/// Returns freed memory to the system on every thread of the current rayon pool and on the
/// calling thread. An allocator keeps what a thread freed for a while so it can reuse it; when
/// one phase's arrays are freed and the next phase allocates different ones, on other threads,
/// what is kept adds to the peak (on a 1 GiB share, 80-100 MB at the people pass). A no-op
/// without a hook.
pub fn release_freed() {
    if let Some(&release) = RELEASE.get() {
        rayon::broadcast(|_| release());
        // Called on a pool thread, the broadcast has covered the caller already.
        if rayon::current_thread_index().is_none() {
            release();
        }
    }
}

/// Returns what the calling thread freed to the system now. A worker calls it after a large
/// item: parsing one (a PDF's objects, a spooled member) allocates tens of megabytes that the
/// allocator would otherwise keep for a second, on each worker at once.
pub fn release_freed_here() {
    if let Some(&release) = RELEASE.get() {
        release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        static RELEASED: Cell<usize> = const { Cell::new(0) };
    }

    fn count_release() {
        RELEASED.with(|released| released.set(released.get() + 1));
    }

    /// Each thread frees into its own allocator heap: every pool thread must release its own.
    #[test]
    fn every_thread_of_the_pool_and_the_caller_release() -> Result<(), rayon::ThreadPoolBuildError>
    {
        install_release_hook(count_release);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build()?;
        pool.install(release_freed);
        let per_thread = pool.broadcast(|_| RELEASED.with(Cell::get));
        assert_eq!(
            per_thread,
            [1, 1, 1],
            "once on each pool thread, the caller included"
        );
        release_freed();
        assert_eq!(
            RELEASED.with(Cell::get),
            1,
            "the calling thread, outside the pool"
        );
        Ok(())
    }
}
