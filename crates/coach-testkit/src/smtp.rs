//! A real SMTP server on loopback for the tests of alert emails: EHLO/HELO,
//! AUTH PLAIN and LOGIN, MAIL, RCPT, DATA (dot-unstuffed), RSET, NOOP, QUIT,
//! over plain TCP. It keeps what it accepted and can refuse on purpose: a
//! wrong or any login (535), the first few DATA commands (451).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// How the server behaves; the default takes any mail without a login.
#[derive(Debug, Clone, Default)]
pub struct SmtpOptions {
    /// A login (user, password) required before MAIL; `None` takes mail
    /// without one (and any login offered).
    pub auth: Option<(String, String)>,
    /// Answer 451 to DATA this many times (over all connections) before accepting.
    pub fail_first: u32,
    /// Answer 535 to every login.
    pub reject_auth: bool,
}

/// One accepted email, as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The MAIL FROM address, without the angle brackets.
    pub from: String,
    /// The RCPT TO addresses, in order.
    pub to: Vec<String>,
    /// Headers and body after dot-unstuffing, lines joined with CRLF, without
    /// the final dot.
    pub data: String,
    /// The user name the connection logged in with.
    pub auth_user: Option<String>,
}

struct Shared {
    options: SmtpOptions,
    failures_left: AtomicU32,
    mails: Mutex<Vec<ReceivedMail>>,
    arrived: Notify,
}

/// The running server; it stops when dropped.
pub struct SmtpServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl SmtpServer {
    /// Listens on 127.0.0.1 on a free port. Call it inside a tokio runtime.
    pub fn start(options: SmtpOptions) -> SmtpServer {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("the test SMTP server could not listen: {e}"));
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let listener = TcpListener::from_std(std_listener)
            .unwrap_or_else(|e| panic!("the test SMTP server needs a tokio runtime: {e}"));
        let shared = Arc::new(Shared {
            failures_left: AtomicU32::new(options.fail_first),
            options,
            mails: Mutex::new(Vec::new()),
            arrived: Notify::new(),
        });
        let accept = tokio::spawn({
            let shared = shared.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(Session::new(shared.clone()).run(stream));
                }
            }
        });
        SmtpServer {
            addr,
            shared,
            accept,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every email accepted so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.shared.mails.lock().unwrap().clone()
    }

    /// Waits until at least `n` emails were accepted and returns them all;
    /// fails the test if that takes longer than `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let waited = tokio::time::timeout(timeout, async {
            loop {
                let arrived = self.shared.arrived.notified();
                tokio::pin!(arrived);
                // Registered before looking, so a mail between the look and the wait is not missed.
                arrived.as_mut().enable();
                let mails = self.messages();
                if mails.len() >= n {
                    return mails;
                }
                arrived.await;
            }
        })
        .await;
        waited.unwrap_or_else(|_| {
            panic!(
                "the test SMTP server got {} of {n} emails within {timeout:?}",
                self.messages().len()
            )
        })
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// One connection's state.
struct Session {
    shared: Arc<Shared>,
    auth_user: Option<String>,
    from: Option<String>,
    to: Vec<String>,
}

type Lines = BufReader<tokio::io::ReadHalf<TcpStream>>;
type Writer = tokio::io::WriteHalf<TcpStream>;

/// The next line without its line end; `None` when the client has gone.
async fn read_line(lines: &mut Lines) -> Option<String> {
    let mut buf = Vec::new();
    match lines.read_until(b'\n', &mut buf).await {
        Ok(0) | Err(_) => None,
        Ok(_) => {
            while matches!(buf.last(), Some(b'\n' | b'\r')) {
                buf.pop();
            }
            Some(String::from_utf8_lossy(&buf).into_owned())
        }
    }
}

/// The address inside `<...>` after `MAIL FROM:` or `RCPT TO:`.
fn path_arg(rest: &str) -> Option<String> {
    let start = rest.find('<')?;
    let end = start + rest[start..].find('>')?;
    Some(rest[start + 1..end].to_string())
}

fn decode(b64: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    String::from_utf8(bytes).ok()
}

impl Session {
    fn new(shared: Arc<Shared>) -> Session {
        Session {
            shared,
            auth_user: None,
            from: None,
            to: Vec::new(),
        }
    }

    async fn run(mut self, stream: TcpStream) {
        let (read, mut write) = tokio::io::split(stream);
        let mut lines = BufReader::new(read);
        if self.serve(&mut lines, &mut write).await.is_none() {
            return;
        }
        let _ = write.shutdown().await;
    }

