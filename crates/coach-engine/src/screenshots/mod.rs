//! Screenshots: broker screens become positions. Images are stored by
//! content (the same image twice is one file), checked to be a PNG, JPEG or
//! WebP of at most 10 MB by their bytes (never their name), read (by the
//! model's vision or by Tesseract), parsed into positions with a confidence
//! per field, and checked against the market. Text read from an image is
//! data: nothing here acts on it, and nothing here writes a position (the
//! user's Confirm in the chat does).
//!
//! [`analyze_bytes`] reads a screen with the model's vision when one is
//! configured ([`vision`]) and with Tesseract otherwise.

pub mod checks;
pub mod ocr;
pub mod vision;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::config::AiConfig;
use crate::error_code::{Coded, ErrorCode};
use crate::market::Market;
use crate::options_chain::OptionsDesk;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;

/// What `coach screenshot analyze` prints: the reader used and what it read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// "ocr" (Tesseract) or "vision" (the model).
    pub reader: String,
    #[serde(flatten)]
    pub extraction: coach_core::screenshot::Extraction,
}

/// Reads a positions screen with Tesseract and the table parser. `today`
/// gives the year of dates shown without one.
pub fn analyze_offline(
    image: &Path,
    today: chrono::NaiveDate,
) -> Result<Analysis, ScreenshotError> {
    let bytes = read_image_file(image)?;
    analyze_offline_bytes(&bytes, today)
}

/// An image file's bytes, refused by its size before it is read (a huge
/// file, or /dev/zero, is never read) and when it is not a file.
pub fn read_image_file(image: &Path) -> Result<Vec<u8>, ScreenshotError> {
    let read_err = |e: std::io::Error| ScreenshotError::Read {
        path: image.to_path_buf(),
        detail: e.to_string(),
    };
    let meta = std::fs::metadata(image).map_err(read_err)?;
    if !meta.is_file() {
        return Err(ScreenshotError::NotAnImage("it is not a file".into()));
    }
    if meta.len() > MAX_IMAGE_BYTES as u64 {
        return Err(ScreenshotError::TooLarge(meta.len() as usize));
    }
    // Read no more than the limit allows, should the file grow meanwhile.
    use std::io::Read;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(image)
        .and_then(|f| f.take(MAX_IMAGE_BYTES as u64 + 1).read_to_end(&mut bytes))
        .map_err(read_err)?;
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ScreenshotError::TooLarge(bytes.len()));
    }
    Ok(bytes)
}

/// What the image is, when it is one this app takes: a PNG, JPEG or WebP of
/// at most 10 MB and 100 million pixels.
pub fn check_image(bytes: &[u8]) -> Result<ImageKind, ScreenshotError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ScreenshotError::TooLarge(bytes.len()));
    }
    let kind = sniff(bytes)?;
    // The size from the header; what our reader cannot find there (a JPEG
    // padded between its markers), the image crate's decoder reads. An image
    // whose size cannot be read is not taken: it could be any size.
    let size = dimensions(kind, bytes).or_else(|| {
        image::ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .ok()?
            .into_dimensions()
            .ok()
    });
    let Some((w, h)) = size else {
        return Err(ScreenshotError::NotAnImage(
            "its width and height cannot be read".into(),
        ));
    };
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(ScreenshotError::NotAnImage(format!(
            "{w}×{h} pixels is larger than a screen"
        )));
    }
    Ok(kind)
}

/// [`analyze_offline`] for an image in memory. Tesseract reads the bytes
/// from its standard input, so no path reaches it (a path `-` or one with a
/// leading dash would be read as stdin or an option).
pub fn analyze_offline_bytes(
    bytes: &[u8],
    today: chrono::NaiveDate,
) -> Result<Analysis, ScreenshotError> {
    Ok(Analysis {
        reader: "ocr".into(),
        extraction: coach_core::screenshot::parse(&ocr_lines(bytes)?, today),
    })
}

/// Tesseract's lines of an image in memory, as the parser takes them.
fn ocr_lines(bytes: &[u8]) -> Result<Vec<coach_core::screenshot::Line>, ScreenshotError> {
    check_image(bytes)?;
    let lines =
        ocr::read_lines_from_bytes(bytes).map_err(|e| ScreenshotError::Ocr(e.to_string()))?;
    Ok(lines
        .into_iter()
        .map(|l| coach_core::screenshot::Line {
            words: l
                .words
                .into_iter()
                .map(|w| coach_core::screenshot::Word {
                    text: w.text,
                    confidence: w.confidence,
                    left: w.left,
                    width: w.width,
                })
                .collect(),
        })
        .collect())
}

