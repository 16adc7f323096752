//! Where log lines go: stderr, but info and debug lines are gathered in memory and written
//! together at least every [`FLUSH_EVERY`] (or once [`FLUSH_AT`] bytes wait). One `write`
//! per request line was 2–3 % of a small download's CPU; a warning or an error is written
//! at once, after whatever was waiting, so a crash's last words are never held back.

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
