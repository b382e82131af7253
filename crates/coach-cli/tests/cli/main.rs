//! `coach` as a user runs it: the real binary, a temporary data dir, and the
//! demo market or coach-sim on loopback. The JSON fields are a contract.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// The real binary with a clean environment and its own data dir.
fn coach_command(data_dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_coach"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", data_dir)
        .env("COACH_DATA_DIR", data_dir)
        .env("COACH_SECRET_BACKEND", "file");
    cmd
}

fn coach(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = coach_command(data_dir, args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("coach runs")
}

/// Every contract field is there.
fn has_fields(v: &Value, keys: &[&str]) {
    for k in keys {
        assert!(v.get(k).is_some(), "{k} in {v}");
    }
}

/// Runs `coach` with no extra environment; it must succeed with one JSON document.
fn ok_json(data_dir: &Path, args: &[&str]) -> Value {
    ok_json_with(data_dir, args, &[])
}

/// [`ok_json`] with environment variables.
fn ok_json_with(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Value {
    let out = coach(data_dir, args, env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout_json(&out)
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is one JSON document ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn version_prints_the_crate_version() {
    let dir = tempfile::tempdir().unwrap();
    let out = coach(dir.path(), &["--version"], &[]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("coach {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn doctor_json_on_a_fresh_machine_reports_demo_and_offline_and_healthy_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("not-yet-created");
    let out = coach(&data, &["doctor", "--json"], &[]);
    assert!(
        out.status.success(),
        "healthy set-up exits 0: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = stdout_json(&out);
    assert_eq!(r["data_dir"], data.display().to_string());
    assert!(
        data.join("coach.db").exists(),
        "a missing data dir is created, with the database"
    );
    assert_eq!(
        r["database"]["schema_version"],
        r["database"]["supported_schema_version"]
    );
    assert_eq!(r["database"]["journal_mode"], "wal");
    assert_eq!(r["market_mode"], "Demo market");
    assert_eq!(r["ai_mode"], "Offline coach");
    let names: Vec<&str> = r["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["env_var"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "MASSIVE_API_KEY",
            "OPENAI_API_KEY",
            "SENTRY_DSN",
            "COACH_SMTP_PASSWORD"
        ]
    );
    assert!(r["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["set"] == false));
    let endpoints = r["endpoints"].as_array().unwrap();
    assert_eq!(
        endpoints.len(),
        2,
        "REST and WebSocket; no model endpoint when offline"
    );
    assert!(endpoints.iter().all(|e| e["ok"] == true), "{endpoints:?}");
    assert!(
        data.join("logs").read_dir().unwrap().count() > 0,
        "coach writes its log in the data dir"
    );
}

#[test]
fn doctor_says_a_key_is_set_but_never_prints_it_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let key = "sk-never-print-me-42";
    let out = coach(
        dir.path(),
        &["doctor", "--json", "--provider", "demo"],
        &[
            ("OPENAI_API_KEY", key),
            ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"),
        ],
    );
    let r = stdout_json(&out);
    let openai = r["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["env_var"] == "OPENAI_API_KEY")
        .unwrap();
    assert_eq!(openai["set"], true);
    assert_eq!(openai["source"], "env");
    let model = r["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "Language model")
        .unwrap();
    assert_eq!(model["ok"], false, "nothing listens on port 9");
    assert!(
        !out.status.success(),
        "an unreachable endpoint makes doctor exit non-zero"
    );
    let everything = format!(
        "{}{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        dir.path()
            .join("logs")
            .read_dir()
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect::<String>()
    );
    assert!(
        !everything.contains(key),
        "the key is in no output and no log"
    );
    let human = coach(
        dir.path(),
        &["doctor", "--provider", "demo"],
        &[("OPENAI_API_KEY", key)],
    );
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("OpenAI API key") && text.contains("set (env)"),
        "{text}"
    );
    assert!(!text.contains(key));
}

#[test]
fn doctor_reports_a_damaged_database_without_touching_it() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = vec![7u8; 3000];
    std::fs::write(dir.path().join("coach.db"), &garbage).unwrap();
    let out = coach(dir.path(), &["doctor", "--json"], &[]);
    assert!(
        !out.status.success(),
        "a damaged database is a failed check"
    );
    let r = stdout_json(&out);
    let err = r["database"]["error"]
        .as_str()
        .expect("the error is reported");
    assert!(err.contains("damaged"), "{err}");
    assert!(r["database"]["schema_version"].is_null());
    assert_eq!(
        r["market_mode"], "Demo market",
        "the rest of the report is still filled in"
    );
    assert_eq!(
        std::fs::read(dir.path().join("coach.db")).unwrap(),
        garbage,
        "the file is left as it was"
    );
}

#[test]
fn a_bad_settings_file_is_reported_and_defaults_are_used() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("settings.json"),
        r#"{"stale_after_secs": "soon", "lucky_number": 7}"#,
    )
    .unwrap();
    let out = coach(dir.path(), &["doctor", "--json"], &[]);
    let r = stdout_json(&out);
    let issues: Vec<&str> = r["settings_issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        issues,
        vec!["stale_after_secs", "lucky_number"],
        "each bad or unknown key is named, in the file's order"
    );
    assert!(
        out.status.success(),
        "setting issues are warnings, not failures"
    );
}

#[test]
fn calendar_sessions_print_the_contract_line_for_each_session() {
    let dir = tempfile::tempdir().unwrap();
    let out = coach(
        dir.path(),
        &[
            "calendar",
            "sessions",
            "--from",
            "2024-07-01",
            "--to",
            "2024-07-05",
        ],
        &[],
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "July 4th is a holiday: {text}");
    assert_eq!(
        lines[2],
        r#"{"date":"2024-07-03","open":"2024-07-03T13:30:00Z","close":"2024-07-03T17:00:00Z","early_close":true}"#,
        "the exact line the issue specifies"
    );
    let bad = coach(
        dir.path(),
        &[
            "calendar",
            "sessions",
            "--from",
            "2024-13-01",
            "--to",
            "2024-07-05",
        ],
        &[],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--from \"2024-13-01\" is not a date"));
}

#[test]
fn bars_print_ascending_json_lines_and_refuse_unknown_symbols() {
    let dir = tempfile::tempdir().unwrap();
    let out = coach(
        dir.path(),
        &[
            "bars",
            "SPY",
            "--timeframe",
            "1d",
            "--from",
            "2024-06-03",
            "--to",
            "2024-06-28",
        ],
        &[("COACH_DEMO_START", "2024-07-10T15:00:00Z")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 19, "June 2024 had 19 sessions");
    let first_line = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(
        first_line.starts_with(r#"{"time":"#),
        "fields in contract order: {first_line}"
    );
    for r in &rows {
        for k in ["time", "open", "high", "low", "close", "volume"] {
            assert!(r.get(k).is_some(), "{k} in {r}");
        }
        assert!(r["high"].as_f64() >= r["low"].as_f64());
    }
    assert!(
        rows.windows(2)
            .all(|w| w[0]["time"].as_i64() < w[1]["time"].as_i64()),
        "ascending"
    );
    let unknown = coach(
        dir.path(),
        &["bars", "ZZZZ", "--from", "2024-06-03", "--to", "2024-06-28"],
        &[],
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown symbol ZZZZ"));
}

#[test]
fn reconcile_checks_stored_bars_against_history_and_names_unknown_symbols() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("COACH_DEMO_START", "2024-07-02T15:00:00Z")];
    let lines = |out: &Output| -> Vec<Value> {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect()
    };
    let first = coach(dir.path(), &["reconcile", "spy"], &env);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let r = &lines(&first)[0];
    assert_eq!(
        (r["symbol"].as_str(), r["timeframe"].as_str()),
        (Some("SPY"), Some("1m"))
    );
    let checked = r["checked"].as_u64().unwrap();
    assert!(checked >= 100, "two hours of minutes around the open: {r}");
    assert_eq!(
        r["added"].as_u64(),
        Some(checked),
        "an empty cache lacks them all"
    );
    let second = coach(dir.path(), &["reconcile", "SPY"], &env);
    let r = &lines(&second)[0];
    assert_eq!(r["added"], 0, "stored by the first run: {r}");
    assert_eq!(r["corrected"], serde_json::json!([]));

    let bad = coach(dir.path(), &["reconcile", "SPY", "ZZZZQ"], &env);
    assert!(!bad.status.success(), "an unknown symbol fails the run");
    let out = lines(&bad);
    assert_eq!(out.len(), 2, "the good symbol is still reported");
    assert_eq!(out[1]["error"], "unknown symbol ZZZZQ");
}

#[test]
fn indicators_print_one_object_per_bar_matching_talib_and_name_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../coach-core/tests/data");
    let input = format!("{data}/spy_daily_2008_2017.csv");
    let out = coach(
        dir.path(),
        &[
            "indicators",
            "--input",
            &input,
            "--indicator",
            "rsi:14",
            "macd:12:26:9",
            "bbands:20:2",
            "stoch:14:3",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let reference = std::fs::read_to_string(format!("{data}/talib_spy_daily.csv")).unwrap();
    let mut ref_lines = reference.lines();
    let keys: Vec<&str> = ref_lines.next().unwrap().split(',').collect();
    assert_eq!(rows.len(), 2519, "one object per input bar");
    for (row, line) in rows.iter().zip(ref_lines) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(row["time"].to_string(), cells[0], "time echoed as given");
        let obj = row.as_object().unwrap();
        assert_eq!(
            obj.len(),
            1 + 1 + 3 + 3 + 2,
            "time and exactly the named outputs: {row}"
        );
        for key in [
            "rsi_14",
            "macd_12_26_9",
            "macd_signal_12_26_9",
            "macd_hist_12_26_9",
            "bb_upper_20_2",
            "bb_lower_20_2",
            "stoch_k_14_3",
            "stoch_d_14_3",
        ] {
            let col = keys.iter().position(|k| *k == key).unwrap();
            match (row[key].as_f64(), cells[col]) {
                (None, "") => assert!(row[key].is_null()),
                (Some(a), b) if !b.is_empty() => {
                    let b: f64 = b.parse().unwrap();
                    assert!(
                        (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                        "{key}: {a} vs TA-Lib {b}"
                    );
                }
                (a, b) => panic!("{key}: ours {a:?}, TA-Lib {b:?}"),
            }
        }
    }

    // RFC 3339 times are echoed as strings; a bad row names its line and nothing is printed.
    let csv = dir.path().join("bars.csv");
    std::fs::write(
        &csv,
        "time,open,high,low,close,volume\n2024-07-02T13:30:00Z,1,2,0.5,1.5,10\n",
    )
    .unwrap();
    let out = coach(
        dir.path(),
        &[
            "indicators",
            "--input",
            csv.to_str().unwrap(),
            "--indicator",
            "sma:1",
            "vwap",
        ],
        &[],
    );
    let row: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        row,
        serde_json::json!({"time": "2024-07-02T13:30:00Z", "sma_1": 1.5, "vwap": (2.0 + 0.5 + 1.5) / 3.0})
    );
    std::fs::write(
        &csv,
        "time,open,high,low,close,volume\n1,1,2,0.5,1.5,10\n2,1,2,0.5,oops,10\n",
    )
    .unwrap();
    let out = coach(
        dir.path(),
        &[
            "indicators",
            "--input",
            csv.to_str().unwrap(),
            "--indicator",
            "sma:1",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing half-printed");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 3") && err.contains("close \"oops\""),
        "{err}"
    );
    let out = coach(
        dir.path(),
        &[
            "indicators",
            "--input",
            csv.to_str().unwrap(),
            "--indicator",
            "ema:0",
        ],
        &[],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("ema:0"));
}

#[test]
fn levels_json_follows_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("COACH_DEMO_START", "2024-07-02T17:00:00Z")];
    let out = coach(
        dir.path(),
        &["levels", "SPY", "--at", "2024-07-02T16:00:00Z", "--json"],
        &env,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = stdout_json(&out);
    let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["symbol", "price", "atr", "levels"]);
    assert_eq!(r["symbol"], "SPY");
    let price = r["price"].as_f64().unwrap();
    let atr = r["atr"].as_f64().unwrap();
    let levels = r["levels"].as_array().unwrap();
    assert!(levels.len() > 30, "{} levels", levels.len());
    let mut last = f64::INFINITY;
    for l in levels {
        for k in [
            "kind",
            "label",
            "price",
            "distance_pts",
            "distance_pct",
            "distance_atr",
            "tests",
            "strength",
            "provenance",
        ] {
            assert!(l.get(k).is_some(), "{k} missing in {l}");
        }
        let p = l["price"].as_f64().unwrap();
        assert!(p <= last, "sorted by price descending");
        last = p;
        let pts = l["distance_pts"].as_f64().unwrap();
        assert!(
            (pts - (p - price)).abs() < 1e-9,
            "signed: level minus price"
        );
        assert!((l["distance_atr"].as_f64().unwrap() - pts / atr).abs() < 1e-9);
        assert!(l["tests"].is_u64());
    }
    let bad = coach(dir.path(), &["levels", "SPY", "--at", "noon"], &env);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("RFC 3339"));
}

fn coach_stdin(data_dir: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write as _;
    let mut child = coach_command(data_dir, args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn options_price_and_iv_answer_line_by_line_and_survive_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let reference = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../coach-core/tests/data/options_reference.csv"
    ))
    .unwrap();
    let rows: Vec<Vec<String>> = reference
        .lines()
        .skip(1)
        .take(50)
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    let mut input = String::new();
    for (i, r) in rows.iter().enumerate() {
        input += &format!(
            "{{\"kind\":\"{}\",\"spot\":{},\"strike\":{},\"years\":{},\"rate\":{},\"dividend\":{},\"vol\":{}}}\n",
            r[0], r[1], r[2], r[3], r[4], r[5], r[6]
        );
        if i == 10 {
            input += "{\"kind\":\"straddle\"}\n";
        }
    }
    let out = coach_stdin(dir.path(), &["options", "price"], &input);
    assert!(out.status.success());
    let answers: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        answers.len(),
        51,
        "one answer per line, the bad one included"
    );
    assert!(answers[11]["error"].as_str().unwrap().contains("straddle"));
    let good: Vec<&Value> = answers
        .iter()
        .filter(|a| a.get("error").is_none())
        .collect();
    let names = ["price", "delta", "gamma", "theta", "vega", "rho"];
    for (a, r) in good.iter().zip(&rows) {
        assert_eq!(a.as_object().unwrap().len(), 6, "{a}");
        for (k, name) in names.iter().enumerate() {
            let want: f64 = r[7 + k].parse().unwrap();
            let got = a[name].as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1e-6),
                "{name}: {got} vs py_vollib {want}"
            );
        }
    }

    // IV of those prices gives the volatilities back; an impossible price says so.
    let mut iv_input = String::new();
    for (a, r) in good.iter().zip(&rows) {
        iv_input += &format!(
            "{{\"kind\":\"{}\",\"spot\":{},\"strike\":{},\"years\":{},\"rate\":{},\"dividend\":{},\"price\":{}}}\n",
            r[0], r[1], r[2], r[3], r[4], r[5], a["price"]
        );
    }
    iv_input += "{\"kind\":\"call\",\"spot\":100,\"strike\":100,\"years\":1,\"rate\":0.05,\"dividend\":0,\"price\":101}\n";
    let out = coach_stdin(dir.path(), &["options", "iv"], &iv_input);
    let ivs: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ivs.len(), 51);
    let mut compared = 0;
    for ((iv, r), a) in ivs.iter().zip(&rows).zip(&good) {
        let vol: f64 = r[6].parse().unwrap();
        let got = iv["iv"].as_f64().unwrap_or_else(|| panic!("{iv}"));
        // Deep in the money the time value can vanish next to the price's last
        // digit; there the volatility is not in the price to be found.
        let (vega, price) = (
            a["vega"].as_f64().unwrap() * 100.0,
            a["price"].as_f64().unwrap(),
        );
        if vega * vol < 1e-9 * price {
            continue;
        }
        compared += 1;
        assert!((got - vol).abs() <= 1e-7 * vol, "{got} vs {vol}: {a}");
    }
    assert!(compared >= 40, "{compared}");
    assert!(ivs[50]["iv"].is_null());
    assert!(ivs[50]["error"]
        .as_str()
        .unwrap()
        .starts_with("no implied volatility"));
}

