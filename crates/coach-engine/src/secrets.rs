//! API keys and the Sentry DSN: kept in the OS keychain where one exists.
//!
//! Where there is none (headless Linux, CI) secrets fall back to a file in the
//! data directory readable only by the user, and that fallback is announced
//! loudly: in the log, in `coach doctor` and in the app's settings. Secret
//! values never reach a log line, an error message or the database: the
//! [`Secret`] type redacts itself in `Debug` and `Display`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A secret value. Its `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    /// The only way to read the value; grep for it to audit where secrets go.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// The secrets the app knows about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SecretName {
    MassiveApiKey,
    OpenaiApiKey,
    SentryDsn,
    /// The password of the SMTP account alert emails are sent from.
    SmtpPassword,
}

impl SecretName {
    pub const ALL: [SecretName; 4] = [
        SecretName::MassiveApiKey,
        SecretName::OpenaiApiKey,
        SecretName::SentryDsn,
        SecretName::SmtpPassword,
    ];

    pub fn key(self) -> &'static str {
        match self {
            SecretName::MassiveApiKey => "massive_api_key",
            SecretName::OpenaiApiKey => "openai_api_key",
            SecretName::SentryDsn => "sentry_dsn",
            SecretName::SmtpPassword => "smtp_password",
        }
    }

    pub fn env_var(self) -> &'static str {
        match self {
            SecretName::MassiveApiKey => "MASSIVE_API_KEY",
            SecretName::OpenaiApiKey => "OPENAI_API_KEY",
            SecretName::SentryDsn => "SENTRY_DSN",
            SecretName::SmtpPassword => "COACH_SMTP_PASSWORD",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SecretName::MassiveApiKey => "Massive API key",
            SecretName::OpenaiApiKey => "OpenAI API key",
            SecretName::SentryDsn => "Sentry DSN",
            SecretName::SmtpPassword => "SMTP password (alert emails)",
        }
    }
}

/// Where stored secrets live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SecretBackendKind {
    Keychain,
    File,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("the OS keychain refused to {action} the {label}: {detail}")]
    Keychain {
        action: &'static str,
        label: &'static str,
        detail: String,
    },
    #[error("the secrets file {path} could not be {action}: {detail}")]
    File {
        path: PathBuf,
        action: &'static str,
        detail: String,
    },
    #[error("the {0} cannot be empty; use clear to remove it")]
    Empty(&'static str),
}

const SERVICE: &str = "ai-coach";

enum Backend {
    #[cfg(any(
        target_os = "linux",
        target_os = "macos",
        target_os = "ios",
        target_os = "windows"
    ))]
    Keychain,
    File(PathBuf),
}

/// The place secrets are kept, chosen once at start.
pub struct SecretStore {
    backend: Backend,
    warning: Option<String>,
}

impl SecretStore {
    /// Opens the keychain if one answers, else the file fallback.
    /// `COACH_SECRET_BACKEND=file` forces the file (tests, CI); `=keychain` refuses the fallback.
    pub fn open(data_dir: &Path) -> SecretStore {
        let forced = std::env::var("COACH_SECRET_BACKEND").ok();
        match forced.as_deref() {
            Some("file") => {
                return Self::file(
                    data_dir,
                    "The file backend was chosen with COACH_SECRET_BACKEND=file".into(),
                )
            }
            Some("keychain") => {
                if let Some(store) = Self::keychain() {
                    return store;
                }
                tracing::error!("COACH_SECRET_BACKEND=keychain but no OS keychain answers; secrets cannot be read or saved");
            }
            _ => {
                if let Some(store) = Self::keychain() {
                    return store;
                }
            }
        }
        Self::file(
            data_dir,
            "No OS keychain is available on this machine".to_string(),
        )
    }

    /// A store backed only by the file in `data_dir` (used by tests and CI).
    pub fn file(data_dir: &Path, why: String) -> SecretStore {
        let path = data_dir.join("secrets.json");
        let warning = format!(
            "{why}: secrets are kept in {} (readable only by your user account). Prefer environment variables or a system keychain.",
            path.display()
        );
        tracing::warn!("{warning}");
        SecretStore {
            backend: Backend::File(path),
            warning: Some(warning),
        }
    }