    /// The conversation; `None` when the client went away.
    async fn serve(&mut self, lines: &mut Lines, w: &mut Writer) -> Option<()> {
        reply(w, "220 coach-testkit ESMTP ready").await?;
        loop {
            let line = read_line(lines).await?;
            let (verb, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
            match verb.to_ascii_uppercase().as_str() {
                "EHLO" => {
                    self.reset();
                    reply(
                        w,
                        "250-coach-testkit\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SIZE 10485760",
                    )
                    .await?
                }
                "HELO" => {
                    self.reset();
                    reply(w, "250 coach-testkit").await?
                }
                "AUTH" => self.auth(rest, lines, w).await?,
                "MAIL" => {
                    let from = rest
                        .to_ascii_uppercase()
                        .starts_with("FROM:")
                        .then(|| path_arg(rest))
                        .flatten();
                    if self.shared.options.auth.is_some() && self.auth_user.is_none() {
                        reply(w, "530 5.7.0 Authentication required").await?
                    } else if let Some(from) = from {
                        self.reset();
                        self.from = Some(from);
                        reply(w, "250 2.1.0 OK").await?
                    } else {
                        reply(w, "501 5.5.4 Syntax: MAIL FROM:<address>").await?
                    }
                }
                "RCPT" => {
                    let to = rest
                        .to_ascii_uppercase()
                        .starts_with("TO:")
                        .then(|| path_arg(rest))
                        .flatten();
                    match to {
                        _ if self.from.is_none() => {
                            reply(w, "503 5.5.1 MAIL first").await?;
                        }
                        Some(to) if !to.is_empty() => {
                            self.to.push(to);
                            reply(w, "250 2.1.5 OK").await?
                        }
                        _ => reply(w, "501 5.5.4 Syntax: RCPT TO:<address>").await?,
                    }
                }
                "DATA" => self.data(lines, w).await?,
                "RSET" => {
                    self.reset();
                    reply(w, "250 2.0.0 OK").await?
                }
                "NOOP" => reply(w, "250 2.0.0 OK").await?,
                "QUIT" => {
                    reply(w, "221 2.0.0 Bye").await?;
                    return Some(());
                }
                _ => reply(w, "502 5.5.2 Command not recognized").await?,
            }
        }
    }

    /// Forgets the mail being written (not the login).
    fn reset(&mut self) {
        self.from = None;
        self.to.clear();
    }

    async fn auth(&mut self, rest: &str, lines: &mut Lines, w: &mut Writer) -> Option<()> {
        let (mechanism, initial) = rest.split_once(' ').unwrap_or((rest, ""));
        let initial = Some(initial.trim()).filter(|s| !s.is_empty());
        let credentials = match mechanism.to_ascii_uppercase().as_str() {
            // authzid NUL authcid NUL password
            "PLAIN" => {
                let response = match initial {
                    Some(r) => r.to_string(),
                    None => {
                        reply(w, "334 ").await?;
                        read_line(lines).await?
                    }
                };
                decode(&response).and_then(|s| {
                    let mut parts = s.split('\0').skip(1);
                    Some((parts.next()?.to_string(), parts.next()?.to_string()))
                })
            }
            "LOGIN" => {
                let user = match initial {
                    Some(r) => r.to_string(),
                    None => {
                        reply(w, "334 VXNlcm5hbWU6").await?;
                        read_line(lines).await?
                    }
                };
                reply(w, "334 UGFzc3dvcmQ6").await?;
                let password = read_line(lines).await?;
                decode(&user).zip(decode(&password))
            }
            _ => {
                return reply(w, "504 5.5.4 Unrecognized authentication type").await;
            }
        };
        let Some((user, password)) = credentials else {
            return reply(w, "501 5.5.2 Cannot decode the response").await;
        };
        let accepted = !self.shared.options.reject_auth
            && match &self.shared.options.auth {
                Some((u, p)) => *u == user && *p == password,
                None => true,
            };
        if accepted {
            self.auth_user = Some(user);
            reply(w, "235 2.7.0 Authentication successful").await
        } else {
            reply(w, "535 5.7.8 Authentication credentials invalid").await
        }
    }

    async fn data(&mut self, lines: &mut Lines, w: &mut Writer) -> Option<()> {
        let Some(from) = self.from.clone().filter(|_| !self.to.is_empty()) else {
            return reply(w, "503 5.5.1 RCPT first").await;
        };
        let failures_left = &self.shared.failures_left;
        if failures_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            self.reset();
            return reply(w, "451 4.3.0 Try again later").await;
        }
        reply(w, "354 End data with <CR><LF>.<CR><LF>").await?;
        let mut body = Vec::new();
        loop {
            let line = read_line(lines).await?;
            if line == "." {
                break;
            }
            body.push(line.strip_prefix('.').map(str::to_string).unwrap_or(line));
        }
        let mail = ReceivedMail {
            from,
            to: std::mem::take(&mut self.to),
            data: body.join("\r\n"),
            auth_user: self.auth_user.clone(),
        };
        self.reset();
        self.shared.mails.lock().unwrap().push(mail);
        self.shared.arrived.notify_waiters();
        reply(w, "250 2.0.0 OK queued").await
    }
}

