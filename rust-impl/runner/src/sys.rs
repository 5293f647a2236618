//! What the runner reads about the process and the host: RSS and steal from /proc, the
//! host's CPU, kernel and name, the git commit. (UTC time stamps: `cmap_formats::host::rfc3339`.)

use std::fs;
use std::process::{Command, Stdio};

use serde::Serialize;

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

/// The `host` object of `run_start`.
#[derive(Debug, Clone, Serialize)]
pub struct HostInfo {
    /// `/proc/cpuinfo`'s first `model name` (or `Hardware`/`Processor`, on ARM).
    pub cpu_model: Option<String>,
    /// CPUs this process may run on (its affinity mask; what Go's `runtime.NumCPU` reports).
    pub vcpus: usize,
    /// `/proc/sys/kernel/osrelease`.
    pub kernel: Option<String>,
    /// `/proc/sys/kernel/hostname`.
    pub hostname: Option<String>,
}

/// Reads the host description.
pub fn host_info() -> HostInfo {
    let read = |path: &str| {
        fs::read_to_string(path)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    HostInfo {
        cpu_model: cpu_model(),
        vcpus: affinity_cpus(),
        kernel: read("/proc/sys/kernel/osrelease"),
        hostname: read("/proc/sys/kernel/hostname"),
    }
}

fn cpu_model() -> Option<String> {
    let info = fs::read_to_string("/proc/cpuinfo").ok()?;
    ["model name", "Hardware", "Processor"]
        .iter()
        .find_map(|field| {
            info.lines().find_map(|line| {
                let (name, value) = line.split_once(':')?;
                (name.trim() == *field && !value.trim().is_empty()).then(|| value.trim().to_owned())
            })
        })
}

fn affinity_cpus() -> usize {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; sched_getaffinity writes at most
    // size_of::<cpu_set_t>() bytes into it, and CPU_COUNT only reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0 {
            let n = libc::CPU_COUNT(&set);
            if n > 0 {
                return n as usize;
            }
        }
    }
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `git rev-parse HEAD` in the current directory, if git is there and it is a repository.
pub fn git_commit() -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let commit = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && commit.len() >= 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(commit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_readers_work_on_linux() {
        assert!(rss_bytes().unwrap() > 0);
        assert!(steal_ticks().is_some());
        assert!(host_info().vcpus >= 1);
    }
}