// ---------------------------------------------------------------------------
// coach chat / coach sessions
// ---------------------------------------------------------------------------

const DEMO_NOW: (&str, &str) = ("COACH_DEMO_START", "2024-07-02T15:00:00Z");

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("every line is JSON ({e}): {l}"))
        })
        .collect()
}

fn types(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l["type"].as_str().unwrap_or("?").to_string())
        .collect()
}

#[test]
fn chat_json_offline_prints_one_event_per_line_in_the_contract_shape() {
    let dir = tempfile::tempdir().unwrap();
    let out = coach(
        dir.path(),
        &["chat", "levels for SPY", "--json"],
        &[DEMO_NOW],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    let t = types(&lines);
    assert_eq!(t.first().map(String::as_str), Some("started"));
    assert_eq!(t.last().map(String::as_str), Some("done"));
    // Every event has exactly the documented fields (docs/chat.md).
    for l in &lines {
        let mut keys: Vec<&str> = l.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        let want: &[&str] = match l["type"].as_str().unwrap() {
            "started" => &[
                "message_id",
                "mode",
                "session_id",
                "type",
                "user_message_id",
            ],
            "status" => &["label", "phase", "tool", "type"],
            "token" => &["text", "type"],
            "tool_call" => &["arguments", "id", "name", "type"],
            "tool_result" => &["id", "ms", "name", "ok", "result", "type"],
            "card" => &[
                "card_type",
                "data",
                "symbol",
                "timeframe",
                "title",
                "tool_call_id",
                "type",
            ],
            "grounding" => &["checked", "type", "unverified"],
            "done" => &[
                "message_id",
                "rounds",
                "session_id",
                "status",
                "ttft_ms",
                "type",
                "usage",
            ],
            other => panic!("unexpected event type {other}"),
        };
        assert_eq!(keys, want, "fields of {l}");
    }
    let call = &lines[t.iter().position(|x| x == "tool_call").unwrap()];
    assert_eq!(call["name"], "get_key_levels");
    assert_eq!(
        call["arguments"],
        serde_json::json!({"symbol": "SPY"}),
        "arguments are an object"
    );
    assert!(call["id"].is_string());
    let result = &lines[t.iter().position(|x| x == "tool_result").unwrap()];
    assert_eq!(result["id"], call["id"], "the result names its call");
    assert!(result["result"]["price"].is_number());
    let card = &lines[t.iter().position(|x| x == "card").unwrap()];
    assert_eq!(card["card_type"], "key_levels");
    let status = &lines[t.iter().position(|x| x == "status").unwrap()];
    assert_eq!(status["phase"], "thinking");
    let done = lines.last().unwrap();
    assert!(
        done["session_id"].is_i64() && done["message_id"].is_i64() && done["ttft_ms"].is_number(),
        "{done}"
    );
    let text: String = lines
        .iter()
        .filter(|l| l["type"] == "token")
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert!(text.contains("no language model is in use"), "{text}");
}

/// Runs `coach` off the async runtime (the scripted model server runs on it),
/// pointed at that server, on the demo market at DEMO_NOW.
async fn coach_with_model(dir: &Path, sim: &coach_llm_sim::LlmSim, args: &[&str]) -> Output {
    let base = sim.base_url();
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        coach(
            &dir,
            &args,
            &[
                DEMO_NOW,
                ("OPENAI_BASE_URL", &base),
                ("COACH_MODEL", "sim-model"),
            ],
        )
    })
    .await
    .unwrap()
}

