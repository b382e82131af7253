//! Sending a fired alert out: a JSON POST to a webhook, or a plain-text email
//! through an SMTP server. Each send is one attempt; the caller retries with
//! [`backoff`] up to [`MAX_ATTEMPTS`] times unless the error is permanent.
//!
//! Messages never carry the webhook URL (its path is often the secret) or the
//! SMTP password: only the host.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{parse_mailbox, EmailTarget, SmtpSecurity};

/// How long a webhook may take, answer included.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an email may take, from connecting to the server's last answer.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);
/// How much of a refusing webhook's answer an error quotes.
const BODY_EXCERPT_CHARS: usize = 200;

/// Attempts per delivery before it is shown as failed.
pub const MAX_ATTEMPTS: u32 = 5;

/// Why one delivery attempt failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct DeliveryError {
    pub message: String,
    /// Retrying will not help (bad address, 4xx other than 408/429, auth refused 535).
    pub permanent: bool,
}

impl DeliveryError {
    fn permanent(message: impl Into<String>) -> DeliveryError {
        DeliveryError {
            message: message.into(),
            permanent: true,
        }
    }

    fn transient(message: impl Into<String>) -> DeliveryError {
        DeliveryError {
            message: message.into(),
            permanent: false,
        }
    }
}

/// Retry delay before attempt `attempt` (2 = first retry): base * 4^(attempt-2),
/// capped at 15 minutes; attempt <= 1 is zero.
pub fn backoff(attempt: u32, base: Duration) -> Duration {
    if attempt <= 1 {
        return Duration::ZERO;
    }
    4u32.checked_pow(attempt - 2)
        .and_then(|factor| base.checked_mul(factor))
        .map_or(MAX_BACKOFF, |d| d.min(MAX_BACKOFF))
}

/// An error and its causes on one line ("error sending request: tcp connect
/// error: Connection refused").
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// POSTs `body` as JSON (Content-Type application/json, User-Agent
/// "AI-Coach-alerts/<version>"); Ok(detail) like "HTTP 204 from example.com".
/// Timeout 10 s. Non-2xx is an error naming the status and the first 200
/// chars of the body. Only http/https URLs; anything else is a permanent error.
pub async fn post_webhook(
    client: &reqwest::Client,
    url: &str,
    body: &serde_json::Value,
) -> Result<String, DeliveryError> {
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| DeliveryError::permanent(format!("the webhook URL is not a URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(DeliveryError::permanent(format!(
            "the webhook URL must start with http:// or https:// (not {}:)",
            parsed.scheme()
        )));
    }
    let host = match (parsed.host_str(), parsed.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => return Err(DeliveryError::permanent("the webhook URL has no host")),
    };
    let sent = client
        .post(parsed)
        .timeout(WEBHOOK_TIMEOUT)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(
            reqwest::header::USER_AGENT,
            concat!("AI-Coach-alerts/", env!("CARGO_PKG_VERSION")),
        )
        .body(body.to_string())
        .send()
        .await;
    let mut response = match sent {
        Ok(r) => r,
        // The URL is left out of reqwest's message: its path is often the secret.
        Err(e) if e.is_timeout() => {
            return Err(DeliveryError::transient(format!(
                "{host} did not answer within {} s",
                WEBHOOK_TIMEOUT.as_secs()
            )))
        }
        Err(e) if e.is_builder() => {
            return Err(DeliveryError::permanent(format!(
                "the webhook request to {host} could not be made: {}",
                chain(&e.without_url())
            )))
        }
        Err(e) => {
            return Err(DeliveryError::transient(format!(
                "the webhook at {host} could not be reached: {}",
                chain(&e.without_url())
            )))
        }
    };
    let status = response.status();
    if status.is_success() {
        return Ok(format!("HTTP {} from {host}", status.as_u16()));
    }
    // Only the start of the answer is read: it is quoted, not kept.
    let mut bytes = Vec::new();
    while bytes.len() < BODY_EXCERPT_CHARS * 4 {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&bytes);
    let excerpt: String = text.trim().chars().take(BODY_EXCERPT_CHARS).collect();
    let code = status.as_u16();
    let message = if excerpt.is_empty() {
        format!("HTTP {code} from {host}")
    } else {
        format!("HTTP {code} from {host}: {excerpt}")
    };
    let permanent = status.is_client_error() && code != 408 && code != 429;
    Err(DeliveryError { message, permanent })
}