/// Reads a positions screen in memory: with a model configured (and not
/// `offline`) the model's vision reads it (reader "vision") and its answer
/// is validated field by field; otherwise, or when the model cannot take
/// images, its answer is not usable or it cannot be reached within
/// `timeout`, Tesseract reads it (reader "ocr") and a warning says why.
/// Shared by the chat and `coach screenshot analyze`. The image and the API
/// key are never logged.
pub async fn analyze_bytes(
    bytes: &[u8],
    ai: &crate::config::AiConfig,
    offline: bool,
    today: chrono::NaiveDate,
    timeout: std::time::Duration,
) -> Result<Analysis, ScreenshotError> {
    analyze_bytes_with(bytes, ai, offline, today, timeout, &|_| {}).await
}

/// [`analyze_bytes`], telling `progress` each step as it starts: reading
/// (the model's request, or Tesseract), then extracting (validating the
/// model's answer, or parsing the words into positions).
pub async fn analyze_bytes_with(
    bytes: &[u8],
    ai: &crate::config::AiConfig,
    offline: bool,
    today: chrono::NaiveDate,
    timeout: std::time::Duration,
    progress: &(dyn Fn(Step) + Send + Sync),
) -> Result<Analysis, ScreenshotError> {
    let kind = check_image(bytes)?;
    let mut fallback = None;
    if let (
        false,
        crate::config::AiConfig::Model {
            base_url,
            model,
            api_key,
        },
    ) = (offline, ai)
    {
        let key = api_key.as_ref().map(|k| k.expose());
        progress(Step::Reading);
        let read = match vision::ask(base_url, key, model, bytes, kind, today, timeout).await {
            Ok(answer) => {
                progress(Step::Extracting);
                vision::validate(&answer, today)
            }
            Err(e) => Err(e),
        };
        match read {
            Ok(extraction) => {
                return Ok(Analysis {
                    reader: "vision".into(),
                    extraction,
                })
            }
            Err(e) => {
                tracing::warn!(error = %e, "the model did not read the screenshot; reading it with OCR");
                fallback = Some(e.fallback_warning());
            }
        }
    }
    progress(Step::Reading);
    let owned = bytes.to_vec();
    let lines = tokio::task::spawn_blocking(move || ocr_lines(&owned))
        .await
        .map_err(|e| ScreenshotError::Ocr(format!("the OCR task failed: {e}")))??;
    progress(Step::Extracting);
    let mut a = Analysis {
        reader: "ocr".into(),
        extraction: coach_core::screenshot::parse(&lines, today),
    };
    if let Some(w) = fallback {
        a.extraction.warnings.insert(0, w);
    }
    Ok(a)
}

/// The largest image accepted.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;

/// The most pixels an image may declare (a 10,000 × 10,000 screen).
pub const MAX_PIXELS: u64 = 100_000_000;

/// What an image is, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ImageKind {
    Png,
    Jpeg,
    Webp,
}

impl ImageKind {
    pub fn extension(self) -> &'static str {
        match self {
            ImageKind::Png => "png",
            ImageKind::Jpeg => "jpg",
            ImageKind::Webp => "webp",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Webp => "image/webp",
        }
    }
}

/// An image as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoredImage {
    /// Lower-case hex SHA-256 of the bytes: the image's name.
    pub sha256: String,
    pub kind: ImageKind,
    #[ts(type = "number")]
    pub bytes: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScreenshotError {
    #[error("the file is empty")]
    Empty,
    #[error("the image is {0} bytes; images up to 10 MB are accepted")]
    TooLarge(usize),
    #[error("this is not a PNG, JPEG or WebP image ({0})")]
    NotAnImage(String),
    #[error("there is no stored image {0}")]
    NotFound(String),
    #[error("{0}")]
    Ocr(String),
    #[error("{path} could not be read: {detail}")]
    Read { path: PathBuf, detail: String },
    #[error("the image store at {path} failed: {detail}")]
    Io { path: PathBuf, detail: String },
}

impl Coded for ScreenshotError {
    fn code(&self) -> ErrorCode {
        match self {
            ScreenshotError::NotFound(_) => ErrorCode::NotFound,
            ScreenshotError::Ocr(_) | ScreenshotError::Io { .. } => ErrorCode::Unavailable,
            _ => ErrorCode::InvalidInput,
        }
    }
}

