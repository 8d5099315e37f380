//! Request counts by route and status, a latency histogram by route, and the number of
//! assessments stored and deleted, in the Prometheus text format (version 0.0.4).
//!
//! Labels are route templates (`/v1/assessments/{id}`), never raw paths, so ids and junk paths
//! cannot grow the series; nothing about a case or a tenant is recorded.
//!
//! Recorded through the `metrics` facade into a `metrics-exporter-prometheus` recorder that this
//! `Metrics` owns, never one installed for the whole process: each server (the tests start many
//! in one process) counts only its own requests.

use std::sync::Arc;
use std::time::Duration;

use metrics::{Counter, Key, Label, Level, Metadata, Recorder};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

const REQUESTS: &str = "radiculo_http_requests_total";
const DURATION: &str = "radiculo_http_request_duration_seconds";
const STORED: &str = "radiculo_assessments_stored_total";
const DELETED: &str = "radiculo_assessments_deleted_total";

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The Prometheus text format's media type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How often [`Metrics::upkeep`] moves buffered latencies into their buckets. Each waits there
/// as about 16 bytes: at 70,000 requests a second, 5 s (the exporter's own interval) held 6 MiB
/// more at the peak than the hand-rolled histogram; 1 s holds about a fifth of that.
const UPKEEP_EVERY: Duration = Duration::from_secs(1);

/// What the recorder is told about the call site; the Prometheus recorder ignores it.
static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

/// The service's counters.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    stored: Counter,
    deleted: Counter,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(DURATION.to_owned()), &BUCKETS)
            .expect("the bucket bounds are not empty")
            .build_recorder();
        recorder.describe_counter(
            REQUESTS.into(),
            None,
            "HTTP requests answered, by method, route template and status.".into(),
        );
        recorder.describe_histogram(
            DURATION.into(),
            None,
            "Time from request to response head, by method and route template.".into(),
        );
        recorder.describe_counter(
            STORED.into(),
            None,
            "Assessments stored since the process started.".into(),
        );
        recorder.describe_counter(
            DELETED.into(),
            None,
            "Assessments erased since the process started.".into(),
        );
        // Registered now, so that they are rendered (as 0) before anything is stored or erased.
        let stored = recorder.register_counter(&Key::from_static_name(STORED), &METADATA);
        let deleted = recorder.register_counter(&Key::from_static_name(DELETED), &METADATA);
        Metrics {
            handle: recorder.handle(),
            recorder,
            stored,
            deleted,
        }
    }
}

impl Metrics {
    /// Records one answered request.
    pub fn record_request(
        &self,
        method: &'static str,
        route: &str,
        status: u16,
        latency: Duration,
    ) {
        let method = Label::from_static_parts("method", method);
        // Shared, so that the histogram's copy of the label is a reference count.
        let route = Label::new("route", Arc::<str>::from(route));
        let requests = Key::from_parts(
            REQUESTS,
            vec![
                method.clone(),
                route.clone(),
                Label::new("status", status.to_string()),
            ],
        );
        self.recorder
            .register_counter(&requests, &METADATA)
            .increment(1);
        let duration = Key::from_parts(DURATION, vec![method, route]);
        self.recorder
            .register_histogram(&duration, &METADATA)
            .record(latency.as_secs_f64());
    }

    /// Counts one stored assessment.
    pub fn record_stored(&self) {
        self.stored.increment(1);
    }

    /// Counts one deleted assessment.
    pub fn record_deleted(&self) {
        self.deleted.increment(1);
    }

    /// Everything, in the Prometheus text format: families in no fixed order, each followed by
    /// a blank line, the request families once there has been a request (the format allows all
    /// three; the stored and erased counters are always there).
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// Moves the latencies recorded since the last call into their buckets, every few seconds,
    /// for as long as it is polled. The recorder buffers each latency until then (or until
    /// [`Metrics::render`]), so a server that nobody scrapes needs this to keep its memory
    /// bounded; the exporter's own upkeep task comes only with its HTTP listener.
    pub async fn upkeep(&self) {
        loop {
            tokio::time::sleep(UPKEEP_EVERY).await;
            self.handle.run_upkeep();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_line(text: &str, line: &str) -> bool {
        text.lines().any(|l| l == line)
    }

    #[test]
    fn renders_counts_a_cumulative_histogram_and_stored_records() {
        let m = Metrics::default();
        m.record_request("POST", "/v1/assess", 200, Duration::from_micros(300));
        m.record_request("POST", "/v1/assess", 200, Duration::from_millis(20));
        m.record_request("POST", "/v1/assess", 422, Duration::from_micros(100));
        m.record_stored();
        let text = m.render();
        let labels = r#"method="POST",route="/v1/assess""#;
        for line in [
            format!(r#"radiculo_http_requests_total{{{labels},status="200"}} 2"#),
            format!(r#"radiculo_http_requests_total{{{labels},status="422"}} 1"#),
            format!("radiculo_http_request_duration_seconds_count{{{labels}}} 3"),
            "radiculo_assessments_stored_total 1".to_owned(),
            "radiculo_assessments_deleted_total 0".to_owned(),
            "# TYPE radiculo_http_requests_total counter".to_owned(),
            "# TYPE radiculo_http_request_duration_seconds histogram".to_owned(),
            "# HELP radiculo_assessments_deleted_total Assessments erased since the process started."
                .to_owned(),
        ] {
            assert!(has_line(&text, &line), "missing {line} in\n{text}");
        }
        // Every bound, cumulative: 100 µs and 300 µs fall at or below 0.5 ms, 20 ms below 25 ms.
        let cumulative = [2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3];
        for (bound, n) in BUCKETS.iter().zip(cumulative) {
            let line = format!(
                "radiculo_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
            );
            assert!(has_line(&text, &line), "missing {line} in\n{text}");
        }
        let inf =
            format!(r#"radiculo_http_request_duration_seconds_bucket{{{labels},le="+Inf"}} 3"#);
        assert!(has_line(&text, &inf), "missing {inf} in\n{text}");
        let sum = text
            .lines()
            .find_map(|l| {
                l.strip_prefix(&format!(
                    "radiculo_http_request_duration_seconds_sum{{{labels}}} "
                ))
            })
            .expect("a sum line");
        let sum: f64 = sum.parse().unwrap();
        assert!((sum - 0.0204).abs() < 1e-9, "{sum}");
    }

    #[test]
    fn each_instance_counts_only_its_own_requests() {
        let a = Metrics::default();
        let b = Metrics::default();
        a.record_request("GET", "/healthz", 200, Duration::from_micros(50));
        a.record_deleted();
        assert!(has_line(
            &a.render(),
            r#"radiculo_http_requests_total{method="GET",route="/healthz",status="200"} 1"#
        ));
        let other = b.render();
        assert!(!other.contains("/healthz"), "{other}");
        assert!(
            has_line(&other, "radiculo_assessments_deleted_total 0"),
            "{other}"
        );
    }
}
