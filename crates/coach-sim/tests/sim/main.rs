//! The demo market speaks Massive's protocol: checked over real sockets.

use std::time::Duration;

use coach_sim::{SimConfig, SimHandle};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(sim: &SimHandle) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("{}/stocks", sim.ws_url()))
        .await
        .expect("the demo market accepts WebSocket connections");
    ws
}

/// The next frame as a JSON array of events (fails the test after 5 s).
async fn next_events(ws: &mut Ws) -> Vec<Value> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame within 5 s")
            .expect("the socket is open")
            .expect("a valid frame");
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).expect("every frame is a JSON array of events");
        }
    }
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

#[tokio::test]
async fn greets_authenticates_and_acknowledges_each_topic() {
    let sim = SimHandle::start(SimConfig::default()).await.unwrap();
    let mut ws = connect(&sim).await;
    let hello = next_events(&mut ws).await;
    assert_eq!(hello[0]["ev"], "status");
    assert_eq!(
        hello[0]["status"], "connected",
        "Massive greets every connection first"
    );
    send(&mut ws, json!({"action": "auth", "params": "any-key"})).await;
    assert_eq!(
        next_events(&mut ws).await[0]["status"],
        "auth_success",
        "the demo market accepts any key"
    );
    send(
        &mut ws,
        json!({"action": "subscribe", "params": "AM.SPY,T.QQQ"}),
    )
    .await;
    let mut acks = Vec::new();
    while acks.len() < 2 {
        acks.extend(next_events(&mut ws).await);
    }
    let messages: Vec<&str> = acks
        .iter()
        .map(|a| a["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        vec!["subscribed to: AM.SPY", "subscribed to: T.QQQ"],
        "one acknowledgement per topic"
    );
}

#[tokio::test]
async fn a_wrong_key_gets_auth_failed_and_the_socket_closes() {
    let sim = SimHandle::start(SimConfig {
        required_key: Some("right".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    let mut ws = connect(&sim).await;
    next_events(&mut ws).await;
    send(&mut ws, json!({"action": "auth", "params": "wrong"})).await;
    assert_eq!(next_events(&mut ws).await[0]["status"], "auth_failed");
    let end = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap();
    assert!(
        matches!(end, None | Some(Ok(Message::Close(_))) | Some(Err(_))),
        "the server closes after auth_failed: {end:?}"
    );
}

#[tokio::test]
async fn a_second_connection_pushes_the_first_off_with_max_connections() {
    let sim = SimHandle::start(SimConfig::default()).await.unwrap();
    let mut first = connect(&sim).await;
    next_events(&mut first).await;
    let mut second = connect(&sim).await;
    next_events(&mut second).await;
    let kicked = next_events(&mut first).await;
    assert_eq!(
        kicked[0]["status"], "max_connections",
        "Massive allows one connection per asset class"
    );
}

#[tokio::test]
async fn fault_injection_drops_every_connection() {
    let sim = SimHandle::start(SimConfig::default()).await.unwrap();
    let mut ws = connect(&sim).await;
    next_events(&mut ws).await;
    sim.drop_connections();
    let end = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap();
    assert!(
        matches!(end, None | Some(Err(_)) | Some(Ok(Message::Close(_)))),
        "the connection ends abruptly: {end:?}"
    );
}

#[tokio::test]
async fn market_status_has_the_shape_of_massives_answer() {
    let at = chrono::DateTime::parse_from_rfc3339("2024-07-03T14:00:00Z")
        .unwrap()
        .to_utc();
    let sim = SimHandle::start(SimConfig {
        clock: coach_sim::SimClock::Fixed(at),
        ..Default::default()
    })
    .await
    .unwrap();
    let got: Value = reqwest::get(format!("{}/v1/marketstatus/now", sim.rest_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/reference/massive/marketstatus_now.json"
        ))
        .expect("the Massive fixture is in ../shared/reference"),
    )
    .unwrap();
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&got),
        keys(&fixture),
        "the same top-level fields as Massive's response"
    );
    assert_eq!(keys(&got["exchanges"]), keys(&fixture["exchanges"]));
    assert_eq!(
        got["market"], "open",
        "10:00 EDT on a Wednesday is the regular session"
    );
    assert_eq!(
        got["serverTime"], "2024-07-03T10:00:00-04:00",
        "server time is New York time, like Massive's"
    );
}

#[tokio::test]
async fn rest_faults_answer_429_then_recover_and_keys_are_checked() {
    let sim = SimHandle::start(SimConfig {
        required_key: Some("k1".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/v1/marketstatus/now", sim.rest_url());
    let no_key = http.get(&url).send().await.unwrap();
    assert_eq!(no_key.status(), 401);
    let body: Value = no_key.json().await.unwrap();
    assert_eq!(body["status"], "ERROR", "errors use Massive's error shape");
    sim.fail_rest_with_429(1).await;
    let limited = http.get(&url).bearer_auth("k1").send().await.unwrap();
    assert_eq!(limited.status(), 429);
    let ok = http.get(&url).bearer_auth("k1").send().await.unwrap();
    assert_eq!(ok.status(), 200, "only the injected number of 429s is sent");
    let by_query = http.get(format!("{url}?apiKey=k1")).send().await.unwrap();
    assert_eq!(by_query.status(), 200, "the key may also come as ?apiKey=");
}
