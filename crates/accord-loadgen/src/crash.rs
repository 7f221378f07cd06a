//! The crash test's client side: writes that each carry a unique marker,
//! journalled by outcome while the server is killed and restarted under them,
//! then a check of the exported logs against the journals.
//!
//! A write answered 2xx is *acknowledged*: it must be in the log exactly once.
//! A write that got no answer (connection reset, refused, timed out) or a 5xx
//! may or may not have been committed: it may be in the log at most once.
//! Every marker is sent once and never retried, so a marker seen twice is a
//! duplicated commit, and a marker in neither journal is a write nobody made.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use accord_api::{CommentInput, StanceInput, StancePosition};
use accord_core::event::{Event, Payload};
use anyhow::Context;
use hyper::Method;

use crate::http::Conn;
use crate::setup::{self, Fixture};

/// Every marker starts with this, so the check can tell them from the scenario's own stances.
const MARKER_PREFIX: &str = "crash-marker-";

/// An append-only journal, one marker a line, written through to the file
/// per line so a journal read after the run holds every outcome recorded.
#[derive(Debug, Clone)]
struct Journal(Arc<Mutex<std::fs::File>>);

impl Journal {
    fn create(path: &Path) -> anyhow::Result<Journal> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening the journal {}", path.display()))?;
        Ok(Journal(Arc::new(Mutex::new(file))))
    }

    fn record(&self, marker: &str) -> anyhow::Result<()> {
        let mut file = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // One write call per line: an unbuffered File hands it to the kernel at once.
        file.write_all(format!("{marker}\n").as_bytes()).context("writing to a journal")
    }
}

#[derive(Debug, Default)]
struct DriveTally {
    acknowledged: u64,
    unanswered: u64,
    conflicts: u64,
    refused: BTreeMap<u16, u64>,
}