    #[cfg(any(
        target_os = "linux",
        target_os = "macos",
        target_os = "ios",
        target_os = "windows"
    ))]
    fn keychain() -> Option<SecretStore> {
        // A read of an entry that need not exist tells whether a keychain answers at all.
        let probe = keyring::Entry::new(SERVICE, "probe").ok()?;
        match probe.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Some(SecretStore {
                backend: Backend::Keychain,
                warning: None,
            }),
            Err(e) => {
                tracing::info!(error = %e, "OS keychain unavailable");
                None
            }
        }
    }

    #[cfg(not(any(
        target_os = "linux",
        target_os = "macos",
        target_os = "ios",
        target_os = "windows"
    )))]
    fn keychain() -> Option<SecretStore> {
        None
    }

    pub fn kind(&self) -> SecretBackendKind {
        match self.backend {
            #[cfg(any(
                target_os = "linux",
                target_os = "macos",
                target_os = "ios",
                target_os = "windows"
            ))]
            Backend::Keychain => SecretBackendKind::Keychain,
            Backend::File(_) => SecretBackendKind::File,
        }
    }

    /// Why secrets are not in a keychain, when they are not.
    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }

    pub fn get(&self, name: SecretName) -> Result<Option<Secret>, SecretsError> {
        match &self.backend {
            #[cfg(any(
                target_os = "linux",
                target_os = "macos",
                target_os = "ios",
                target_os = "windows"
            ))]
            Backend::Keychain => {
                let entry = keychain_entry(name, "read")?;
                match entry.get_password() {
                    Ok(v) if !v.is_empty() => Ok(Some(Secret::new(v))),
                    Ok(_) | Err(keyring::Error::NoEntry) => Ok(None),
                    Err(e) => Err(keychain_error("read", name, e)),
                }
            }
            Backend::File(path) => Ok(read_file(path)?.remove(name.key()).map(Secret::new)),
        }
    }

    pub fn set(&self, name: SecretName, value: &str) -> Result<(), SecretsError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(SecretsError::Empty(name.label()));
        }
        match &self.backend {
            #[cfg(any(
                target_os = "linux",
                target_os = "macos",
                target_os = "ios",
                target_os = "windows"
            ))]
            Backend::Keychain => keychain_entry(name, "save")?
                .set_password(value)
                .map_err(|e| keychain_error("save", name, e)),
            Backend::File(path) => {
                let mut all = read_file(path)?;
                all.insert(name.key().to_string(), value.to_string());
                write_file(path, &all)
            }
        }
    }

    pub fn clear(&self, name: SecretName) -> Result<(), SecretsError> {
        match &self.backend {
            #[cfg(any(
                target_os = "linux",
                target_os = "macos",
                target_os = "ios",
                target_os = "windows"
            ))]
            Backend::Keychain => match keychain_entry(name, "remove")?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(keychain_error("remove", name, e)),
            },
            Backend::File(path) => {
                let mut all = read_file(path)?;
                if all.remove(name.key()).is_some() {
                    write_file(path, &all)?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(any(
    target_os = "linux",
    target_os = "macos",
    target_os = "ios",
    target_os = "windows"
))]
fn keychain_entry(name: SecretName, action: &'static str) -> Result<keyring::Entry, SecretsError> {
    keyring::Entry::new(SERVICE, name.key()).map_err(|e| keychain_error(action, name, e))
}

#[cfg(any(
    target_os = "linux",
    target_os = "macos",
    target_os = "ios",
    target_os = "windows"
))]
fn keychain_error(action: &'static str, name: SecretName, e: keyring::Error) -> SecretsError {
    SecretsError::Keychain {
        action,
        label: name.label(),
        // keyring's messages describe the platform failure, never the value.
        detail: e.to_string(),
    }
}

fn read_file(path: &Path) -> Result<BTreeMap<String, String>, SecretsError> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| SecretsError::File {
            path: path.to_path_buf(),
            action: "read",
            // serde_json reports positions, not contents.
            detail: format!("it is not a JSON object of strings ({e})"),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(SecretsError::File {
            path: path.to_path_buf(),
            action: "read",
            detail: e.to_string(),
        }),
    }
}

fn write_file(path: &Path, all: &BTreeMap<String, String>) -> Result<(), SecretsError> {
    let err = |action, e: std::io::Error| SecretsError::File {
        path: path.to_path_buf(),
        action,
        detail: e.to_string(),
    };
    let text = serde_json::to_string_pretty(all).unwrap_or_else(|_| "{}".into());
    let tmp = path.with_extension("json.tmp");
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(|e| err("written", e))?;
        f.write_all(text.as_bytes())
            .map_err(|e| err("written", e))?;
        f.sync_all().map_err(|e| err("written", e))?;
    }
    // Rename is atomic: a crash leaves the old file or the new one, never half of one.
    std::fs::rename(&tmp, path).map_err(|e| err("replaced", e))
}

/// Whether a secret is set and where it came from (never its value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SecretInfo {
    pub name: SecretName,
    pub label: String,
    pub env_var: String,
    pub set: bool,
    /// "env" when an environment variable provides it (it then wins over the stored value).
    pub source: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print_their_value() {
        let s = Secret::new("sk-live-123");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert!(
            !format!("{:?}", Some(s.clone())).contains("sk-live"),
            "nor inside other Debug output"
        );
    }

    #[test]
    fn file_fallback_round_trips_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let store = SecretStore::file(dir.path(), "test".into());
        assert_eq!(store.kind(), SecretBackendKind::File);
        assert!(
            store.warning().unwrap().contains("secrets.json"),
            "the warning says where the file is"
        );
        assert_eq!(store.get(SecretName::MassiveApiKey).unwrap(), None);
        store.set(SecretName::MassiveApiKey, " abc ").unwrap();
        assert_eq!(
            store
                .get(SecretName::MassiveApiKey)
                .unwrap()
                .unwrap()
                .expose(),
            "abc",
            "values are trimmed"
        );
        assert_eq!(
            store.get(SecretName::OpenaiApiKey).unwrap(),
            None,
            "other names are untouched"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secrets.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(
                mode & 0o077,
                0,
                "no access for group or others (mode {mode:o})"
            );
        }
        store.clear(SecretName::MassiveApiKey).unwrap();
        assert_eq!(store.get(SecretName::MassiveApiKey).unwrap(), None);
        assert!(matches!(
            store.set(SecretName::SentryDsn, "  "),
            Err(SecretsError::Empty(_))
        ));
    }

    #[test]
    fn a_damaged_secrets_file_is_an_error_that_does_not_leak_contents() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("secrets.json"), "sk-oops-not-json").unwrap();
        let store = SecretStore::file(dir.path(), "test".into());
        let msg = store.get(SecretName::OpenaiApiKey).unwrap_err().to_string();
        assert!(msg.contains("not a JSON object"), "{msg}");
        assert!(
            !msg.contains("sk-oops"),
            "the file's contents never reach the message: {msg}"
        );
    }
}
