//! Deadline reminders: what a reminder says and how it leaves the server.
//!
//! A [`Notification`] is rendered by [`Notification::reminder`] from plain
//! values that every party of the negotiation may see (party id, title, phase,
//! deadline, what is awaited). It takes no folded state, so nothing private
//! (a profile, a stance's reason) can reach a mail relay by accident.
//!
//! Where it goes is a [`Notifier`]: an append-only outbox file
//! ([`OutboxNotifier`]), an SMTP relay ([`SmtpNotifier`]) or memory
//! ([`MemoryNotifier`], for tests). [`notifier_from_url`] picks one from the
//! `accord serve --notify` value.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use accord_core::model::PhaseKind;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

/// One message to one party's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub to_email: String,
    pub to_party: String,
    pub negotiation: String,
    pub negotiation_title: String,
    pub subject: String,
    pub body: String,
}

/// Something a party still owes before a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awaited {
    Acknowledge { version: u64 },
    Sign { version: u64 },
    RecordStances,
}

impl fmt::Display for Awaited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Awaited::Acknowledge { version } => write!(f, "acknowledge version {version}"),
            Awaited::Sign { version } => write!(f, "sign version {version}"),
            Awaited::RecordStances => f.write_str("record your stances"),
        }
    }
}

/// The public facts a reminder is made of. Every field is visible to every
/// party of the negotiation, except `to_email`, which is the recipient's own.
#[derive(Debug, Clone, Copy)]
pub struct ReminderFacts<'a> {
    pub to_email: &'a str,
    pub party: &'a str,
    pub negotiation: &'a str,
    pub negotiation_title: &'a str,
    pub phase_id: &'a str,
    pub phase_name: &'a str,
    pub phase_kind: PhaseKind,
    pub deadline: DateTime<Utc>,
    pub awaited: &'a [Awaited],
    /// The server's public URL, if configured, so the reader knows where to act.
    pub server_url: Option<&'a str>,
}

impl Notification {
    /// The reminder owed to a party, or `None` when nothing is awaited from it.
    pub fn reminder(facts: &ReminderFacts<'_>) -> Option<Notification> {
        if facts.awaited.is_empty() {
            return None;
        }
        // A title is one line; a newline in it must not start a header or a fake paragraph.
        let title = one_line(facts.negotiation_title);
        let phase_name = one_line(facts.phase_name);
        let deadline = facts.deadline.format("%Y-%m-%d %H:%M:%S UTC");
        let subject = match facts.awaited {
            [only] => format!("[Accord] {title}: {} before {deadline}", capitalised(&only.to_string())),
            more => format!("[Accord] {title}: {} actions due before {deadline}", more.len()),
        };
        let mut body = format!(
            "Party {party},\n\n\
             The phase \"{phase_name}\" ({kind}, id {phase_id}) of the negotiation\n\
             \"{title}\" ({negotiation}) ends at {deadline}.\n\n\
             Still awaited from you before then:\n",
            party = facts.party,
            kind = facts.phase_kind.as_str(),
            phase_id = facts.phase_id,
            negotiation = facts.negotiation,
        );
        for awaited in facts.awaited {
            body.push_str(&format!("  - {awaited}\n"));
        }
        body.push('\n');
        match facts.server_url {
            Some(url) => {
                body.push_str(&format!("Open it: {}\n", negotiation_link(url, facts.negotiation)));
                body.push_str(&format!("Or from the command line: accord negotiation show {}\n", facts.negotiation));
            }
            None => body.push_str(&format!("See it with: accord negotiation show {}\n", facts.negotiation)),
        }
        body.push_str(
            "\nYou receive this because your party has not yet done the above.\n\
             This message names only what every party of the negotiation can see.\n",
        );
        Some(Notification {
            to_email: facts.to_email.to_string(),
            to_party: facts.party.to_string(),
            negotiation: facts.negotiation.to_string(),
            negotiation_title: facts.negotiation_title.to_string(),
            subject,
            body,
        })
    }
}

