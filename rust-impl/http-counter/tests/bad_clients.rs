//! The counter under bad clients: an oversized body, a malformed request line, a client
//! that never finishes its headers, and hundreds of idle connections. Afterwards a bounded
//! load is still counted exactly and the process's resident memory stays within a generous
//! bound. Loopback only; every step is bounded in bytes, connections and time.

use std::net::SocketAddr;
use std::time::Duration;

use http_counter::{Hits, load, mismatches, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn vm_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("a VmRSS line")
}

/// Sends `bytes` on a fresh connection and returns what comes back (up to 4 KiB, 30 s).
async fn raw(addr: SocketAddr, bytes: &[u8]) -> String {
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

/// A bounded load that must be counted exactly.
async fn counts_exactly(addr: SocketAddr, hits: &Hits) {
    hits.clear();
    let sent = load(addr, 4, 400, 10, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(sent.values().sum::<u64>(), 400);
    assert_eq!(mismatches(hits, &sent), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_counter_survives_bad_clients() {
    let hits = Hits::default();
    let addr = start(hits.clone()).await.unwrap();
    counts_exactly(addr, &hits).await;
    let rss_before = vm_rss_kib();

    // An oversized body (8 MiB, announced): any answer or a reset is fine, a crash is not.
    let mut req = b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 8388608\r\n\r\n".to_vec();
    req.extend(std::iter::repeat_n(b'9', 8 << 20));
    let _ = raw(addr, &req).await;
    counts_exactly(addr, &hits).await;

    // A malformed request line gets a 400.
    let got = raw(addr, b"THIS IS NOT HTTP\r\n\r\n").await;
    assert!(
        got.starts_with("HTTP/1.1 400"),
        "malformed request line: {got:?}"
    );
    counts_exactly(addr, &hits).await;

    // A client that never finishes its headers, and 300 idle connections.
    let mut held = Vec::new();
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    held.push(slow);
    for _ in 0..300 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    counts_exactly(addr, &hits).await;
    assert!(
        hits.get("/slow").is_none(),
        "an unfinished request was counted"
    );

    let rss = vm_rss_kib();
    assert!(
        rss <= rss_before + (256 << 10),
        "VmRSS grew from {rss_before} KiB to {rss} KiB under bad clients (bound: +256 MiB)"
    );
    drop(held);
}
