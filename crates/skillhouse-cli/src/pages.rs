//! How the process takes memory pages from the kernel, settled once at start-up.
//!
//! A 10M-row build spent a quarter of its CPU in the kernel, most of it zeroing fresh pages (`clear_page_erms`,
//! 18% of a flat profile): about 5,800 transparent huge pages (11 GiB) and 1.9M small pages for a peak of 4 GiB.
//! Two causes, measured in BENCHMARKS.md ("Fresh pages"):
//!
//! - mimalloc advises its arenas as huge pages (`MADV_HUGEPAGE`) and purges freed memory in 64 KiB pieces, so the
//!   next touch of a purged piece faults a whole 2 MiB page in again, zeroed.
//! - zstd, called by the Parquet reader and writer for every column chunk, allocates its contexts (100–200 KiB)
//!   with the C library's `malloc`, which returns the free top of its heaps to the kernel and maps larger blocks
//!   afresh, so each new context is fresh pages again. zstd's contexts are nearly all the C code here allocates.

/// Turns transparent huge pages off for this process and has glibc keep its freed memory for reuse. A knob the
/// system lacks or refuses is left as it was (logged at debug level).
pub fn settle() {
    #[cfg(target_os = "linux")]
    no_huge_pages();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    keep_c_heap();
}

/// Transparent huge pages off for the whole process (a flag of its memory map, inherited by children).
#[cfg(target_os = "linux")]
fn no_huge_pages() {
    if let Err(error) = rustix::thread::disable_transparent_huge_pages(true) {
        tracing::debug!(%error, "transparent huge pages stay as the system has them");
    }
}

/// glibc's thresholds: blocks under 32 MiB (the largest threshold it accepts) come from its heaps instead of a
/// fresh mapping each, and a heap's free top goes back to the kernel only past 256 MiB.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)] // the workspace's one unsafe block: no safe wrapper of mallopt exists
fn keep_c_heap() {
    for (param, value, name) in [
        (libc::M_MMAP_THRESHOLD, 32 << 20, "M_MMAP_THRESHOLD"),
        (libc::M_TRIM_THRESHOLD, 256 << 20, "M_TRIM_THRESHOLD"),
    ] {
        // SAFETY: mallopt takes two integers and only changes glibc's allocation thresholds; it is called from `main`
        // before any other thread exists, and glibc serialises it with its arenas' locks in any case.
        let accepted = unsafe { libc::mallopt(param, value) } == 1;
        if !accepted {
            tracing::debug!(param = name, value, "glibc refused an allocation threshold");
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// The kernel reports the flag back, and so does the process's status file where the kernel has the line.
    #[test]
    fn huge_pages_are_off_once_settled() {
        super::no_huge_pages();
        assert!(rustix::thread::transparent_huge_pages_are_disabled().expect("prctl(PR_GET_THP_DISABLE)"));
        let status = std::fs::read_to_string("/proc/self/status").expect("reading /proc/self/status");
        if let Some(line) = status.lines().find(|line| line.starts_with("THP_enabled:")) {
            assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
        }
    }
}
