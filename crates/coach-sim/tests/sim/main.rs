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
            "/../../tests/fixtures/massive/marketstatus_now.json"
        ))
        .expect("the Massive fixture is in tests/fixtures/massive"),
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

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../tests/fixtures/massive/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(
        &std::fs::read_to_string(path).expect("Massive fixtures are in tests/fixtures/massive"),
    )
    .unwrap()
}

fn sorted_keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

async fn fixed_sim(at: &str) -> SimHandle {
    let t = chrono::DateTime::parse_from_rfc3339(at).unwrap().to_utc();
    SimHandle::start(SimConfig {
        clock: coach_sim::SimClock::Fixed(t),
        ..Default::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_options_chain_pages_through_every_contract_in_massives_shape() {
    let sim = fixed_sim("2024-07-02T15:00:00Z").await;
    let http = reqwest::Client::new();
    let mut url = format!(
        "{}/v3/snapshot/options/SPY?expiration_date=2024-07-19&limit=50",
        sim.rest_url()
    );
    let mut all = Vec::new();
    let mut pages = 0;
    loop {
        let page: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
        all.extend(page["results"].as_array().unwrap().iter().cloned());
        pages += 1;
        match page["next_url"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert!(pages > 1, "a 50-contract page limit needs several pages");
    let fx = fixture("snapshot_options_chain_AAPL.json");
    let want = &fx["results"][0];
    let full = all
        .iter()
        .find(|c| c.get("implied_volatility").is_some())
        .unwrap();
    assert_eq!(
        sorted_keys(full),
        sorted_keys(want),
        "the same fields as Massive's chain snapshot"
    );
    assert_eq!(sorted_keys(&full["details"]), sorted_keys(&want["details"]));
    assert_eq!(sorted_keys(&full["greeks"]), sorted_keys(&want["greeks"]));
    let tickers: std::collections::BTreeSet<&str> = all
        .iter()
        .map(|c| c["details"]["ticker"].as_str().unwrap())
        .collect();
    assert_eq!(tickers.len(), all.len(), "no contract twice across pages");
    assert!(
        all.iter()
            .all(|c| c["details"]["expiration_date"] == "2024-07-19"),
        "the expiration filter holds"
    );
    assert!(
        all.iter()
            .any(|c| c["greeks"].as_object().is_some_and(|g| g.is_empty())),
        "some contracts come with greeks {{}}, as real data sometimes does"
    );
    let calls: Vec<&Value> = all
        .iter()
        .filter(|c| c["details"]["contract_type"] == "call")
        .collect();
    let deltas: Vec<f64> = calls
        .iter()
        .filter_map(|c| c["greeks"]["delta"].as_f64())
        .collect();
    assert!(
        deltas.windows(2).all(|w| w[1] <= w[0] + 1e-12),
        "call deltas fall as strikes rise"
    );
}

#[tokio::test]
async fn contracts_reference_has_massives_shape() {
    let sim = fixed_sim("2024-07-02T15:00:00Z").await;
    let page: Value = reqwest::get(format!(
        "{}/v3/reference/options/contracts?underlying_ticker=AAPL&contract_type=put&limit=5",
        sim.rest_url()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let results = page["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    assert!(page["next_url"].as_str().is_some());
    let fx = fixture("reference_options_contracts.json");
    assert_eq!(sorted_keys(&results[0]), sorted_keys(&fx["results"][0]));
    assert!(results.iter().all(|r| r["contract_type"] == "put"));
}

#[tokio::test]
async fn aggregates_page_with_next_url_and_add_up_to_the_day() {
    let sim = fixed_sim("2024-07-03T00:00:00Z").await;
    let http = reqwest::Client::new();
    let mut url = format!(
        "{}/v2/aggs/ticker/SPY/range/1/minute/2024-07-02/2024-07-02?limit=200",
        sim.rest_url()
    );
    let mut bars = Vec::new();
    loop {
        let page: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
        bars.extend(page["results"].as_array().cloned().unwrap_or_default());
        match page["next_url"].as_str() {
            Some(n) => url = n.to_string(),
            None => break,
        }
    }
    assert_eq!(bars.len(), 960, "04:00 to 20:00 ET, 200 per page");
    let day: Value = http
        .get(format!(
            "{}/v2/aggs/ticker/SPY/range/1/day/2024-07-02/2024-07-02",
            sim.rest_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let open_ms = chrono::DateTime::parse_from_rfc3339("2024-07-02T13:30:00Z")
        .unwrap()
        .timestamp_millis();
    let close_ms = open_ms + 390 * 60_000;
    let regular: Vec<&Value> = bars
        .iter()
        .filter(|b| (open_ms..close_ms).contains(&b["t"].as_i64().unwrap()))
        .collect();
    let volume: f64 = regular.iter().map(|b| b["v"].as_f64().unwrap()).sum();
    assert_eq!(
        day["results"][0]["v"].as_f64().unwrap(),
        volume,
        "the daily bar is the regular session's minutes"
    );
    assert_eq!(day["results"][0]["o"], regular[0]["o"]);
    assert_eq!(day["results"][0]["c"], regular.last().unwrap()["c"]);
}
