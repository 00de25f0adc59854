//! The key-encryption key (KEK): the one secret outside the database, which
//! seals every zone's private signing keys with AES-256-GCM. It comes from a
//! file (created 0600 on first use) or from the environment; losing it loses
//! the keys it sealed.
//!
//! A sealed key is `version (1) || nonce (12) || ciphertext || tag (16)`.
//! The caller's associated data (the zone id and key id) is authenticated
//! with it, so a sealed row copied to another zone or key does not open.
//! Nonces are random: far below the 2^32 seals per key where random 96-bit
//! nonces start to risk a repeat, since keys are sealed once per rollover.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

/// Octets of the key-encryption key.
pub const KEK_LEN: usize = 32;
/// The sealed format this code writes and reads.
const SEALED_VERSION: u8 = 1;
const TAG_LEN: usize = 16;
const SEALED_OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;

#[derive(Debug, thiserror::Error)]
pub enum KekError {
    #[error("key-encryption key file {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "key-encryption key file {} holds {len} octets; it must hold exactly 32 (the raw key)",
        path.display()
    )]
    WrongFileLength { path: PathBuf, len: u64 },
    #[error(
        "key-encryption key file {} is accessible by group or others (mode {mode:03o}); \
         it must be private to its owner: chmod 600 {}",
        path.display(), path.display()
    )]
    Permissions { path: PathBuf, mode: u32 },
    #[error("key-encryption key file {} is not a regular file", path.display())]
    NotAFile { path: PathBuf },
    #[error("a key-encryption key is 32 octets, not {0}")]
    WrongKeyLength(usize),
    #[error(
        "the key-encryption key value must be 32 octets written as base64 (44 characters) or hex (64 digits)"
    )]
    BadValue,
    #[error("the system's random number generator failed")]
    Random,
    #[error("sealed key is {0} octets, shorter than the 29 of an empty one")]
    SealedTooShort(usize),
    #[error("sealed key has format version {0}; this version of Tern reads version 1")]
    UnknownVersion(u8),
    #[error(
        "sealed key does not open: it was sealed under another key-encryption key, \
         was changed, or belongs to another zone or key"
    )]
    OpenFailed,
}

