//! Logs and metrics set-up, once per process.
//!
//! Every log line goes through [`Scrubbed`] before it is written: phone numbers, e-mails, card
//! and id numbers are masked whatever carried them (a dead-letter reason quoting a sender id, a
//! serde error quoting a numeric `from`, a Graph error text), at every level, pretty or JSON.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::io::Write;
use std::sync::OnceLock;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Installs the tracing subscriber: JSON when `json` is true, human-readable otherwise. Level from
/// `RUST_LOG` (default `info`). Safe to call more than once (later calls do nothing).
pub fn init_logs(json: bool) {
    init_logs_at(json, "info");
}

/// Like [`init_logs`] with another default level (the demo keeps its output readable: `warn`).
pub fn init_logs_at(json: bool, default_level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let _ = tracing::subscriber::set_global_default(subscriber(json, filter, Scrubbed(std::io::stderr)));
}

/// The subscriber `serve` runs with, writing to `writer` (tests capture what it writes).
pub fn subscriber<W>(json: bool, filter: EnvFilter, writer: W) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    if json {
        Box::new(builder.json().flatten_event(true).finish())
    } else {
        Box::new(builder.finish())
    }
}

/// A [`MakeWriter`] whose lines are scrubbed of personal data before they reach `M`'s writer.
pub struct Scrubbed<M>(pub M);

/// One event's line, buffered, scrubbed and written whole when dropped.
pub struct ScrubbedLine<W: Write> {
    buf: Vec<u8>,
    inner: W,
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Scrubbed<M> {
    type Writer = ScrubbedLine<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        ScrubbedLine {
            buf: Vec::with_capacity(256),
            inner: self.0.make_writer(),
        }
    }
}

impl<W: Write> Write for ScrubbedLine<W> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for ScrubbedLine<W> {
    fn drop(&mut self) {
        let line = String::from_utf8_lossy(&self.buf);
        let clean = crate::analysis::redact::scrub(&line);
        let _ = self.inner.write_all(clean.as_bytes());
        let _ = self.inner.flush();
    }
}

/// The process-wide Prometheus recorder. Several apps in one process (tests) share it.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("seconds".into()),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    ],
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; then metrics go there.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}
