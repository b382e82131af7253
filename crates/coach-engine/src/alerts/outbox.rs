//! The deliverer: sends each written firing to the webhook and by email,
//! logs every attempt with its result, retries failures with backoff and
//! marks a delivery failed after the last attempt (or at once when retrying
//! cannot help). Pending deliveries left by an earlier run go out on start.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::deliver::{backoff, post_webhook, send_email, MAX_ATTEMPTS};
use super::{AlertEvent, AlertFeed, DeliveryChannel, Shared};

/// The JSON a webhook receives.
pub fn webhook_body(e: &AlertEvent) -> serde_json::Value {
    json!({
        "type": "alert.fired",
        "alert_id": e.alert_id,
        "event_id": e.id,
        "symbol": e.symbol,
        "condition": e.condition,
        "trigger_price": e.trigger_price,
        "price": e.price,
        "at": e.at,
        "message": e.message,
        "missed": e.missed,
        "context": e.context,
        // Discord reads `content`; most bots read `text`.
        "content": e.message,
        "text": e.message,
    })
}

fn subject(e: &AlertEvent) -> String {
    format!(
        "{}{} {} at {:.2}",
        if e.missed { "[missed] " } else { "" },
        e.symbol,
        e.context.reason,
        e.price
    )
}

fn body(e: &AlertEvent) -> String {
    format!(
        "{}\n\nAlert #{} · {} · {}\nTick: {:.2} at {}\n\nSent by AI Coach.",
        e.message,
        e.alert_id,
        e.symbol,
        e.condition.as_str(),
        e.price,
        e.at
    )
}

pub(super) async fn run(shared: Arc<Shared>) {
    let client = reqwest::Client::new();
    let channels = [DeliveryChannel::Webhook, DeliveryChannel::Email];
    loop {
        let now = chrono::Utc::now().timestamp_millis();
        let due = shared.db.call(move |db| db.due(&channels, now)).await;
        let next = match due {
            Ok((due, next)) => {
                let any = !due.is_empty();
                for d in due {
                    let result = match d.channel {
                        DeliveryChannel::Webhook => match &shared.delivery.webhook_url {
                            Some(url) => post_webhook(&client, url, &webhook_body(&d.event)).await,
                            None => Err(super::deliver::DeliveryError {
                                message: "no webhook is set any more".into(),
                                permanent: true,
                            }),
                        },
                        DeliveryChannel::Email => match &shared.delivery.email {
                            Some(target) => {
                                send_email(
                                    target,
                                    shared.delivery.email_password.as_ref().map(|p| p.expose()),
                                    &subject(&d.event),
                                    &body(&d.event),
                                )
                                .await
                            }
                            None => Err(super::deliver::DeliveryError {
                                message: "no email is set any more".into(),
                                permanent: true,
                            }),
                        },
                        DeliveryChannel::InApp | DeliveryChannel::Os => continue,
                    };
                    let attempt = d.attempts + 1;
                    let at = chrono::Utc::now().timestamp_millis();
                    let retry_at = match &result {
                        Err(e) if !e.permanent && attempt < MAX_ATTEMPTS => Some(
                            at + backoff(attempt + 1, shared.delivery.retry_base).as_millis()
                                as i64,
                        ),
                        _ => None,
                    };
                    match &result {
                        Ok(detail) => tracing::info!(
                            event = d.event.id,
                            channel = d.channel.as_str(),
                            attempt,
                            "{detail}"
                        ),
                        Err(e) => tracing::warn!(
                            event = d.event.id,
                            channel = d.channel.as_str(),
                            attempt,
                            retry = retry_at.is_some(),
                            "delivery failed: {}",
                            e.message
                        ),
                    }
                    let result = result.map_err(|e| e.message);
                    let (id, channel) = (d.event.id, d.channel);
                    if let Err(e) = shared
                        .db
                        .call(move |db| db.record_attempt(id, channel, at, &result, retry_at))
                        .await
                    {
                        tracing::error!(error = %e, "a delivery attempt could not be logged");
                    }
                }
                if any {
                    let _ = shared.feed.send(AlertFeed::History);
                    // Whatever became due while sending.
                    continue;
                }
                next
            }
            Err(e) => {
                tracing::error!(error = %e, "pending alert deliveries could not be read");
                Some(now + 30_000)
            }
        };
        let wait = next
            .map(|t| {
                Duration::from_millis((t - chrono::Utc::now().timestamp_millis()).max(0) as u64)
            })
            .unwrap_or(Duration::from_secs(3600));
        tokio::select! {
            _ = shared.outbox.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}
