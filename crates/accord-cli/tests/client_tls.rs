//! The client trusts the system's certificate store as well as its bundled
//! roots: against an HTTPS server whose certificate comes from a private CA,
//! `accord` fails the TLS handshake until that CA is in the system
//! store (here SSL_CERT_FILE, which the platform loader honours on Unix).
//! The server is `openssl s_server`; the test says so and passes when
//! openssl is not installed.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn openssl(dir: &Path, args: &[&str]) -> bool {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `accord whoami` (a GET; `s_server -www` answers GETs only) against the
/// server; its error text.
fn whoami(port: u16, ca_file: Option<&Path>, empty_dir: &Path, config: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_accord"))
        .arg("whoami")
        .env("ACCORD_CONFIG", config)
        .env("ACCORD_SERVER", format!("https://127.0.0.1:{port}"))
        .env("ACCORD_TOKEN", "accord_irrelevant")
        // The system store is only what the test says: the CA file, or nothing.
        .env("SSL_CERT_DIR", empty_dir)
        .env("SSL_CERT_FILE", ca_file.map_or_else(|| empty_dir.join("none.pem"), Path::to_path_buf))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success(), "s_server is no Accord server");
    String::from_utf8_lossy(&output.stderr).to_string()
}

#[test]
fn a_private_ca_in_the_system_store_is_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let made = openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=Accord Test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
    ) && openssl(
        d,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    ) && std::fs::write(
        d.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .is_ok()
        && openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
                "-out",
                "server.pem",
            ],
        );
    if !made {
        eprintln!("skipped: openssl is not installed (or could not make a test CA)");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Server(
        Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept", &format!("127.0.0.1:{port}")])
            .args(["-cert", "server.pem", "-key", "server.key"])
            .current_dir(d)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "openssl s_server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let empty = d.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let config = d.join("client.toml");

    let untrusted = whoami(port, None, &empty, &config);
    assert!(untrusted.to_lowercase().contains("certificate") || untrusted.contains("UnknownIssuer"), "{untrusted}");

    let trusted = whoami(port, Some(&d.join("ca.pem")), &empty, &config);
    assert!(
        !trusted.contains("UnknownIssuer") && !trusted.to_lowercase().contains("certificate"),
        "with the CA in the system store the handshake succeeds (only the HTTP exchange fails): {trusted}"
    );
    drop(server);
}
