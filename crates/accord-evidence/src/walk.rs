//! The checks on the evidence events themselves, shared by bundles (a subset
//! of the log) and log exports (all of it): the key chain, every
//! acknowledgement and final signature under the key current at its position,
//! the version chain, the timetable and the outcome.

use std::collections::{BTreeMap, BTreeSet};

use accord_core::event::{Event, Payload};
use accord_core::model::{PhaseKind, Role, Timetable};
use accord_merkle::{Checkpoint, Hash, HexHash};
use chrono::{DateTime, Utc};

use crate::report::{
    AcknowledgementFacts, Check, ExtensionFacts, Facts, Group, KeyFacts, Outcome, PartyFacts, PhaseFacts,
    SignatureFacts, VersionFacts,
};
use crate::statement::{Statement, parse_hex, verify_statement};

/// A published version as the walk saw it.
#[derive(Debug, Clone)]
pub(crate) struct Published {
    pub number: u32,
    pub content_hash: Hash,
    pub position: u64,
    pub version: accord_core::text::Version,
}

/// What the walk leaves behind for the caller's own checks.
#[derive(Debug, Default)]
pub(crate) struct Walked {
    pub facts: Facts,
    pub published: Vec<Published>,
}

struct Walk<'a> {
    negotiation: &'a str,
    parties: BTreeMap<String, Role>,
    timetable: Timetable,
    keys: BTreeMap<String, [u8; 32]>,
    current_phase: Option<String>,
    extended: BTreeMap<String, DateTime<Utc>>,
    signed: BTreeMap<(String, u32), u64>,
    ended_at: Option<u64>,
    created_seen: bool,
    walked: Walked,
    frame: Group,
    versions: Group,
    keys_group: Group,
    acks: Group,
    finals: Group,
    timetable_group: Group,
    outcome: Group,
}

/// Walks `events` (ascending positions; a bundle's subset or a whole log) and
/// appends its checks to `checks`. `attest` says whether the checkpoint an
/// acknowledgement names is one the verifier has established (signed and
/// consistent with the final checkpoint, or recomputed from the log).
pub(crate) fn walk(
    negotiation: &str,
    events: &[Event],
    attest: &dyn Fn(Checkpoint) -> Result<(), String>,
    checks: &mut Vec<Check>,
) -> Walked {
    let mut walk = Walk {
        negotiation,
        parties: BTreeMap::new(),
        timetable: Timetable::default(),
        keys: BTreeMap::new(),
        current_phase: None,
        extended: BTreeMap::new(),
        signed: BTreeMap::new(),
        ended_at: None,
        created_seen: false,
        walked: Walked::default(),
        frame: Group::new("negotiation"),
        versions: Group::new("version chain"),
        keys_group: Group::new("party keys"),
        acks: Group::new("acknowledgements"),
        finals: Group::new("final signatures"),
        timetable_group: Group::new("timetable"),
        outcome: Group::new("outcome events"),
    };
    walk.walked.facts.negotiation = negotiation.to_owned();
    for event in events {
        if let Some(ended) = walk.ended_at {
            walk.outcome.fail(format!(
                "event {} (`{}`) follows the end of the negotiation at event {ended}",
                event.position,
                event.payload.kind()
            ));
        }
        walk.event(event, attest);
    }
    if !walk.created_seen {
        walk.frame.fail("the `created` event (event 0) is missing");
    }
    let Walk { frame, versions, keys_group, acks, finals, timetable_group, outcome, .. } = walk;
    frame.finish(checks, |_| format!("event 0 creates negotiation {negotiation}"));
    versions.finish(checks, |n| format!("{n} versions, numbered from 1, each hashing to its content hash"));
    keys_group.finish(checks, |n| {
        format!(
            "{n} key registrations and rotations, each registration proved by its own key (where it carries a proof) and each rotation signed by the old key"
        )
    });
    acks.finish(checks, |n| {
        format!("{n} acknowledgements, each signed by the party's key against a checkpoint containing the version")
    });
    finals.finish(checks, |n| {
        format!("{n} signatures of the final text, each by a signatory's key within a signing phase")
    });
    timetable_group
        .finish(checks, |n| format!("{n} phase changes and deadline extensions name phases of the timetable"));
    outcome.finish(checks, |_| "the outcome events agree with the signatures".to_owned());
    walk.walked
}

