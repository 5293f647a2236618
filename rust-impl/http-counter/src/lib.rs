//! Chapter 2.5: a hit counter whose request handlers all write one map.
//!
//! axum runs each connection as its own tokio task, on any of the runtime's
//! worker threads, so the handler below runs on several threads at once,
//! exactly like a Go `net/http` handler. The map is therefore an
//! `Arc<DashMap>`: the `Arc` because every task owns a handle to it, the
//! `DashMap` because every task writes it. `tests/ui/ch2_http_rc_refcell.rs`
//! in the `chapters` crate is the same server with `Rc<RefCell<HashMap>>`,
//! which does not compile.

pub mod bad_clients;

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::Uri;
use dashmap::DashMap;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

// ANCHOR: handler
/// Hits per request path, shared by every connection's task.
pub type Hits = Arc<DashMap<String, u64>>;

async fn count_hit(State(hits): State<Hits>, uri: Uri) -> &'static str {
    // The entry guard locks one shard of the map for the increment.
    *hits.entry(uri.path().to_owned()).or_insert(0) += 1;
    "ok\n"
}

/// Every path is counted by the same handler.
pub fn router(hits: Hits) -> Router {
    Router::new().fallback(count_hit).with_state(hits)
}
// ANCHOR_END: handler

/// Starts the counter on 127.0.0.1 (a free port) and returns its address;
/// the server task runs until the runtime shuts down.
pub async fn start(hits: Hits) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router(hits)).await });
    Ok(addr)
}

/// What a load run sent: requests per path.
pub type Sent = HashMap<String, u64>;

/// Sends `requests` GET requests to `addr` over `conns` concurrent keep-alive
/// connections (request `i` goes to `/k{i % paths}`), and returns how many
/// went to each path. Bounded: it fails if the whole run takes longer than
/// `limit`.
pub async fn load(
    addr: SocketAddr,
    conns: usize,
    requests: usize,
    paths: usize,
    limit: Duration,
) -> io::Result<Sent> {
    let run = async {
        let mut tasks = Vec::with_capacity(conns);
        for c in 0..conns {
            // Connection c sends requests c, c+conns, c+2*conns, ...
            let mine: Vec<usize> = (c..requests).step_by(conns).collect();
            tasks.push(tokio::spawn(one_connection(addr, mine, paths)));
        }
        let mut sent = Sent::new();
        for t in tasks {
            for (path, n) in t.await.map_err(io::Error::other)?? {
                *sent.entry(path).or_insert(0) += n;
            }
        }
        Ok(sent)
    };
    tokio::time::timeout(limit, run)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, format!("load took over {limit:?}")))?
}

/// A minimal HTTP/1.1 client: one connection, requests in sequence, each
/// response read up to its `Content-Length`. Enough for this server, and it
/// keeps an HTTP client library out of the build.
async fn one_connection(addr: SocketAddr, requests: Vec<usize>, paths: usize) -> io::Result<Sent> {
    let mut stream = BufReader::new(TcpStream::connect(addr).await?);
    let mut sent = Sent::new();
    let mut line = String::new();
    for i in requests {
        let path = format!("/k{}", i % paths);
        let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        stream.get_mut().write_all(req.as_bytes()).await?;
        let mut content_length = None;
        line.clear();
        stream.read_line(&mut line).await?;
        if !line.starts_with("HTTP/1.1 200") {
            return Err(io::Error::other(format!("{path}: status line {line:?}")));
        }
        loop {
            line.clear();
            if stream.read_line(&mut line).await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                content_length = value.trim().parse::<usize>().ok();
            }
        }
        let len = content_length.ok_or_else(|| io::Error::other("no Content-Length"))?;
        let mut body = vec![0; len];
        stream.read_exact(&mut body).await?;
        *sent.entry(path).or_insert(0) += 1;
    }
    Ok(sent)
}

/// Compares what the server counted with what the client sent; returns the
/// paths whose counts differ (empty when every request was counted once).
pub fn mismatches(hits: &DashMap<String, u64>, sent: &Sent) -> Vec<String> {
    let mut bad: Vec<String> = sent
        .iter()
        .filter(|(path, n)| hits.get(*path).map(|h| *h) != Some(**n))
        .map(|(path, _)| path.clone())
        .collect();
    bad.extend(
        hits.iter()
            .filter(|e| !sent.contains_key(e.key()))
            .map(|e| e.key().clone()),
    );
    bad.sort();
    bad
}
