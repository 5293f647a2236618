// Chapter 2.5: the HTTP hit counter with its map in Rc<RefCell<..>>, the
// single-threaded way to share a mutable map. axum runs handlers on several
// threads, so the router's state must be Send + Sync; this is neither.
// ANCHOR: program
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use axum::Router;
use axum::extract::State;
use axum::http::Uri;

type Hits = Rc<RefCell<HashMap<String, u64>>>;

async fn count_hit(State(hits): State<Hits>, uri: Uri) -> &'static str {
    *hits.borrow_mut().entry(uri.path().to_owned()).or_insert(0) += 1;
    "ok\n"
}

#[tokio::main]
async fn main() {
    let hits = Hits::default();
    let app = Router::new().fallback(count_hit).with_state(hits);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
// ANCHOR_END: program