/// `coach` off the async runtime, with no extra environment.
async fn coach_blocking(dir: &Path, args: &[&str]) -> Output {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        coach(&dir, &args, &[])
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_with_a_model_then_sessions_list_show_and_search() {
    let sim = coach_llm_sim::LlmSim::start(vec![], 0).await.unwrap();
    sim.set_auto_delay(std::time::Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let out = coach_with_model(
        dir.path(),
        &sim,
        &["chat", "key levels for SPY please", "--json"],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    let t = types(&lines);
    assert_eq!(
        lines[0]["mode"], "sim-model",
        "the model's name is the mode"
    );
    let first_token = t.iter().position(|x| x == "token").unwrap();
    assert!(t.iter().position(|x| x == "tool_result").unwrap() < first_token);
    assert!(t.iter().position(|x| x == "card").unwrap() < first_token);
    let session = lines.last().unwrap()["session_id"].as_i64().unwrap();

    let out = coach_blocking(dir.path(), &["sessions", "list", "--json"]).await;
    let list = json_lines(&out);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], session);
    assert_eq!(list[0]["title"], "SPY key levels");
    assert_eq!(list[0]["message_count"], 2);

    let id = session.to_string();
    let out = coach_blocking(dir.path(), &["sessions", "show", &id, "--json"]).await;
    let detail = stdout_json(&out);
    let answer = &detail["messages"][1];
    assert_eq!(answer["role"], "assistant");
    assert_eq!(answer["status"], "complete");
    assert_eq!(
        answer["cards"][0]["card_type"], "key_levels",
        "cards are kept with the message"
    );
    assert_eq!(answer["tools"][0]["name"], "get_key_levels");

    let out = coach_blocking(
        dir.path(),
        &["sessions", "search", "nearest resist", "--json"],
    )
    .await;
    let hits = json_lines(&out);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0]["snippet"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["hit"] == true));
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_json_ends_with_an_error_line_and_exit_1_when_the_stream_breaks() {
    let sim = coach_llm_sim::LlmSim::start(
        vec![
            coach_llm_sim::Reply::text("SPY is testing the opening range high right", 8)
                .dropping_after(4),
        ],
        0,
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = coach_with_model(dir.path(), &sim, &["chat", "SPY?", "--json"]).await;
    assert_eq!(out.status.code(), Some(1), "a failed answer exits 1");
    let lines = json_lines(&out);
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "error");
    assert_eq!(last["partial_saved"], true, "{last}");
    assert!(last["message"].as_str().unwrap().contains("broke off"));
}

