//! Prometheus metrics. The `metrics` facade is called where things happen (a request ends,
//! bytes are played, an audit record is appended); `metrics-exporter-prometheus` keeps the
//! values and writes the exposition, which [`crate::http::metrics_endpoint`] serves on a
//! listener of its own (`CALLVAULT_METRICS_BIND`), never on the public port.
//!
//! Labels are bounded sets chosen here: route templates (never a concrete path), methods,
//! statuses, kinds of error. No label ever carries a username, a tenant's name, a recording's
//! id or anything secret; a tenant's id only when the operator asks for it
//! (`CALLVAULT_METRICS_TENANT_LABEL`), since a provider with many tenants multiplies its series.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use uuid::Uuid;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
static TENANT_LABELS: AtomicBool = AtomicBool::new(false);

/// Latency buckets, in seconds: a ranged read takes a millisecond, an upload minutes.
const SECONDS_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0,
];

/// Installs the process's recorder once (tests build many applications in one process; they
/// share it) and returns the handle that renders the exposition.
pub fn install(tenant_labels: bool) -> PrometheusHandle {
    TENANT_LABELS.store(tenant_labels, Ordering::Relaxed);
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS_BUCKETS)
                .map(PrometheusBuilder::build_recorder)
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            // Only fails when another recorder was set first, which nothing here does.
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was installed already; metrics go there");
            }
            describe();
            handle
        })
        .clone()
}

fn describe() {
    describe_counter!(
        "callvault_http_requests_total",
        "Requests answered, by route template, method and status"
    );
    describe_histogram!(
        "callvault_http_request_duration_seconds",
        Unit::Seconds,
        "Time from a request's arrival to its answer's head, by route template, method and status"
    );
    describe_counter!(
        "callvault_played_bytes_total",
        Unit::Bytes,
        "Audio bytes sent to players and downloads, by whether the recording is sealed"
    );
    describe_counter!(
        "callvault_ingested_bytes_total",
        Unit::Bytes,
        "Audio bytes stored by uploads and imports, by whether they were sealed"
    );
    describe_counter!(
        "callvault_recordings_ingested_total",
        "Recordings stored, by whether they were sealed"
    );
    describe_counter!(
        "callvault_request_errors_total",
        "Refused or failed requests by operation (ingest, playback, other) and kind of error; \
         database_unavailable and store_unavailable are the outages answered 503"
    );
    describe_counter!(
        "callvault_audit_appends_total",
        "Audit records appended, by outcome (ok, failed)"
    );
    describe_histogram!(
        "callvault_audit_append_duration_seconds",
        Unit::Seconds,
        "Time to append one audit record to its tenant's chain"
    );
    describe_gauge!(
        "callvault_db_pool_connections",
        "Database connections of this instance, by state (in_use, idle)"
    );
    describe_gauge!(
        "callvault_db_pool_max_connections",
        "The most connections this instance's pool opens; in_use at this value means waiting"
    );
    describe_counter!(
        "callvault_db_pool_timeouts_total",
        "Requests that waited the pool's whole acquire timeout for a connection"
    );
    describe_gauge!(
        "callvault_jobs",
        "Background jobs (rewrap, seal_plaintext) of every instance, by kind and state"
    );
    describe_gauge!(
        "callvault_job_items",
        "Items of queued and running jobs, by kind and progress (done, failed, total)"
    );
    describe_gauge!(
        "callvault_sweeper_last_run_timestamp_seconds",
        Unit::Seconds,
        "When this instance last finished a sweep of the store (Unix time)"
    );
    describe_counter!(
        "callvault_sweeper_runs_total",
        "Sweeps this instance ran, by outcome (ok, failed)"
    );
    describe_counter!(
        "callvault_sweeper_strays_removed_total",
        "Stray objects (uploads that never committed) the sweeper removed"
    );
    describe_counter!(
        "callvault_logins_total",
        "Sign-in attempts by outcome (signed_in, wrong_credentials, throttled)"
    );
    describe_counter!(
        "callvault_login_locks_total",
        "Locks the sign-in throttle began, by what it locked (account, address, account_from_address, device)"
    );
}

