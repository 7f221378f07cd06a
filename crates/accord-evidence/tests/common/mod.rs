//! A small but real negotiation log: real Ed25519 keys from fixed seeds, real
//! signatures over the real statements, real Merkle roots for the checkpoints
//! the parties acknowledge. Deterministic, so summaries can be snapshot.

#![allow(dead_code, clippy::unwrap_used)] // shared by several test binaries; test code panics on failure

use accord_core::event::{Actor, Event, Payload};
use accord_core::model::{Negotiation, Package, Party, Phase, PhaseKind, Role, Timetable};
use accord_core::text::{RenderedProvision, Version};
use accord_evidence::statement::{Statement, sign_statement_hex};
use accord_evidence::{LogEntry, SigningKey};
use accord_merkle::{Checkpoint, Hash, root_at};
use chrono::{DateTime, Duration, TimeZone, Utc};

pub const NEGOTIATION: &str = "ceasefire";

pub fn server_key() -> SigningKey {
    SigningKey::from_bytes(&[0x5e; 32])
}

pub fn party_key(party: &str, generation: u8) -> SigningKey {
    let mut seed = [generation; 32];
    seed[..party.len()].copy_from_slice(party.as_bytes());
    SigningKey::from_bytes(&seed)
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

pub fn hours(h: i64) -> DateTime<Utc> {
    t0() + Duration::hours(h)
}

/// When the bundle and export are signed.
pub fn signed_at() -> DateTime<Utc> {
    hours(100)
}

fn timetable() -> Timetable {
    let phase = |id: &str, kind, start, end| Phase {
        id: id.into(),
        name: id.replace('-', " "),
        kind,
        start: hours(start),
        end: hours(end),
    };
    Timetable {
        phases: vec![
            phase("drafting", PhaseKind::Drafting, 0, 24),
            phase("final-session", PhaseKind::FinalSession, 24, 48),
            phase("signing", PhaseKind::Signing, 48, 72),
        ],
    }
}

fn negotiation() -> Negotiation {
    let party = |id: &str, name: &str, role| Party { id: id.into(), name: name.into(), role };
    Negotiation {
        id: NEGOTIATION.into(),
        title: "Ceasefire framework".into(),
        description: String::new(),
        parties: vec![
            party("med", "Mediator", Role::Mediator),
            party("north", "North", Role::Signatory),
            party("south", "South", Role::Signatory),
        ],
        issues: vec![],
        provisions: vec![],
        constraints: vec![],
        timetable: timetable(),
        profiles: vec![],
        stances: vec![],
        privacy: Default::default(),
    }
}

pub fn version(text: &str) -> Version {
    Version {
        title: "Ceasefire framework".into(),
        provisions: vec![RenderedProvision {
            id: "art-1".into(),
            number: "1".into(),
            heading: "Ceasefire".into(),
            text: text.into(),
        }],
    }
}

/// Appends events as a server would: position, salt, stored bytes, leaf hash.
pub struct LogBuilder {
    pub events: Vec<Event>,
    pub log: Vec<LogEntry>,
}

impl LogBuilder {
    pub fn new() -> Self {
        let mut builder = LogBuilder { events: Vec::new(), log: Vec::new() };
        builder.push(
            mediator(),
            t0() - Duration::hours(1),
            Payload::Created { negotiation: negotiation(), creator_party: "med".into() },
        );
        builder
    }

    pub fn push(&mut self, actor: Actor, at: DateTime<Utc>, payload: Payload) -> u64 {
        let position = self.events.len() as u64;
        let event = Event { position, actor, at, payload, salt: Some(format!("{:032x}", position * 7919 + 1)) };
        self.log.push(LogEntry::new(serde_json::to_vec(&event).unwrap()));
        self.events.push(event);
        position
    }

    /// The checkpoint of the log as it stands (what a party is shown).
    pub fn checkpoint(&self) -> Checkpoint {
        let leaves: Vec<Hash> = self.log.iter().map(|e| e.leaf_hash).collect();
        Checkpoint::new(leaves.len() as u64, root_at(leaves.as_slice(), leaves.len() as u64).unwrap())
    }

    pub fn publish(&mut self, at: DateTime<Utc>, number: u32, text: &str) -> Version {
        let version = version(text);
        self.push(
            mediator(),
            at,
            Payload::VersionPublished {
                number,
                package: Package(vec![]),
                content_hash: version.content_hash_hex(),
                version: version.clone(),
                status: Default::default(),
            },
        );
        version
    }

    pub fn acknowledge(&mut self, at: DateTime<Utc>, party: &str, key: &SigningKey, number: u32, version: &Version) {
        let checkpoint = self.checkpoint();
        let statement = Statement::Acknowledgement {
            negotiation: NEGOTIATION.into(),
            party: party.into(),
            version: number,
            content_hash: version.content_hash(),
            checkpoint,
        };
        self.push(
            account(party),
            at,
            Payload::VersionAcknowledged {
                party: party.into(),
                number,
                content_hash: version.content_hash_hex(),
                checkpoint_size: checkpoint.size,
                checkpoint_root: checkpoint.root.to_string(),
                signature: sign_statement_hex(key, &statement).unwrap(),
            },
        );
    }

    pub fn sign(&mut self, at: DateTime<Utc>, party: &str, key: &SigningKey, number: u32, version: &Version) {
        let statement = Statement::FinalSignature {
            negotiation: NEGOTIATION.into(),
            party: party.into(),
            version: number,
            content_hash: version.content_hash(),
        };
        self.push(
            account(party),
            at,
            Payload::FinalTextSigned {
                party: party.into(),
                number,
                content_hash: version.content_hash_hex(),
                signature: sign_statement_hex(key, &statement).unwrap(),
            },
        );
    }

    /// A first registration with its proof of possession, as the server requires now.
    pub fn register(&mut self, at: DateTime<Utc>, party: &str, key: &SigningKey) {
        let proof = accord_evidence::sign_key_registration(key, NEGOTIATION, party).unwrap();
        self.push(
            account(party),
            at,
            Payload::KeyRegistered {
                party: party.into(),
                public_key: hex::encode(key.verifying_key().to_bytes()),
                signature: Some(proof),
            },
        );
    }

    /// A first registration without proof, as logs written before proofs were required have them.
    pub fn register_unproved(&mut self, at: DateTime<Utc>, party: &str, key: &SigningKey) {
        let public_key = hex::encode(key.verifying_key().to_bytes());
        self.push(account(party), at, Payload::KeyRegistered { party: party.into(), public_key, signature: None });
    }

    pub fn rotate(&mut self, at: DateTime<Utc>, party: &str, old: &SigningKey, new: &SigningKey) {
        let statement = Statement::KeyRotation {
            negotiation: NEGOTIATION.into(),
            party: party.into(),
            old: old.verifying_key().to_bytes(),
            new: new.verifying_key().to_bytes(),
        };
        self.push(
            account(party),
            at,
            Payload::KeyRotated {
                party: party.into(),
                public_key: hex::encode(new.verifying_key().to_bytes()),
                signature: sign_statement_hex(old, &statement).unwrap(),
            },
        );
    }

    pub fn enter(&mut self, at: DateTime<Utc>, phase: &str) {
        self.push(Actor::System, at, Payload::PhaseEntered { phase: phase.into(), reason: None });
    }
}

pub fn mediator() -> Actor {
    Actor::Account { account: "acc-med".into(), party: Some("med".into()) }
}

pub fn account(party: &str) -> Actor {
    Actor::Account { account: format!("acc-{party}"), party: Some(party.into()) }
}

/// Everything up to the signing window: two versions, every party acknowledging
/// each, a key rotation, an invitation (not evidence) and a deadline extension.
pub fn negotiated() -> (LogBuilder, Version) {
    negotiated_with_unproved(None)
}

/// [`negotiated`], with `unproved`'s first key registered without a proof of possession.
pub fn negotiated_with_unproved(unproved: Option<&str>) -> (LogBuilder, Version) {
    let (north, north2, south) = (party_key("north", 1), party_key("north", 2), party_key("south", 1));
    let mut b = LogBuilder::new();
    b.push(
        mediator(),
        t0() - Duration::minutes(30),
        Payload::PartyInvited {
            party: "south".into(),
            role: Role::Signatory,
            token_hash: "ab".repeat(32),
            expires_at: hours(10),
        },
    );
    for (at, party, key) in [(20, "north", &north), (10, "south", &south)] {
        let at = t0() - Duration::minutes(at);
        if unproved == Some(party) { b.register_unproved(at, party, key) } else { b.register(at, party, key) }
    }
    b.enter(hours(0), "drafting");
    let v1 = b.publish(hours(2), 1, "All hostilities cease within 72 hours.");
    b.acknowledge(hours(3), "north", &north, 1, &v1);
    b.acknowledge(hours(4), "south", &south, 1, &v1);
    b.rotate(hours(5), "north", &north, &north2);
    b.enter(hours(24), "final-session");
    let v2 = b.publish(hours(30), 2, "All hostilities cease within 48 hours.");
    b.acknowledge(hours(31), "north", &north2, 2, &v2);
    b.acknowledge(hours(31), "south", &south, 2, &v2);
    b.push(
        mediator(),
        hours(40),
        Payload::DeadlineExtended {
            phase: "final-session".into(),
            end: hours(50),
            reason: "the delegations asked for another round".into(),
        },
    );
    b.enter(hours(50), "signing");
    (b, v2)
}

/// The whole run: both signatories sign version 2 and the negotiation closes.
pub fn closed_log() -> LogBuilder {
    closed_log_with_unproved(None)
}

/// [`closed_log`], with `unproved`'s first key registered without a proof of possession.
pub fn closed_log_with_unproved(unproved: Option<&str>) -> LogBuilder {
    let (mut b, v2) = negotiated_with_unproved(unproved);
    b.sign(hours(52), "north", &party_key("north", 2), 2, &v2);
    b.sign(hours(53), "south", &party_key("south", 1), 2, &v2);
    b.push(Actor::System, hours(53), Payload::Closed { number: 2, content_hash: v2.content_hash_hex() });
    b
}

/// The signing window ends with only north's signature.
pub fn lapsed_log() -> LogBuilder {
    let (mut b, v2) = negotiated();
    b.sign(hours(52), "north", &party_key("north", 2), 2, &v2);
    b.push(Actor::System, hours(72), Payload::Lapsed { phase: "signing".into(), unsigned: vec!["south".into()] });
    b
}

/// The smallest run that still has every kind of evidence but an extension:
/// one version, one acknowledgement, a key rotation, both signatures, closed.
/// Small, so that changing each of its bundle's bytes takes seconds.
pub fn small_closed_log() -> LogBuilder {
    let (north, south, south2) = (party_key("north", 1), party_key("south", 1), party_key("south", 2));
    let mut b = LogBuilder::new();
    b.register(t0() - Duration::minutes(20), "north", &north);
    b.register(t0() - Duration::minutes(10), "south", &south);
    b.enter(hours(0), "drafting");
    let v1 = b.publish(hours(2), 1, "All hostilities cease.");
    b.acknowledge(hours(3), "north", &north, 1, &v1);
    b.rotate(hours(4), "south", &south, &south2);
    b.enter(hours(24), "final-session");
    b.enter(hours(48), "signing");
    b.sign(hours(49), "north", &north, 1, &v1);
    b.sign(hours(50), "south", &south2, 1, &v1);
    b.push(Actor::System, hours(50), Payload::Closed { number: 1, content_hash: v1.content_hash_hex() });
    b
}