/// The steps of an analysis, reported as they start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The image is being read (OCR, or the model's vision).
    Reading,
    /// What was read is being turned into positions.
    Extracting,
    /// The positions are being checked against the market.
    Checking,
}

/// The screenshots component: the image store, and reading an image into
/// checked positions.
pub struct Screenshots {
    store: ImageStore,
    ai: AiConfig,
    timeout: Duration,
    options: Arc<OptionsDesk>,
    market: Arc<Market>,
}

impl Screenshots {
    pub fn new(
        data_dir: &Path,
        ai: AiConfig,
        timeout: Duration,
        options: Arc<OptionsDesk>,
        market: Arc<Market>,
    ) -> Screenshots {
        Screenshots {
            store: ImageStore::new(data_dir),
            ai,
            timeout,
            options,
            market,
        }
    }

    /// Checks and stores an image (the same bytes again are the same image).
    pub async fn put(&self, bytes: Vec<u8>) -> Result<StoredImage, ScreenshotError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.put(&bytes))
            .await
            .map_err(|e| ScreenshotError::Ocr(format!("the image could not be stored: {e}")))?
    }

    /// [`Screenshots::put`] for bytes sent as base64 (a `data:` URL's prefix is allowed).
    pub async fn put_base64(&self, data: &str) -> Result<StoredImage, ScreenshotError> {
        use base64::Engine as _;
        let b64 = match data.split_once(";base64,") {
            Some((head, rest)) if head.starts_with("data:") => rest,
            _ => data,
        };
        // 4 characters carry 3 bytes: refuse what is too large before decoding it.
        if b64.len() / 4 * 3 > MAX_IMAGE_BYTES + 3 {
            return Err(ScreenshotError::TooLarge(b64.len() / 4 * 3));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|e| ScreenshotError::NotAnImage(format!("its base64 is not valid: {e}")))?;
        self.put(bytes).await
    }

    /// A stored image as a `data:` URL (for the UI to draw).
    pub async fn data_url(&self, sha256: &str) -> Result<String, ScreenshotError> {
        use base64::Engine as _;
        let (info, bytes) = self.get(sha256).await?;
        Ok(format!(
            "data:{};base64,{}",
            info.kind.mime(),
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ))
    }

    /// Whether the image `sha256` is in this data directory (its file, not read).
    pub fn has(&self, sha256: &str) -> bool {
        self.store.path(sha256).is_ok()
    }

    /// A stored image and its bytes.
    pub async fn get(&self, sha256: &str) -> Result<(StoredImage, Vec<u8>), ScreenshotError> {
        let path = self.store.path(sha256)?;
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| ScreenshotError::Read {
                path: path.clone(),
                detail: e.to_string(),
            })?;
        let kind = sniff(&bytes)?;
        let (width, height) = dimensions(kind, &bytes).unzip();
        let info = StoredImage {
            sha256: sha256.to_ascii_lowercase(),
            kind,
            bytes: bytes.len() as u64,
            width,
            height,
        };
        Ok((info, bytes))
    }

    /// The market's date in New York: dates shown without a year are read against it.
    pub fn today(&self) -> chrono::NaiveDate {
        self.market
            .clock()
            .now()
            .with_timezone(&chrono_tz::America::New_York)
            .date_naive()
    }

    /// Reads the stored image `sha256` into positions and checks them
    /// against the market, telling `progress` each step as it starts.
    /// Returns the image as stored and what was read.
    pub async fn analyze(
        &self,
        sha256: &str,
        progress: &(dyn Fn(Step) + Send + Sync),
    ) -> Result<(StoredImage, Analysis), ScreenshotError> {
        let (image, bytes) = self.get(sha256).await?;
        let analysis = self.analyze_image(&bytes, false, progress).await?;
        Ok((image, analysis))
    }

    /// Reads an image in memory (not stored) into positions checked against
    /// the market: the model's vision unless `offline` (or no model).
    pub async fn analyze_image(
        &self,
        bytes: &[u8],
        offline: bool,
        progress: &(dyn Fn(Step) + Send + Sync),
    ) -> Result<Analysis, ScreenshotError> {
        let today = self.today();
        let mut analysis =
            analyze_bytes_with(bytes, &self.ai, offline, today, self.timeout, progress).await?;
        progress(Step::Checking);
        checks::check_against_market(&mut analysis.extraction, &self.options, &self.market).await;
        Ok(analysis)
    }
}

