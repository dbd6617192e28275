//! Prometheus metrics, rendered by hand in the text exposition format: requests by route and status, a latency
//! histogram by route, shed and timed-out requests, reloads, and the served snapshot's id and age.

use crate::published::Published;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    /// Requests shed at the concurrency limit.
    pub shed: AtomicU64,
    /// Requests that hit the timeout.
    pub timeouts: AtomicU64,
    /// Snapshots loaded (the first one included).
    pub reloads: AtomicU64,
    /// Failed snapshot loads.
    pub reload_failures: AtomicU64,
}

impl Metrics {
    /// Records one answered request.
    pub fn record(&self, route: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry((route.to_string(), status)).or_default() += 1;
        }
        if let Ok(mut latency) = self.latency.lock() {
            let histogram = latency.entry(route.to_string()).or_default();
            for (count, bound) in histogram.counts.iter_mut().zip(BUCKETS) {
                if seconds <= bound {
                    *count += 1;
                }
            }
            histogram.count += 1;
            histogram.sum += seconds;
        }
    }

    /// The exposition text.
    pub fn render(&self, snapshot: Option<&Published>) -> String {
        let mut out = String::new();
        let label = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
        out.push_str("# HELP skillhouse_http_requests_total HTTP requests answered, by route and status.\n");
        out.push_str("# TYPE skillhouse_http_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((route, status), count) in requests.iter() {
                let _ = writeln!(
                    out,
                    "skillhouse_http_requests_total{{route=\"{}\",status=\"{status}\"}} {count}",
                    label(route)
                );
            }
        }
        out.push_str("# HELP skillhouse_http_request_duration_seconds Time to answer a request, by route.\n");
        out.push_str("# TYPE skillhouse_http_request_duration_seconds histogram\n");
        if let Ok(latency) = self.latency.lock() {
            for (route, h) in latency.iter() {
                let route = label(route);
                for (bound, count) in BUCKETS.iter().zip(h.counts) {
                    let _ = writeln!(
                        out,
                        "skillhouse_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                    );
                }
                let _ = writeln!(
                    out,
                    "skillhouse_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(out, "skillhouse_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
                let _ =
                    writeln!(out, "skillhouse_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
            }
        }
        let counters = [
            ("skillhouse_http_requests_shed_total", "Requests answered 503 at the concurrency limit.", &self.shed),
            ("skillhouse_http_request_timeouts_total", "Requests answered 503 after the timeout.", &self.timeouts),
            ("skillhouse_snapshot_loads_total", "Snapshots loaded.", &self.reloads),
            ("skillhouse_snapshot_load_failures_total", "Snapshot loads that failed.", &self.reload_failures),
        ];
        for (name, help, value) in counters {
            let _ =
                writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", value.load(Ordering::Relaxed));
        }
        out.push_str("# HELP skillhouse_snapshot_info The served snapshot (1 while loaded).\n");
        out.push_str("# TYPE skillhouse_snapshot_info gauge\n");
        out.push_str("# HELP skillhouse_snapshot_age_seconds Seconds since the served snapshot was built.\n");
        out.push_str("# TYPE skillhouse_snapshot_age_seconds gauge\n");
        out.push_str("# HELP skillhouse_snapshot_suppressed_rows Indicator rows withheld by small-cell suppression.\n");
        out.push_str("# TYPE skillhouse_snapshot_suppressed_rows gauge\n");
        if let Some(snapshot) = snapshot {
            let _ = writeln!(
                out,
                "skillhouse_snapshot_info{{snapshot_id=\"{}\",definition_version=\"{}\"}} 1",
                label(&snapshot.id),
                label(snapshot.definition_version())
            );
            if let Some(age) = snapshot.age_seconds() {
                let _ = writeln!(out, "skillhouse_snapshot_age_seconds {age}");
            }
            let _ = writeln!(out, "skillhouse_snapshot_suppressed_rows {}", snapshot.suppression.rows);
        }
        out
    }
}
