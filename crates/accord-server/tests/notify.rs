//! Reminders: their text, the outbox file and the SMTP sender (against a
//! minimal SMTP sink in this file; no network beyond loopback).

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use std::time::Duration;

use accord_core::model::PhaseKind;
use accord_server::notify::{
    Awaited, MemoryNotifier, Notification, Notifier, NotifyError, OutboxNotifier, ReminderFacts, notifier_from_url,
    read_outbox,
};
use chrono::{DateTime, TimeZone, Utc};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

fn deadline() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn facts<'a>(party: &'a str, awaited: &'a [Awaited]) -> ReminderFacts<'a> {
    ReminderFacts {
        to_email: "ua-delegate@example.org",
        party,
        negotiation: "neg-7",
        negotiation_title: "Framework for a Ceasefire",
        phase_id: "final",
        phase_name: "Final session",
        phase_kind: PhaseKind::FinalSession,
        deadline: deadline(),
        awaited,
        server_url: Some("https://accord.example.org/"),
    }
}

fn reminder(party: &str, awaited: &[Awaited]) -> Notification {
    Notification::reminder(&facts(party, awaited)).unwrap()
}

fn shown(n: &Notification) -> String {
    format!("to: {} (party {})\nsubject: {}\n\n{}", n.to_email, n.to_party, n.subject, n.body)
}

#[test]
fn a_reminder_reads_as_expected() {
    insta::assert_snapshot!("reminder_one_action", shown(&reminder("ua", &[Awaited::Sign { version: 5 }])));
    let mut no_url = facts("ru", &[Awaited::Acknowledge { version: 3 }, Awaited::RecordStances]);
    no_url.server_url = None;
    no_url.phase_kind = PhaseKind::Drafting;
    no_url.phase_name = "Second drafting round";
    no_url.phase_id = "round-2";
    insta::assert_snapshot!("reminder_two_actions_no_url", shown(&Notification::reminder(&no_url).unwrap()));
}

#[tokio::test]
async fn the_outbox_keeps_every_notification_in_order_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.jsonl");
    let sent = vec![
        reminder("ua", &[Awaited::Acknowledge { version: 3 }]),
        reminder("ru", &[Awaited::RecordStances]),
        reminder("eu", &[Awaited::Sign { version: 5 }, Awaited::Acknowledge { version: 5 }]),
    ];
    let outbox = notifier_from_url(&format!("outbox:{}", path.display())).unwrap().unwrap();
    for n in &sent[..2] {
        outbox.send(n).await.unwrap();
    }
    drop(outbox);
    assert_eq!(read_outbox(&path).unwrap(), sent[..2]);

    let reopened = OutboxNotifier::new(&path);
    reopened.send(&sent[2]).await.unwrap();
    assert_eq!(read_outbox(&path).unwrap(), sent);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 3, "one line per notification:\n{text}");
}

#[tokio::test]
async fn concurrent_sends_each_land_on_their_own_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.jsonl");
    let outbox = std::sync::Arc::new(OutboxNotifier::new(&path));
    let tasks: Vec<_> = (0..24u64)
        .map(|version| {
            let outbox = outbox.clone();
            tokio::spawn(async move { outbox.send(&reminder("ua", &[Awaited::Acknowledge { version }])).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let mut versions: Vec<String> = read_outbox(&path).unwrap().into_iter().map(|n| n.subject).collect();
    versions.sort();
    versions.dedup();
    assert_eq!(versions.len(), 24);
}

#[tokio::test]
async fn a_torn_last_line_is_never_read_and_is_cut_by_the_next_send() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.jsonl");
    let outbox = OutboxNotifier::new(&path);
    let first = reminder("ua", &[Awaited::RecordStances]);
    outbox.send(&first).await.unwrap();
    // What a crash in the middle of the next write leaves behind.
    let mut text = std::fs::read(&path).unwrap();
    text.extend_from_slice(br#"{"to_email":"ru@exa"#);
    std::fs::write(&path, &text).unwrap();
    assert_eq!(read_outbox(&path).unwrap(), vec![first.clone()]);

    let second = reminder("ru", &[Awaited::Sign { version: 2 }]);
    outbox.send(&second).await.unwrap();
    assert_eq!(read_outbox(&path).unwrap(), vec![first, second]);
    assert!(!std::fs::read_to_string(&path).unwrap().contains("ru@exa\""));
}

#[test]
fn a_damaged_line_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.jsonl");
    let good = serde_json::to_string(&reminder("ua", &[Awaited::RecordStances])).unwrap();
    std::fs::write(&path, format!("{good}\nnot json\n{good}\n")).unwrap();
    let error = read_outbox(&path).unwrap_err();
    assert!(matches!(error, NotifyError::OutboxLine { line: 2, .. }), "{error}");
    assert!(error.to_string().contains("line 2"), "{error}");
}

#[tokio::test]
async fn the_memory_notifier_keeps_what_it_was_sent() {
    let memory = MemoryNotifier::new();
    let n = reminder("ua", &[Awaited::RecordStances]);
    memory.send(&n).await.unwrap();
    memory.send(&n).await.unwrap();
    assert_eq!(memory.sent(), vec![n.clone(), n]);
}

/// What the sink saw of one SMTP session.
#[derive(Debug, Default)]
struct Captured {
    mail_from: String,
    rcpt_to: Vec<String>,
    /// The message as sent after DATA, dot-unstuffed, lines joined with CRLF.
    data: String,
    commands: Vec<String>,
}

/// Speaks just enough SMTP for one session. With `refuse_recipients`, every
/// RCPT TO is answered 550 (without naming the address, so an error naming it
/// must come from the sender's side).
async fn smtp_sink(refuse_recipients: bool) -> (u16, JoinHandle<Captured>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        let mut captured = Captured::default();
        write.write_all(b"220 sink.test ESMTP\r\n").await.unwrap();
        while let Some(line) = lines.next_line().await.unwrap() {
            captured.commands.push(line.clone());
            let verb = line.split([' ', ':']).next().unwrap_or_default().to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" | "HELO" => b"250 sink.test\r\n",
                "MAIL" => {
                    captured.mail_from = between_brackets(&line);
                    b"250 2.1.0 ok\r\n"
                }
                "RCPT" if refuse_recipients => b"550 5.1.1 mailbox unavailable\r\n",
                "RCPT" => {
                    captured.rcpt_to.push(between_brackets(&line));
                    b"250 2.1.5 ok\r\n"
                }
                "DATA" => {
                    write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await.unwrap();
                    let mut message = Vec::new();
                    while let Some(data_line) = lines.next_line().await.unwrap() {
                        if data_line == "." {
                            break;
                        }
                        message.push(data_line.strip_prefix('.').map(str::to_string).unwrap_or(data_line));
                    }
                    captured.data = message.join("\r\n");
                    b"250 2.0.0 queued\r\n"
                }
                "RSET" | "NOOP" => b"250 ok\r\n",
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                }
                _ => b"502 not implemented\r\n",
            };
            write.write_all(reply).await.unwrap();
        }
        captured
    });
    (port, handle)
}