/// The negotiation's page under the server's public URL, its id escaped as
/// one path segment.
fn negotiation_link(server_url: &str, negotiation: &str) -> String {
    match url::Url::parse(server_url) {
        Ok(mut url) if !url.cannot_be_a_base() => {
            if let Ok(mut segments) = url.path_segments_mut() {
                segments.pop_if_empty().push("n").push(negotiation);
            }
            url.to_string()
        }
        _ => format!("{}/n/{negotiation}", server_url.trim_end_matches('/')),
    }
}

fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(
        "notification target {0:?}: expected `none`, `outbox:PATH`, `smtp://HOST[:PORT]?from=ADDRESS` or `smtps://…`"
    )]
    UnknownTarget(String),
    #[error("notification target {url}: {reason}")]
    BadTarget { url: String, reason: String },
    #[error("outbox {path}: {source}")]
    Outbox { path: PathBuf, source: std::io::Error },
    #[error("outbox {path}, line {line}: {source}")]
    OutboxLine { path: PathBuf, line: usize, source: serde_json::Error },
    #[error("address {address:?}: {reason}")]
    Address { address: String, reason: String },
    #[error("sending to {to} through {relay}: {source}")]
    Smtp { to: String, relay: String, source: lettre::transport::smtp::Error },
    #[error("building the message to {to}: {reason}")]
    Message { to: String, reason: String },
}

/// Where notifications go. `send` returns only once the notification is the
/// target's responsibility (on disk, or accepted by the relay).
#[async_trait]
pub trait Notifier: Send + Sync + fmt::Debug {
    async fn send(&self, notification: &Notification) -> Result<(), NotifyError>;
}

/// Appends each notification as one JSON line to a file that an operator or
/// a mail relay drains.
#[derive(Debug)]
pub struct OutboxNotifier {
    path: PathBuf,
    /// Appends from one process go one at a time, so a torn-tail repair never races a write.
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl OutboxNotifier {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        OutboxNotifier { path: path.into(), lock: Arc::default() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait]
impl Notifier for OutboxNotifier {
    async fn send(&self, notification: &Notification) -> Result<(), NotifyError> {
        let mut line = serde_json::to_vec(notification)
            .map_err(|e| NotifyError::Outbox { path: self.path.clone(), source: std::io::Error::other(e) })?;
        line.push(b'\n');
        let _guard = self.lock.lock().await;
        let path = self.path.clone();
        let outcome = tokio::task::spawn_blocking(move || append_durably(&path, &line)).await;
        match outcome {
            Ok(result) => result.map_err(|source| NotifyError::Outbox { path: self.path.clone(), source }),
            Err(joined) => Err(NotifyError::Outbox { path: self.path.clone(), source: std::io::Error::other(joined) }),
        }
    }
}

fn append_durably(path: &Path, line: &[u8]) -> std::io::Result<()> {
    let created = !path.exists();
    let mut file = OpenOptions::new().read(true).append(true).create(true).open(path)?;
    drop_torn_tail(&mut file)?;
    file.write_all(line)?;
    file.sync_data()?;
    if created {
        // A new file's directory entry is durable only once the directory is synced.
        sync_parent(path)?;
    }
    Ok(())
}

/// A line without its newline is a write that crashed before it was
/// acknowledged; cut it so the next line starts clean.
fn drop_torn_tail(file: &mut File) -> std::io::Result<()> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(());
    }
    let mut end = len;
    let mut chunk = [0u8; 4096];
    loop {
        let start = end.saturating_sub(chunk.len() as u64);
        let size = (end - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut chunk[..size])?;
        if end == len && chunk[size - 1] == b'\n' {
            return Ok(());
        }
        if let Some(at) = chunk[..size].iter().rposition(|&b| b == b'\n') {
            file.set_len(start + at as u64 + 1)?;
            return file.sync_data();
        }
        if start == 0 {
            file.set_len(0)?;
            return file.sync_data();
        }
        end = start;
    }
}

fn sync_parent(path: &Path) -> std::io::Result<()> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    match File::open(parent) {
        Ok(dir) => dir.sync_all(),
        // Some platforms cannot open a directory; the data itself is synced.
        Err(_) => Ok(()),
    }
}