/// The AES-256-GCM key that seals private keys. `Debug` never shows it.
pub struct KeyEncryptionKey {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl KeyEncryptionKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<KeyEncryptionKey, KekError> {
        if bytes.len() != KEK_LEN {
            return Err(KekError::WrongKeyLength(bytes.len()));
        }
        let unbound = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| KekError::WrongKeyLength(bytes.len()))?;
        Ok(KeyEncryptionKey {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        })
    }

    /// A new random key.
    pub fn generate() -> Result<KeyEncryptionKey, KekError> {
        KeyEncryptionKey::from_bytes(&random_key_bytes()?)
    }

    /// The key from an environment variable's value (`TERN_KEY_ENCRYPTION_KEY`):
    /// 32 octets as standard base64 (44 characters with padding, 43
    /// without; `openssl rand -base64 32`, or `base64 < kek-file`) or as 64
    /// hex digits (`openssl rand -hex 32`). The lengths differ, so a value is
    /// never ambiguous. Surrounding whitespace is ignored.
    pub fn from_env_value(value: &str) -> Result<KeyEncryptionKey, KekError> {
        let value = value.trim();
        let bytes = if value.len() == 2 * KEK_LEN {
            tern_core::text::hex_decode(value)
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(value)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(value))
                .ok()
        };
        match bytes {
            Some(bytes) if bytes.len() == KEK_LEN => KeyEncryptionKey::from_bytes(&bytes),
            _ => Err(KekError::BadValue),
        }
    }

    /// Reads the key file: exactly 32 raw octets, a regular file that group
    /// and others have no access to.
    pub fn load(path: &Path) -> Result<KeyEncryptionKey, KekError> {
        let io_error = |source| KekError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io_error)?;
        let metadata = file.metadata().map_err(io_error)?;
        if !metadata.is_file() {
            return Err(KekError::NotAFile {
                path: path.to_path_buf(),
            });
        }
        check_private(path, &metadata)?;
        if metadata.len() != KEK_LEN as u64 {
            return Err(KekError::WrongFileLength {
                path: path.to_path_buf(),
                len: metadata.len(),
            });
        }
        let mut bytes = Vec::with_capacity(KEK_LEN);
        file.take(KEK_LEN as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(io_error)?;
        if bytes.len() != KEK_LEN {
            return Err(KekError::WrongFileLength {
                path: path.to_path_buf(),
                len: bytes.len() as u64,
            });
        }
        KeyEncryptionKey::from_bytes(&bytes)
    }

    /// Reads the key file, or creates it with a new random key (mode 0600)
    /// when there is none. The directory must exist. Two processes creating
    /// it at once end up with the same key: the file appears complete or not
    /// at all (written aside, then hard-linked into place, which never
    /// replaces a file).
    pub fn load_or_create(path: &Path) -> Result<KeyEncryptionKey, KekError> {
        match KeyEncryptionKey::load(path) {
            Err(KekError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                create_key_file(path)?;
                KeyEncryptionKey::load(path)
            }
            other => other,
        }
    }

    /// Seals `plaintext` (a PKCS#8 private key) bound to `associated_data`.
    pub fn seal(&self, plaintext: &[u8], associated_data: &[u8]) -> Result<Vec<u8>, KekError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| KekError::Random)?;
        let mut sealed = Vec::with_capacity(SEALED_OVERHEAD + plaintext.len());
        sealed.push(SEALED_VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(plaintext);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(versioned_aad(associated_data)),
                &mut sealed[1 + NONCE_LEN..],
            )
            .map_err(|_| KekError::OpenFailed)?;
        sealed.extend_from_slice(tag.as_ref());
        Ok(sealed)
    }

    /// Opens what `seal` made with the same key and associated data.
    pub fn open(&self, sealed: &[u8], associated_data: &[u8]) -> Result<Vec<u8>, KekError> {
        if sealed.len() < SEALED_OVERHEAD {
            return Err(KekError::SealedTooShort(sealed.len()));
        }
        let (&version, rest) = sealed
            .split_first()
            .ok_or(KekError::SealedTooShort(sealed.len()))?;
        if version != SEALED_VERSION {
            return Err(KekError::UnknownVersion(version));
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| KekError::OpenFailed)?;
        let mut buffer = ciphertext.to_vec();
        let plaintext = self
            .key
            .open_in_place(
                nonce,
                Aad::from(versioned_aad(associated_data)),
                &mut buffer,
            )
            .map_err(|_| KekError::OpenFailed)?;
        Ok(plaintext.to_vec())
    }
}

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(..)")
    }
}

/// The format version is authenticated too, so a future format cannot be
/// passed off as this one.
fn versioned_aad(associated_data: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(1 + associated_data.len());
    aad.push(SEALED_VERSION);
    aad.extend_from_slice(associated_data);
    aad
}

fn random_key_bytes() -> Result<[u8; KEK_LEN], KekError> {
    let mut bytes = [0u8; KEK_LEN];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| KekError::Random)?;
    Ok(bytes)
}

#[cfg(unix)]
fn check_private(path: &Path, metadata: &fs::Metadata) -> Result<(), KekError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KekError::Permissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _metadata: &fs::Metadata) -> Result<(), KekError> {
    Ok(())
}

/// Writes a new key beside `path` and links it into place; an existing file
/// at `path` (another process won the race) is left as it is.
fn create_key_file(path: &Path) -> Result<(), KekError> {
    let io_error = |source| KekError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = random_key_bytes()?;
    let aside = aside_path(path)?;
    let written = write_private(&aside, &bytes);
    let linked = written.and_then(|()| fs::hard_link(&aside, path));
    let _ = fs::remove_file(&aside);
    match linked {
        Ok(()) => sync_parent(path).map_err(io_error),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io_error(e)),
    }
}

fn aside_path(path: &Path) -> Result<PathBuf, KekError> {
    let mut suffix = [0u8; 8];
    SystemRandom::new()
        .fill(&mut suffix)
        .map_err(|_| KekError::Random)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = format!(
        ".{file_name}.{}.{}",
        std::process::id(),
        tern_core::text::hex_encode(&suffix)
    );
    Ok(path.with_file_name(name))
}

fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes the new directory entry durable, so the key survives a crash
/// right after the keys it sealed were committed.
fn sync_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => File::open(parent)?.sync_all(),
        _ => File::open(".")?.sync_all(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(fill: u8) -> KeyEncryptionKey {
        KeyEncryptionKey::from_bytes(&[fill; KEK_LEN]).expect("key")
    }

    #[test]
    fn sealed_keys_open_with_the_same_key_and_binding() {
        let kek = key(7);
        let sealed = kek.seal(b"pkcs8 secret", b"zone-1|key-1").expect("seal");
        assert_eq!(sealed.len(), SEALED_OVERHEAD + 12);
        assert_eq!(sealed[0], SEALED_VERSION);
        assert_eq!(
            kek.open(&sealed, b"zone-1|key-1").expect("open"),
            b"pkcs8 secret"
        );
        let empty = kek.seal(b"", b"").expect("seal");
        assert_eq!(kek.open(&empty, b"").expect("open"), b"");
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let kek = key(7);
        let a = kek.seal(b"same", b"ad").expect("seal");
        let b = kek.seal(b"same", b"ad").expect("seal");
        assert_ne!(a, b);
    }

    #[test]
    fn another_binding_or_key_does_not_open() {
        let kek = key(7);
        let sealed = kek.seal(b"secret", b"zone-1|key-1").expect("seal");
        for ad in [&b"zone-2|key-1"[..], b"zone-1|key-2", b""] {
            assert!(matches!(kek.open(&sealed, ad), Err(KekError::OpenFailed)));
        }
        assert!(matches!(
            key(8).open(&sealed, b"zone-1|key-1"),
            Err(KekError::OpenFailed)
        ));
    }

    #[test]
    fn any_changed_octet_is_detected() {
        let kek = key(7);
        let sealed = kek.seal(b"secret key material", b"ad").expect("seal");
        for i in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[i] ^= 0x01;
            let err = kek.open(&tampered, b"ad").expect_err("tampered");
            if i == 0 {
                assert!(matches!(err, KekError::UnknownVersion(0)), "{err}");
            } else {
                assert!(matches!(err, KekError::OpenFailed), "{i}: {err}");
            }
        }
        for len in [0, 1, SEALED_OVERHEAD - 1] {
            let err = kek.open(&sealed[..len], b"ad").expect_err("short");
            assert!(matches!(err, KekError::SealedTooShort(_)), "{err}");
        }
        let err = kek
            .open(&sealed[..sealed.len() - 1], b"ad")
            .expect_err("cut");
        assert!(matches!(err, KekError::OpenFailed), "{err}");
    }

    #[test]
    fn env_values_in_base64_or_hex() {
        let bytes: Vec<u8> = (0..32).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let b64_no_pad = b64.trim_end_matches('=').to_string();
        let hex = tern_core::text::hex_encode(&bytes);
        let sealed = KeyEncryptionKey::from_bytes(&bytes)
            .expect("key")
            .seal(b"x", b"")
            .expect("seal");
        for value in [
            b64.clone(),
            b64_no_pad,
            hex.clone(),
            hex.to_lowercase(),
            format!("  {b64}\n"),
        ] {
            let kek = KeyEncryptionKey::from_env_value(&value).expect("value");
            assert_eq!(kek.open(&sealed, b"").expect("open"), b"x", "{value}");
        }
    }

    #[test]
    fn bad_env_values_are_refused_without_echoing_them() {
        let short = base64::engine::general_purpose::STANDARD.encode([1u8; 31]);
        let long_hex = "ab".repeat(33);
        for value in [
            "",
            "not a key",
            short.as_str(),
            long_hex.as_str(),
            &"zz".repeat(32),
        ] {
            let err = KeyEncryptionKey::from_env_value(value).expect_err("bad");
            assert!(matches!(err, KekError::BadValue), "{value}: {err}");
            if !value.is_empty() {
                assert!(!err.to_string().contains(value));
            }
        }
        assert!(matches!(
            KeyEncryptionKey::from_bytes(&[0; 16]),
            Err(KekError::WrongKeyLength(16))
        ));
    }

    #[test]
    fn debug_does_not_show_the_key() {
        assert_eq!(format!("{:?}", key(7)), "KeyEncryptionKey(..)");
    }
}
