//! Prints the registered maps as a Markdown table (name, crate and resolved
//! version, hasher, thread limit, read visibility, Go counterpart,
//! description), e.g. for the
//! book's reference appendix:
//!
//! ```sh
//! cargo run -q -p cmap-maps --example list_maps
//! ```

use cmap_maps::{ReadVisibility, all};

fn main() {
    println!(
        "| name | crate | version | hasher | threads | reads | Go counterpart | description |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for info in all() {
        let threads = info
            .max_threads
            .map_or_else(|| "any".to_owned(), |n| format!("at most {n}"));
        let reads = match info.reads {
            ReadVisibility::Immediate => "immediate".to_owned(),
            ReadVisibility::AfterPublish { writes_per_publish } => {
                format!("after publish (every {writes_per_publish} writes)")
            }
        };
        println!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |",
            info.name,
            info.crate_name,
            info.crate_version,
            info.hasher,
            threads,
            reads,
            info.go_counterpart.unwrap_or("-"),
            info.description
        );
    }
}
