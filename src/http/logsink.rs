//! Where log lines go: stderr, but info and debug lines are gathered in memory and written
//! together at least every [`FLUSH_EVERY`] (or once [`FLUSH_AT`] bytes wait). One `write`
//! per request line was 2–3 % of a small download's CPU; a warning or an error is written
//! at once, after whatever was waiting, so a crash's last words are never held back.

use std::fmt;
use std::io::{self, Write};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

const FLUSH_EVERY: Duration = Duration::from_millis(50);
const FLUSH_AT: usize = 64 * 1024;

/// The process's log sink (see the module docs).
pub struct LogSink {
    waiting: Mutex<Vec<u8>>,
}

static SINK: OnceLock<LogSink> = OnceLock::new();

impl LogSink {
    /// The sink, with its flushing thread started on first use.
    pub fn get() -> &'static LogSink {
        SINK.get_or_init(|| {
            let _ = std::thread::Builder::new()
                .name("log-flush".into())
                .spawn(|| loop {
                    std::thread::sleep(FLUSH_EVERY);
                    if let Some(sink) = SINK.get() {
                        sink.flush();
                    }
                });
            LogSink {
                waiting: Mutex::new(Vec::with_capacity(FLUSH_AT)),
            }
        })
    }

    /// Writes out whatever is waiting.
    pub fn flush(&self) {
        let mut waiting = self.lock();
        write_out(&mut waiting);
    }

    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        // A panic while holding the lock leaves bytes, not broken invariants.
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn write_out(waiting: &mut Vec<u8>) {
    if !waiting.is_empty() {
        // Nowhere to report a failed write to stderr.
        let _ = io::stderr().write_all(waiting);
        waiting.clear();
    }
}

/// One line's writer: buffered, or straight through for warnings and errors.
pub struct LineWriter {
    sink: &'static LogSink,
    urgent: bool,
}

impl Write for LineWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut waiting = self.sink.lock();
        waiting.extend_from_slice(buf);
        if self.urgent || waiting.len() >= FLUSH_AT {
            write_out(&mut waiting);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for &'static LogSink {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        LineWriter {
            sink: self,
            urgent: true,
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> LineWriter {
        LineWriter {
            sink: self,
            urgent: *meta.level() <= Level::WARN,
        }
    }
}

/// Appends one info line in the fmt subscriber's own layout
/// (`2026-11-21T18:12:56.912811Z  INFO request{id=7}: hoard::middleware: …`) without its
/// per-character escaping, which cost as much as a small download's whole handler. Only for
/// lines whose every part is already free of control characters (the caller's promise),
/// and only when the caller's callsite is enabled (`tracing::enabled!`).
pub fn info_line(context: fmt::Arguments, target: &str, message: fmt::Arguments) {
    let mut line = Vec::with_capacity(192);
    line.extend_from_slice(&timestamp(chrono::Utc::now()));
    // Writing into a Vec cannot fail.
    let _ = writeln!(line, "  INFO {context}: {target}: {message}");
    let mut waiting = LogSink::get().lock();
    waiting.extend_from_slice(&line);
    if waiting.len() >= FLUSH_AT {
        write_out(&mut waiting);
    }
}

/// `2026-11-21T18:12:56.912811Z`, as the fmt subscriber prints it.
fn timestamp(now: chrono::DateTime<chrono::Utc>) -> [u8; 27] {
    use chrono::{Datelike, Timelike};
    let mut out = *b"0000-00-00T00:00:00.000000Z";
    let year = now.year().clamp(0, 9999) as u32;
    let micros = now.timestamp_subsec_micros().min(999_999);
    let fields = [
        (0, year / 100, 2),
        (2, year % 100, 2),
        (5, now.month(), 2),
        (8, now.day(), 2),
        (11, now.hour(), 2),
        (14, now.minute(), 2),
        (17, now.second(), 2),
        (20, micros, 6),
    ];
    for (at, mut value, width) in fields {
        for digit in out[at..at + width].iter_mut().rev() {
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::timestamp;

    #[test]
    fn timestamps_read_as_the_fmt_subscriber_writes_them() {
        let at = chrono::DateTime::from_timestamp(1_795_284_776, 912_811_000).unwrap_or_default();
        assert_eq!(&timestamp(at), b"2026-11-21T18:12:56.912811Z");
        let epoch = chrono::DateTime::from_timestamp(0, 0).unwrap_or_default();
        assert_eq!(&timestamp(epoch), b"1970-01-01T00:00:00.000000Z");
    }
}