/// The kind of image `bytes` hold, by their signature.
pub fn sniff(bytes: &[u8]) -> Result<ImageKind, ScreenshotError> {
    if bytes.is_empty() {
        return Err(ScreenshotError::Empty);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(ImageKind::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok(ImageKind::Jpeg)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Ok(ImageKind::Webp)
    } else {
        let head: String = bytes
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        Err(ScreenshotError::NotAnImage(format!(
            "it starts with {head}"
        )))
    }
}

/// Width and height from the image's header, when it can be read.
pub fn dimensions(kind: ImageKind, b: &[u8]) -> Option<(u32, u32)> {
    let be32 =
        |i: usize| -> Option<u32> { Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?)) };
    let be16 = |i: usize| -> Option<u32> {
        Some(u32::from(u16::from_be_bytes(
            b.get(i..i + 2)?.try_into().ok()?,
        )))
    };
    let le16 = |i: usize| -> Option<u32> {
        Some(u32::from(u16::from_le_bytes(
            b.get(i..i + 2)?.try_into().ok()?,
        )))
    };
    let le24 = |i: usize| -> Option<u32> {
        let s = b.get(i..i + 3)?;
        Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
    };
    match kind {
        // IHDR is the first chunk: width and height at 16 and 20.
        ImageKind::Png => Some((be32(16)?, be32(20)?)),
        ImageKind::Jpeg => {
            // Walk the markers to the first start-of-frame.
            let mut i = 2;
            while i + 9 < b.len() {
                if b[i] != 0xFF {
                    return None;
                }
                let marker = b[i + 1];
                let len = be16(i + 2)? as usize;
                let sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
                if sof {
                    return Some((be16(i + 7)?, be16(i + 5)?));
                }
                i += 2 + len;
            }
            None
        }
        ImageKind::Webp => match b.get(12..16)? {
            b"VP8 " => Some((le16(26)? & 0x3FFF, le16(28)? & 0x3FFF)),
            b"VP8L" => {
                let v = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
                Some(((v & 0x3FFF) + 1, ((v >> 14) & 0x3FFF) + 1))
            }
            b"VP8X" => Some((le24(24)? + 1, le24(27)? + 1)),
            _ => None,
        },
    }
}

/// Images in `<data dir>/images/<sha256>.<ext>`.
#[derive(Debug, Clone)]
pub struct ImageStore {
    dir: PathBuf,
}

impl ImageStore {
    pub fn new(data_dir: &Path) -> ImageStore {
        ImageStore {
            dir: data_dir.join("images"),
        }
    }

    fn io(&self, e: std::io::Error) -> ScreenshotError {
        ScreenshotError::Io {
            path: self.dir.clone(),
            detail: e.to_string(),
        }
    }

    /// Checks and stores `bytes`; the same image again is the same file.
    pub fn put(&self, bytes: &[u8]) -> Result<StoredImage, ScreenshotError> {
        if bytes.len() > MAX_IMAGE_BYTES {
            return Err(ScreenshotError::TooLarge(bytes.len()));
        }
        let kind = check_image(bytes)?;
        let sha256: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        std::fs::create_dir_all(&self.dir).map_err(|e| self.io(e))?;
        let path = self.dir.join(format!("{sha256}.{}", kind.extension()));
        if !path.exists() {
            // Through a temporary file: a crash never leaves half an image
            // under the name of the whole one.
            let tmp = self.dir.join(format!(
                ".{sha256}.tmp-{}-{:08x}",
                std::process::id(),
                rand::random::<u32>()
            ));
            let written = (|| {
                use std::io::Write;
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(bytes)?;
                f.sync_all()?;
                std::fs::rename(&tmp, &path)
            })();
            if let Err(e) = written {
                let _ = std::fs::remove_file(&tmp);
                // Another writer of the same image got there first: it is stored.
                if !path.exists() {
                    return Err(self.io(e));
                }
            }
        }
        let (width, height) = dimensions(kind, bytes).unzip();
        Ok(StoredImage {
            sha256,
            kind,
            bytes: bytes.len() as u64,
            width,
            height,
        })
    }