/// A request answered: `route` is the documented template (or the router's pattern).
pub fn request_answered(route: &str, method: &str, status: u16, elapsed: Duration) {
    // Every request passes here: without a recorder, not even the labels are made.
    if HANDLE.get().is_none() {
        return;
    }
    let labels = [
        ("route", route.to_owned()),
        ("method", method.to_owned()),
        ("status", status.to_string()),
    ];
    counter!("callvault_http_requests_total", &labels).increment(1);
    histogram!("callvault_http_request_duration_seconds", &labels).record(elapsed);
}

/// What a request was doing, for its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Ingest,
    Playback,
    Other,
}

impl Operation {
    fn label(self) -> &'static str {
        match self {
            Operation::Ingest => "ingest",
            Operation::Playback => "playback",
            Operation::Other => "other",
        }
    }
}

/// A request refused or failed with an error of `kind` (see `ApiError::kind`).
pub fn request_failed(operation: Operation, kind: &'static str) {
    counter!("callvault_request_errors_total", "operation" => operation.label(), "kind" => kind)
        .increment(1);
}

/// A counter of audio bytes, labelled by sealing and, when the operator asked, by tenant.
fn bytes_counter(name: &'static str, sealed: bool, tenant: Uuid) -> metrics::Counter {
    let sealed = if sealed { "true" } else { "false" };
    if TENANT_LABELS.load(Ordering::Relaxed) {
        counter!(name, "sealed" => sealed, "tenant_id" => tenant.to_string())
    } else {
        counter!(name, "sealed" => sealed)
    }
}

/// The counter that a playback's body adds its bytes to as they leave.
pub fn played_bytes(sealed: bool, tenant: Uuid) -> metrics::Counter {
    bytes_counter("callvault_played_bytes_total", sealed, tenant)
}

/// A recording stored, `bytes` of audio long.
pub fn ingested(sealed: bool, tenant: Uuid, bytes: u64) {
    bytes_counter("callvault_ingested_bytes_total", sealed, tenant).increment(bytes);
    let sealed = if sealed { "true" } else { "false" };
    counter!("callvault_recordings_ingested_total", "sealed" => sealed).increment(1);
}

pub fn audit_appended(ok: bool, elapsed: Duration) {
    let outcome = if ok { "ok" } else { "failed" };
    counter!("callvault_audit_appends_total", "outcome" => outcome).increment(1);
    if ok {
        histogram!("callvault_audit_append_duration_seconds").record(elapsed);
    }
}

pub fn pool_timed_out() {
    counter!("callvault_db_pool_timeouts_total").increment(1);
}

/// A sweep ended; `removed` strays when it succeeded.
pub fn swept(removed: Option<u64>) {
    let outcome = if removed.is_some() { "ok" } else { "failed" };
    counter!("callvault_sweeper_runs_total", "outcome" => outcome).increment(1);
    if let Some(removed) = removed {
        counter!("callvault_sweeper_strays_removed_total").increment(removed);
        metrics::gauge!("callvault_sweeper_last_run_timestamp_seconds")
            .set(chrono::Utc::now().timestamp() as f64);
    }
}

/// How a sign-in attempt ended.
#[derive(Debug, Clone, Copy)]
pub enum LoginOutcome {
    SignedIn,
    WrongCredentials,
    Throttled,
}

pub fn login(outcome: LoginOutcome) {
    let outcome = match outcome {
        LoginOutcome::SignedIn => "signed_in",
        LoginOutcome::WrongCredentials => "wrong_credentials",
        LoginOutcome::Throttled => "throttled",
    };
    counter!("callvault_logins_total", "outcome" => outcome).increment(1);
}

/// The throttle began to lock `subject` (its kind, never its value).
pub fn login_locked(subject: &'static str) {
    counter!("callvault_login_locks_total", "subject" => subject.replace(' ', "_")).increment(1);
}
