//! A portable backup of a whole store, and its restore into an empty one.
//!
//! # Format: `accord-backup`, version 1
//!
//! JSON Lines (UTF-8, one JSON object per line, `\n` after each), every line
//! tagged by `"type"`:
//!
//! 1. `{"type":"header","format":"accord-backup","version":1,"created_at":"…"}`
//! 2. one `{"type":"account","id","email","display_name","password_hash","created_at"}`
//!    per account, oldest first;
//! 3. one `{"type":"event","negotiation","position","leaf_hash","bytes"}` per
//!    event, each negotiation's events together, in position order. `bytes`
//!    is the event exactly as stored (and hashed), in standard base64 with
//!    padding; `leaf_hash` is `SHA-256(0x00 || bytes)` in lower-case hex;
//! 4. `{"type":"end","accounts":N,"events":M,"negotiations":[{"id","size","root"}…]}`:
//!    the counts, and each negotiation's log size and RFC 6962 Merkle root
//!    (hex), so a truncated or edited file is detected.
//!
//! Session and API tokens are not backed up: after a restore everyone signs
//! in again (passwords still work; account password hashes are in the file,
//! which must therefore be kept private).
//!
//! A backup taken while servers are running is consistent: each log's size
//! is fixed first, then accounts are read (so every account an event
//! mentions is there), then each log up to its fixed size.
//!
//! # Restore
//!
//! [`restore`] refuses a store that holds any negotiation or account. It
//! checks every line as it reads it (known type, header first, leaf hash of
//! the bytes, the bytes parse as the event at that position, positions
//! 0, 1, 2, … with no gap, the trailer's counts, sizes and roots) and writes
//! through [`Import`], which is **one transaction**: on any error, or if the
//! process dies, the transaction is rolled back and the store is left empty.
//! Errors name the line. [`verify`] runs the same checks without a store.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Write};

use accord_merkle::{empty_root, node_hash};
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Account, Hash, Store, StoreError};

/// The `format` a backup's header names.
pub const FORMAT: &str = "accord-backup";
/// The format version this code writes and reads.
pub const VERSION: u32 = 1;

/// How many events a backup reads from the store at a time.
const EVENTS_PER_READ: u64 = 500;

/// A restore in progress: one transaction on a store that was empty when it
/// began. Nothing is visible to other connections before [`Import::commit`];
/// dropping an import without committing rolls everything back.
#[async_trait]
pub trait Import: Send {
    /// Inserts an account as it was (id, email, password hash, creation time).
    async fn account(&mut self, account: &Account) -> Result<(), StoreError>;

    /// Inserts an event with its stored bytes verbatim. `Invalid` unless the
    /// bytes hash to `leaf_hash`, parse as an event claiming `position`, and
    /// `position` is the negotiation's next one (0 for a new negotiation).
    async fn event(
        &mut self,
        negotiation: &str,
        position: u64,
        bytes: &[u8],
        leaf_hash: Hash,
    ) -> Result<(), StoreError>;

