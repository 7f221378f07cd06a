//! The timed scenarios: C workers, each on its own connection, for a warm-up
//! and then D measured seconds; latencies are kept exactly (every sample,
//! sorted at the end) rather than bucketed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use accord_api::{StanceInput, StancePosition};
use hyper::Method;

use crate::http::Conn;
use crate::setup::{self, Fixture};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// GET the working draft and its text as a party.
    Text,
    /// Durable stance writes by a party, each based on the log size the previous write returned.
    Stances,
    /// GET the analysis as the mediator. The server caches it per log size, so after the
    /// first request per negotiation this measures the cache, not the engine.
    Analysis,
    /// A stance write, then GET the analysis: each analysis is of a new log size, so it is
    /// computed afresh. Only the analysis requests are in the figures; the writes are counted apart.
    AnalysisUncached,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Text => "text",
            Scenario::Stances => "stances",
            Scenario::Analysis => "analysis",
            Scenario::AnalysisUncached => "analysis-uncached",
        }
    }
}

/// What one worker saw inside the measured window.
#[derive(Debug, Default)]
struct Tally {
    latencies_us: Vec<u64>,
    /// Non-2xx answers by status; 0 = no answer (connection failed or timed out).
    errors: BTreeMap<u16, u64>,
    /// 409s: another writer got there first; re-read and retried.
    conflicts: u64,
    /// Writes that preceded each uncached analysis (not in `latencies_us`).
    side_writes: u64,
}

#[derive(Debug)]
pub struct Outcome {
    pub scenario: Scenario,
    pub connections: usize,
    pub negotiations: usize,
    pub measured: Duration,
    latencies_us: Vec<u64>,
    errors: BTreeMap<u16, u64>,
    conflicts: u64,
    side_writes: u64,
}

impl Outcome {
    pub fn throughput(&self) -> f64 {
        self.latencies_us.len() as f64 / self.measured.as_secs_f64()
    }

    /// The exact sample at quantile `q` (nearest rank).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let rank = ((q * self.latencies_us.len() as f64).ceil() as usize).clamp(1, self.latencies_us.len());
        self.latencies_us[rank - 1] as f64 / 1000.0
    }

    fn error_text(&self) -> String {
        let mut parts: Vec<String> = self
            .errors
            .iter()
            .map(|(status, n)| if *status == 0 { format!("{n} no answer") } else { format!("{n}×{status}") })
            .collect();
        if self.conflicts > 0 {
            parts.push(format!("{} conflicts (409, retried)", self.conflicts));
        }
        if parts.is_empty() { "none".into() } else { parts.join(", ") }
    }

    pub fn report(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "scenario {}: {} connections over {} negotiation(s), {:.1} s measured",
            self.scenario.name(),
            self.connections,
            self.negotiations,
            self.measured.as_secs_f64()
        );
        let _ = writeln!(out, "  requests: {} ok, {:.0}/s", self.latencies_us.len(), self.throughput());
        let _ = writeln!(
            out,
            "  latency of the ok requests: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.quantile_ms(0.5),
            self.quantile_ms(0.9),
            self.quantile_ms(0.99),
            self.quantile_ms(1.0)
        );
        let _ = writeln!(out, "  errors: {}", self.error_text());
        if self.side_writes > 0 {
            let _ = writeln!(out, "  stance writes interleaved (not in the figures): {}", self.side_writes);
        }
        out
    }

    /// One Markdown table row: scenario, connections, ok/s, p50, p90, p99, max, errors.
    pub fn row(&self) -> String {
        format!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
            self.scenario.name(),
            self.connections,
            self.throughput(),
            self.quantile_ms(0.5),
            self.quantile_ms(0.9),
            self.quantile_ms(0.99),
            self.quantile_ms(1.0),
            self.error_text()
        )
    }
}

fn stance_body(worker: usize, n: u64) -> StanceInput {
    // Alternating positions so every write changes the stance, as a real party revising would.
    let position = if n.is_multiple_of(2) { StancePosition::Acceptable } else { StancePosition::Unacceptable };
    StanceInput {
        position,
        conditions: Vec::new(),
        reason: Some(format!("loadgen worker {worker} write {n}")),
        wording_hash: None,
    }
}

/// The windows a worker measures in: from `start + warmup` to `end`.
#[derive(Debug, Clone, Copy)]
struct Window {
    from: Instant,
    end: Instant,
}

/// A stance write based on `size`; on success `size` becomes the new log size.
/// Returns the status, or 0 for no answer; after a 409 or a failure the size is re-read.
async fn write_stance(
    conn: &mut Conn,
    fixture: &Fixture,
    negotiation: &str,
    provision: &str,
    body: &StanceInput,
    size: &mut u64,
) -> u16 {
    let path = format!("/api/negotiations/{negotiation}/stances/{provision}");
    match conn.write(Method::PUT, &path, Some(&fixture.party_token), Some(*size), body).await {
        Ok(reply) if reply.ok() => {
            if let Some(next) = reply.etag {
                *size = next;
            }
            reply.status
        }
        Ok(reply) => {
            if let Ok(next) = setup::log_size(conn, &fixture.party_token, negotiation).await {
                *size = next;
            }
            reply.status
        }
        Err(_) => {
            if let Ok(next) = setup::log_size(conn, &fixture.party_token, negotiation).await {
                *size = next;
            }
            0
        }
    }
}