    /// Where the stored image `sha256` is.
    pub fn path(&self, sha256: &str) -> Result<PathBuf, ScreenshotError> {
        let ok = sha256.len() == 64 && sha256.bytes().all(|c| c.is_ascii_hexdigit());
        let sha256 = &sha256.to_ascii_lowercase();
        if ok {
            for kind in [ImageKind::Png, ImageKind::Jpeg, ImageKind::Webp] {
                let p = self.dir.join(format!("{sha256}.{}", kind.extension()));
                if p.exists() {
                    return Ok(p);
                }
            }
        }
        Err(ScreenshotError::NotFound(sha256.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/screenshots")
            .join(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    /// Every field of both fixture themes, through Tesseract and the parser.
    #[test]
    fn the_fixture_tables_read_into_their_positions() {
        let truth: serde_json::Value = serde_json::from_slice(&fixture("truth.json")).unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2024, 7, 1).unwrap();
        for name in ["positions-dark.png", "positions-light.png"] {
            let p = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/fixtures/screenshots")
                .join(name);
            let a = analyze_offline(&p, today).unwrap();
            assert_eq!(a.reader, "ocr");
            assert!(
                a.extraction.warnings.is_empty(),
                "{name}: {:?}",
                a.extraction.warnings
            );
            let rows = truth["rows"].as_array().unwrap();
            assert_eq!(a.extraction.positions.len(), rows.len(), "{name}");
            for (got, want) in a.extraction.positions.iter().zip(rows) {
                let v = serde_json::to_value(got).unwrap();
                for k in ["kind", "quantity", "strike", "expiration", "price"] {
                    if want[k].is_number() {
                        assert_eq!(
                            v[k].as_f64(),
                            want[k].as_f64(),
                            "{name}: {k} of {}",
                            want["symbol"]
                        );
                    } else {
                        assert_eq!(v[k], want[k], "{name}: {k} of {}", want["symbol"]);
                    }
                }
                assert_eq!(v["underlying"], want["symbol"], "{name}");
                assert!(
                    got.confidence.quantity > 0.5 && got.confidence.price > 0.5,
                    "{name}: {got:?}"
                );
            }
        }
    }

    #[test]
    fn the_same_image_is_stored_once_under_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::new(dir.path());
        let png = fixture("positions-dark.png");
        let a = store.put(&png).unwrap();
        let b = store.put(&png).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.kind, ImageKind::Png);
        assert_eq!((a.width, a.height), (Some(760), Some(200)));
        assert_eq!(a.sha256.len(), 64);
        let files: Vec<_> = std::fs::read_dir(dir.path().join("images"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            files,
            [format!("{}.png", a.sha256)],
            "one file, no temporary left"
        );
        assert_eq!(std::fs::read(store.path(&a.sha256).unwrap()).unwrap(), png);
        let other = store.put(&fixture("positions-light.png")).unwrap();
        assert_ne!(other.sha256, a.sha256);
        assert!(
            store.path("../../etc/passwd").is_err(),
            "only a hash names an image"
        );
    }

    #[test]
    fn only_png_jpeg_and_webp_up_to_10_mb_are_taken_by_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::new(dir.path());
        assert!(matches!(store.put(b""), Err(ScreenshotError::Empty)));
        let err = store.put(b"%PDF-1.7 not an image").unwrap_err();
        assert!(err.to_string().contains("not a PNG, JPEG or WebP"), "{err}");
        let big = vec![0u8; MAX_IMAGE_BYTES + 1];
        assert!(matches!(store.put(&big), Err(ScreenshotError::TooLarge(_))));
        // A few bytes that declare 60,000 × 60,000 pixels: never stored (the
        // webview would decode it for the thumbnail).
        let mut bomb = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        bomb.extend_from_slice(&60_000u32.to_be_bytes());
        bomb.extend_from_slice(&60_000u32.to_be_bytes());
        bomb.extend_from_slice(&[8, 0, 0, 0, 0]);
        let err = store.put(&bomb).unwrap_err();
        assert!(err.to_string().contains("60000×60000 pixels"), "{err}");
        // A minimal JPEG header (SOF0 with 320×240) and a WebP VP8X header (640×480).
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00,
            0xF0, 0x01, 0x40, 0x03, 0x00, 0x00,
        ];
        assert_eq!(sniff(&jpeg).unwrap(), ImageKind::Jpeg);
        assert_eq!(dimensions(ImageKind::Jpeg, &jpeg), Some((320, 240)));
        let mut webp = b"RIFF\0\0\0\0WEBPVP8X".to_vec();
        webp.extend_from_slice(&[0; 8]);
        webp.extend_from_slice(&[0x7F, 0x02, 0x00, 0xDF, 0x01, 0x00]);
        assert_eq!(sniff(&webp).unwrap(), ImageKind::Webp);
        assert_eq!(dimensions(ImageKind::Webp, &webp), Some((640, 480)));
    }
}
