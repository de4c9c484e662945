//! A real SMTP server on loopback for mail tests: `aiosmtpd` (PyPI, pinned in
//! `scripts/setup-python.sh`, in the venv at `.tools/venv`) run as a subprocess that keeps every
//! message it receives as a file of a Maildir, which the tests read.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// An `aiosmtpd` process and the Maildir it writes to; killed when dropped.
pub struct MailServer {
    child: Child,
    pub port: u16,
    dir: TempDir,
}

fn venv_python() -> PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .join(".tools/venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup-python.sh (scripts/test.sh runs it) to create the venv \
         with aiosmtpd",
        python.display()
    );
    python
}

/// One received message, its body decoded from quoted-printable when it was sent so.
#[derive(Debug, Clone)]
pub struct Received {
    pub raw: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Received {
    /// The first `token=…` value in the body whose token starts with `prefix`.
    pub fn token(&self, prefix: &str) -> Option<String> {
        let start = self.body.find(&format!("token={prefix}"))? + "token=".len();
        Some(
            self.body[start..]
                .chars()
                .take_while(char::is_ascii_alphanumeric_or_underscore)
                .collect(),
        )
    }

    /// The first link with a query (a word starting with `http` holding `?`) in the body.
    pub fn link(&self) -> Option<String> {
        self.body
            .split_whitespace()
            .find(|w| (w.starts_with("http://") || w.starts_with("https://")) && w.contains('?'))
            .map(str::to_owned)
    }
}

trait TokenChar {
    fn is_ascii_alphanumeric_or_underscore(&self) -> bool;
}

impl TokenChar for char {
    fn is_ascii_alphanumeric_or_underscore(&self) -> bool {
        self.is_ascii_alphanumeric() || *self == '_'
    }
}

impl MailServer {
    /// Starts the server on a free loopback port and waits until it accepts connections.
    pub fn start() -> MailServer {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = tempfile::Builder::new()
            .prefix("codexkey-mail-")
            .tempdir()
            .expect("a temporary maildir");
        let child = Command::new(venv_python())
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(dir.path().join("maildir"))
            .env_clear()
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PYTHONNOUSERSITE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run aiosmtpd from the venv");
        let server = MailServer { child, port, dir };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not start listening"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// `smtp://127.0.0.1:PORT`, for `mail.smtp_url`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Received> {
        let new = self.dir.path().join("maildir/new");
        let Ok(entries) = std::fs::read_dir(&new) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| {
                let modified = e.metadata().and_then(|m| m.modified()).ok();
                (modified, e.path())
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, p)| std::fs::read_to_string(p).ok())
            .map(|raw| parse(&raw))
            .collect()
    }

    /// The messages to `to`, waiting up to `timeout` for there to be at least `count`.
    pub async fn wait_for(&self, to: &str, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let got: Vec<_> = self
                .messages()
                .into_iter()
                .filter(|m| m.to.contains(to))
                .collect();
            if got.len() >= count || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse(raw: &str) -> Received {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let quoted = header("Content-Transfer-Encoding").eq_ignore_ascii_case("quoted-printable");
    let body = if quoted {
        decode_quoted_printable(body)
    } else {
        body.to_owned()
    };
    Received {
        to: header("To"),
        subject: header("Subject"),
        body,
        raw: raw.clone(),
    }
}

/// Soft line breaks joined and `=XX` escapes decoded (enough for the ASCII text we send).
fn decode_quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoted_printable_links_are_read() {
        let raw = "To: a@x\nContent-Transfer-Encoding: quoted-printable\n\nhi at http://h:0.\n\nhttp://h:0/register?invitation=3Dck_invite_ab=\ncd\n\nor `x --invitation ck_invite=\n_abcd`.\n";
        let m = super::parse(raw);
        assert_eq!(
            m.link().as_deref(),
            Some("http://h:0/register?invitation=ck_invite_abcd"),
            "{}",
            m.body
        );
    }
}