fn hash_field(field: &'static str, text: &str) -> Result<Hash, String> {
    parse_hex::<32>(field, text).map_err(|e| e.to_string())
}

impl Walk<'_> {
    fn event(&mut self, event: &Event, attest: &dyn Fn(Checkpoint) -> Result<(), String>) {
        let position = event.position;
        let at = event.at;
        match &event.payload {
            Payload::Created { negotiation, .. } => {
                if position != 0 {
                    self.frame.fail(format!("event {position} is a second `created`"));
                    return;
                }
                self.created_seen = true;
                if negotiation.id != self.negotiation {
                    self.frame.fail(format!(
                        "event 0 creates negotiation {:?}, but the file is about {:?}",
                        negotiation.id, self.negotiation
                    ));
                } else {
                    self.frame.pass();
                }
                self.parties = negotiation.parties.iter().map(|p| (p.id.clone(), p.role)).collect();
                self.timetable = negotiation.timetable.clone();
                let facts = &mut self.walked.facts;
                facts.title = negotiation.title.clone();
                facts.parties = negotiation
                    .parties
                    .iter()
                    .map(|p| PartyFacts { id: p.id.clone(), name: p.name.clone(), role: p.role, keys: Vec::new() })
                    .collect();
            }
            Payload::TimetableSet { timetable } => self.timetable = timetable.clone(),
            Payload::VersionPublished { number, version, content_hash, .. } => {
                let expected = self.walked.published.last().map_or(1, |p| p.number.saturating_add(1));
                if *number != expected {
                    self.versions.fail(format!("event {position} publishes version {number}, but {expected} was due"));
                }
                let computed = version.content_hash();
                match hash_field("content hash", content_hash) {
                    Ok(logged) if logged == computed => self.versions.pass(),
                    Ok(_) => self.versions.fail(format!(
                        "the text of version {number} (event {position}) does not hash to its content hash {content_hash}"
                    )),
                    Err(e) => self.versions.fail(format!("event {position}: {e}")),
                }
                self.walked.published.push(Published {
                    number: *number,
                    content_hash: computed,
                    position,
                    version: version.clone(),
                });
                self.walked.facts.versions.push(VersionFacts {
                    number: *number,
                    content_hash: hex::encode(computed),
                    position,
                    at,
                    acknowledgements: Vec::new(),
                });
            }
            Payload::KeyRegistered { party, public_key, signature } => {
                if !self.parties.contains_key(party) {
                    return self.keys_group.fail(format!(
                        "event {position} registers a key for party {party:?}, which the negotiation does not have"
                    ));
                }
                let key = match parse_key(public_key) {
                    Ok(key) => key,
                    Err(e) => {
                        return self.keys_group.fail(format!("event {position} registers a key for {party}: {e}"));
                    }
                };
                if self.keys.contains_key(party) {
                    return self.keys_group.fail(format!(
                        "event {position} registers a second key for party {party}; a new key must be a rotation signed by the old one"
                    ));
                }
                // The proof of possession: the new key's own signature over the
                // registration statement. Absent only from logs written before
                // the server required it; such a key is reported as unproved
                // (the server alone vouches for it), not failed.
                let proved = match signature {
                    Some(signature) => {
                        let statement = Statement::KeyRegistration {
                            negotiation: self.negotiation.to_owned(),
                            party: party.clone(),
                            key,
                        };
                        if !self.keys_group.record(verify_hex_signature(&key, &statement, signature, position)) {
                            return;
                        }
                        true
                    }
                    None => {
                        self.keys_group.pass();
                        false
                    }
                };
                self.keys.insert(party.clone(), key);
                self.add_key_fact(party, public_key, position, at, false, !proved);
            }
            Payload::KeyRotated { party, public_key, signature } => {
                let Some(old) = self.keys.get(party).copied() else {
                    return self.keys_group.fail(format!(
                        "event {position} rotates the key of party {party}, which has no registered key"
                    ));
                };
                let new = match parse_key(public_key) {
                    Ok(key) => key,
                    Err(e) => return self.keys_group.fail(format!("event {position} rotates the key of {party}: {e}")),
                };
                let statement =
                    Statement::KeyRotation { negotiation: self.negotiation.to_owned(), party: party.clone(), old, new };
                if !self.keys_group.record(verify_hex_signature(&old, &statement, signature, position)) {
                    return;
                }
                self.keys.insert(party.clone(), new);
                self.add_key_fact(party, public_key, position, at, true, false);
            }
            Payload::VersionAcknowledged {
                party,
                number,
                content_hash,
                checkpoint_size,
                checkpoint_root,
                signature,
            } => {
                let checked = self.acknowledgement(
                    position,
                    party,
                    *number,
                    content_hash,
                    *checkpoint_size,
                    checkpoint_root,
                    signature,
                    attest,
                );
                match checked {
                    Ok(key) => {
                        self.acks.pass();
                        if let Some(version) = self.walked.facts.versions.iter_mut().find(|v| v.number == *number) {
                            version.acknowledgements.push(AcknowledgementFacts {
                                party: party.clone(),
                                public_key: hex::encode(key),
                                checkpoint_size: *checkpoint_size,
                                position,
                                at,
                            });
                        }
                    }
                    Err(message) => self.acks.fail(message),
                }
            }
            Payload::FinalTextSigned { party, number, content_hash, signature } => {
                match self.final_signature(position, at, party, *number, content_hash, signature) {
                    Ok(key) => {
                        self.finals.pass();
                        self.signed.insert((party.clone(), *number), position);
                        self.walked.facts.signatures.push(SignatureFacts {
                            party: party.clone(),
                            number: *number,
                            content_hash: content_hash.clone(),
                            public_key: hex::encode(key),
                            position,
                            at,
                        });
                    }
                    Err(message) => self.finals.fail(message),
                }
            }
            Payload::PhaseEntered { phase, reason } => {
                let kind = self.timetable.phases.iter().find(|p| &p.id == phase).map(|p| p.kind.as_str().to_owned());
                if kind.is_none() {
                    self.timetable_group
                        .fail(format!("event {position} enters phase {phase:?}, which the timetable does not have"));
                } else {
                    self.timetable_group.pass();
                }
                self.current_phase = Some(phase.clone());
                self.walked.facts.phases.push(PhaseFacts {
                    phase: phase.clone(),
                    kind,
                    reason: reason.clone(),
                    position,
                    at,
                });
            }
            Payload::DeadlineExtended { phase, end, reason } => {
                if self.timetable.phases.iter().any(|p| &p.id == phase) {
                    self.timetable_group.pass();
                } else {
                    self.timetable_group
                        .fail(format!("event {position} extends phase {phase:?}, which the timetable does not have"));
                }
                self.extended.insert(phase.clone(), *end);
                self.walked.facts.extensions.push(ExtensionFacts {
                    phase: phase.clone(),
                    end: *end,
                    reason: reason.clone(),
                    position,
                    at,
                });
            }
            Payload::Closed { number, content_hash } => {
                self.closed(position, *number, content_hash);
                self.ended_at = Some(position);
                self.walked.facts.outcome =
                    Outcome::Closed { number: *number, content_hash: content_hash.clone(), position, at };
            }
            Payload::Lapsed { phase, unsigned } => {
                self.lapsed(position, unsigned);
                self.ended_at = Some(position);
                self.walked.facts.outcome =
                    Outcome::Lapsed { phase: phase.clone(), unsigned: unsigned.clone(), position, at };
            }
            _ => {}
        }
    }

    fn add_key_fact(
        &mut self,
        party: &str,
        public_key: &str,
        position: u64,
        at: DateTime<Utc>,
        rotated: bool,
        unproved: bool,
    ) {
        if let Some(p) = self.walked.facts.parties.iter_mut().find(|p| p.id == party) {
            p.keys.push(KeyFacts { public_key: public_key.to_owned(), position, at, rotated, unproved });
        }
    }

    fn current_key(&self, party: &str, position: u64, what: &str) -> Result<[u8; 32], String> {
        if !self.parties.contains_key(party) {
            return Err(format!(
                "event {position} ({what}) names party {party:?}, which the negotiation does not have"
            ));
        }
        self.keys
            .get(party)
            .copied()
            .ok_or_else(|| format!("event {position} ({what}) is by party {party}, which had registered no key"))
    }

    fn version(&self, number: u32, content_hash: &str, position: u64) -> Result<&Published, String> {
        let logged = hash_field("content hash", content_hash).map_err(|e| format!("event {position}: {e}"))?;
        let published = self
            .walked
            .published
            .iter()
            .find(|p| p.number == number)
            .ok_or_else(|| format!("event {position} refers to version {number}, which had not been published"))?;
        if published.content_hash != logged {
            return Err(format!(
                "event {position} refers to version {number} with content hash {content_hash}, but version {number} was published with content hash {}",
                hex::encode(published.content_hash)
            ));
        }
        Ok(published)
    }

    #[allow(clippy::too_many_arguments)] // the fields of one event
    fn acknowledgement(
        &self,
        position: u64,
        party: &str,
        number: u32,
        content_hash: &str,
        checkpoint_size: u64,
        checkpoint_root: &str,
        signature: &str,
        attest: &dyn Fn(Checkpoint) -> Result<(), String>,
    ) -> Result<[u8; 32], String> {
        let key = self.current_key(party, position, "an acknowledgement")?;
        let published = self.version(number, content_hash, position)?;
        let root = hash_field("checkpoint root", checkpoint_root).map_err(|e| format!("event {position}: {e}"))?;
        if checkpoint_size <= published.position {
            return Err(format!(
                "party {party} acknowledged version {number} (event {position}) against checkpoint {checkpoint_size}, which does not contain the version (event {})",
                published.position
            ));
        }
        if checkpoint_size > position {
            return Err(format!(
                "party {party} acknowledged version {number} (event {position}) against checkpoint {checkpoint_size}, which is later than the acknowledgement"
            ));
        }
        let checkpoint = Checkpoint { size: checkpoint_size, root: HexHash(root) };
        attest(checkpoint).map_err(|e| {
            format!(
                "the checkpoint {checkpoint_size} party {party} acknowledged at event {position} is not proven: {e}"
            )
        })?;
        let statement = Statement::Acknowledgement {
            negotiation: self.negotiation.to_owned(),
            party: party.to_owned(),
            version: number,
            content_hash: published.content_hash,
            checkpoint,
        };
        verify_hex_signature(&key, &statement, signature, position)?;
        Ok(key)
    }

    fn final_signature(
        &self,
        position: u64,
        at: DateTime<Utc>,
        party: &str,
        number: u32,
        content_hash: &str,
        signature: &str,
    ) -> Result<[u8; 32], String> {
        let key = self.current_key(party, position, "a final signature")?;
        if self.parties.get(party) != Some(&Role::Signatory) {
            return Err(format!("event {position}: party {party} signed the final text but is not a signatory"));
        }
        let published = self.version(number, content_hash, position)?;
        let latest = self.walked.published.last().map_or(0, |p| p.number);
        if number != latest {
            return Err(format!(
                "event {position}: party {party} signed version {number}, but the latest published version was {latest}"
            ));
        }
        if let Some(first) = self.signed.get(&(party.to_owned(), number)) {
            return Err(format!(
                "event {position}: party {party} signed version {number} again (first at event {first})"
            ));
        }
        self.in_signing_window(position, at, party)?;
        let statement = Statement::FinalSignature {
            negotiation: self.negotiation.to_owned(),
            party: party.to_owned(),
            version: number,
            content_hash: published.content_hash,
        };
        verify_hex_signature(&key, &statement, signature, position)?;
        Ok(key)
    }

    fn in_signing_window(&self, position: u64, at: DateTime<Utc>, party: &str) -> Result<(), String> {
        let phase =
            self.current_phase.as_ref().and_then(|id| self.timetable.phases.iter().find(|p| &p.id == id)).ok_or_else(
                || format!("party {party} signed at event {position}, outside any phase of the timetable"),
            )?;
        if phase.kind != PhaseKind::Signing {
            return Err(format!(
                "party {party} signed at event {position} during phase {} ({}), not a signing phase",
                phase.id,
                phase.kind.as_str()
            ));
        }
        let deadline = self.extended.get(&phase.id).copied().unwrap_or(phase.end);
        if at >= deadline {
            return Err(format!(
                "party {party} signed at {at} (event {position}), once the signing window {} had closed at {deadline}",
                phase.id
            ));
        }
        Ok(())
    }

    fn signatories(&self) -> BTreeSet<&String> {
        self.parties.iter().filter(|(_, role)| **role == Role::Signatory).map(|(id, _)| id).collect()
    }

    fn unsigned(&self, number: u32) -> Vec<String> {
        self.signatories().into_iter().filter(|p| !self.signed.contains_key(&((*p).clone(), number))).cloned().collect()
    }

    fn closed(&mut self, position: u64, number: u32, content_hash: &str) {
        let latest = self.walked.published.last().map_or(0, |p| p.number);
        if number != latest {
            return self.outcome.fail(format!(
                "event {position} closes the negotiation on version {number}, but the latest published version is {latest}"
            ));
        }
        if let Err(e) = self.version(number, content_hash, position) {
            return self.outcome.fail(e);
        }
        let unsigned = self.unsigned(number);
        if !unsigned.is_empty() {
            return self.outcome.fail(format!(
                "event {position} closes the negotiation, but no valid signature of version {number} by {} precedes it",
                unsigned.join(", ")
            ));
        }
        if self.signatories().is_empty() {
            return self.outcome.fail(format!("event {position} closes a negotiation that has no signatories"));
        }
        self.outcome.pass();
    }

    fn lapsed(&mut self, position: u64, unsigned: &[String]) {
        let latest = self.walked.published.last().map_or(0, |p| p.number);
        let actual = self.unsigned(latest);
        let mut logged = unsigned.to_vec();
        logged.sort();
        if logged != actual {
            return self.outcome.fail(format!(
                "event {position} lists {} as not having signed, but the signatories without a proven signature are {}",
                listed(&logged),
                listed(&actual)
            ));
        }
        self.outcome.pass();
    }
}

fn listed(parties: &[String]) -> String {
    if parties.is_empty() { "none".to_owned() } else { parties.join(", ") }
}

fn parse_key(text: &str) -> Result<[u8; 32], String> {
    crate::key::parse_public_key(text).map(|key| key.to_bytes()).map_err(|e| e.to_string())
}

fn verify_hex_signature(key: &[u8; 32], statement: &Statement, signature: &str, position: u64) -> Result<(), String> {
    let signature: [u8; 64] =
        parse_hex("signature", signature).map_err(|e| format!("event {position}: {}: {e}", statement.describe()))?;
    verify_statement(key, statement, &signature).map_err(|e| format!("{e} (event {position})"))
}