#[test]
fn sessions_import_is_all_or_nothing_and_round_trips_what_show_prints() {
    let dir = tempfile::tempdir().unwrap();
    let out = coach(
        dir.path(),
        &["chat", "levels for SPY", "--json"],
        &[DEMO_NOW],
    );
    assert!(out.status.success());
    let shown = coach(dir.path(), &["sessions", "show", "1", "--json"], &[]);
    let original = stdout_json(&shown);
    let file = dir.path().join("sessions.jsonl");
    let line = String::from_utf8_lossy(&shown.stdout).trim().to_string();
    std::fs::write(&file, format!("{line}\n{{\"session\": 1}}\n")).unwrap();
    let bad = coach(
        dir.path(),
        &["sessions", "import", file.to_str().unwrap()],
        &[],
    );
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("line 2"), "the bad line is named: {err}");
    let list = coach(dir.path(), &["sessions", "list", "--json"], &[]);
    assert_eq!(json_lines(&list).len(), 1, "nothing was imported");

    std::fs::write(&file, format!("{line}\n")).unwrap();
    let good = coach(
        dir.path(),
        &["sessions", "import", file.to_str().unwrap()],
        &[],
    );
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&good.stdout).trim(), "2");
    let copy = stdout_json(&coach(
        dir.path(),
        &["sessions", "show", "2", "--json"],
        &[],
    ));
    for (a, b) in original["messages"]
        .as_array()
        .unwrap()
        .iter()
        .zip(copy["messages"].as_array().unwrap())
    {
        for k in [
            "role",
            "content",
            "status",
            "tools",
            "cards",
            "unverified",
            "meta",
        ] {
            assert_eq!(a[k], b[k], "{k} survives the round trip");
        }
    }
    assert_eq!(copy["session"]["title"], original["session"]["title"]);

    let renamed = coach(dir.path(), &["sessions", "rename", "2", "My copy"], &[]);
    assert!(renamed.status.success());
    let deleted = coach(dir.path(), &["sessions", "delete", "1"], &[]);
    assert!(deleted.status.success());
    let list = json_lines(&coach(dir.path(), &["sessions", "list", "--json"], &[]));
    assert_eq!(list.len(), 1, "one deleted, one left");
    assert_eq!(list[0]["title"], "My copy");
    let missing = coach(dir.path(), &["sessions", "show", "1"], &[]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no chat session 1"));
}

