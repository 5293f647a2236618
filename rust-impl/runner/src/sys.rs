//! What the runner reads about its process: RSS and steal from /proc. (The host's CPU,
//! kernel and name, the git commit and UTC time stamps: `cmap_formats::host`, which the
//! manifest uses too.)

use std::fs;

/// Resident set size: `/proc/self/statm`'s second field (pages) × the page size.
pub fn rss_bytes() -> Option<u64> {
    let statm = fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 { size as u64 } else { 4096 }
}

/// The `steal` column (8th number) of `/proc/stat`'s aggregate `cpu` line, in clock ticks
/// since boot: time the hypervisor ran something else while a vCPU wanted to run.
pub fn steal_ticks() -> Option<u64> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    line.split_whitespace().nth(8)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_readers_work_on_linux() {
        assert!(rss_bytes().unwrap() > 0);
        assert!(steal_ticks().is_some());
    }
}
