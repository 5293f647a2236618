//! The book's chapter-specific analysis and figures: each module reads what one
//! chapter's programs or suite wrote and draws that chapter's page or figure, on the
//! shared look of [`crate::chart`]. The engine (suites, runs, check, report, compare)
//! does not use them; `mapbench`'s chapter subcommands do.
//!
//! | chapter | subcommand | module |
//! |---|---|---|
//! | 2.4 latency while a map resizes | `resize-latency` | [`resize_latency`] |
//! | 2 and 3: reclamation, resize latency, false sharing, deletes | `chapter-figure` | [`chapter_figures`] |
//! | 4.1 throughput knee (closed loop) | `http-knee` | [`httpknee`] |
//! | 4.1 latency against offered load (open loop) | `http-open`, `http-open-rates` | [`httpopen`] |
//! | 4.3 latency tails and GC pauses | `tails` | [`tails`] |
//! | 4.4 simulated cache misses | `cachesim-figure` | [`cachesim`] |
//!
//! [`tables`] reads the generated markdown tables that the chapter figures and the
//! "which map, when" page are drawn from.

pub mod cachesim;
pub mod chapter_figures;
pub mod httpknee;
pub mod httpopen;
pub mod resize_latency;
pub mod tables;
pub mod tails;

/// Test support: each case `(input, at, field)` fails to parse with an error that names
/// `at` (the file and line) and `field` (the column or what was expected).
#[cfg(test)]
pub(crate) fn assert_each_error_names<T: std::fmt::Debug>(
    cases: &[(String, &str, &str)],
    parse: impl Fn(&str) -> anyhow::Result<T>,
) {
    for (text, at, field) in cases {
        let e = parse(text).unwrap_err().to_string();
        assert!(
            e.contains(at) && e.contains(field),
            "want {at} and {field} in: {e}"
        );
    }
}
