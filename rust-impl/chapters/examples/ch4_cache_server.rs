//! Chapter 4.1: the key-value cache over HTTP, the Rust twin of
//! `go-reference/cmd/ch4-cache-server`: one map from `u64` keys to `u64`
//! values, chosen by name from the maps under test (`cmap-maps`), behind axum.
//!
//! ```text
//! cargo run --release -p chapters --example ch4_cache_server -- --map dashmap-foldhash
//!
//! GET /k/{key}  200 and the value in decimal; on a miss 404, and the cache
//!               fills the key with its origin value (!key), so the next GET hits
//! PUT /k/{key}  body: the value in decimal; 204
//! GET /about    one line: the map, its crate and version
//! ```
//!
//! It listens on 127.0.0.1 only (`--addr`, default port 0: any free port),
//! prints `listening on http://ADDR` as the first line of standard output, and
//! serves until it is killed. Tokio's multi-threaded runtime runs one worker
//! per CPU, as Go's `GOMAXPROCS` does. Exit status 2 for a bad flag or an
//! unknown map name (the message lists the valid ones).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cmap_maps::{ConcurrentMap, MapHandle, MapInfo, MapVisitor, ReadVisibility};

/// The maps the chapter sweeps, and the default.
const DEFAULT_MAP: &str = "rwlock-std-foldhash";

/// Checks that `name` is a registered map a server can use: any number of
/// threads at once (tokio moves requests between worker threads), and a PUT
/// visible to the next GET (evmap publishes writes in batches).
fn check_map(name: &str) -> Result<&'static MapInfo, String> {
    let info = cmap_maps::find(name).map_err(|e| e.to_string())?;
    if info.max_threads.is_some() {
        return Err(format!(
            "map `{name}` is limited to {:?} thread(s); a server needs any number",
            info.max_threads
        ));
    }
    if info.reads != ReadVisibility::Immediate {
        return Err(format!(
            "map `{name}` makes writes visible in batches; a cache must serve a PUT's value to the next GET"
        ));
    }
    Ok(info)
}

// ANCHOR: handlers
/// The whole service: one shared map. A map handle is per thread and may hold
/// an epoch guard (papaya), so each request takes one, uses it, and drops it
/// before the response is sent: no handle lives across an `.await`.
struct Cache<M> {
    map: M,
    about: String,
}

/// What the slow backend a cache fronts would return for `key`; here it costs
/// nothing, so the map and HTTP are all that is measured.
fn origin_value(key: u64) -> u64 {
    !key
}

async fn get_key<M: ConcurrentMap>(
    State(cache): State<Arc<Cache<M>>>,
    Path(key): Path<u64>,
) -> Response {
    let mut handle = cache.map.handle();
    match handle.get(key) {
        Some(v) => v.to_string().into_response(),
        None => {
            // A miss fills the cache; two racing fills store the same value.
            handle.insert(key, origin_value(key));
            StatusCode::NOT_FOUND.into_response()
        }
    }
}

async fn put_key<M: ConcurrentMap>(
    State(cache): State<Arc<Cache<M>>>,
    Path(key): Path<u64>,
    body: String,
) -> Response {
    let Ok(value) = body.parse::<u64>() else {
        return (StatusCode::BAD_REQUEST, "body: want a decimal u64").into_response();
    };
    cache.map.handle().insert(key, value);
    StatusCode::NO_CONTENT.into_response()
}
// ANCHOR_END: handlers

/// Builds the routes over a new, empty map of type `M`.
struct BuildRouter;

impl MapVisitor for BuildRouter {
    type Output = Router;
    fn visit<M: ConcurrentMap>(self) -> Router {
        let info = M::describe();
        let cache = Arc::new(Cache {
            map: M::with_capacity(0),
            about: format!(
                "rust {}: {} {}, hasher {}",
                info.name, info.crate_name, info.crate_version, info.hasher
            ),
        });
        Router::new()
            .route("/k/{key}", get(get_key::<M>).put(put_key::<M>))
            .route(
                "/about",
                get(|State(c): State<Arc<Cache<M>>>| async move { format!("{}\n", c.about) }),
            )
            .with_state(cache)
    }
}

/// The router for the map named `name`, or why that map cannot serve.
fn router(name: &str) -> Result<Router, String> {
    check_map(name)?;
    cmap_maps::visit_by_name(name, BuildRouter).map_err(|e| e.to_string())
}

/// The command line.
#[derive(clap::Parser, Debug)]
#[command(name = "ch4_cache_server")]
struct Options {
    /// The map to serve from (a registered map any number of threads can
    /// use, whose writes are visible at once).
    #[arg(long, value_name = "NAME", default_value = DEFAULT_MAP, value_parser = map_name)]
    map: String,
    /// Where to listen.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:0")]
    addr: SocketAddr,
}

/// `--map`: a map `check_map` accepts.
fn map_name(name: &str) -> Result<String, String> {
    check_map(name).map(|_| name.to_owned())
}

