//! Alert delivery against real servers on loopback: webhooks to an axum
//! server that records what it got, emails to coach-testkit's SMTP server
//! through lettre.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use coach_engine::alerts::deliver::{backoff, post_webhook, send_email, MAX_ATTEMPTS};
use coach_engine::config::{EmailTarget, SmtpSecurity};
use coach_testkit::smtp::{SmtpOptions, SmtpServer};
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// One request the webhook server got.
struct Hook {
    headers: HeaderMap,
    body: String,
}

/// A webhook receiver: `POST /hook/{status}` answers with that status and,
/// for an error, a body of `{status} went wrong` padded to 500 characters.
async fn webhook_server() -> (SocketAddr, mpsc::UnboundedReceiver<Hook>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hook/{status}",
        axum::routing::post(
            move |Path(status): Path<u16>, headers: HeaderMap, body: String| {
                let tx = tx.clone();
                async move {
                    tx.send(Hook { headers, body }).unwrap();
                    let status = StatusCode::from_u16(status).unwrap();
                    let text = if status.is_success() {
                        String::new()
                    } else {
                        format!("{:x<500}", format!("{} went wrong", status.as_u16()))
                    };
                    (status, text)
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, rx)
}

async fn next_hook(rx: &mut mpsc::UnboundedReceiver<Hook>) -> Hook {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("the webhook server got a request within 5 s")
        .unwrap()
}

fn alert_body() -> Value {
    json!({"alert": "SPY crosses above 500", "price": 500.25, "at": "2025-03-03T14:31:00Z"})
}

#[tokio::test]
async fn a_webhook_gets_the_alert_as_json_with_our_user_agent() {
    let (addr, mut rx) = webhook_server().await;
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/hook/204");
    let detail = post_webhook(&client, &url, &alert_body()).await.unwrap();
    assert_eq!(detail, format!("HTTP 204 from {addr}"));
    let hook = next_hook(&mut rx).await;
    assert_eq!(
        serde_json::from_str::<Value>(&hook.body).unwrap(),
        alert_body(),
        "the body is the JSON given"
    );
    assert_eq!(hook.headers["content-type"], "application/json");
    assert_eq!(
        hook.headers["user-agent"].to_str().unwrap(),
        format!("AI-Coach-alerts/{}", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn a_server_error_is_retried_and_a_missing_hook_is_not() {
    let (addr, mut rx) = webhook_server().await;
    let client = reqwest::Client::new();

    let err = post_webhook(&client, &format!("http://{addr}/hook/500"), &alert_body())
        .await
        .unwrap_err();
    next_hook(&mut rx).await;
    assert!(!err.permanent, "a 500 may pass later: {err}");
    assert!(err.message.contains("HTTP 500"), "{err}");
    assert!(
        err.message.contains("500 went wrong"),
        "the answer is quoted: {err}"
    );
    let quoted = err.message.split_once(": ").unwrap().1;
    assert_eq!(
        quoted.chars().count(),
        200,
        "only the first 200 characters: {err}"
    );
    assert!(
        !err.message.contains("/hook/"),
        "the URL's path (often the secret) is not repeated: {err}"
    );

    let err = post_webhook(&client, &format!("http://{addr}/hook/429"), &alert_body())
        .await
        .unwrap_err();
    assert!(!err.permanent, "429 is a request to come back later: {err}");

    let err = post_webhook(&client, &format!("http://{addr}/hook/404"), &alert_body())
        .await
        .unwrap_err();
    assert!(err.permanent, "a 404 will not change on a retry: {err}");
    assert!(err.message.contains("HTTP 404"), "{err}");
}

#[tokio::test]
async fn an_unreachable_webhook_is_an_error_worth_retrying() {
    // A port that was just free: nothing listens there.
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let err = post_webhook(
        &reqwest::Client::new(),
        &format!("http://{addr}/secret-token"),
        &alert_body(),
    )
    .await
    .unwrap_err();
    assert!(!err.permanent, "{err}");
    assert!(err.message.contains(&addr.to_string()), "{err}");
    assert!(!err.message.contains("secret-token"), "{err}");
}

#[tokio::test]
async fn only_http_and_https_webhooks_are_tried() {
    let client = reqwest::Client::new();
    for url in ["ftp://example.com/hook", "file:///etc/passwd", "not a url"] {
        let err = post_webhook(&client, url, &alert_body()).await.unwrap_err();
        assert!(err.permanent, "{url}: {err}");
    }
}

fn target(server: &SmtpServer, username: Option<&str>) -> EmailTarget {
    EmailTarget {
        host: server.addr().ip().to_string(),
        port: server.addr().port(),
        security: SmtpSecurity::None,
        username: username.map(str::to_string),
        from: "AI Coach <alerts@coach.test>".into(),
        to: vec!["ann@trader.test".into(), "bob@trader.test".into()],
    }
}

#[tokio::test]
async fn an_email_is_sent_after_logging_in() {
    let server = SmtpServer::start(SmtpOptions {
        auth: Some(("ann".into(), "s3cret".into())),
        ..Default::default()
    });
    let text = "SPY crossed above 500.00 at 500.25.\n.A line that starts with a dot.";
    let detail = send_email(
        &target(&server, Some("ann")),
        Some("s3cret"),
        "Alert: SPY above 500",
        text,
    )
    .await
    .unwrap();
    assert_eq!(detail, format!("250 accepted by {}", server.addr()));
    let mails = server.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.auth_user.as_deref(), Some("ann"));
    assert_eq!(mail.from, "alerts@coach.test");
    assert_eq!(mail.to, ["ann@trader.test", "bob@trader.test"]);
    assert!(
        mail.data.contains("\r\nSubject: Alert: SPY above 500\r\n")
            || mail.data.starts_with("Subject: Alert: SPY above 500\r\n"),
        "{}",
        mail.data
    );
    assert!(
        mail.data.contains("Content-Type: text/plain"),
        "{}",
        mail.data
    );
    assert!(
        mail.data.contains(
            "\r\n\r\nSPY crossed above 500.00 at 500.25.\r\n.A line that starts with a dot."
        ),
        "the body arrives whole, its leading dot unstuffed: {}",
        mail.data
    );
}

#[tokio::test]
async fn a_busy_server_is_retried_and_then_takes_the_email() {
    let server = SmtpServer::start(SmtpOptions {
        fail_first: 1,
        ..Default::default()
    });
    let t = target(&server, None);
    let err = send_email(&t, None, "Alert", "first try")
        .await
        .unwrap_err();
    assert!(!err.permanent, "451 is temporary: {err}");
    assert!(err.message.contains("451"), "{err}");
    assert!(server.messages().is_empty());
    send_email(&t, None, "Alert", "second try").await.unwrap();
    let mails = server.wait_for(1, Duration::from_secs(5)).await;
    assert!(mails[0].data.contains("second try"), "{}", mails[0].data);
    assert_eq!(mails[0].auth_user, None);
}

#[tokio::test]
async fn a_refused_login_is_permanent() {
    let server = SmtpServer::start(SmtpOptions {
        auth: Some(("ann".into(), "s3cret".into())),
        reject_auth: true,
        ..Default::default()
    });
    let err = send_email(
        &target(&server, Some("ann")),
        Some("s3cret"),
        "Alert",
        "text",
    )
    .await
    .unwrap_err();
    assert!(err.permanent, "{err}");
    assert!(err.message.contains("535"), "{err}");
    assert!(!err.message.contains("s3cret"), "{err}");
    assert!(server.messages().is_empty());

    let err = send_email(&target(&server, Some("ann")), None, "Alert", "text")
        .await
        .unwrap_err();
    assert!(
        err.permanent && err.message.starts_with("smtp_password:"),
        "a user name without a password is not tried: {err}"
    );
}

#[tokio::test]
async fn starttls_is_required_when_asked_for() {
    // The TLS settings are built (rustls with its crypto provider) before the
    // server says it cannot upgrade; nothing is sent in plain text.
    let server = SmtpServer::start(SmtpOptions::default());
    let mut t = target(&server, Some("ann"));
    t.security = SmtpSecurity::StartTls;
    let err = send_email(&t, Some("s3cret"), "Alert", "text")
        .await
        .unwrap_err();
    assert!(err.permanent, "{err}");
    assert!(err.message.contains("STARTTLS"), "{err}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn an_unreachable_smtp_server_is_an_error_worth_retrying() {
    let server = SmtpServer::start(SmtpOptions::default());
    let mut t = target(&server, None);
    t.port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = send_email(&t, None, "Alert", "text").await.unwrap_err();
    assert!(!err.permanent, "{err}");
    assert!(
        err.message.contains(&format!("127.0.0.1:{}", t.port)),
        "{err}"
    );
}

#[test]
fn backoff_is_four_times_longer_each_retry_up_to_fifteen_minutes() {
    let base = Duration::from_secs(10);
    let waits: Vec<u64> = (1..=MAX_ATTEMPTS + 2)
        .map(|attempt| backoff(attempt, base).as_secs())
        .collect();
    assert_eq!(waits, [0, 10, 40, 160, 640, 900, 900]);
    assert_eq!(backoff(0, base), Duration::ZERO);
    assert_eq!(
        backoff(2, Duration::from_secs(3600)),
        Duration::from_secs(900)
    );
    assert_eq!(MAX_ATTEMPTS, 5);
}

#[test]
fn an_email_target_names_the_field_it_rejects() {
    let good = EmailTarget {
        host: "smtp.example.com".into(),
        port: 587,
        security: SmtpSecurity::StartTls,
        username: Some("ann".into()),
        from: "AI Coach <alerts@example.com>".into(),
        to: vec!["ann@example.com".into()],
    };
    assert_eq!(good.validate(), Ok(()));
    /// A change that spoils one field.
    type Spoil = fn(&mut EmailTarget);
    let cases: [(&str, Spoil); 6] = [
        ("smtp_host:", |t| t.host = String::new()),
        ("smtp_host:", |t| t.host = "smtp://smtp.example.com".into()),
        ("smtp_port:", |t| t.port = 0),
        ("smtp_from:", |t| t.from = "alerts".into()),
        ("smtp_to:", |t| t.to = vec![]),
        ("smtp_to:", |t| t.to.push("not an address".into())),
    ];
    for (field, change) in cases {
        let mut t = good.clone();
        change(&mut t);
        let err = t.validate().unwrap_err();
        assert!(err.starts_with(field), "{field} {err}");
    }
    assert_eq!(
        serde_json::to_value(SmtpSecurity::StartTls).unwrap(),
        json!("start_tls")
    );
}
