//! The counter under bad clients: an oversized body, a malformed request line, a client
//! that never finishes its headers, and hundreds of idle connections. Afterwards a bounded
//! load is still counted exactly and the process's resident memory stays within a generous
//! bound. Loopback only; every step is bounded in bytes, connections and time.

use std::net::SocketAddr;
use std::time::Duration;

use http_counter::bad_clients::{
    assert_malformed_line_gets_400, assert_rss_bounded, hold, oversized, raw, vm_rss_kib,
};
use http_counter::{Hits, load, mismatches, start};

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
    let _ = raw(addr, &oversized("POST /big")).await;
    counts_exactly(addr, &hits).await;

    // A malformed request line gets a 400.
    assert_malformed_line_gets_400(addr).await;
    counts_exactly(addr, &hits).await;

    // A client that never finishes its headers, and 300 idle connections.
    let held = hold(addr, "/slow", 300).await;
    counts_exactly(addr, &hits).await;
    assert!(
        hits.get("/slow").is_none(),
        "an unfinished request was counted"
    );

    assert_rss_bounded(rss_before);
    drop(held);
}
