//! The environment a result comes from: host, toolchains, git commit, and UTC time
//! stamps (RFC 3339, without a date-time dependency). The one place the Rust side reads
//! these facts: the manifest ([`Host`], [`GitInfo`]) and the Rust runner's `run_start`
//! ([`RunHost::current`], [`GitInfo::commit_of`]) use the same readers. (The Go runner
//! has its own, `go-reference/runner/host.go`.)

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::results::RunHost;

/// The machine, as the manifest and `bench.txt` record it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Host {
    pub cpu_model: Option<String>,
    pub vcpus: Option<u32>,
    pub kernel: Option<String>,
    pub hostname: Option<String>,
    /// Go's names for the platform, as in `go test -bench` output.
    pub goos: String,
    pub goarch: String,
}

impl Host {
    pub fn current() -> Host {
        Host {
            cpu_model: cpu_model(),
            vcpus: u32::try_from(vcpus()).ok(),
            kernel: kernel(),
            hostname: hostname(),
            goos: std::env::consts::OS.to_owned(),
            goarch: go_arch(std::env::consts::ARCH).to_owned(),
        }
    }
}

impl RunHost {
    /// `run_start.host`: the same facts as [`Host::current`], without Go's platform names.
    pub fn current() -> RunHost {
        RunHost {
            cpu_model: cpu_model(),
            vcpus: u32::try_from(vcpus()).ok(),
            kernel: kernel(),
            hostname: hostname(),
            extra: Default::default(),
        }
    }
}

/// A `/proc` file's contents, trimmed; `None` if unreadable or empty.
fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// `/proc/cpuinfo`'s first `model name` (or `Hardware`/`Processor`, on ARM).
pub fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    ["model name", "Hardware", "Processor"]
        .iter()
        .find_map(|field| {
            info.lines().find_map(|line| {
                let (name, value) = line.split_once(':')?;
                (name.trim() == *field && !value.trim().is_empty()).then(|| value.trim().to_owned())
            })
        })
}

/// `/proc/sys/kernel/osrelease`.
pub fn kernel() -> Option<String> {
    read_trimmed("/proc/sys/kernel/osrelease")
}

/// `/proc/sys/kernel/hostname`.
pub fn hostname() -> Option<String> {
    read_trimmed("/proc/sys/kernel/hostname")
}

/// CPUs this process may run on: its affinity mask, which is what Go's `runtime.NumCPU`
/// reports (so both runners and the manifest agree); elsewhere, or if that fails,
/// `available_parallelism`.
pub fn vcpus() -> usize {
    #[cfg(target_os = "linux")]
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

/// Rust's architecture name as Go spells it.
pub fn go_arch(rust_arch: &str) -> &str {
    match rust_arch {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        other => other,
    }
}

/// The commit a result was measured at, and whether the tree had local changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GitInfo {
    pub commit: Option<String>,
    pub dirty: Option<bool>,
}

impl GitInfo {
    pub fn of(repo: &Path) -> GitInfo {
        GitInfo {
            commit: Self::commit_of(repo),
            dirty: git(repo, &["status", "--porcelain", "--untracked-files=no"])
                .map(|s| !s.is_empty()),
        }
    }

    /// `git rev-parse HEAD` in `repo` (the runners: `.`, the working directory), if git
    /// is there, it is a repository and the answer is a full commit id.
    pub fn commit_of(repo: &Path) -> Option<String> {
        git(repo, &["rev-parse", "HEAD"])
            .filter(|c| c.len() >= 40 && c.bytes().all(|b| b.is_ascii_hexdigit()))
    }

    /// The commit, with `-dirty` when the tree had local changes, or `unknown`.
    pub fn describe(&self) -> String {
        match (&self.commit, self.dirty) {
            (Some(c), Some(true)) => format!("{c}-dirty"),
            (Some(c), _) => c.clone(),
            (None, _) => "unknown".to_owned(),
        }
    }
}

/// `git -C repo ARGS`' stdout, trimmed, if it ran and succeeded (its stderr, such as
/// "not a git repository", is not shown).
fn git(repo: &Path, args: &[&str]) -> Option<String> {
    Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
}

/// The first line a command prints on stdout (`rustc -V`, `go version`), if it runs.
pub fn tool_version(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()
    })
}

/// Civil date from days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Days since 1970-01-01 from a civil date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = y - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since 1970-01-01 of a UTC time as [`rfc3339`] writes it, fractional seconds
/// allowed (`2026-01-02T03:04:05.678Z`, as the Go runner writes); None for anything else.
pub fn parse_rfc3339(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let t = s.get(r)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let frac = match s.get(19..)? {
        "Z" => 0.0,
        f if f.len() > 2 && f.starts_with('.') && f.ends_with('Z') => {
            let digits = &f[1..f.len() - 1];
            if !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            format!("0.{digits}").parse().ok()?
        }
        _ => return None,
    };
    let days = days_from_civil(i64::from(y), mo, d);
    Some((days * 86_400 + i64::from(h * 3600 + mi * 60 + sec)) as f64 + frac)
}

fn utc_parts(t: SystemTime) -> (i64, u32, u32, u64, u64, u64) {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    (y, m, d, s / 3600, s / 60 % 60, s % 60)
}

/// `2026-01-02T03:04:05Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = utc_parts(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `20260102T030405Z`: sorts by time and is safe in a file name.
pub fn compact_stamp(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = utc_parts(t);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

pub fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn utc_formatting() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_709_210_096); // leap day 2024
        assert_eq!(rfc3339(t), "2024-02-29T12:34:56Z");
        assert_eq!(compact_stamp(t), "20240229T123456Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339(t), "2000-02-29T00:00:00Z");
        let at = |s| rfc3339(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(1_781_179_199), "2026-06-11T11:59:59Z");
        assert_eq!(at(4_102_444_800), "2100-01-01T00:00:00Z");
    }

    #[test]
    fn parsing_inverts_formatting() {
        for secs in [
            0u64,
            951_782_400,
            1_709_210_096,
            1_796_289_028,
            4_102_444_799,
        ] {
            let t = UNIX_EPOCH + Duration::from_secs(secs);
            assert_eq!(
                parse_rfc3339(&rfc3339(t)),
                Some(secs as f64),
                "{}",
                rfc3339(t)
            );
        }
        assert_eq!(
            parse_rfc3339("2026-12-03T09:10:28.481Z"),
            Some(parse_rfc3339("2026-12-03T09:10:28Z").unwrap() + 0.481)
        );
        for bad in [
            "",
            "2026-12-03",
            "2026-12-03T09:10:28",
            "2026-12-03T09:10:28+01:00",
            "2026-13-03T09:10:28Z",
            "2026-12-03T24:10:28Z",
            "2026-12-03T09:10:28.Z",
            "2026-12-03T09:1x:28Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn go_names() {
        assert_eq!(go_arch("x86_64"), "amd64");
        assert_eq!(go_arch("aarch64"), "arm64");
        assert_eq!(go_arch("riscv64"), "riscv64");
    }
}
