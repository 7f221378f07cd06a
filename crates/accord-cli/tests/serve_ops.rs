//! `accord serve` as an operator meets it: JSON log lines on standard error,
//! and a graceful stop on SIGTERM that finishes the request in flight.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn sigterm_drains_the_request_in_flight_then_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["serve", "--bind", "127.0.0.1:0", "--log-format", "json", "--drain-timeout", "20"])
        .current_dir(dir.path())
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = loop {
        let line = stdout.next().expect("the server exited before serving").unwrap();
        if let Some(rest) = line.strip_prefix("Accord is serving http://") {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in stdout {});
    let (log_tx, log_rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let _ = log_tx.send(line.unwrap());
        }
    });

    // A sign-up whose body is only half sent when the stop is asked for.
    let body = r#"{"email":"late@example.org","display_name":"Late","password":"correct horse battery"}"#;
    let (first, rest) = body.split_at(body.len() / 2);
    let mut connection = TcpStream::connect(&address).unwrap();
    connection.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        connection,
        "POST /api/accounts HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    connection.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    // The server says it is draining before the request completes.
    let mut seen = Vec::new();
    loop {
        let line = log_rx.recv_timeout(Duration::from_secs(20)).expect("no 'shutting down' log line");
        let parsed: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {line}"));
        seen.push(parsed.clone());
        if parsed["fields"]["message"].as_str().unwrap_or("").starts_with("shutting down") {
            break;
        }
    }
    connection.write_all(rest.as_bytes()).unwrap();
    let mut response = String::new();
    connection.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "the request in flight must be answered: {response}");

    let status = child.wait().unwrap();
    assert!(status.success(), "accord serve must exit 0 after draining, got {status}");
    let rest_of_log: Vec<String> = log_rx.try_iter().collect();
    let request_line = rest_of_log
        .iter()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .find(|l| l["fields"]["message"] == "request")
        .expect("a request log line");
    assert_eq!(request_line["fields"]["route"], "/api/accounts");
    assert_eq!(request_line["fields"]["status"], 201);
    assert_eq!(request_line["level"], "INFO");
    assert!(!rest_of_log.iter().any(|l| l.contains("late@example.org")), "the log must not carry the email");
    assert!(rest_of_log.iter().any(|l| l.contains("every request answered")), "{rest_of_log:?}");
}