/// Binds `addr` and serves `app` on a spawned task; returns the bound address.
async fn start(app: Router, addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    // TCP_NODELAY on every accepted connection, as Go's net/http sets by default:
    // without it Nagle's algorithm can hold a small response back for the client's
    // delayed ACK, which a latency test would charge to the map.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            eprintln!("TCP_NODELAY: {e}");
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(bound)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let o = <Options as clap::Parser>::parse();
    let app = match router(&o.map) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("ch4_cache_server: flag --map: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match start(app, o.addr).await {
        Ok(addr) => println!("listening on http://{addr}"),
        Err(e) => {
            eprintln!("ch4_cache_server: flag --addr {}: {e}", o.addr);
            return std::process::ExitCode::from(2);
        }
    }
    // Serve until killed (the driver sends SIGTERM; nothing is kept in memory
    // that needs a clean shutdown).
    std::future::pending::<()>().await;
    std::process::ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    /// The maps the chapter serves from.
    const MAPS: [&str; 3] = [
        "rwlock-std-foldhash",
        "dashmap-foldhash",
        "papaya-blocking-sip",
    ];

    /// One request on its own connection; returns the status and the body.
    async fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).await.unwrap();
        let status = resp[9..12].parse().unwrap();
        let body = resp.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (status, body.to_owned())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn get_and_put_for_every_chapter_map() {
        for name in MAPS {
            let addr = start(router(name).unwrap(), SocketAddr::from(([127, 0, 0, 1], 0)))
                .await
                .unwrap();
            let fill = origin_value(7).to_string();
            assert_eq!(
                request(addr, "GET", "/k/7", "").await.0,
                404,
                "{name}: first GET misses"
            );
            assert_eq!(
                request(addr, "GET", "/k/7", "").await,
                (200, fill),
                "{name}: the miss filled the key"
            );
            assert_eq!(
                request(addr, "PUT", "/k/7", "42").await.0,
                204,
                "{name}: PUT"
            );
            assert_eq!(
                request(addr, "GET", "/k/7", "").await,
                (200, "42".to_owned()),
                "{name}: GET after PUT"
            );
            assert_eq!(
                request(addr, "GET", "/k/18446744073709551615", "").await,
                (404, String::new())
            );
            for (method, path, body) in [
                ("GET", "/k/-1", ""),
                ("GET", "/k/x", ""),
                ("PUT", "/k/1", "4x"),
                ("PUT", "/k/1", ""),
            ] {
                assert_eq!(
                    request(addr, method, path, body).await.0,
                    400,
                    "{name}: {method} {path} {body:?}"
                );
            }
            let (status, about) = request(addr, "GET", "/about", "").await;
            assert!(
                status == 200 && about.contains(name),
                "{name}: /about said {status} {about:?}"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_puts_are_all_stored() {
        for name in MAPS {
            let addr = start(router(name).unwrap(), SocketAddr::from(([127, 0, 0, 1], 0)))
                .await
                .unwrap();
            let tasks: Vec<_> = (0..4u64)
                .map(|t| {
                    tokio::spawn(async move {
                        for k in t * 1000..t * 1000 + 25 {
                            let (status, _) =
                                request(addr, "PUT", &format!("/k/{k}"), &(k * 3).to_string())
                                    .await;
                            assert_eq!(status, 204);
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            for k in [24, 1024, 2024, 3024] {
                assert_eq!(
                    request(addr, "GET", &format!("/k/{k}"), "").await,
                    (200, (k * 3).to_string()),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn unknown_or_unsuitable_map_is_an_error() {
        use clap::Parser as _;
        let parse = |a: &[&str]| Options::try_parse_from(["ch4_cache_server"].iter().chain(a));
        let map = |m: &str| parse(&["--map", m]).err().unwrap().to_string();
        let e = map("no-such-map");
        assert!(
            e.contains("--map") && e.contains("no-such-map") && e.contains("dashmap-foldhash"),
            "{e}"
        );
        let e = map("unsync-std-foldhash");
        assert!(e.contains("thread"), "{e}");
        let e = map("evmap-refresh-64-sip");
        assert!(e.contains("batches"), "{e}");
        assert!(router("no-such-map").is_err());
        for (bad, flag) in [
            (&["--map"][..], "--map"),
            (&["--addr", "x"], "--addr"),
            (&["--bogus"], "--bogus"),
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}: {err}");
            assert!(err.to_string().contains(flag), "{bad:?}: {err}");
        }
        let o = parse(&[]).unwrap();
        assert_eq!(o.map, DEFAULT_MAP);
        assert_eq!(o.addr, SocketAddr::from(([127, 0, 0, 1], 0)));
    }

    /// An oversized body, a malformed request line, a client that never finishes its
    /// headers and 300 idle connections: after each, a PUT and a GET still answer
    /// correctly, and resident memory stays within a generous bound. Loopback only,
    /// bounded bytes and connections.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bad_clients_do_not_stop_the_server() {
        use http_counter::bad_clients::{
            assert_malformed_line_gets_400, assert_rss_bounded, hold, oversized, raw, vm_rss_kib,
        };
        let addr = start(
            router("dashmap-foldhash").unwrap(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        )
        .await
        .unwrap();
        let well_formed = |key: u64| async move {
            assert_eq!(
                request(addr, "PUT", &format!("/k/{key}"), &(key * 3).to_string())
                    .await
                    .0,
                204
            );
            assert_eq!(
                request(addr, "GET", &format!("/k/{key}"), "").await,
                (200, (key * 3).to_string())
            );
        };
        well_formed(1).await;
        let rss_before = vm_rss_kib();

        let got = raw(addr, &oversized("PUT /k/2")).await;
        assert!(
            got.is_empty() || !got.starts_with("HTTP/1.1 204"),
            "an 8 MiB value was accepted: {got:?}"
        );
        well_formed(2).await;

        assert_malformed_line_gets_400(addr).await;
        well_formed(3).await;

        let held = hold(addr, "/k/9", 300).await;
        well_formed(4).await;
        assert_rss_bounded(rss_before);
        drop(held);
    }

    #[test]
    fn help_exits_0_and_an_unknown_flag_exits_2() {
        chapters::cli::assert_cli::<Options>();
    }
}
