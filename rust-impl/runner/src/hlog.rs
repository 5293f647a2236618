//! Latency histograms and the `.hlog` HdrHistogram interval log.
//!
//! One configuration on both sides (RUNNER-SPEC.md): values in nanoseconds, lowest 1,
//! highest 60 s, 3 significant digits; one V2 + DEFLATE histogram per interval, tag `lat`.
//!
//! The file looks like the Java and Go writers' output, so either side's reader (and
//! HdrHistogram's `HistogramLogProcessor`) takes it:
//!
//! ```text
//! #[Histogram log format version 1.3]
//! #[StartTime: 1781179200.000 (seconds since epoch), 2026-06-11T12:00:00Z]
//! #[BaseTime: 1781179200.000 (seconds since epoch)]
//! "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
//! Tag=lat,0.000,0.100,52223.000,HISTFAAAA...
//! ```
//!
//! StartTime and BaseTime are both the measured phase's start (Unix seconds), so each
//! interval's timestamp is its offset from that start in seconds, unambiguously. The max
//! column (informational: readers decode the histogram) is in nanoseconds, like the
//! values; Java's and Go's writers default to milliseconds there, which a reader must not
//! assume.

use std::fs::File;
use std::io::{self, LineWriter, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, Tag,
};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};

/// Lowest discernible value, ns.
pub const HDR_LOWEST_NS: u64 = 1;
/// Highest trackable value, ns (60 s); larger samples are clamped to it.
pub const HDR_HIGHEST_NS: u64 = 60_000_000_000;
/// Significant decimal digits.
pub const HDR_SIGFIGS: u8 = 3;
/// The tag on every interval histogram.
pub const HLOG_TAG: &str = "lat";

/// An empty histogram with the runner's configuration.
pub fn new_latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(HDR_LOWEST_NS, HDR_HIGHEST_NS, HDR_SIGFIGS)
        .expect("1 ns .. 60 s at 3 significant digits is a valid configuration")
}

/// Writes an interval log, one line per call, each line reaching the OS as it ends
/// (a killed run keeps every complete line).
pub struct HlogWriter<W: Write> {
    out: LineWriter<W>,
    serializer: V2DeflateSerializer,
}

impl HlogWriter<File> {
    /// A writer onto an open (new, empty) file.
    pub fn new(file: File) -> HlogWriter<File> {
        HlogWriter::to_writer(file)
    }
}

impl<W: Write> HlogWriter<W> {
    /// A writer onto anything.
    pub fn to_writer(out: W) -> HlogWriter<W> {
        HlogWriter {
            out: LineWriter::new(out),
            serializer: V2DeflateSerializer::new(),
        }
    }

    /// The underlying writer (flushed).
    pub fn into_inner(self) -> W {
        self.out
            .into_inner()
            .unwrap_or_else(|e| panic!("flushing the interval log: {}", e.error()))
    }

    /// A comment line (`#` + `text`); `text` must not contain a newline.
    pub fn write_comment(&mut self, text: &str) -> io::Result<()> {
        debug_assert!(!text.contains('\n'));
        writeln!(self.out, "#{text}")?;
        self.out.flush()
    }

    /// The header: format version, StartTime = BaseTime = `start`, legend.
    pub fn write_header(&mut self, start: SystemTime) -> io::Result<()> {
        let secs = start
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        writeln!(self.out, "#[Histogram log format version 1.3]")?;
        writeln!(
            self.out,
            "#[StartTime: {secs:.3} (seconds since epoch), {}]",
            cmap_formats::host::rfc3339(start)
        )?;
        writeln!(self.out, "#[BaseTime: {secs:.3} (seconds since epoch)]")?;
        writeln!(
            self.out,
            "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\""
        )?;
        self.out.flush()
    }

    /// One interval: `start` is its offset from the measured phase's start.
    pub fn write_interval(
        &mut self,
        hist: &Histogram<u64>,
        start: Duration,
        length: Duration,
    ) -> io::Result<()> {
        // A log writer per line: the builder writes nothing when given no comments, times
        // or max divisor, and this way `self.out` stays ours to flush between lines.
        let mut writer =
            IntervalLogWriterBuilder::new().begin_log_with(&mut self.out, &mut self.serializer)?;
        writer
            .write_histogram(hist, start, length, Tag::new(HLOG_TAG))
            .map_err(|e| io::Error::other(e.to_string()))?;
        self.out.flush()
    }
}

/// One interval read back from a log.
#[derive(Debug, Clone)]
pub struct LoggedInterval {
    /// The tag, if any.
    pub tag: Option<String>,
    /// Offset from BaseTime (or Unix time, without one).
    pub start: Duration,
    /// Interval length.
    pub length: Duration,
    /// The decoded histogram.
    pub hist: Histogram<u64>,
}

/// What an interval log says: its StartTime and BaseTime (Unix seconds) and intervals.
#[derive(Debug, Clone, Default)]
pub struct IntervalLog {
    /// `#[StartTime: ...]`, if present.
    pub start_time: Option<Duration>,
    /// `#[BaseTime: ...]`, if present.
    pub base_time: Option<Duration>,
    /// The intervals, in file order.
    pub intervals: Vec<LoggedInterval>,
}

/// Parses and decodes a whole interval log (ours or another HdrHistogram writer's).
pub fn read_log(text: &[u8]) -> Result<IntervalLog, String> {
    let mut log = IntervalLog::default();
    let mut deserializer = Deserializer::new();
    for entry in IntervalLogIterator::new(text) {
        match entry.map_err(|e| format!("cannot parse interval log: {e:?}"))? {
            LogEntry::StartTime(t) => log.start_time = Some(t),
            LogEntry::BaseTime(t) => log.base_time = Some(t),
            LogEntry::Interval(i) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(i.encoded_histogram())
                    .map_err(|e| {
                        format!("interval at {:?}: bad base64: {e}", i.start_timestamp())
                    })?;
                let hist: Histogram<u64> = deserializer
                    .deserialize(&mut bytes.as_slice())
                    .map_err(|e| {
                        format!(
                            "interval at {:?}: cannot decode histogram: {e:?}",
                            i.start_timestamp()
                        )
                    })?;
                log.intervals.push(LoggedInterval {
                    tag: i.tag().map(|t| t.as_str().to_owned()),
                    start: i.start_timestamp(),
                    length: i.duration(),
                    hist,
                });
            }
        }
    }
    Ok(log)
}
