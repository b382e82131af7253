//! Every broker fixture in tests/fixtures/screenshots/, read by the real
//! Tesseract and the parser: the broker is recognised, every position is
//! found, and every field is right or flagged (its confidence below
//! LOW_CONFIDENCE, so the extraction card asks the trader to check it).

use std::path::{Path, PathBuf};

use coach_core::screenshot::{ExtractedPosition, FieldConfidence, LOW_CONFIDENCE};
use coach_engine::screenshots::analyze_offline;
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/screenshots")
}

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2024, 7, 1).unwrap()
}

/// The truth files, one per broker layout, each naming its images.
fn truths() -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".truth.json"))
        .map(|n| {
            let v = serde_json::from_slice(&std::fs::read(dir().join(&n)).unwrap())
                .unwrap_or_else(|e| panic!("{n}: {e}"));
            (n, v)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Field by field: what is wrong and not flagged.
fn unflagged_errors(image: &str, got: &ExtractedPosition, want: &Value) -> Vec<String> {
    let v = serde_json::to_value(got).unwrap();
    let c = &got.confidence;
    let mut errors = Vec::new();
    let mut field = |name: &str, confidence: f32| {
        let same = match (&v[name], &want[name]) {
            (Value::Number(a), Value::Number(b)) => {
                (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < 1e-9
            }
            (a, b) => a == b,
        };
        if !same && confidence >= LOW_CONFIDENCE {
            errors.push(format!(
                "{image}: {} {name} is {} (confidence {confidence:.2}), not {}",
                want["symbol"], v[name], want[name]
            ));
        }
    };
    for (name, confidence) in FieldConfidence::FIELDS.into_iter().zip(c.values()) {
        field(name, confidence);
    }
    // The symbol is made of four fields: it is as sure as the least of them.
    field(
        "symbol",
        [c.underlying, c.kind, c.strike, c.expiration]
            .into_iter()
            .fold(1.0, f32::min),
    );
    errors
}

#[test]
fn every_broker_screenshot_reads_into_its_positions_or_flags_what_it_misread() {
    let truths = truths();
    let brokers: Vec<&str> = truths
        .iter()
        .map(|(_, t)| t["broker"].as_str().unwrap())
        .collect();
    assert_eq!(
        brokers,
        ["ibkr", "robinhood", "tastytrade", "thinkorswim", "webull"],
        "a truth file per broker"
    );
    let mut errors = Vec::new();
    let (mut images, mut fields, mut flagged) = (0, 0, 0);
    for (file, truth) in &truths {
        let names = truth["images"].as_array().unwrap();
        assert!(names.len() >= 4, "{file}: two sizes in two themes");
        for name in names {
            let name = name.as_str().unwrap();
            images += 1;
            let a = analyze_offline(&dir().join(name), today())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let x = &a.extraction;
            if x.broker != truth["broker"] {
                errors.push(format!(
                    "{name}: broker {}, not {}",
                    x.broker, truth["broker"]
                ));
            }
            let want = truth["positions"].as_array().unwrap();
            if x.positions.len() != want.len() {
                errors.push(format!(
                    "{name}: {} positions, not {}: {:?}",
                    x.positions.len(),
                    want.len(),
                    x.positions
                ));
                continue;
            }
            for (got, w) in x.positions.iter().zip(want) {
                errors.extend(unflagged_errors(name, got, w));
                let c = &got.confidence;
                for (value, conf) in [
                    (got.kind.is_none(), c.kind),
                    (got.quantity.is_none(), c.quantity),
                    (got.price.is_none(), c.price),
                ] {
                    fields += 1;
                    if value && conf != 0.0 {
                        errors.push(format!("{name}: an unread field has confidence {conf}"));
                    }
                }
                fields += 4;
                flagged += c.values().iter().filter(|c| **c < LOW_CONFIDENCE).count();
                if (got.quantity.is_none() || got.price.is_none()) && x.warnings.is_empty() {
                    errors.push(format!("{name}: an unread field is not named in warnings"));
                }
            }
            match (truth["total_quantity"].as_f64(), &x.totals) {
                (None, None) => {}
                (None, Some(t)) => errors.push(format!("{name}: a total {t:?} that is not there")),
                (Some(q), None) => errors.push(format!("{name}: the total {q} was not read")),
                (Some(q), Some(t)) => {
                    if t.quantity != Some(q) && t.confidence >= LOW_CONFIDENCE {
                        errors.push(format!("{name}: total {t:?}, not {q}"));
                    }
                }
            }
        }
    }
    assert!(images >= 20, "{images} images");
    // Most of what is on the screens is read sure: flags are the exception.
    assert!(
        flagged * 5 < fields,
        "{flagged} of {fields} fields flagged low"
    );
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn the_generic_table_is_no_brokers() {
    for name in ["positions-dark.png", "positions-light.png"] {
        let a = analyze_offline(&dir().join(name), today()).unwrap();
        assert_eq!(a.extraction.broker, "unknown", "{name}");
        assert_eq!(a.extraction.positions.len(), 3, "{name}");
        assert_eq!(a.extraction.totals, None, "{name}");
    }
}
