//! The `Arc<DashMap>` counter under bounded concurrent load counts every
//! request exactly once.

use std::time::Duration;

use http_counter::{Hits, load, mismatches, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_is_counted_once() {
    let hits = Hits::default();
    let addr = start(hits.clone()).await.unwrap();
    let sent = load(addr, 16, 8_000, 50, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(sent.values().sum::<u64>(), 8_000);
    assert_eq!(sent.len(), 50);
    assert_eq!(mismatches(&hits, &sent), Vec::<String>::new());
    assert_eq!(hits.get("/k7").map(|h| *h), Some(160));
}
