//! What a verification found: named checks, each passed or failed with a
//! message a person can act on, and a summary of the proven facts.

use std::fmt::Write as _;

use accord_core::model::Role;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One named check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked: "canonical form", "leaves", "evidence index", "final signatures", …
    pub name: String,
    pub passed: bool,
    /// For a pass, what was established; for a failure, what is wrong.
    pub message: String,
}

/// The result of [`crate::verify_bundle`] or [`crate::verify_log`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// "bundle" or "log export".
    pub subject: &'static str,
    pub checks: Vec<Check>,
    /// What the proven events say; `None` when the file could not even be read.
    pub facts: Option<Facts>,
}

impl Report {
    /// True when there was something to check and every check passed.
    pub fn ok(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|check| check.passed)
    }

    /// The failed checks, in the order they were made.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|check| !check.passed)
    }

    /// A human summary: the verdict (with every failed check), then who signed
    /// what, when and under which key, and how the negotiation ended. Every fact
    /// comes from signed or Merkle-proven event bytes.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let failures: Vec<&Check> = self.failures().collect();
        if self.ok() {
            let _ = writeln!(out, "VERIFIED: all {} checks of this {} passed.", self.checks.len(), self.subject);
        } else {
            let _ = writeln!(
                out,
                "NOT VERIFIED: {} of {} checks of this {} failed:",
                failures.len(),
                self.checks.len(),
                self.subject
            );
            for check in &failures {
                let _ = writeln!(out, "  - {}: {}", check.name, check.message);
            }
        }
        if let Some(facts) = &self.facts {
            let unproved: Vec<String> = facts
                .parties
                .iter()
                .flat_map(|p| {
                    p.keys.iter().filter(|k| k.unproved).map(move |k| format!("{} (event {})", p.id, k.position))
                })
                .collect();
            if !unproved.is_empty() {
                let _ = writeln!(
                    out,
                    "NOTE: the first key of {} carries no proof of possession (registered before proofs were required): \
                     only the server vouches that the party chose it.",
                    unproved.join(", ")
                );
            }
            out.push('\n');
            facts.render(&mut out);
        }
        out
    }
}