    /// Makes everything imported durable and visible at once.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// The refusal to restore into a store that already holds data.
pub fn not_empty(negotiations: u64, accounts: u64) -> StoreError {
    StoreError::Invalid { reason: not_empty_message(negotiations, accounts) }
}

fn not_empty_message(negotiations: u64, accounts: u64) -> String {
    format!(
        "the target database already holds {} and {}; restore into an empty database \
         (a new SQLite file, or a freshly created PostgreSQL database)",
        count(negotiations, "negotiation"),
        count(accounts, "account")
    )
}

fn count(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// What a backup holds, or a restore restored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub negotiations: u64,
    pub events: u64,
    pub accounts: u64,
    /// The backup file's size.
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// A line of the backup is malformed or fails a check.
    #[error("line {line}: {reason}")]
    Line { line: u64, reason: String },
    #[error(
        "the backup stops after line {lines} without its end line: it is truncated (copy it again from where it was made)"
    )]
    Truncated { lines: u64 },
    #[error("{}", not_empty_message(*negotiations, *accounts))]
    NotEmpty { negotiations: u64, accounts: u64 },
    #[error("reading the backup: {0}")]
    Read(std::io::Error),
    #[error("writing the backup: {0}")]
    Write(std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum Line {
    Header { format: String, version: u32, created_at: DateTime<Utc> },
    Account { id: String, email: String, display_name: String, password_hash: String, created_at: DateTime<Utc> },
    Event { negotiation: String, position: u64, leaf_hash: String, bytes: String },
    End { accounts: u64, events: u64, negotiations: Vec<LogEnd> },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogEnd {
    id: String,
    size: u64,
    root: String,
}

/// Just enough of a first line to tell a backup of another version (or no
/// backup at all) from a damaged one.
#[derive(Debug, Deserialize)]
struct HeaderProbe {
    format: Option<String>,
    version: Option<u64>,
}

/// Writes a backup of everything in `store` but tokens to `out`, calling
/// `progress(events_written, events_total)` as it goes. The caller owns
/// durability (sync and rename the file).
pub async fn write_backup<W: Write>(
    store: &dyn Store,
    out: W,
    created_at: DateTime<Utc>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Summary, BackupError> {
    // Sizes before accounts: an account mentioned by any event inside these
    // sizes already existed when the sizes were read.
    let mut logs = Vec::new();
    for id in store.negotiations().await? {
        let size = store.log_size(&id).await?;
        logs.push((id, size));
    }
    let accounts = store.accounts().await?;
    let total: u64 = logs.iter().map(|(_, size)| size).sum();

    let mut out = CountingWriter { inner: out, written: 0 };
    write_line(&mut out, &Line::Header { format: FORMAT.into(), version: VERSION, created_at })?;
    for account in &accounts {
        write_line(
            &mut out,
            &Line::Account {
                id: account.id.clone(),
                email: account.email.clone(),
                display_name: account.display_name.clone(),
                password_hash: account.password_hash.clone(),
                created_at: account.created_at,
            },
        )?;
    }
    progress(0, total);
    let mut done = 0;
    let mut ends = Vec::with_capacity(logs.len());
    for (id, size) in &logs {
        let mut root = StreamingRoot::default();
        let mut from = 0;
        while from < *size {
            let to = (*size).min(from + EVENTS_PER_READ);
            let events = store.events(id, from, Some(to)).await?;
            if events.len() as u64 != to - from {
                return Err(StoreError::Backend(format!(
                    "the log of negotiation {id} returned {} events for positions {from}..{to}",
                    events.len()
                ))
                .into());
            }
            for (position, stored) in (from..).zip(&events) {
                root.push(stored.leaf_hash);
                write_line(
                    &mut out,
                    &Line::Event {
                        negotiation: id.clone(),
                        position,
                        leaf_hash: hex::encode(stored.leaf_hash),
                        bytes: BASE64.encode(&stored.bytes),
                    },
                )?;
            }
            done += to - from;
            progress(done, total);
            from = to;
        }
        ends.push(LogEnd { id: id.clone(), size: *size, root: hex::encode(root.root()) });
    }
    let summary = Summary { negotiations: logs.len() as u64, events: total, accounts: accounts.len() as u64, bytes: 0 };
    write_line(&mut out, &Line::End { accounts: summary.accounts, events: summary.events, negotiations: ends })?;
    out.flush().map_err(BackupError::Write)?;
    Ok(Summary { bytes: out.written, ..summary })
}

fn write_line<W: Write>(out: &mut W, line: &Line) -> Result<(), BackupError> {
    serde_json::to_writer(&mut *out, line).map_err(|e| BackupError::Write(e.into()))?;
    out.write_all(b"\n").map_err(BackupError::Write)
}

/// Checks a backup without a store: every line, as [`restore`] would.
pub fn verify<R: BufRead>(input: R) -> Result<Summary, BackupError> {
    let mut reader = Reader::new(input);
    while reader.next()?.is_some() {}
    Ok(reader.summary())
}

/// Restores a backup into `store`, which must hold no negotiation and no
/// account: all of it in one transaction, or (on any error) nothing.
pub async fn restore<R: BufRead>(store: &dyn Store, input: R) -> Result<Summary, BackupError> {
    let negotiations = store.negotiations().await?.len() as u64;
    let accounts = store.accounts().await?.len() as u64;
    if negotiations > 0 || accounts > 0 {
        return Err(BackupError::NotEmpty { negotiations, accounts });
    }
    let mut reader = Reader::new(input);
    // The header is checked before a transaction is opened, so a file that
    // is no backup at all never locks the database.
    reader.read_header()?;
    let mut import = store.import().await?;
    while let Some(item) = reader.next()? {
        let line = reader.line;
        let written = match &item {
            Item::Account(account) => import.account(account).await,
            Item::Event { negotiation, position, bytes, leaf_hash } => {
                import.event(negotiation, *position, bytes, *leaf_hash).await
            }
        };
        written.map_err(|e| BackupError::Line { line, reason: e.to_string() })?;
    }
    import.commit().await?;
    Ok(reader.summary())
}

enum Item {
    Account(Account),
    Event { negotiation: String, position: u64, bytes: Vec<u8>, leaf_hash: Hash },
}

/// Reads a backup line by line, checking each; returns `None` only after a
/// valid end line that matches everything read.
struct Reader<R> {
    input: R,
    line: u64,
    bytes: u64,
    header_read: bool,
    ended: bool,
    accounts: u64,
    events: u64,
    logs: BTreeMap<String, StreamingRoot>,
    /// The negotiation whose events the last event line continued; each
    /// negotiation's events must come together.
    current: Option<String>,
    emails: HashMap<String, u64>,
    buffer: Vec<u8>,
}

impl<R: BufRead> Reader<R> {
    fn new(input: R) -> Self {
        Reader {
            input,
            line: 0,
            bytes: 0,
            header_read: false,
            ended: false,
            accounts: 0,
            events: 0,
            logs: BTreeMap::new(),
            current: None,
            emails: HashMap::new(),
            buffer: Vec::new(),
        }
    }

    fn summary(&self) -> Summary {
        Summary {
            negotiations: self.logs.len() as u64,
            events: self.events,
            accounts: self.accounts,
            bytes: self.bytes,
        }
    }

    fn bad(&self, reason: impl Into<String>) -> BackupError {
        BackupError::Line { line: self.line, reason: reason.into() }
    }

    /// The next line's text; `None` at the end of the input.
    fn read_line(&mut self) -> Result<Option<String>, BackupError> {
        self.buffer.clear();
        let read = self.input.read_until(b'\n', &mut self.buffer).map_err(BackupError::Read)?;
        if read == 0 {
            return Ok(None);
        }
        self.bytes += read as u64;
        self.line += 1;
        if self.buffer.last() != Some(&b'\n') {
            return Err(BackupError::Truncated { lines: self.line - 1 });
        }
        self.buffer.pop();
        match std::str::from_utf8(&self.buffer) {
            Ok(text) => Ok(Some(text.to_string())),
            Err(_) => Err(self.bad("not UTF-8 text: the file is damaged")),
        }
    }

    fn read_header(&mut self) -> Result<(), BackupError> {
        if self.header_read {
            return Ok(());
        }
        let Some(text) = self.read_line()? else {
            return Err(BackupError::Line { line: 1, reason: "the file is empty, not an Accord backup".into() });
        };
        match serde_json::from_str::<Line>(&text) {
            Ok(Line::Header { format, version, .. }) if format == FORMAT && version == VERSION => {
                self.header_read = true;
                Ok(())
            }
            _ => match serde_json::from_str::<HeaderProbe>(&text) {
                Ok(HeaderProbe { format: Some(format), version: Some(version) }) if format == FORMAT => Err(self.bad(
                    format!("this is an {FORMAT} version {version} file; this accord reads version {VERSION} only"),
                )),
                _ => Err(self.bad(format!(
                    "not an Accord backup: the first line must be its header ({{\"type\":\"header\",\"format\":\"{FORMAT}\",…}})"
                ))),
            },
        }
    }

    fn next(&mut self) -> Result<Option<Item>, BackupError> {
        self.read_header()?;
        if self.ended {
            return Ok(None);
        }
        let Some(text) = self.read_line()? else {
            return Err(BackupError::Truncated { lines: self.line });
        };
        let line: Line = serde_json::from_str(&text).map_err(|e| self.bad(format!("not a backup line: {e}")))?;
        match line {
            Line::Header { .. } => Err(self.bad("a second header: two backups were joined, or the file is damaged")),
            Line::Account { id, email, display_name, password_hash, created_at } => {
                if self.events > 0 {
                    return Err(self.bad("an account after the events: accounts come first"));
                }
                if let Some(first) = self.emails.insert(crate::email_key(&email), self.line) {
                    return Err(self.bad(format!("account {id} repeats the email of line {first}")));
                }
                self.accounts += 1;
                Ok(Some(Item::Account(Account { id, email, display_name, password_hash, created_at })))
            }
            Line::Event { negotiation, position, leaf_hash, bytes } => {
                self.event(negotiation, position, &leaf_hash, &bytes).map(Some)
            }
            Line::End { accounts, events, negotiations } => {
                self.end(accounts, events, negotiations)?;
                // Anything after the end line means the file is not what was written.
                if self.read_line()?.is_some() {
                    return Err(self.bad("text after the end line"));
                }
                Ok(None)
            }
        }
    }

    fn event(&mut self, negotiation: String, position: u64, leaf_hash: &str, bytes: &str) -> Result<Item, BackupError> {
        let what = format!("event {position} of negotiation {negotiation}");
        let stated: Hash = hex::decode(leaf_hash)
            .ok()
            .and_then(|h| Hash::try_from(h.as_slice()).ok())
            .ok_or_else(|| self.bad(format!("{what}: the leaf hash is not 64 hex digits")))?;
        let bytes = BASE64.decode(bytes).map_err(|e| self.bad(format!("{what}: the bytes are not base64: {e}")))?;
        if accord_merkle::leaf_hash(&bytes) != stated {
            return Err(
                self.bad(format!("{what}: its bytes do not hash to its leaf hash; the backup was altered or damaged"))
            );
        }
        let claimed: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| self.bad(format!("{what}: the bytes are not an event: {e}")))?;
        if claimed.get("position").and_then(serde_json::Value::as_u64) != Some(position) {
            return Err(self.bad(format!("{what}: the event's own position field says otherwise")));
        }
        if self.current.as_deref() != Some(negotiation.as_str()) {
            if self.logs.contains_key(&negotiation) {
                return Err(self.bad(format!("{what}: negotiation {negotiation}'s events do not come together")));
            }
            self.current = Some(negotiation.clone());
        }
        let log = self.logs.entry(negotiation.clone()).or_default();
        if position != log.len {
            let due = log.len;
            return Err(self.bad(format!("{what}: position {due} was due (positions run 0, 1, 2, … without gaps)")));
        }
        log.push(stated);
        self.events += 1;
        Ok(Item::Event { negotiation, position, bytes, leaf_hash: stated })
    }

    fn end(&mut self, accounts: u64, events: u64, negotiations: Vec<LogEnd>) -> Result<(), BackupError> {
        if accounts != self.accounts || events != self.events {
            return Err(self.bad(format!(
                "the end line counts {accounts} accounts and {events} events, the file holds {} and {}",
                self.accounts, self.events
            )));
        }
        let mut listed = 0;
        for end in &negotiations {
            let Some(log) = self.logs.get(&end.id) else {
                return Err(self.bad(format!("the end line lists negotiation {}, which has no events here", end.id)));
            };
            listed += 1;
            if log.len != end.size {
                return Err(self.bad(format!(
                    "negotiation {} has {} events here, the end line says {}",
                    end.id, log.len, end.size
                )));
            }
            if hex::encode(log.root()) != end.root.to_ascii_lowercase() {
                return Err(self.bad(format!(
                    "negotiation {}: the Merkle root of its events differs from the end line's; events were removed, reordered or altered",
                    end.id
                )));
            }
        }
        if listed != self.logs.len() || negotiations.len() != self.logs.len() {
            return Err(self.bad(format!(
                "the end line lists {} negotiations, the file holds events of {}",
                negotiations.len(),
                self.logs.len()
            )));
        }
        self.ended = true;
        Ok(())
    }
}

/// The RFC 6962 root of a log fed one leaf at a time, in O(log n) memory:
/// the roots of its perfect subtrees, largest first.
#[derive(Debug, Default)]
struct StreamingRoot {
    len: u64,
    /// `(leaf count, root)` of perfect subtrees, counts strictly decreasing.
    peaks: Vec<(u64, Hash)>,
}

impl StreamingRoot {
    fn push(&mut self, leaf: Hash) {
        self.len += 1;
        let mut carry = (1u64, leaf);
        while let Some(&(count, hash)) = self.peaks.last() {
            if count != carry.0 {
                break;
            }
            self.peaks.pop();
            carry = (count * 2, node_hash(&hash, &carry.1));
        }
        self.peaks.push(carry);
    }

    /// RFC 6962 splits at the largest power of two below the size, which is
    /// the first peak; so the root folds the peaks from the right.
    fn root(&self) -> Hash {
        let mut peaks = self.peaks.iter().rev();
        let Some(&(_, last)) = peaks.next() else { return empty_root() };
        peaks.fold(last, |right, (_, left)| node_hash(left, &right))
    }
}

struct CountingWriter<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use accord_merkle::{MerkleTree, leaf_hash};

    use super::*;

    #[test]
    fn the_streaming_root_is_the_rfc6962_root_at_every_size() {
        let mut tree = MerkleTree::new();
        let mut streaming = StreamingRoot::default();
        assert_eq!(streaming.root(), empty_root());
        for n in 0u32..300 {
            let leaf = leaf_hash(&n.to_be_bytes());
            tree.push(leaf);
            streaming.push(leaf);
            assert_eq!(streaming.root(), tree.current_root(), "size {}", n + 1);
        }
    }

    fn event_line(negotiation: &str, position: u64, bytes: &[u8]) -> String {
        format!(
            r#"{{"type":"event","negotiation":"{negotiation}","position":{position},"leaf_hash":"{}","bytes":"{}"}}"#,
            hex::encode(leaf_hash(bytes)),
            BASE64.encode(bytes)
        )
    }

    fn end_line(accounts: u64, logs: &[(&str, &[&[u8]])]) -> String {
        let mut events = 0;
        let negotiations: Vec<String> = logs
            .iter()
            .map(|(id, leaves)| {
                let mut root = StreamingRoot::default();
                for bytes in *leaves {
                    root.push(leaf_hash(bytes));
                    events += 1;
                }
                format!(r#"{{"id":"{id}","size":{},"root":"{}"}}"#, leaves.len(), hex::encode(root.root()))
            })
            .collect();
        format!(
            r#"{{"type":"end","accounts":{accounts},"events":{events},"negotiations":[{}]}}"#,
            negotiations.join(",")
        )
    }

    const HEADER: &str =
        r#"{"type":"header","format":"accord-backup","version":1,"created_at":"2026-03-01T09:00:00Z"}"#;
    const ACCOUNT: &str = r#"{"type":"account","id":"a1","email":"Ada@example.org","display_name":"Ada","password_hash":"$argon2id$x","created_at":"2026-03-01T09:00:00Z"}"#;
    const E0: &[u8] = br#"{"position":0}"#;
    const E1: &[u8] = br#"{"position": 1, "x": "y"}"#;

    fn check(lines: &[String]) -> Result<Summary, BackupError> {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        verify(text.as_bytes())
    }

    fn good() -> Vec<String> {
        vec![
            HEADER.to_string(),
            ACCOUNT.to_string(),
            event_line("n", 0, E0),
            event_line("n", 1, E1),
            end_line(1, &[("n", &[E0, E1])]),
        ]
    }

    fn refused_at(lines: &[String], line: u64, needle: &str) {
        match check(lines) {
            Err(BackupError::Line { line: at, reason }) => {
                assert_eq!(at, line, "{reason}");
                assert!(reason.contains(needle), "{reason:?} should mention {needle:?}");
            }
            other => panic!("expected a refusal at line {line}, got {other:?}"),
        }
    }

    #[test]
    fn a_well_formed_backup_verifies_and_is_counted() {
        let lines = good();
        let summary = check(&lines).unwrap();
        let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
        assert_eq!(summary, Summary { negotiations: 1, events: 2, accounts: 1, bytes: bytes as u64 });
    }

    #[test]
    fn every_check_names_its_line() {
        let mut tampered = good();
        let mut bytes = E1.to_vec();
        bytes[3] ^= 1;
        let line: serde_json::Value = serde_json::from_str(&tampered[3]).unwrap();
        tampered[3] =
            event_line("n", 1, &bytes).replace(&hex::encode(leaf_hash(&bytes)), line["leaf_hash"].as_str().unwrap());
        refused_at(&tampered, 4, "do not hash to its leaf hash");

        let mut gap = good();
        gap[3] = event_line("n", 2, br#"{"position":2}"#);
        refused_at(&gap, 4, "position 1 was due");

        let mut lying = good();
        lying[3] = event_line("n", 1, br#"{"position":7}"#);
        refused_at(&lying, 4, "own position");

        let mut dropped = good();
        dropped.remove(3);
        refused_at(&dropped, 4, "the end line counts 1 accounts and 2 events, the file holds 1 and 1");

        let mut other_root = good();
        other_root[4] = end_line(1, &[("n", &[E0, br#"{"position": 1}"#])]);
        refused_at(&other_root, 5, "Merkle root");

        let mut reordered_root = good();
        reordered_root[4] = end_line(1, &[("n", &[E1, E0])]);
        refused_at(&reordered_root, 5, "Merkle root");

        let mut twice = good();
        twice.insert(2, ACCOUNT.replace("a1", "a2").replace("Ada@", "ada@"));
        refused_at(&twice, 3, "repeats the email of line 2");

        let mut version2 = good();
        version2[0] = HEADER.replace(":1,", ":2,");
        refused_at(&version2, 1, "version 2");

        refused_at(&["{}".to_string()], 1, "not an Accord backup");

        let mut trailing = good();
        trailing.push(String::new());
        refused_at(&trailing, 6, "after the end line");
    }

    #[test]
    fn a_cut_backup_is_truncated() {
        let mut lines = good();
        lines.pop();
        assert!(matches!(check(&lines), Err(BackupError::Truncated { lines: 4 })));
        let text = good().join("\n");
        let cut = &text[..text.len() - 5];
        assert!(matches!(verify(cut.as_bytes()), Err(BackupError::Truncated { lines: 4 })));
    }
}
