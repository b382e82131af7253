//! Local OCR with Tesseract (Debian's `tesseract-ocr` and `tesseract-ocr-eng`,
//! installed by scripts/lib.sh): the image's words with their confidence and
//! box, grouped into lines. The CLI is run with its TSV output, so no library
//! is linked and a missing install is a clear error, not a crash.

use std::path::Path;
use std::process::Command;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One word as Tesseract read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OcrWord {
    pub text: String,
    /// 0..1.
    pub confidence: f32,
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
}

/// The words of one line, left to right.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OcrLine {
    pub words: Vec<OcrWord>,
}

impl OcrLine {
    pub fn text(&self) -> String {
        self.words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error(
        "Tesseract is not installed (on Debian: apt install tesseract-ocr tesseract-ocr-eng): {0}"
    )]
    NotInstalled(String),
    #[error("Tesseract could not read the image: {0}")]
    Failed(String),
}

/// Reads `image` (a file) into lines of words. `--psm 6` reads it as one
/// block of text, which keeps a table's rows as lines.
pub fn read_lines(image: &Path) -> Result<Vec<OcrLine>, OcrError> {
    let bytes = std::fs::read(image).map_err(|e| OcrError::Failed(e.to_string()))?;
    read_lines_from_bytes(&bytes)
}