fn between_brackets(line: &str) -> String {
    let start = line.find('<').map_or(0, |at| at + 1);
    let end = line.rfind('>').unwrap_or(line.len());
    line[start..end].to_string()
}

/// The message's headers (folded lines joined) and its body.
fn split_message(data: &str) -> (String, String) {
    let (head, body) = data.split_once("\r\n\r\n").unwrap();
    (head.replace("\r\n ", " ").replace("\r\n\t", " "), body.replace("\r\n", "\n"))
}

async fn within_seconds<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), future).await.expect("the SMTP exchange hung")
}

#[tokio::test]
async fn smtp_delivers_the_reminder_to_the_party() {
    let (port, sink) = smtp_sink(false).await;
    let notifier =
        notifier_from_url(&format!("smtp://127.0.0.1:{port}?from=Accord%20%3Caccord@example.org%3E")).unwrap().unwrap();
    let n = reminder("ua", &[Awaited::Sign { version: 5 }]);
    within_seconds(notifier.send(&n)).await.unwrap();
    let captured = within_seconds(sink).await.unwrap();

    assert_eq!(captured.mail_from, "accord@example.org");
    assert_eq!(captured.rcpt_to, vec!["ua-delegate@example.org".to_string()]);
    let (headers, body) = split_message(&captured.data);
    assert!(headers.lines().any(|h| h == format!("Subject: {}", n.subject)), "{headers}");
    assert!(headers.lines().any(|h| h == "To: ua-delegate@example.org"), "{headers}");
    assert!(headers.lines().any(|h| h.starts_with("From: ") && h.contains("<accord@example.org>")), "{headers}");
    assert!(body.contains("ends at 2026-03-01 12:00:00 UTC"), "{body}");
    assert!(body.contains("  - sign version 5"), "{body}");
    assert!(captured.commands.iter().any(|c| c.eq_ignore_ascii_case("QUIT")), "{:?}", captured.commands);
}

#[tokio::test]
async fn a_refused_recipient_is_an_error_naming_the_address() {
    let (port, sink) = smtp_sink(true).await;
    let notifier = notifier_from_url(&format!("smtp://localhost:{port}?from=accord@example.org")).unwrap().unwrap();
    let n = reminder("ua", &[Awaited::RecordStances]);
    let error = within_seconds(notifier.send(&n)).await.unwrap_err();
    assert!(matches!(error, NotifyError::Smtp { ref to, .. } if to == "ua-delegate@example.org"), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("ua-delegate@example.org"), "{message}");
    assert!(message.contains("550"), "{message}");
    let captured = within_seconds(sink).await.unwrap();
    assert!(captured.data.is_empty(), "nothing may be sent after a refused recipient");
}

#[tokio::test]
async fn an_unreachable_relay_is_an_error_naming_the_address() {
    // A port that was free a moment ago: nobody listens there.
    let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let notifier = notifier_from_url(&format!("smtp://127.0.0.1:{port}?from=accord@example.org")).unwrap().unwrap();
    let error = within_seconds(notifier.send(&reminder("ua", &[Awaited::RecordStances]))).await.unwrap_err();
    assert!(error.to_string().contains("ua-delegate@example.org"), "{error}");
}