/// Sends a plain-text email through a real SMTP client (lettre, tokio,
/// rustls). Ok(detail) like "250 accepted by 127.0.0.1:2525". With username
/// + password: AUTH (PLAIN/LOGIN). Timeout 20 s.
pub async fn send_email(
    target: &EmailTarget,
    password: Option<&str>,
    subject: &str,
    text: &str,
) -> Result<String, DeliveryError> {
    target.validate().map_err(DeliveryError::permanent)?;
    let mut message = Message::builder()
        .from(parse_mailbox(&target.from).map_err(DeliveryError::permanent)?)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN);
    for to in &target.to {
        message = message.to(parse_mailbox(to).map_err(DeliveryError::permanent)?);
    }
    let message = message
        .body(text.to_string())
        .map_err(|e| DeliveryError::permanent(format!("the email could not be written: {e}")))?;

    let server = format!("{}:{}", target.host, target.port);
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&target.host)
        .port(target.port)
        .timeout(Some(SMTP_TIMEOUT));
    let tls = || {
        TlsParameters::new(target.host.clone()).map_err(|e| {
            DeliveryError::permanent(format!(
                "TLS for {server} could not be set up: {}",
                chain(&e)
            ))
        })
    };
    transport = match target.security {
        SmtpSecurity::None => transport.tls(Tls::None),
        SmtpSecurity::StartTls => transport.tls(Tls::Required(tls()?)),
        SmtpSecurity::Tls => transport.tls(Tls::Wrapper(tls()?)),
    };
    let username = target.username.as_deref().filter(|u| !u.is_empty());
    match (username, password) {
        (Some(user), Some(password)) => {
            transport = transport
                .credentials(Credentials::new(user.to_string(), password.to_string()))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        (Some(_), None) => {
            return Err(DeliveryError::permanent(
                "smtp_password: a user name is set but no password is stored",
            ))
        }
        (None, _) => {}
    }
    let transport = transport.build();

    match tokio::time::timeout(SMTP_TIMEOUT, transport.send(message)).await {
        Err(_) => Err(DeliveryError::transient(format!(
            "{server} did not finish within {} s",
            SMTP_TIMEOUT.as_secs()
        ))),
        Ok(Ok(response)) => Ok(format!("{} accepted by {server}", response.code())),
        Ok(Err(e)) => {
            let detail = chain(&e);
            let message = match e.status() {
                Some(code) if code.to_string() == "535" => {
                    format!("{server} refused the user name or password: {detail}")
                }
                Some(_) => format!("{server} refused the email: {detail}"),
                None if e.is_timeout() => format!(
                    "{server} did not answer within {} s",
                    SMTP_TIMEOUT.as_secs()
                ),
                None => format!("the email could not be sent through {server}: {detail}"),
            };
            // 5xx answers and what this client cannot do with the server (no
            // common login method, no STARTTLS) do not change on a retry.
            Err(DeliveryError {
                message,
                permanent: e.is_permanent() || e.is_client(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_fourfold_and_stops_at_fifteen_minutes() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(0, base), Duration::ZERO);
        assert_eq!(backoff(1, base), Duration::ZERO);
        assert_eq!(backoff(2, base), Duration::from_secs(30));
        assert_eq!(backoff(3, base), Duration::from_secs(120));
        assert_eq!(backoff(4, base), Duration::from_secs(480));
        assert_eq!(backoff(5, base), MAX_BACKOFF);
        assert_eq!(backoff(u32::MAX, base), MAX_BACKOFF, "no overflow");
    }

    #[test]
    fn hosts_are_names_or_addresses() {
        use crate::config::check_host;
        assert!(check_host("smtp.example.com").is_ok());
        assert!(check_host("127.0.0.1").is_ok());
        assert!(check_host("::1").is_ok());
        assert!(check_host("localhost").is_ok());
        assert!(check_host("smtp://mail.example.com").is_err());
        assert!(check_host("mail example.com").is_err());
        assert!(check_host("-bad.example.com").is_err());
        assert!(check_host("a..b").is_err());
    }
}