/// Reads an image held in memory into lines of words: Tesseract reads it
/// from its standard input (`-`), so no path (and no temporary file) is
/// involved. The bytes are written from another thread so that a Tesseract
/// that stops reading early cannot block this one.
pub fn read_lines_from_bytes(image: &[u8]) -> Result<Vec<OcrLine>, OcrError> {
    use std::io::Write;
    use std::process::Stdio;
    let (prepared, scale) = prepare(image)?;
    let image = prepared.as_slice();
    let mut child = Command::new("tesseract")
        .arg("-")
        .arg("stdout")
        .args(["--psm", "6", "-l", "eng", "tsv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| OcrError::NotInstalled(e.to_string()))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| OcrError::Failed("its input could not be opened".into()))?;
    let out = std::thread::scope(|s| {
        // A write error (Tesseract exited early) shows in its status and stderr.
        s.spawn(move || {
            let _ = stdin.write_all(image);
        });
        child.wait_with_output()
    })
    .map_err(|e| OcrError::Failed(e.to_string()))?;
    if !out.status.success() {
        return Err(OcrError::Failed(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    let mut lines = parse_tsv(&String::from_utf8_lossy(&out.stdout));
    // Boxes in the image's own pixels.
    for w in lines.iter_mut().flat_map(|l| l.words.iter_mut()) {
        w.left /= scale;
        w.top /= scale;
        w.width = w.width.div_ceil(scale);
        w.height = w.height.div_ceil(scale);
    }
    Ok(lines)
}

/// Screens are drawn for eyes, not for Tesseract: 13 px text loses minus
/// signs and turns QQQ into QaQ. The image is made gray, scaled up 2× (when
/// it is not already larger than 2,000 px), and light text on a dark theme is
/// inverted to dark on light. Returns the PNG to read and the scale.
pub fn prepare(bytes: &[u8]) -> Result<(Vec<u8>, u32), OcrError> {
    use image::imageops::{self, FilterType};
    // What the decoder cannot read goes to Tesseract as it is.
    let Ok(img) = image::load_from_memory(bytes) else {
        return Ok((bytes.to_vec(), 1));
    };
    // Transparent pixels on white, as a screen shows them (not black).
    let rgba = img.to_rgba8();
    let gray = image::GrayImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let luma = (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000;
        let a = u32::from(a);
        image::Luma([((luma * a + 255 * (255 - a)) / 255) as u8])
    });
    let (w, h) = gray.dimensions();
    let scale = if w.max(h) <= 2_000 { 2 } else { 1 };
    let mut g = if scale > 1 {
        imageops::resize(&gray, w * scale, h * scale, FilterType::CatmullRom)
    } else {
        gray
    };
    let n = u64::from(g.width()) * u64::from(g.height());
    let mean = g.pixels().map(|p| u64::from(p.0[0])).sum::<u64>() / n.max(1);
    if mean < 128 {
        imageops::invert(&mut g);
    }
    let mut png = Vec::new();
    image::DynamicImage::ImageLuma8(g)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| OcrError::Failed(format!("the image could not be prepared: {e}")))?;
    Ok((png, scale))
}

/// Tesseract's TSV (level, page, block, par, line, word, left, top, width,
/// height, conf, text) → lines of words; empty words are left out.
pub fn parse_tsv(tsv: &str) -> Vec<OcrLine> {
    let mut lines: Vec<((u32, u32, u32), OcrLine)> = Vec::new();
    for row in tsv.lines().skip(1) {
        let f: Vec<&str> = row.splitn(12, '\t').collect();
        if f.len() < 12 || f[0] != "5" {
            continue;
        }
        let text = f[11].trim();
        if text.is_empty() {
            continue;
        }
        let num = |i: usize| f[i].trim().parse::<u32>().unwrap_or(0);
        let conf = f[10].trim().parse::<f32>().unwrap_or(0.0).clamp(0.0, 100.0) / 100.0;
        let key = (num(2), num(3), num(4));
        let word = OcrWord {
            text: text.to_string(),
            confidence: conf,
            left: num(6),
            top: num(7),
            width: num(8),
            height: num(9),
        };
        match lines.last_mut() {
            Some((k, l)) if *k == key => l.words.push(word),
            _ => lines.push((key, OcrLine { words: vec![word] })),
        }
    }
    lines.into_iter().map(|(_, l)| l).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/screenshots")
            .join(name)
    }

    #[test]
    fn tsv_rows_become_lines_of_words_with_confidence() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   1\t1\t0\t0\t0\t0\t0\t0\t760\t200\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t20\t22\t70\t18\t96.5\tAAPL\n\
                   5\t1\t1\t1\t1\t2\t140\t22\t40\t18\t91\tCall\n\
                   5\t1\t1\t1\t2\t1\t20\t62\t40\t18\t12.25\tSPY\n\
                   5\t1\t1\t1\t2\t2\t90\t62\t10\t18\t-1\t \n";
        let lines = parse_tsv(tsv);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text(), "AAPL Call");
        assert_eq!(lines[0].words[0].confidence, 0.965);
        assert_eq!((lines[0].words[1].left, lines[0].words[1].width), (140, 40));
        assert_eq!(lines[1].text(), "SPY");
        assert_eq!(lines[1].words[0].confidence, 0.1225);
    }

    /// The fixtures' every cell, read by the real Tesseract in both themes.
    #[test]
    fn tesseract_reads_every_cell_of_the_fixture_tables() {
        let truth: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(fixture("truth.json")).unwrap()).unwrap();
        for name in ["positions-dark.png", "positions-light.png"] {
            let lines = read_lines(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            let texts: Vec<String> = lines.iter().map(OcrLine::text).collect();
            for row in truth["rows"].as_array().unwrap() {
                let symbol = row["symbol"].as_str().unwrap();
                let line = lines
                    .iter()
                    .find(|l| l.words.first().is_some_and(|w| w.text == symbol))
                    .unwrap_or_else(|| panic!("{name}: no line for {symbol} in {texts:?}"));
                let words: Vec<&str> = line.words.iter().map(|w| w.text.as_str()).collect();
                let qty = row["quantity"].as_i64().unwrap().to_string();
                let price = format!("{:.2}", row["price"].as_f64().unwrap());
                assert!(
                    words.contains(&qty.as_str()),
                    "{name}: {symbol} quantity {qty} in {words:?}"
                );
                assert!(
                    words.contains(&price.as_str()),
                    "{name}: {symbol} price {price} in {words:?}"
                );
                if let Some(exp) = row["expiration"].as_str() {
                    assert!(
                        words.contains(&exp),
                        "{name}: {symbol} expiration {exp} in {words:?}"
                    );
                    let strike = format!("{:.2}", row["strike"].as_f64().unwrap());
                    assert!(
                        words.contains(&strike.as_str()),
                        "{name}: {symbol} strike {strike} in {words:?}"
                    );
                }
                assert!(
                    line.words.iter().all(|w| w.confidence > 0.5),
                    "{name}: clean text reads with confidence: {:?}",
                    line.words
                );
            }
        }
    }
}
