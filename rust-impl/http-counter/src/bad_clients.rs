//! The misbehaving clients that the HTTP servers' tests send (this crate's counter,
//! `tests/bad_clients.rs`, and chapter 4's cache server,
//! `rust-impl/chapters/examples/ch4_cache_server.rs`) before checking that well-formed
//! requests are still answered and memory stays bounded. Loopback only; every client is
//! bounded in bytes, connections and time. The Go servers' tests send the same ones
//! (`go-reference/internal/badclient`).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How much the resident set may grow under the bad clients, in KiB.
pub const RSS_BOUND_KIB: u64 = 256 << 10;

/// This process's resident set size, from `/proc/self/status`.
pub fn vm_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .expect("/proc/self/status")
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("a VmRSS line")
}

/// Panics if the resident set grew by more than [`RSS_BOUND_KIB`] since `before`.
pub fn assert_rss_bounded(before: u64) {
    let rss = vm_rss_kib();
    assert!(
        rss <= before + RSS_BOUND_KIB,
        "VmRSS grew from {before} KiB to {rss} KiB under bad clients (bound: +{} MiB)",
        RSS_BOUND_KIB >> 10
    );
}

/// Sends `bytes` on a fresh connection; returns up to 4 KiB of the answer, read until
/// the end of its headers, the server closes, or 30 s pass.
pub async fn raw(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let _ = s.write_all(bytes).await;
    let mut buf = vec![0u8; 4096];
    let mut got = 0;
    let read = async {
        while got < buf.len() {
            match s.read(&mut buf[got..]).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
            if buf[..got].windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(30), read).await;
    String::from_utf8_lossy(&buf[..got]).into_owned()
}

/// A request `METHOD PATH` (e.g. `"POST /big"`) announcing and carrying an 8 MiB body.
pub fn oversized(method_and_path: &str) -> Vec<u8> {
    let mut req =
        format!("{method_and_path} HTTP/1.1\r\nHost: x\r\nContent-Length: 8388608\r\n\r\n")
            .into_bytes();
    req.extend(std::iter::repeat_n(b'9', 8 << 20));
    req
}

/// Sends a request line that is not HTTP; panics unless the answer is a 400.
pub async fn assert_malformed_line_gets_400(addr: SocketAddr) {
    let got = raw(addr, b"THIS IS NOT HTTP\r\n\r\n").await;
    assert!(
        got.starts_with("HTTP/1.1 400"),
        "malformed request line: {got:?}"
    );
}

/// Opens a connection that starts a GET of `path` and never finishes its headers, then
/// `idle` connections that send nothing; they stay open until the returned streams drop.
pub async fn hold(addr: SocketAddr, path: &str, idle: usize) -> Vec<TcpStream> {
    let mut held = Vec::with_capacity(idle + 1);
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nX-Slow: ").as_bytes())
        .await
        .unwrap();
    held.push(slow);
    for _ in 0..idle {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    held
}