async fn worker(
    index: usize,
    scenario: Scenario,
    fixture: Arc<Fixture>,
    window: Window,
    timeout: Duration,
) -> anyhow::Result<Tally> {
    let authority = crate::http::authority(&fixture.server)?;
    let mut conn = Conn::new(&authority, timeout);
    let negotiation = fixture.negotiations[index % fixture.negotiations.len()].clone();
    let provision = fixture.provisions[index % fixture.provisions.len()].clone();
    let mut size = setup::log_size(&mut conn, &fixture.party_token, &negotiation).await?;
    let mut tally = Tally::default();
    let mut n: u64 = 0;
    loop {
        let started = Instant::now();
        if started >= window.end {
            return Ok(tally);
        }
        let measured = started >= window.from;
        let status = match scenario {
            Scenario::Text => {
                let path = format!("/api/negotiations/{negotiation}/draft");
                conn.get(&path, &fixture.party_token).await.map_or(0, |r| r.status)
            }
            Scenario::Analysis => {
                let path = format!("/api/negotiations/{negotiation}/analysis");
                conn.get(&path, &fixture.mediator_token).await.map_or(0, |r| r.status)
            }
            Scenario::Stances => {
                write_stance(&mut conn, &fixture, &negotiation, &provision, &stance_body(index, n), &mut size).await
            }
            Scenario::AnalysisUncached => {
                let written =
                    write_stance(&mut conn, &fixture, &negotiation, &provision, &stance_body(index, n), &mut size)
                        .await;
                if measured {
                    tally.side_writes += u64::from((200..300).contains(&written));
                }
                let path = format!("/api/negotiations/{negotiation}/analysis");
                let analysis_started = Instant::now();
                let status = conn.get(&path, &fixture.mediator_token).await.map_or(0, |r| r.status);
                if measured && (200..300).contains(&status) {
                    tally.latencies_us.push(analysis_started.elapsed().as_micros() as u64);
                } else if measured {
                    *tally.errors.entry(status).or_default() += 1;
                }
                n += 1;
                continue;
            }
        };
        n += 1;
        if !measured {
            continue;
        }
        match status {
            200..=299 => tally.latencies_us.push(started.elapsed().as_micros() as u64),
            409 => tally.conflicts += 1,
            other => *tally.errors.entry(other).or_default() += 1,
        }
    }
}

/// Runs `scenario` with `connections` workers for `warmup` then `duration`.
pub async fn run(
    scenario: Scenario,
    fixture: Arc<Fixture>,
    connections: usize,
    warmup: Duration,
    duration: Duration,
    timeout: Duration,
) -> anyhow::Result<Outcome> {
    let start = Instant::now();
    let window = Window { from: start + warmup, end: start + warmup + duration };
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..connections {
        tasks.spawn(worker(index, scenario, fixture.clone(), window, timeout));
    }
    let mut outcome = Outcome {
        scenario,
        connections,
        negotiations: fixture.negotiations.len().min(connections),
        measured: duration,
        latencies_us: Vec::new(),
        errors: BTreeMap::new(),
        conflicts: 0,
        side_writes: 0,
    };
    while let Some(done) = tasks.join_next().await {
        let tally = done??;
        outcome.latencies_us.extend(tally.latencies_us);
        for (status, n) in tally.errors {
            *outcome.errors.entry(status).or_default() += n;
        }
        outcome.conflicts += tally.conflicts;
        outcome.side_writes += tally.side_writes;
    }
    outcome.latencies_us.sort_unstable();
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(latencies_us: Vec<u64>) -> Outcome {
        Outcome {
            scenario: Scenario::Text,
            connections: 1,
            negotiations: 1,
            measured: Duration::from_secs(2),
            latencies_us,
            errors: BTreeMap::new(),
            conflicts: 0,
            side_writes: 0,
        }
    }

    #[test]
    fn quantiles_are_nearest_rank_samples() {
        let o = outcome((1..=100).map(|ms| ms * 1000).collect());
        assert_eq!(o.quantile_ms(0.5), 50.0);
        assert_eq!(o.quantile_ms(0.9), 90.0);
        assert_eq!(o.quantile_ms(0.99), 99.0);
        assert_eq!(o.quantile_ms(1.0), 100.0);
        assert_eq!(o.throughput(), 50.0);
        let one = outcome(vec![1500]);
        assert_eq!(one.quantile_ms(0.5), 1.5);
        assert_eq!(one.quantile_ms(0.99), 1.5);
        assert!(outcome(Vec::new()).quantile_ms(0.5).is_nan());
    }

    #[test]
    fn errors_are_reported_by_status_with_conflicts_apart() {
        let mut o = outcome(vec![1000; 4]);
        assert_eq!(o.error_text(), "none");
        o.errors.insert(0, 2);
        o.errors.insert(503, 1);
        o.conflicts = 4;
        assert_eq!(o.error_text(), "2 no answer, 1×503, 4 conflicts (409, retried)");
        assert!(o.row().starts_with("| text | 1 | 2 | 1.00 | 1.00 | 1.00 | 1.00 | 2 no answer"), "{}", o.row());
    }
}