/// The facts a verification established, all read from event bytes whose
/// inclusion under the server-signed checkpoint was checked (and from the
/// signatures in them).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Facts {
    pub negotiation: String,
    pub title: String,
    pub server_key: String,
    /// Whether the caller pinned the server key (otherwise it is only the one the file names).
    pub server_key_pinned: bool,
    /// The checkpoint everything was checked against: (size, root hex, signed at).
    pub checkpoint: Option<(u64, String, DateTime<Utc>)>,
    pub parties: Vec<PartyFacts>,
    pub versions: Vec<VersionFacts>,
    pub phases: Vec<PhaseFacts>,
    pub extensions: Vec<ExtensionFacts>,
    pub signatures: Vec<SignatureFacts>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartyFacts {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub keys: Vec<KeyFacts>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyFacts {
    pub public_key: String,
    pub position: u64,
    pub at: DateTime<Utc>,
    /// False for the first registration, true for a rotation signed by the previous key.
    pub rotated: bool,
    /// A first registration without the new key's proof of possession (a log
    /// written before the server required one): only the server vouches that
    /// the party chose this key. Always false for a rotation.
    pub unproved: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionFacts {
    pub number: u32,
    pub content_hash: String,
    pub position: u64,
    pub at: DateTime<Utc>,
    pub acknowledgements: Vec<AcknowledgementFacts>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AcknowledgementFacts {
    pub party: String,
    pub public_key: String,
    pub checkpoint_size: u64,
    pub position: u64,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseFacts {
    pub phase: String,
    /// The phase's kind from the timetable ("signing"), if the timetable has it.
    pub kind: Option<String>,
    /// `None` when the clock moved the phase; the mediator's reason otherwise.
    pub reason: Option<String>,
    pub position: u64,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtensionFacts {
    pub phase: String,
    pub end: DateTime<Utc>,
    pub reason: String,
    pub position: u64,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignatureFacts {
    pub party: String,
    pub number: u32,
    pub content_hash: String,
    pub public_key: String,
    pub position: u64,
    pub at: DateTime<Utc>,
}

/// How the negotiation ended, as far as the events show.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Outcome {
    /// Neither closed nor lapsed (yet).
    #[default]
    Open,
    Closed {
        number: u32,
        content_hash: String,
        position: u64,
        at: DateTime<Utc>,
    },
    Lapsed {
        phase: String,
        unsigned: Vec<String>,
        position: u64,
        at: DateTime<Utc>,
    },
}

fn time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

impl Facts {
    fn render(&self, out: &mut String) {
        let _ = writeln!(out, "Negotiation: {} ({})", self.negotiation, self.title);
        let pin = if self.server_key_pinned {
            "pinned".to_owned()
        } else {
            "NOT pinned: compare it with the key the server publishes, or pass it to be pinned".to_owned()
        };
        let _ = writeln!(out, "Server key: {} ({pin})", self.server_key);
        if let Some((size, root, at)) = &self.checkpoint {
            let _ = writeln!(out, "Checkpoint: {size} events, root {root}, signed by the server at {}", time(at));
        }
        let _ = write!(out, "Outcome: ");
        match &self.outcome {
            Outcome::Open => {
                let _ = writeln!(out, "neither closed nor lapsed");
            }
            Outcome::Closed { number, content_hash, position, at } => {
                let _ = writeln!(
                    out,
                    "CLOSED at {} (event {position}): every signatory signed version {number} (content {content_hash})",
                    time(at)
                );
            }
            Outcome::Lapsed { phase, unsigned, position, at } => {
                let _ = writeln!(
                    out,
                    "LAPSED at {} (event {position}): phase {phase} ended before {} signed",
                    time(at),
                    unsigned.join(", ")
                );
            }
        }

        let _ = writeln!(out, "\nSignatures of the final text:");
        if self.signatures.is_empty() {
            let _ = writeln!(out, "  none");
        }
        for s in &self.signatures {
            let _ = writeln!(
                out,
                "  {} signed version {} at {} (event {}) with key {}",
                s.party,
                s.number,
                time(&s.at),
                s.position,
                s.public_key
            );
        }

        let _ = writeln!(out, "\nParties and their keys:");
        for party in &self.parties {
            let _ = writeln!(out, "  {} ({}, {})", party.id, party.name, party.role);
            if party.keys.is_empty() {
                let _ = writeln!(out, "    no key registered");
            }
            for key in &party.keys {
                let (how, note) = if key.rotated {
                    ("replaced the previous key", "; signed by the previous key")
                } else if key.unproved {
                    ("registered", "; NO proof of possession: only the server vouches that the party chose this key")
                } else {
                    ("registered", "; proved by the key's own signature")
                };
                let _ = writeln!(
                    out,
                    "    key {} {how} at {} (event {}{note})",
                    key.public_key,
                    time(&key.at),
                    key.position
                );
            }
        }

        let _ = writeln!(out, "\nVersions:");
        if self.versions.is_empty() {
            let _ = writeln!(out, "  none published");
        }
        for version in &self.versions {
            let _ = writeln!(
                out,
                "  version {} (content {}) released to all parties at {} (event {})",
                version.number,
                version.content_hash,
                time(&version.at),
                version.position
            );
            for ack in &version.acknowledgements {
                let _ = writeln!(
                    out,
                    "    acknowledged by {} at {} (event {}) against checkpoint {}, key {}",
                    ack.party,
                    time(&ack.at),
                    ack.position,
                    ack.checkpoint_size,
                    ack.public_key
                );
            }
        }

        if !self.phases.is_empty() || !self.extensions.is_empty() {
            let _ = writeln!(out, "\nTimetable:");
        }
        let mut lines: Vec<(u64, String)> = self
            .phases
            .iter()
            .map(|p| {
                let kind = p.kind.as_deref().map(|k| format!(" ({k})")).unwrap_or_default();
                let how = match &p.reason {
                    None => "by the clock".to_owned(),
                    Some(reason) => format!("early by the mediator: {reason}"),
                };
                (
                    p.position,
                    format!("  phase {}{kind} entered at {} (event {}) {how}", p.phase, time(&p.at), p.position),
                )
            })
            .chain(self.extensions.iter().map(|e| {
                (
                    e.position,
                    format!(
                        "  deadline of {} moved to {} at {} (event {}): {}",
                        e.phase,
                        time(&e.end),
                        time(&e.at),
                        e.position,
                        e.reason
                    ),
                )
            }))
            .collect();
        lines.sort();
        for (_, line) in lines {
            let _ = writeln!(out, "{line}");
        }
    }
}

/// Collects the outcomes of one named check over many items: one pass line
/// when all held, one failure line per item that did not.
#[derive(Debug)]
pub(crate) struct Group {
    name: &'static str,
    failures: Vec<String>,
    passes: usize,
}

impl Group {
    pub(crate) fn new(name: &'static str) -> Self {
        Group { name, failures: Vec::new(), passes: 0 }
    }

    pub(crate) fn pass(&mut self) {
        self.passes += 1;
    }

    pub(crate) fn fail(&mut self, message: impl Into<String>) {
        self.failures.push(message.into());
    }

    /// Records `result`: a pass, or a failure with its message.
    pub(crate) fn record<E: std::fmt::Display>(&mut self, result: Result<(), E>) -> bool {
        match result {
            Ok(()) => {
                self.pass();
                true
            }
            Err(e) => {
                self.fail(e.to_string());
                false
            }
        }
    }

    pub(crate) fn passes(&self) -> usize {
        self.passes
    }

    /// Adds the group to `checks`; `passed` describes what held when nothing failed.
    pub(crate) fn finish(self, checks: &mut Vec<Check>, passed: impl FnOnce(usize) -> String) {
        if self.failures.is_empty() {
            checks.push(Check { name: self.name.to_owned(), passed: true, message: passed(self.passes) });
        } else {
            for message in self.failures {
                checks.push(Check { name: self.name.to_owned(), passed: false, message });
            }
        }
    }
}

pub(crate) fn pass(checks: &mut Vec<Check>, name: &str, message: impl Into<String>) {
    checks.push(Check { name: name.to_owned(), passed: true, message: message.into() });
}

pub(crate) fn fail(checks: &mut Vec<Check>, name: &str, message: impl Into<String>) {
    checks.push(Check { name: name.to_owned(), passed: false, message: message.into() });
}

/// The canonical-form check: `reserialised` must equal `input` byte for byte.
pub(crate) fn check_canonical(checks: &mut Vec<Check>, input: &[u8], reserialised: &[u8], what: &str) {
    let differs = input.iter().zip(reserialised).position(|(a, b)| a != b);
    let message = match differs {
        Some(offset) => Some(format!("{what} is not in canonical form (byte {offset} differs)")),
        None if input.len() != reserialised.len() => Some(format!(
            "{what} is not in canonical form (byte {} differs: it is {} bytes long, the canonical form {})",
            input.len().min(reserialised.len()),
            input.len(),
            reserialised.len()
        )),
        None => None,
    };
    match message {
        Some(message) => fail(checks, "canonical form", message),
        None => pass(checks, "canonical form", format!("the {what} is in canonical form ({} bytes)", input.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_check_names_the_first_differing_byte() {
        let mut checks = Vec::new();
        check_canonical(&mut checks, b"{\"a\": 1}\n", b"{\"a\": 1}\n", "bundle");
        check_canonical(&mut checks, b"{\"a\": 2}\n", b"{\"a\": 1}\n", "bundle");
        check_canonical(&mut checks, b"{\"a\": 1}\n\n", b"{\"a\": 1}\n", "bundle");
        let messages: Vec<(bool, &str)> = checks.iter().map(|c| (c.passed, c.message.as_str())).collect();
        assert_eq!(
            messages,
            [
                (true, "the bundle is in canonical form (9 bytes)"),
                (false, "bundle is not in canonical form (byte 6 differs)"),
                (false, "bundle is not in canonical form (byte 9 differs: it is 10 bytes long, the canonical form 9)"),
            ]
        );
    }

    #[test]
    fn a_report_with_no_checks_is_not_ok() {
        let report = Report { subject: "bundle", checks: Vec::new(), facts: None };
        assert!(!report.ok());
        let mut group = Group::new("things");
        group.pass();
        group.fail("thing 2 is broken");
        group.fail("thing 3 is broken");
        let mut checks = Vec::new();
        group.finish(&mut checks, |n| format!("{n} things"));
        let report = Report { subject: "bundle", checks, facts: None };
        assert!(!report.ok());
        assert_eq!(
            report.summary(),
            "NOT VERIFIED: 2 of 2 checks of this bundle failed:\n  - things: thing 2 is broken\n  - things: thing 3 is broken\n"
        );
    }
}
