//! Request counts by route and status, a latency histogram by route, and the number of
//! assessments stored and deleted, in the Prometheus text format (version 0.0.4).
//!
//! Labels are route templates (`/v1/assessments/{id}`), never raw paths, so ids and junk paths
//! cannot grow the series; nothing about a case or a tenant is recorded.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The Prometheus text format's media type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The service's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// A std mutex: held for a map update, never across an `.await`.
    requests: Mutex<Requests>,
    stored: AtomicU64,
    deleted: AtomicU64,
}

#[derive(Debug, Default, Clone)]
struct Requests {
    /// By (method, route, status).
    counts: BTreeMap<(String, String, u16), u64>,
    /// By (method, route).
    latency: BTreeMap<(String, String), Histogram>,
}

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Observations at or below each bound (not cumulative; summed when rendered).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

impl Metrics {
    /// Records one answered request.
    pub fn record_request(&self, method: &str, route: &str, status: u16, latency: Duration) {
        let seconds = latency.as_secs_f64();
        let mut requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *requests
            .counts
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        let histogram = requests
            .latency
            .entry((method.to_owned(), route.to_owned()))
            .or_default();
        if let Some(i) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            histogram.buckets[i] += 1;
        }
        histogram.count += 1;
        histogram.sum_seconds += seconds;
    }

    /// Counts one stored assessment.
    pub fn record_stored(&self) {
        self.stored.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one deleted assessment.
    pub fn record_deleted(&self) {
        self.deleted.fetch_add(1, Ordering::Relaxed);
    }

    /// Everything, in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // A copy, so that formatting does not hold the lock.
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        out.push_str("# HELP radiculo_http_requests_total HTTP requests answered, by method, route template and status.\n");
        out.push_str("# TYPE radiculo_http_requests_total counter\n");
        for ((method, route, status), n) in &requests.counts {
            let _ = writeln!(
                out,
                "radiculo_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(method),
                escape(route)
            );
        }
        out.push_str("# HELP radiculo_http_request_duration_seconds Time from request to response head, by method and route template.\n");
        out.push_str("# TYPE radiculo_http_request_duration_seconds histogram\n");
        for ((method, route), h) in &requests.latency {
            let labels = format!("method=\"{}\",route=\"{}\"", escape(method), escape(route));
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "radiculo_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "radiculo_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "radiculo_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum_seconds
            );
            let _ = writeln!(
                out,
                "radiculo_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        out.push_str("# HELP radiculo_assessments_stored_total Assessments stored since the process started.\n");
        out.push_str("# TYPE radiculo_assessments_stored_total counter\n");
        let _ = writeln!(
            out,
            "radiculo_assessments_stored_total {}",
            self.stored.load(Ordering::Relaxed)
        );
        out.push_str("# HELP radiculo_assessments_deleted_total Assessments erased since the process started.\n");
        out.push_str("# TYPE radiculo_assessments_deleted_total counter\n");
        let _ = writeln!(
            out,
            "radiculo_assessments_deleted_total {}",
            self.deleted.load(Ordering::Relaxed)
        );
        out
    }
}

/// Escapes a label value (`\`, `"` and newlines).
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_a_cumulative_histogram_and_stored_records() {
        let m = Metrics::default();
        m.record_request("POST", "/v1/assess", 200, Duration::from_micros(300));
        m.record_request("POST", "/v1/assess", 200, Duration::from_millis(20));
        m.record_request("POST", "/v1/assess", 422, Duration::from_micros(100));
        m.record_stored();
        let text = m.render();
        assert!(text.contains(
            "radiculo_http_requests_total{method=\"POST\",route=\"/v1/assess\",status=\"200\"} 2\n"
        ));
        assert!(text.contains(
            "radiculo_http_requests_total{method=\"POST\",route=\"/v1/assess\",status=\"422\"} 1\n"
        ));
        assert!(text.contains(
            "radiculo_http_request_duration_seconds_bucket{method=\"POST\",route=\"/v1/assess\",le=\"0.0005\"} 2\n"
        ));
        assert!(text.contains(
            "radiculo_http_request_duration_seconds_bucket{method=\"POST\",route=\"/v1/assess\",le=\"0.025\"} 3\n"
        ));
        assert!(text.contains(
            "radiculo_http_request_duration_seconds_count{method=\"POST\",route=\"/v1/assess\"} 3\n"
        ));
        assert!(text.contains("radiculo_assessments_stored_total 1\n"));
    }
}