async fn reply(w: &mut Writer, text: &str) -> Option<()> {
    w.write_all(format!("{text}\r\n").as_bytes()).await.ok()?;
    w.flush().await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client speaking SMTP by hand.
    struct Client {
        lines: BufReader<tokio::io::ReadHalf<TcpStream>>,
        write: Writer,
    }

    impl Client {
        async fn connect(server: &SmtpServer) -> Client {
            let stream = TcpStream::connect(server.addr()).await.unwrap();
            let (read, write) = tokio::io::split(stream);
            let mut client = Client {
                lines: BufReader::new(read),
                write,
            };
            assert!(client.answer().await.starts_with("220 "));
            client
        }

        /// The whole answer (every line of a multi-line one).
        async fn answer(&mut self) -> String {
            let mut all = Vec::new();
            loop {
                let line = read_line(&mut self.lines).await.expect("an answer");
                let more = line.as_bytes().get(3) == Some(&b'-');
                all.push(line);
                if !more {
                    return all.join("\n");
                }
            }
        }

        async fn send(&mut self, line: &str) -> String {
            self.write
                .write_all(format!("{line}\r\n").as_bytes())
                .await
                .unwrap();
            self.answer().await
        }
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[tokio::test]
    async fn a_login_then_a_mail_with_dot_stuffed_lines() {
        let server = SmtpServer::start(SmtpOptions {
            auth: Some(("ann".into(), "secret".into())),
            ..Default::default()
        });
        let mut c = Client::connect(&server).await;
        let ehlo = c.send("EHLO tester").await;
        assert!(ehlo.contains("250-AUTH PLAIN LOGIN"), "{ehlo}");
        assert!(c.send("MAIL FROM:<a@x.test>").await.starts_with("530 "));
        assert!(c.send("AUTH LOGIN").await.starts_with("334 "));
        assert!(c.send(&b64("ann")).await.starts_with("334 "));
        assert!(c.send(&b64("wrong")).await.starts_with("535 "));
        assert!(c
            .send(&format!("AUTH PLAIN {}", b64("\0ann\0secret")))
            .await
            .starts_with("235 "));
        assert!(c
            .send("MAIL FROM:<a@x.test> SIZE=10")
            .await
            .starts_with("250 "));
        assert!(c.send("RCPT TO:<b@y.test>").await.starts_with("250 "));
        assert!(c.send("RCPT TO:<c@y.test>").await.starts_with("250 "));
        assert!(c.send("NOOP").await.starts_with("250 "));
        assert!(c.send("DATA").await.starts_with("354 "));
        let end = c
            .send("Subject: hi\r\n\r\n..leading dot\r\nplain\r\n.")
            .await;
        assert!(end.starts_with("250 "), "{end}");
        let mails = server.wait_for(1, Duration::from_secs(5)).await;
        assert_eq!(
            mails,
            [ReceivedMail {
                from: "a@x.test".into(),
                to: vec!["b@y.test".into(), "c@y.test".into()],
                data: "Subject: hi\r\n\r\n.leading dot\r\nplain".into(),
                auth_user: Some("ann".into()),
            }]
        );
        assert!(c.send("QUIT").await.starts_with("221 "));
    }

    #[tokio::test]
    async fn rset_forgets_the_mail_and_data_can_be_refused() {
        let server = SmtpServer::start(SmtpOptions {
            fail_first: 1,
            ..Default::default()
        });
        let mut c = Client::connect(&server).await;
        assert!(c.send("HELO tester").await.starts_with("250 "));
        assert!(c.send("DATA").await.starts_with("503 "), "no mail yet");
        assert!(c.send("MAIL FROM:<a@x.test>").await.starts_with("250 "));
        assert!(c.send("RCPT TO:<b@y.test>").await.starts_with("250 "));
        assert!(c.send("RSET").await.starts_with("250 "));
        assert!(c.send("DATA").await.starts_with("503 "), "RSET forgot it");
        assert!(c.send("MAIL FROM:<a@x.test>").await.starts_with("250 "));
        assert!(c.send("RCPT TO:<b@y.test>").await.starts_with("250 "));
        assert!(
            c.send("DATA").await.starts_with("451 "),
            "the first DATA fails"
        );
        assert!(c.send("MAIL FROM:<a@x.test>").await.starts_with("250 "));
        assert!(c.send("RCPT TO:<b@y.test>").await.starts_with("250 "));
        assert!(c.send("DATA").await.starts_with("354 "));
        assert!(c.send("body\r\n.").await.starts_with("250 "));
        assert_eq!(server.wait_for(1, Duration::from_secs(5)).await.len(), 1);
        assert!(server.messages()[0].auth_user.is_none());
    }

    #[tokio::test]
    async fn reject_auth_refuses_every_login() {
        let server = SmtpServer::start(SmtpOptions {
            reject_auth: true,
            ..Default::default()
        });
        let mut c = Client::connect(&server).await;
        c.send("EHLO tester").await;
        let answer = c
            .send(&format!("AUTH PLAIN {}", b64("\0ann\0secret")))
            .await;
        assert!(answer.starts_with("535 "), "{answer}");
    }
}