/// Every complete line of an outbox, in order. An unterminated last line is a
/// write still in progress (or one that crashed before it was acknowledged)
/// and is left out; any other unreadable line is an error naming it.
pub fn read_outbox(path: impl AsRef<Path>) -> Result<Vec<Notification>, NotifyError> {
    let path = path.as_ref();
    let text = std::fs::read(path).map_err(|source| NotifyError::Outbox { path: path.to_path_buf(), source })?;
    let complete = match text.iter().rposition(|&b| b == b'\n') {
        Some(at) => &text[..=at],
        None => &[][..],
    };
    complete
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.is_empty())
        .map(|(index, line)| {
            serde_json::from_slice(line).map_err(|source| NotifyError::OutboxLine {
                path: path.to_path_buf(),
                line: index + 1,
                source,
            })
        })
        .collect()
}

/// Keeps what it was given; for tests.
#[derive(Debug, Default)]
pub struct MemoryNotifier {
    sent: Mutex<Vec<Notification>>,
}

impl MemoryNotifier {
    pub fn new() -> Self {
        MemoryNotifier::default()
    }

    pub fn sent(&self) -> Vec<Notification> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[async_trait]
impl Notifier for MemoryNotifier {
    async fn send(&self, notification: &Notification) -> Result<(), NotifyError> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).push(notification.clone());
        Ok(())
    }
}

/// Sends through an SMTP relay, one connection per message.
pub struct SmtpNotifier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The URL without its password, for errors and logs.
    relay: String,
    protection: Protection,
}

impl fmt::Debug for SmtpNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpNotifier")
            .field("relay", &self.relay)
            .field("from", &self.from.to_string())
            .field("protection", &self.protection)
            .finish()
    }
}

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protection {
    /// TLS from the first byte (`smtps://`).
    Wrapper,
    /// STARTTLS, refusing to go on without it.
    Required,
    /// STARTTLS if the relay offers it.
    Opportunistic,
    /// Plain text.
    None,
}