// ---------------------------------------------------------------------------
// coach options chain / analyze
// ---------------------------------------------------------------------------

#[test]
fn options_chain_json_is_the_nearest_expiration_with_complete_rows() {
    let dir = tempfile::tempdir().unwrap();
    let out = coach(
        dir.path(),
        &["options", "chain", "SPY", "--json"],
        &[DEMO_NOW],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = stdout_json(&out);
    assert_eq!(c["expiration"], "2024-07-05");
    let rows = c["rows"].as_array().unwrap();
    assert!(rows.len() > 50);
    assert!(rows
        .iter()
        .all(|r| r["call"].is_object() && r["put"].is_object()));
    assert!(c["expected_move"]["straddle"].as_f64().unwrap() > 0.0);
    let bad = coach(
        dir.path(),
        &["options", "chain", "SPY", "--expiration", "2024-07-06"],
        &[DEMO_NOW],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no expiration on 2024-07-06"));
}

#[test]
fn options_analyze_gives_the_condors_numbers_and_refuses_mixed_expiries_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("condor.json");
    let leg = |kind: &str, strike: f64, q: f64, px: f64, exp: &str| serde_json::json!({"kind": kind, "strike": strike, "expiry": exp, "quantity": q, "entry_price": px, "iv": 0.25});
    let exp = "2024-07-19";
    let pos = serde_json::json!({
        "spot": 100.0, "rate": 0.04, "as_of": "2024-07-02T15:00:00Z", "dates": ["2024-07-10"],
        "legs": [leg("put", 90.0, 1.0, 0.5, exp), leg("put", 95.0, -1.0, 1.5, exp),
                 leg("call", 105.0, -1.0, 1.5, exp), leg("call", 110.0, 1.0, 0.5, exp)]
    });
    std::fs::write(&file, pos.to_string()).unwrap();
    let out = coach(
        dir.path(),
        &[
            "options",
            "analyze",
            "--positions",
            file.to_str().unwrap(),
            "--json",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a = stdout_json(&out);
    assert_eq!(
        a["breakevens"],
        serde_json::json!([93.0, 107.0]),
        "2.00 credit on 5-wide wings"
    );
    assert_eq!(a["max_gain"]["value"], 200.0);
    assert_eq!(a["max_loss"]["value"], -300.0);
    assert_eq!(a["net_debit"], -200.0);
    let pop = a["probability_of_profit"].as_f64().unwrap();
    assert!(pop > 0.5 && pop < 1.0, "{pop}");
    assert!(
        a["greeks"]["theta"].as_f64().unwrap() > 0.0,
        "short premium earns theta"
    );
    let curve = a["pnl_at_expiry"].as_array().unwrap();
    assert_eq!(curve.len(), 41);
    let mid = &curve[20];
    assert_eq!(mid["price"], 100.0);
    assert_eq!(
        mid["pnl"], 200.0,
        "at the spot the condor keeps its credit at expiry"
    );
    let at_date = a["pnl_at_dates"][0]["points"].as_array().unwrap();
    assert_eq!(at_date.len(), 41);
    let on_0710 = at_date[20]["pnl"].as_f64().unwrap();
    let now = a["pnl_now"].as_f64().unwrap();
    assert!(
        now < on_0710 && on_0710 < 200.0,
        "at the spot a short condor gains as time passes: now {now} < 07-10 {on_0710} < expiry 200"
    );

    // A calendar (short the 07-12 call, long the 07-19 call at the same
    // strike) is analysed at 07-12's close, the 07-19 call valued by BSM.
    let calendar = serde_json::json!({"spot": 100.0, "as_of": "2024-07-02T15:00:00Z", "vol": 0.2, "legs": [leg("call", 100.0, 1.0, 2.0, "2024-07-19"), leg("call", 100.0, -1.0, 1.0, "2024-07-12")]});
    std::fs::write(&file, calendar.to_string()).unwrap();
    let out = coach(
        dir.path(),
        &[
            "options",
            "analyze",
            "--positions",
            file.to_str().unwrap(),
            "--json",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        c["expiry"], "2024-07-12",
        "the first expiration is the horizon"
    );
    assert_eq!(c["later_expiries"], serde_json::json!(["2024-07-19"]));
    assert_eq!(c["net_debit"], 100.0, "paid 2.00, collected 1.00");
    // Loses the debit if the stock collapses; makes most at the strike.
    assert!((c["max_loss"]["value"].as_f64().unwrap() + 100.0).abs() < 1e-6);
    assert!((c["max_gain"]["at_price"].as_f64().unwrap() - 100.0).abs() < 1e-6);
    let be: Vec<f64> = c["breakevens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(be.len() == 2 && be[0] < 100.0 && be[1] > 100.0, "{be:?}");
    // Each bad file is refused with a message that names what is wrong.
    for (json, says) in [
        (
            r#"{"spot": 100, "as_of": "2024-07-02T15:00:00Z", "legs": [{"kind": "call", "strike": 100, "expiry": "2024-07-19", "quantity": 1, "entry_price": 2, "iv": 19}]}"#,
            "leg 1: iv 19 is out of range: write it as a fraction",
        ),
        (
            r#"{"spot": 100, "as_of": "2024-08-01T15:00:00Z", "legs": [{"kind": "call", "strike": 100, "expiry": "2024-07-19", "quantity": 1, "entry_price": 2, "iv": 0.2}]}"#,
            "expired on 2024-07-19",
        ),
        (
            r#"{"spot": 100, "as_of": "2024-07-02T15:00:00Z", "legs": [{"kind": "call", "strike": 100, "expiry": "2024-07-19", "quantity": 1, "entry_price": 2}]}"#,
            "leg 1: an option needs its implied volatility",
        ),
    ] {
        std::fs::write(&file, json).unwrap();
        let out = coach(
            dir.path(),
            &["options", "analyze", "--positions", file.to_str().unwrap()],
            &[],
        );
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{err}");
    }
}

fn fixture(path: &str) -> String {
    format!(
        "{}/../../tests/fixtures/journal/{path}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn journal_import_twice_adds_nothing_the_second_time_and_a_bad_file_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture("robinhood/activity.csv");
    let first = coach(dir.path(), &["journal", "import", &file, "--json"], &[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let a = stdout_json(&first);
    for key in [
        "broker",
        "rows",
        "imported",
        "duplicates",
        "skipped",
        "errors",
        "trades_touched",
    ] {
        assert!(a.get(key).is_some(), "{key} in {a}");
    }
    assert_eq!(a["broker"], "robinhood");
    let n = a["imported"].as_u64().unwrap();
    assert!(n > 0);
    let again = stdout_json(&coach(
        dir.path(),
        &["journal", "import", &file, "--json"],
        &[],
    ));
    assert_eq!(again["imported"], 0);
    assert_eq!(again["duplicates"].as_u64(), Some(n));

    let bad = coach(
        dir.path(),
        &[
            "journal",
            "import",
            &fixture("webull/bad_rows.csv"),
            "--broker",
            "webull",
            "--json",
        ],
        &[],
    );
    assert_eq!(bad.status.code(), Some(1), "errors stopped the import");
    let b = stdout_json(&bad);
    assert_eq!(b["imported"], 0);
    assert!(b["errors"][0]["line"].as_u64().unwrap() > 1, "{b}");
    assert!(!b["errors"][0]["message"].as_str().unwrap().is_empty());
}

/// tastytrade/current.csv by hand (see the engine's journal test): four
/// closed trades netting 337.40 (the AAPL vertical one loss of 287.27).
#[test]
fn journal_trades_and_stats_print_the_contract_fields_with_hand_computed_figures() {
    let dir = tempfile::tempdir().unwrap();
    let out = coach(
        dir.path(),
        &[
            "journal",
            "import",
            &fixture("tastytrade/current.csv"),
            "--json",
        ],
        &[],
    );
    assert!(out.status.success());
    let trades = stdout_json(&coach(dir.path(), &["journal", "trades", "--json"], &[]));
    let list = trades.as_array().unwrap();
    assert_eq!(list.len(), 6);
    for key in [
        "id",
        "broker",
        "account",
        "symbol",
        "underlying",
        "asset",
        "option",
        "side",
        "quantity",
        "opened_at",
        "closed_at",
        "status",
        "entry_price",
        "exit_price",
        "fees",
        "realized_pnl",
        "executions",
        "strategy_id",
    ] {
        assert!(list[0].get(key).is_some(), "{key} in {}", list[0]);
    }
    let spy = list
        .iter()
        .find(|t| t["symbol"] == "SPY240719C00550000")
        .unwrap();
    assert_eq!(spy["asset"], "option");
    assert_eq!(spy["option"]["kind"], "call");
    assert_eq!(spy["option"]["strike"], 550.0);
    assert_eq!(spy["option"]["expiration"], "2024-07-19");
    assert_eq!(spy["side"], "long");
    assert_eq!(
        spy["opened_at"], "2024-07-16T13:45:03Z",
        "09:45:03 −04:00 in UTC"
    );
    assert_eq!(spy["entry_price"], 2.5, "per share, not × 100");
    assert_eq!(spy["realized_pnl"], 58.72);
    let open = stdout_json(&coach(
        dir.path(),
        &["journal", "trades", "--status", "open", "--json"],
        &[],
    ));
    assert_eq!(
        open.as_array().unwrap().len(),
        1,
        "the IWM shares from the assignment"
    );
    assert_eq!(open[0]["realized_pnl"], Value::Null);

    let stats = stdout_json(&coach(
        dir.path(),
        &["journal", "stats", "--by", "weekday", "--json"],
        &[],
    ));
    for key in [
        "trades",
        "wins",
        "losses",
        "breakeven",
        "win_rate",
        "profit_factor",
        "expectancy",
        "avg_win",
        "avg_loss",
        "net_pnl",
        "fees",
        "max_drawdown",
        "groups",
    ] {
        assert!(stats.get(key).is_some(), "{key} in {stats}");
    }
    // The AAPL vertical counts once: four trades, three wins.
    assert_eq!(stats["trades"], 4);
    assert_eq!(stats["net_pnl"], 337.4);
    assert_eq!(stats["win_rate"], 0.75);
    assert_eq!(stats["avg_loss"], -287.27);
    // Opened on Wed 10 Jul (MSFT), Tue 16 Jul (SPY), Mon 22 Jul (IWM), Fri 2 Aug (the AAPL vertical).
    assert_eq!(stats["groups"]["5 Fri"]["trades"], 1);
    assert_eq!(stats["groups"]["5 Fri"]["net_pnl"], -287.27);
    let bad = coach(dir.path(), &["journal", "stats", "--by", "moon"], &[]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("moon"));
}

#[test]
fn journal_add_edit_and_delete_a_manual_trade() {
    let dir = tempfile::tempdir().unwrap();
    let trade = r#"{"symbol":"AMD","option":{"kind":"put","strike":150,"expiration":"2024-08-16"},
        "side":"short","quantity":2,"entry_price":3.2,"opened_at":"2024-08-01T14:00:00Z",
        "exit_price":1.1,"closed_at":"2024-08-09T15:00:00Z","fees":2.6,"tags":["theta"]}"#;
    let added = coach_stdin(dir.path(), &["journal", "add"], trade);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let t = stdout_json(&added);
    // (3.20 − 1.10) × 2 × 100 − 2.60
    assert_eq!(t["realized_pnl"], 417.4);
    assert_eq!(t["symbol"], "AMD240816P00150000");
    let id = t["id"].as_i64().unwrap().to_string();
    let noted = coach_stdin(
        dir.path(),
        &["journal", "edit", &id, "--notes"],
        r#"{"notes":"sold into the gap","tags":["theta","gap"],"setup":null,"risk":500}"#,
    );
    let n = stdout_json(&noted);
    assert_eq!(n["tags"], serde_json::json!(["theta", "gap"]));
    assert_eq!(n["r_multiple"], 0.83, "417.40 / 500");
    let wrong = coach_stdin(
        dir.path(),
        &["journal", "add"],
        r#"{"symbol":"AMD","side":"long","quantity":1,"entry_price":1,"opened_at":"yesterday"}"#,
    );
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("opened_at"));
    assert!(coach(dir.path(), &["journal", "delete", &id], &[])
        .status
        .success());
    let left = stdout_json(&coach(dir.path(), &["journal", "trades", "--json"], &[]));
    assert_eq!(left, serde_json::json!([]));
}

#[test]
fn journal_pnl_marks_the_open_trade_at_the_demo_market() {
    let dir = tempfile::tempdir().unwrap();
    coach(
        dir.path(),
        &["journal", "import", &fixture("tastytrade/current.csv")],
        &[],
    );
    let v = stdout_json(&coach(dir.path(), &["journal", "pnl", "--json"], &[]));
    for key in [
        "today_realized",
        "week_realized",
        "sparkline",
        "open",
        "unrealized",
        "unpriced",
    ] {
        assert!(v.get(key).is_some(), "{key} in {v}");
    }
    // The IWM shares from the assignment: 300 at 200.00.
    let open = &v["open"][0];
    assert_eq!(open["symbol"], "IWM");
    assert_eq!(open["quantity"], 300.0);
    assert_eq!(open["entry_price"], 200.0);
    let mark = open["mark"].as_f64().expect("the demo market prices IWM");
    let want = ((mark - 200.0) * 300.0 * 100.0).round() / 100.0;
    assert_eq!(open["unrealized"].as_f64(), Some(want));
    assert_eq!(v["unrealized"].as_f64(), Some(want));
}

#[test]
fn alerts_add_list_pause_and_run_print_their_contract_fields() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("COACH_DEMO_START", "2024-07-02T15:00:00Z"),
        ("COACH_DEMO_SPEED", "60"),
    ];
    let bad = coach(
        dir.path(),
        &[
            "alerts",
            "add",
            "--symbol",
            "SPY",
            "--condition",
            "enters",
            "--price",
            "500",
        ],
        &env,
    );
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("price"), "the error names the field: {err}");

    let levels = coach(dir.path(), &["levels", "SPY", "--json"], &env);
    let last = stdout_json(&levels)["price"].as_f64().unwrap();
    let line = format!("{:.2}", last + 0.05);
    let added = coach(
        dir.path(),
        &[
            "alerts",
            "add",
            "--symbol",
            "spy",
            "--condition",
            "crosses_above",
            "--price",
            &line,
            "--json",
        ],
        &env,
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let a = stdout_json(&added);
    has_fields(
        &a,
        &[
            "id",
            "symbol",
            "condition",
            "price",
            "price2",
            "level",
            "trigger",
            "timeframe",
            "state",
            "created_at",
            "expires_at",
        ],
    );
    assert_eq!(a["symbol"], "SPY");
    assert_eq!(a["state"], "armed");
    assert_eq!(a["trigger"], "once");
    let id = a["id"].as_i64().unwrap().to_string();

    let paused = coach(dir.path(), &["alerts", "pause", &id], &env);
    assert!(String::from_utf8_lossy(&paused.stdout).contains("paused"));
    let list = stdout_json(&coach(dir.path(), &["alerts", "list", "--json"], &env));
    assert_eq!(list[0]["state"], "paused");
    let resumed = coach(dir.path(), &["alerts", "resume", &id], &env);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert!(String::from_utf8_lossy(&resumed.stdout).contains("armed"));

    // 10 s at 60× is ten minutes of market: the first tick at or above the
    // line fires it (about a minute in), once.
    let run = coach(
        dir.path(),
        &["alerts", "run", "--for", "10", "--json"],
        &env,
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let fired: Vec<Value> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON line per firing"))
        .collect();
    assert_eq!(fired.len(), 1, "once: {fired:?}");
    let f = &fired[0];
    has_fields(
        f,
        &[
            "alert_id",
            "symbol",
            "condition",
            "trigger_price",
            "price",
            "at",
            "message",
            "missed",
        ],
    );
    let line: f64 = line.parse().unwrap();
    assert_eq!(f["trigger_price"].as_f64(), Some(line));
    assert!(f["price"].as_f64().unwrap() >= line);
    assert_eq!(f["missed"], false);
    assert!(chrono::DateTime::parse_from_rfc3339(f["at"].as_str().unwrap()).is_ok());
    let history = stdout_json(&coach(dir.path(), &["alerts", "history", "--json"], &env));
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert_eq!(history[0]["price"], f["price"]);
    let list = stdout_json(&coach(dir.path(), &["alerts", "list", "--json"], &env));
    assert_eq!(list[0]["state"], "fired");
    let deleted = coach(dir.path(), &["alerts", "delete", &id], &env);
    assert!(deleted.status.success());
    let again = coach(dir.path(), &["alerts", "delete", &id], &env);
    assert!(String::from_utf8_lossy(&again.stderr).contains(&format!("no alert {id}")));
}

/// A position in `coach screenshot analyze --json` (the contract).
const SCREENSHOT_POSITION_FIELDS: [&str; 8] = [
    "symbol",
    "underlying",
    "kind",
    "strike",
    "expiration",
    "quantity",
    "price",
    "confidence",
];

#[test]
fn screenshot_analyze_offline_prints_the_positions_with_a_confidence_per_field() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/screenshots/positions-dark.png");
    let a = ok_json(
        dir.path(),
        &[
            "screenshot",
            "analyze",
            fixture.to_str().unwrap(),
            "--offline",
            "--json",
        ],
    );
    assert_eq!(a["reader"], "ocr");
    assert_eq!(a["broker"], "unknown");
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&a),
        ["broker", "positions", "reader", "warnings"],
        "the contract's fields, no more"
    );
    assert_eq!(
        keys(&a["positions"][1]),
        [
            "confidence",
            "expiration",
            "kind",
            "price",
            "quantity",
            "strike",
            "symbol",
            "underlying"
        ]
    );
    let p = &a["positions"][1];
    has_fields(p, &SCREENSHOT_POSITION_FIELDS);
    assert_eq!(p["symbol"], "SPY240719P00540000");
    assert_eq!(p["kind"], "put");
    assert_eq!(p["expiration"], "2024-07-19");
    assert_eq!(p["quantity"].as_f64(), Some(-1.0), "short is negative");
    for k in coach_core::screenshot::FieldConfidence::FIELDS {
        let c = p["confidence"][k].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c), "{k}: {c}");
    }
    let not_an_image = dir.path().join("positions.png");
    std::fs::write(&not_an_image, b"%PDF-1.7").unwrap();
    let bad = coach(
        dir.path(),
        &[
            "screenshot",
            "analyze",
            not_an_image.to_str().unwrap(),
            "--offline",
        ],
        &[],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a PNG, JPEG or WebP"));
}

/// With a model configured, the screenshot goes to it as an image part and
/// its checked answer is printed as the same contract, reader "vision"; a
/// model that takes no images leaves it to Tesseract, with a warning.
#[tokio::test(flavor = "multi_thread")]
async fn screenshot_analyze_with_a_model_reads_it_with_vision() {
    // What a good model answers for the fixture.
    let answer = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/screenshots/vision-answer.json"),
    )
    .unwrap();
    let sim = coach_llm_sim::LlmSim::start(
        vec![
            coach_llm_sim::Reply::json_content(&answer),
            coach_llm_sim::Reply::status(400, "model does not support image input"),
        ],
        0,
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/screenshots/positions-dark.png");
    let args = ["screenshot", "analyze", fixture.to_str().unwrap(), "--json"];
    let out = coach_with_model(dir.path(), &sim, &args).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a = stdout_json(&out);
    assert_eq!(a["reader"], "vision");
    assert_eq!(a["broker"], "unknown");
    assert_eq!(a["warnings"], serde_json::json!([]));
    let p = &a["positions"][1];
    has_fields(p, &SCREENSHOT_POSITION_FIELDS);
    assert_eq!(p["symbol"], "SPY240719P00540000");
    assert_eq!(p["expiration"], "2024-07-19");
    assert_eq!(p["quantity"].as_f64(), Some(-1.0));
    assert_eq!(p["confidence"]["price"].as_f64(), Some(0.9));
    let vision: Vec<serde_json::Value> = sim
        .requests()
        .into_iter()
        .filter(|r| r["response_format"]["type"] == "json_schema")
        .collect();
    assert_eq!(vision.len(), 1, "one vision request");
    let url = vision[0]["messages"][1]["content"][1]["image_url"]["url"]
        .as_str()
        .unwrap();
    assert!(
        url.starts_with("data:image/png;base64,iVBOR"),
        "the PNG as a data URL"
    );

    let out = coach_with_model(dir.path(), &sim, &args).await;
    assert!(out.status.success());
    let a = stdout_json(&out);
    assert_eq!(a["reader"], "ocr");
    assert!(
        a["warnings"][0]
            .as_str()
            .unwrap()
            .contains("does not take images"),
        "{a}"
    );
    assert_eq!(a["positions"][1]["symbol"], "SPY240719P00540000");
}

/// `coach screenshot save FILE --session ID`: the image and its reading are
/// a turn of that session (the user's message with the image, the analysis
/// with its extraction card), as the app shows them; an unknown session is
/// refused and nothing is written.
#[test]
fn screenshot_save_adds_the_reading_as_a_turn_of_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("COACH_DEMO_START", "2024-07-02T15:00:00Z")];
    let first = coach(dir.path(), &["chat", "levels for SPY"], &env);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/screenshots/positions-dark.png");
    let file = fixture.to_str().unwrap();
    let missing = coach(
        dir.path(),
        &["screenshot", "save", file, "--session", "99", "--json"],
        &env,
    );
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no chat session 99"));
    let v = ok_json_with(
        dir.path(),
        &["screenshot", "save", file, "--session", "1", "--json"],
        &env,
    );
    assert_eq!(v["session_id"], 1);
    assert_eq!(v["reader"], "ocr");
    assert_eq!(v["positions"].as_array().unwrap().len(), 3);
    assert_eq!(v["positions"][0]["symbol"], "AAPL240816C00230000");
    assert_eq!(v["image"]["width"], 760);
    let shown = stdout_json(&coach(
        dir.path(),
        &["sessions", "show", "1", "--json"],
        &[],
    ));
    let messages = shown["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        4,
        "the earlier exchange, then the screenshot's turn"
    );
    assert_eq!(messages[2]["images"][0]["sha256"], v["image"]["sha256"]);
    assert_eq!(messages[3]["id"], v["message_id"]);
    assert_eq!(
        messages[3]["cards"][0]["card_type"],
        "screenshot_extraction"
    );
    assert!(dir
        .path()
        .join("images")
        .join(format!("{}.png", v["image"]["sha256"].as_str().unwrap()))
        .exists());
}