async fn refresh_size(conn: &mut Conn, fixture: &Fixture, negotiation: &str, stop: &Path) -> Option<u64> {
    // While the server is down this keeps trying; the script restarts it.
    loop {
        if let Ok(size) = setup::log_size(conn, &fixture.party_token, negotiation).await {
            return Some(size);
        }
        if stop.exists() {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn drive_one(
    index: usize,
    fixture: Arc<Fixture>,
    run: String,
    acked: Journal,
    unacked: Journal,
    stop: PathBuf,
) -> anyhow::Result<DriveTally> {
    let authority = crate::http::authority(&fixture.server)?;
    let mut conn = Conn::new(&authority, Duration::from_secs(10));
    let negotiation = fixture.negotiations[index % fixture.negotiations.len()].clone();
    let provision = fixture.provisions[index % fixture.provisions.len()].clone();
    let mut tally = DriveTally::default();
    let Some(mut size) = refresh_size(&mut conn, &fixture, &negotiation, &stop).await else { return Ok(tally) };
    let mut seq: u64 = 0;
    while !stop.exists() {
        let marker = format!("{MARKER_PREFIX}{run}-w{index}-{seq}");
        let outcome = if seq.is_multiple_of(2) {
            let body = CommentInput {
                provision: provision.clone(),
                quote: String::new(),
                text: marker.clone(),
                private: false,
            };
            let path = format!("/api/negotiations/{negotiation}/comments");
            conn.write(Method::POST, &path, Some(&fixture.party_token), Some(size), &body).await
        } else {
            let position = if seq % 4 == 1 { StancePosition::Acceptable } else { StancePosition::Unacceptable };
            let body =
                StanceInput { position, conditions: Vec::new(), reason: Some(marker.clone()), wording_hash: None };
            let path = format!("/api/negotiations/{negotiation}/stances/{provision}");
            conn.write(Method::PUT, &path, Some(&fixture.party_token), Some(size), &body).await
        };
        seq += 1;
        match outcome {
            Ok(reply) if reply.ok() => {
                acked.record(&marker)?;
                tally.acknowledged += 1;
                match reply.etag {
                    Some(next) => size = next,
                    None => anyhow::bail!("a write answered {} without the new log size", reply.status),
                }
                continue;
            }
            Ok(reply) if reply.status >= 500 => {
                unacked.record(&marker)?;
                tally.unanswered += 1;
            }
            Ok(reply) if reply.status == 409 => tally.conflicts += 1,
            Ok(reply) => *tally.refused.entry(reply.status).or_default() += 1,
            Err(_) => {
                unacked.record(&marker)?;
                tally.unanswered += 1;
            }
        }
        match refresh_size(&mut conn, &fixture, &negotiation, &stop).await {
            Some(next) => size = next,
            None => break,
        }
    }
    Ok(tally)
}

/// Drives marked writes with `connections` workers until `stop` exists.
pub async fn drive(
    fixture: Arc<Fixture>,
    connections: usize,
    acked: &Path,
    unacked: &Path,
    stop: &Path,
) -> anyhow::Result<String> {
    let run = format!("{}", std::process::id());
    let (acked, unacked) = (Journal::create(acked)?, Journal::create(unacked)?);
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..connections.max(1) {
        let (fixture, run, acked, unacked, stop) =
            (fixture.clone(), run.clone(), acked.clone(), unacked.clone(), stop.to_path_buf());
        tasks.spawn(drive_one(index, fixture, run, acked, unacked, stop));
    }
    let mut total = DriveTally::default();
    while let Some(done) = tasks.join_next().await {
        let tally = done.context("a writer panicked")??;
        total.acknowledged += tally.acknowledged;
        total.unanswered += tally.unanswered;
        total.conflicts += tally.conflicts;
        for (status, n) in tally.refused {
            *total.refused.entry(status).or_default() += n;
        }
    }
    if !total.refused.is_empty() {
        anyhow::bail!(
            "writes were refused (status: count) {:?}; after {} acknowledged, {} unanswered",
            total.refused,
            total.acknowledged,
            total.unanswered
        );
    }
    Ok(format!(
        "writes: {} acknowledged, {} without an answer, {} conflicts (409, not journalled: nothing was written)",
        total.acknowledged, total.unanswered, total.conflicts
    ))
}

/// Downloads every negotiation's full log export (as the mediator) into `dir`; returns the files.
pub async fn export(fixture: &Fixture, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let authority = crate::http::authority(&fixture.server)?;
    let mut conn = Conn::new(&authority, Duration::from_secs(120));
    let mut files = Vec::new();
    for id in &fixture.negotiations {
        let reply = conn.get(&format!("/api/negotiations/{id}/export"), &fixture.mediator_token).await?;
        let reply = reply.expect_ok(&format!("exporting {id}"))?;
        let file = dir.join(format!("{id}.json"));
        std::fs::write(&file, &reply.body).with_context(|| format!("writing {}", file.display()))?;
        files.push(file);
    }
    Ok(files)
}

fn marker_of(event: &Event) -> Option<&str> {
    let text = match &event.payload {
        Payload::CommentAdded { comment } => Some(comment.text.as_str()),
        Payload::StanceRecorded { stance } => stance.reason.as_deref(),
        _ => None,
    }?;
    text.starts_with(MARKER_PREFIX).then_some(text)
}

/// How many times each marker occurs across the exported logs.
fn markers_in_exports(exports: &[PathBuf]) -> anyhow::Result<BTreeMap<String, u64>> {
    let mut seen = BTreeMap::new();
    for path in exports {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let export: accord_evidence::LogExport =
            serde_json::from_slice(&bytes).with_context(|| format!("{} is not a log export", path.display()))?;
        for (index, exported) in export.events.iter().enumerate() {
            let event: Event = serde_json::from_str(&exported.bytes)
                .with_context(|| format!("{}: event {index} does not parse", path.display()))?;
            if let Some(marker) = marker_of(&event) {
                *seen.entry(marker.to_string()).or_default() += 1;
            }
        }
    }
    Ok(seen)
}

fn read_journal(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the journal {}", path.display()))?;
    Ok(text.lines().filter(|l| !l.is_empty()).map(str::to_string).collect())
}

/// The verdict of comparing the journals with the log.
#[derive(Debug, Default, PartialEq)]
pub struct Verdict {
    pub acknowledged: usize,
    pub unacknowledged: usize,
    /// Acknowledged but absent from the log.
    pub lost: Vec<String>,
    /// In the log more than once.
    pub duplicated: Vec<String>,
    /// In the log but in neither journal.
    pub phantom: Vec<String>,
    /// Journalled as both acknowledged and unanswered, or twice in one journal.
    pub journal_errors: Vec<String>,
    /// Unacknowledged writes the server had committed before it died.
    pub unacknowledged_committed: usize,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.acknowledged > 0
            && self.lost.is_empty()
            && self.duplicated.is_empty()
            && self.phantom.is_empty()
            && self.journal_errors.is_empty()
    }

    pub fn problems(&self) -> String {
        let mut out = Vec::new();
        if self.acknowledged == 0 {
            out.push("no write was acknowledged: the test proved nothing".to_string());
        }
        let mut list = |what: &str, markers: &[String]| {
            if !markers.is_empty() {
                let shown: Vec<&str> = markers.iter().take(5).map(String::as_str).collect();
                out.push(format!("{} {what} (e.g. {})", markers.len(), shown.join(", ")));
            }
        };
        list("acknowledged writes lost", &self.lost);
        list("writes in the log more than once", &self.duplicated);
        list("writes in the log that no client sent", &self.phantom);
        list("journal inconsistencies", &self.journal_errors);
        out.join("; ")
    }
}

pub fn judge(acked: &[String], unacked: &[String], in_log: &BTreeMap<String, u64>) -> Verdict {
    let mut verdict = Verdict { acknowledged: acked.len(), unacknowledged: unacked.len(), ..Verdict::default() };
    let mut acked_set = BTreeSet::new();
    for marker in acked {
        if !acked_set.insert(marker.as_str()) {
            verdict.journal_errors.push(format!("{marker} acknowledged twice"));
        }
    }
    let mut unacked_set = BTreeSet::new();
    for marker in unacked {
        if acked_set.contains(marker.as_str()) {
            verdict.journal_errors.push(format!("{marker} both acknowledged and unanswered"));
        }
        if !unacked_set.insert(marker.as_str()) {
            verdict.journal_errors.push(format!("{marker} unanswered twice"));
        }
    }
    for marker in &acked_set {
        if in_log.get(*marker).copied().unwrap_or(0) == 0 {
            verdict.lost.push(marker.to_string());
        }
    }
    for (marker, count) in in_log {
        if *count > 1 {
            verdict.duplicated.push(marker.clone());
        }
        let unacked = unacked_set.contains(marker.as_str());
        if !acked_set.contains(marker.as_str()) && !unacked {
            verdict.phantom.push(marker.clone());
        }
        if unacked {
            verdict.unacknowledged_committed += 1;
        }
    }
    verdict
}

pub fn check(exports: &[PathBuf], acked: &Path, unacked: &Path) -> anyhow::Result<Verdict> {
    let in_log = markers_in_exports(exports)?;
    Ok(judge(&read_journal(acked)?, &read_journal(unacked)?, &in_log))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn log(items: &[(&str, u64)]) -> BTreeMap<String, u64> {
        items.iter().map(|(m, n)| (m.to_string(), *n)).collect()
    }

    #[test]
    fn every_acknowledged_write_once_is_a_pass_and_unanswered_ones_may_be_missing() {
        let verdict = judge(&strings(&["a", "b"]), &strings(&["c", "d"]), &log(&[("a", 1), ("b", 1), ("c", 1)]));
        assert!(verdict.ok(), "{}", verdict.problems());
        assert_eq!((verdict.acknowledged, verdict.unacknowledged, verdict.unacknowledged_committed), (2, 2, 1));
    }

    #[test]
    fn a_lost_duplicated_or_phantom_write_fails() {
        let lost = judge(&strings(&["a", "b"]), &[], &log(&[("a", 1)]));
        assert_eq!(lost.lost, strings(&["b"]));
        assert!(!lost.ok());
        let twice = judge(&strings(&["a"]), &strings(&["c"]), &log(&[("a", 2), ("c", 2)]));
        assert_eq!(twice.duplicated, strings(&["a", "c"]));
        assert!(!twice.ok());
        let phantom = judge(&strings(&["a"]), &[], &log(&[("a", 1), ("z", 1)]));
        assert_eq!(phantom.phantom, strings(&["z"]));
        assert!(phantom.problems().contains("no client sent"), "{}", phantom.problems());
    }

    #[test]
    fn nothing_acknowledged_or_an_inconsistent_journal_fails() {
        assert!(!judge(&[], &strings(&["c"]), &log(&[])).ok());
        let both = judge(&strings(&["a"]), &strings(&["a"]), &log(&[("a", 1)]));
        assert!(!both.ok());
        assert!(both.problems().contains("journal"), "{}", both.problems());
    }

    #[test]
    fn journals_survive_as_written_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("acked");
        let journal = Journal::create(&path).unwrap();
        journal.record("crash-marker-1-w0-0").unwrap();
        journal.record("crash-marker-1-w0-2").unwrap();
        assert_eq!(read_journal(&path).unwrap(), strings(&["crash-marker-1-w0-0", "crash-marker-1-w0-2"]));
    }
}