impl SmtpNotifier {
    /// `smtp://[USER:PASSWORD@]HOST[:PORT][/EHLO-NAME]?from=ADDRESS[&tls=required|opportunistic|none]`
    /// or `smtps://…` (TLS from the start, port 465).
    ///
    /// Without `tls=`, a loopback relay is spoken to in plain text (port 25)
    /// and any other relay must offer STARTTLS (port 587). Credentials never
    /// travel in plain text to a relay that is not on this host.
    pub fn from_url(url: &str) -> Result<SmtpNotifier, NotifyError> {
        let relay = redact(url);
        let bad = |reason: &str| NotifyError::BadTarget { url: relay.clone(), reason: reason.to_string() };
        let mut parsed = url::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        let host = parsed.host_str().filter(|h| !h.is_empty()).ok_or_else(|| bad("no relay host"))?.to_string();
        let mut from = None;
        let mut tls = None;
        for (key, value) in parsed.query_pairs() {
            match key.as_ref() {
                "from" => from = Some(value.into_owned()),
                "tls" => tls = Some(value.into_owned()),
                other => return Err(bad(&format!("unknown parameter {other:?} (expected from= and tls=)"))),
            }
        }
        let from = from.ok_or_else(|| bad("missing ?from=ADDRESS, the sender of reminders"))?;
        let from: Mailbox = from.parse().map_err(|e| bad(&format!("from={from:?} is not an address: {e}")))?;
        let loopback = is_loopback(&host);
        let protection = match (parsed.scheme(), tls.as_deref()) {
            ("smtps", None) => Protection::Wrapper,
            ("smtps", Some(_)) => return Err(bad("smtps:// is TLS from the start; tls= applies to smtp:// only")),
            ("smtp", None) if loopback => Protection::None,
            ("smtp", None | Some("required")) => Protection::Required,
            ("smtp", Some("opportunistic")) => Protection::Opportunistic,
            ("smtp", Some("none")) => Protection::None,
            ("smtp", Some(other)) => {
                return Err(bad(&format!("tls={other:?}: expected required, opportunistic or none")));
            }
            _ => return Err(NotifyError::UnknownTarget(relay)),
        };
        let has_credentials = !parsed.username().is_empty() || parsed.password().is_some();
        if has_credentials && !loopback && matches!(protection, Protection::Opportunistic | Protection::None) {
            return Err(bad("credentials would cross the network unencrypted; use smtps:// or tls=required"));
        }
        // lettre reads the host, port, credentials and EHLO name from the URL;
        // the sender and the protection are ours.
        parsed.set_query(None);
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(parsed.as_str()).map_err(|e| bad(&e.to_string()))?;
        let tls_parameters =
            || lettre::transport::smtp::client::TlsParameters::new(host.clone()).map_err(|e| bad(&e.to_string()));
        use lettre::transport::smtp::client::Tls;
        let (tls, default_port) = match protection {
            Protection::Wrapper => (Tls::Wrapper(tls_parameters()?), 465),
            Protection::Required => (Tls::Required(tls_parameters()?), 587),
            Protection::Opportunistic => (Tls::Opportunistic(tls_parameters()?), 587),
            Protection::None => (Tls::None, 25),
        };
        builder = builder.tls(tls).port(parsed.port().unwrap_or(default_port));
        Ok(SmtpNotifier { transport: builder.build(), from, relay, protection })
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[async_trait]
impl Notifier for SmtpNotifier {
    async fn send(&self, notification: &Notification) -> Result<(), NotifyError> {
        let to: Mailbox = notification.to_email.parse().map_err(|e: lettre::address::AddressError| {
            NotifyError::Address { address: notification.to_email.clone(), reason: e.to_string() }
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(notification.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(notification.body.clone())
            .map_err(|e| NotifyError::Message { to: notification.to_email.clone(), reason: e.to_string() })?;
        self.transport.send(message).await.map_err(|source| NotifyError::Smtp {
            to: notification.to_email.clone(),
            relay: self.relay.clone(),
            source,
        })?;
        Ok(())
    }
}

/// The notifier a `--notify` value names: `none` (no reminders are sent),
/// `outbox:PATH`, `smtp://…` or `smtps://…` (see [`SmtpNotifier::from_url`]).
pub fn notifier_from_url(url: &str) -> Result<Option<Arc<dyn Notifier>>, NotifyError> {
    let url = url.trim();
    if url == "none" {
        return Ok(None);
    }
    if let Some(path) = url.strip_prefix("outbox:") {
        if path.is_empty() {
            return Err(NotifyError::BadTarget { url: url.to_string(), reason: "no outbox path".to_string() });
        }
        return Ok(Some(Arc::new(OutboxNotifier::new(path))));
    }
    if url.starts_with("smtp://") || url.starts_with("smtps://") {
        return Ok(Some(Arc::new(SmtpNotifier::from_url(url)?)));
    }
    Err(NotifyError::UnknownTarget(redact(url)))
}

/// A `--notify` value fit to print: an SMTP password is replaced by `***`.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Only fails for URLs that cannot have credentials, which this one has.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_chosen_by_their_prefix() {
        assert!(notifier_from_url("none").unwrap().is_none());
        let outbox = notifier_from_url("outbox:./x.jsonl").unwrap().unwrap();
        assert!(format!("{outbox:?}").contains("OutboxNotifier"));
        let smtp = notifier_from_url("smtp://localhost:2525?from=accord@example.org").unwrap().unwrap();
        assert!(format!("{smtp:?}").contains("SmtpNotifier"));
        assert!(matches!(notifier_from_url("mailto:x@y"), Err(NotifyError::UnknownTarget(_))));
        assert!(matches!(notifier_from_url("outbox:"), Err(NotifyError::BadTarget { .. })));
    }

    #[test]
    fn smtp_urls_pick_their_protection() {
        let protection = |url: &str| SmtpNotifier::from_url(url).unwrap().protection;
        assert_eq!(protection("smtp://127.0.0.1?from=a@example.org"), Protection::None);
        assert_eq!(protection("smtp://[::1]:25?from=a@example.org"), Protection::None);
        assert_eq!(protection("smtp://localhost?from=a@example.org&tls=required"), Protection::Required);
        assert_eq!(protection("smtp://mail.example.org?from=a@example.org"), Protection::Required);
        assert_eq!(
            protection("smtp://mail.example.org?from=a@example.org&tls=opportunistic"),
            Protection::Opportunistic
        );
        assert_eq!(protection("smtp://relay.internal?from=a@example.org&tls=none"), Protection::None);
        assert_eq!(protection("smtps://u:p@mail.example.org?from=a@example.org"), Protection::Wrapper);
        assert_eq!(protection("smtp://u:p@localhost?from=a@example.org"), Protection::None);
    }

    #[test]
    fn bad_smtp_urls_are_refused_with_a_reason() {
        let reason = |url: &str| SmtpNotifier::from_url(url).unwrap_err().to_string();
        assert!(reason("smtp://localhost:25").contains("missing ?from="));
        assert!(reason("smtp://localhost?from=not-an-address").contains("not an address"));
        assert!(reason("smtp://localhost?from=a@example.org&tls=maybe").contains("tls=\"maybe\""));
        assert!(reason("smtp://localhost?from=a@example.org&to=b@example.org").contains("unknown parameter"));
        let leak = reason("smtp://u:hunter2@mail.example.org?from=a@example.org&tls=none");
        assert!(leak.contains("unencrypted"), "{leak}");
        assert!(!leak.contains("hunter2"), "{leak}");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("smtps://user:hunter2@mail.example.org:465?from=a@example.org"),
            "smtps://user:***@mail.example.org:465?from=a@example.org"
        );
        assert_eq!(redact("outbox:./a.jsonl"), "outbox:./a.jsonl");
    }

    #[test]
    fn a_party_with_nothing_awaited_gets_no_reminder() {
        let facts = ReminderFacts {
            to_email: "ua@example.org",
            party: "ua",
            negotiation: "n1",
            negotiation_title: "Title",
            phase_id: "p",
            phase_name: "Phase",
            phase_kind: PhaseKind::Drafting,
            deadline: DateTime::<Utc>::UNIX_EPOCH,
            awaited: &[],
            server_url: None,
        };
        assert!(Notification::reminder(&facts).is_none());
    }

    #[test]
    fn a_reminder_links_to_the_negotiation_under_the_public_url() {
        assert_eq!(negotiation_link("https://accord.example.org/", "n-1"), "https://accord.example.org/n/n-1");
        assert_eq!(negotiation_link("https://example.org/accord", "a b"), "https://example.org/accord/n/a%20b");
        let facts = ReminderFacts {
            to_email: "ua@example.org",
            party: "ua",
            negotiation: "n1",
            negotiation_title: "Title",
            phase_id: "p",
            phase_name: "Phase",
            phase_kind: PhaseKind::Drafting,
            deadline: DateTime::<Utc>::UNIX_EPOCH,
            awaited: &[Awaited::RecordStances],
            server_url: Some("https://accord.example.org"),
        };
        let reminder = Notification::reminder(&facts).unwrap();
        assert!(reminder.body.contains("Open it: https://accord.example.org/n/n1\n"), "{}", reminder.body);
    }

    #[test]
    fn a_title_cannot_break_the_subject_line() {
        let facts = ReminderFacts {
            to_email: "ua@example.org",
            party: "ua",
            negotiation: "n1",
            negotiation_title: "Title\r\nBcc: someone@example.org",
            phase_id: "p",
            phase_name: "Phase",
            phase_kind: PhaseKind::Drafting,
            deadline: DateTime::<Utc>::UNIX_EPOCH,
            awaited: &[Awaited::RecordStances],
            server_url: None,
        };
        let reminder = Notification::reminder(&facts).unwrap();
        assert!(!reminder.subject.contains('\n') && !reminder.subject.contains('\r'), "{}", reminder.subject);
    }
}
