//! The key-encryption key file on disk: created 0600 on first use, the same
//! key on every later load, and refused with a clear error when it is
//! readable by others, the wrong size or not a file.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use tern_dnssec::{KEK_LEN, KekError, KeyEncryptionKey};

fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

#[test]
fn created_private_on_first_use_and_the_same_key_after() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kek");
    let first = KeyEncryptionKey::load_or_create(&path).expect("create");
    assert_eq!(mode(&path), 0o600);
    assert_eq!(fs::read(&path).expect("read").len(), KEK_LEN);
    let sealed = first.seal(b"private key", b"zone|key").expect("seal");

    let again = KeyEncryptionKey::load_or_create(&path).expect("load");
    assert_eq!(
        again.open(&sealed, b"zone|key").expect("open"),
        b"private key"
    );
    let loaded = KeyEncryptionKey::load(&path).expect("load");
    assert_eq!(
        loaded.open(&sealed, b"zone|key").expect("open"),
        b"private key"
    );
    // Nothing but the key file is left behind.
    let entries: Vec<_> = fs::read_dir(dir.path()).expect("dir").collect();
    assert_eq!(entries.len(), 1);
}

#[test]
fn concurrent_first_uses_agree_on_one_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = Arc::new(dir.path().join("kek"));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let path = Arc::clone(&path);
            std::thread::spawn(move || KeyEncryptionKey::load_or_create(&path).expect("kek"))
        })
        .collect();
    let keys: Vec<KeyEncryptionKey> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    let sealed = keys[0].seal(b"x", b"").expect("seal");
    for key in &keys {
        assert_eq!(key.open(&sealed, b"").expect("same key"), b"x");
    }
    assert_eq!(fs::read_dir(dir.path()).expect("dir").count(), 1);
}

#[test]
fn group_or_other_access_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kek");
    KeyEncryptionKey::load_or_create(&path).expect("create");
    for bad in [0o644, 0o640, 0o604, 0o620, 0o602, 0o610] {
        fs::set_permissions(&path, fs::Permissions::from_mode(bad)).expect("chmod");
        let err = KeyEncryptionKey::load_or_create(&path).expect_err("too open");
        assert!(
            matches!(err, KekError::Permissions { mode, .. } if mode == bad),
            "{bad:o}: {err}"
        );
        let text = err.to_string();
        assert!(text.contains(&format!("{bad:03o}")), "{text}");
        assert!(text.contains("chmod 600"), "{text}");
    }
    fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).expect("chmod");
    KeyEncryptionKey::load(&path).expect("read-only for the owner is fine");
}

#[test]
fn a_file_of_the_wrong_size_is_refused_not_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    for len in [0usize, 31, 33, 44] {
        let path = dir.path().join(format!("kek-{len}"));
        fs::write(&path, vec![b'a'; len]).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        let err = KeyEncryptionKey::load_or_create(&path).expect_err("wrong size");
        assert!(
            matches!(err, KekError::WrongFileLength { len: l, .. } if l == len as u64),
            "{len}: {err}"
        );
        assert!(err.to_string().contains("exactly 32"), "{err}");
        assert_eq!(fs::read(&path).expect("read").len(), len, "left alone");
    }
}

#[test]
fn a_directory_or_a_missing_parent_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sub = dir.path().join("sub");
    fs::create_dir(&sub).expect("mkdir");
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o700)).expect("chmod");
    let err = KeyEncryptionKey::load_or_create(&sub).expect_err("directory");
    assert!(matches!(err, KekError::NotAFile { .. }), "{err}");

    let missing = dir.path().join("no-such-dir").join("kek");
    let err = KeyEncryptionKey::load_or_create(&missing).expect_err("no parent");
    assert!(matches!(err, KekError::Io { .. }), "{err}");
    assert!(err.to_string().contains("no-such-dir"), "{err}");
}
