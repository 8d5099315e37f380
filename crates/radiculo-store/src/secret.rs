//! Key material and names: API key secrets and their hashes, key and record ids, tenant names.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::StoreError;

/// What every secret starts with, so that a leaked one is recognisable (secret scanners, logs).
const SECRET_PREFIX: &str = "rk_";
/// The prefix and 43 characters of base64url: 32 random bytes.
const SECRET_LEN: usize = SECRET_PREFIX.len() + 43;

/// A new secret: `rk_` and 32 random bytes in base64url without padding.
pub(crate) fn new_secret() -> Result<String, StoreError> {
    let bytes: [u8; 32] = random()?;
    Ok(format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// Whether `text` has the shape of a secret. Anything else cannot match a stored hash, so it is
/// turned away without asking the database.
pub(crate) fn looks_like_secret(text: &str) -> bool {
    text.len() == SECRET_LEN
        && text.starts_with(SECRET_PREFIX)
        && text[SECRET_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The SHA-256 of a secret in lowercase hex, which is all the store keeps of it. A fast hash is
/// enough: the secret has 256 bits of entropy, so there is nothing to guess offline.
pub(crate) fn secret_sha256(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Whether `stored`, the hash the database gave back for a secret, is `presented`'s hash: a
/// comparison whose time depends only on the lengths (both 64 here), never on where the two
/// first differ.
///
/// The database finds the row by the hash already, so this is a second check, not the only
/// one: it makes the answer independent of how the database compares text (a collation that
/// ignored case, say), and its time tells nothing either way. `SECURITY.md` explains why the
/// lookup itself is no timing oracle. The XOR of every pair of bytes is folded into one byte,
/// with no early exit; `black_box` keeps the compiler from turning the loop into one that
/// stops at the first difference.
pub(crate) fn hashes_match(stored: &str, presented: &str) -> bool {
    let (stored, presented) = (stored.as_bytes(), presented.as_bytes());
    if stored.len() != presented.len() {
        return false;
    }
    let difference = stored
        .iter()
        .zip(presented)
        .fold(0u8, |acc, (a, b)| std::hint::black_box(acc | (a ^ b)));
    difference == 0
}

/// A new public key id: `key_` and 12 hex digits (48 random bits).
pub(crate) fn new_key_id() -> Result<String, StoreError> {
    let bytes: [u8; 6] = random()?;
    Ok(format!("key_{}", hex(&bytes)))
}

/// A new record id: a random (version 4) UUID, hyphenated lowercase.
pub(crate) fn new_record_id() -> Result<String, StoreError> {
    let bytes: [u8; 16] = random()?;
    Ok(uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string())
}

/// Checks a tenant name: 1 to 64 characters of `A-Z a-z 0-9 _ . -`.
pub(crate) fn check_tenant(tenant: &str) -> Result<(), StoreError> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
    if (1..=64).contains(&tenant.len()) && tenant.bytes().all(allowed) {
        Ok(())
    } else {
        Err(StoreError::InvalidTenant(
            "a tenant name is 1 to 64 characters of A-Z, a-z, 0-9, `_`, `.` and `-`".to_owned(),
        ))
    }
}

fn random<const N: usize>() -> Result<[u8; N], StoreError> {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes).map_err(|_| {
        StoreError::Database("the operating system's random number generator failed".to_owned())
    })?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_the_promised_shape_and_differ() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 46);
        assert!(looks_like_secret(&a), "{a}");
        assert!(!looks_like_secret(&a[..45]));
        assert!(!looks_like_secret(&a.replacen("rk_", "rx_", 1)));
        assert!(!looks_like_secret(&format!("{}=", &a[..45])));
    }

    #[test]
    fn the_hash_is_sha256_in_lowercase_hex() {
        assert_eq!(
            secret_sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hashes_match_only_when_every_byte_is_equal() {
        let hash = secret_sha256("rk_example");
        assert!(hashes_match(&hash, &hash));
        assert!(hashes_match("", ""));
        // A difference anywhere, first byte, middle or last, is a mismatch.
        for at in [0, 31, 63] {
            let mut other = hash.clone().into_bytes();
            other[at] = if other[at] == b'0' { b'1' } else { b'0' };
            let other = String::from_utf8(other).unwrap();
            assert!(!hashes_match(&hash, &other), "differs at {at}");
            assert!(!hashes_match(&other, &hash), "differs at {at}");
        }
        // Case matters: the store writes lowercase hex and compares bytes.
        assert!(!hashes_match(&hash, &hash.to_uppercase()));
        // So does the length: a prefix is not a match, nor is an empty hash.
        assert!(!hashes_match(&hash, &hash[..63]));
        assert!(!hashes_match(&hash[..63], &hash));
        assert!(!hashes_match(&hash, ""));
        assert!(!hashes_match(&hash, &secret_sha256("rk_other")));
    }

    #[test]
    fn ids_have_the_promised_shape() {
        let key = new_key_id().unwrap();
        assert!(key.starts_with("key_") && key.len() == 16, "{key}");
        let record = new_record_id().unwrap();
        let parsed = uuid::Uuid::parse_str(&record).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(record, parsed.hyphenated().to_string());
    }

    #[test]
    fn tenant_names() {
        let long = "a".repeat(64);
        for ok in ["a", "clinic-7", "Site_A.east", long.as_str()] {
            assert!(check_tenant(ok).is_ok(), "{ok}");
        }
        let too_long = "a".repeat(65);
        for bad in ["", "a b", "a/b", "ü", "a\n", too_long.as_str()] {
            assert!(
                matches!(check_tenant(bad), Err(StoreError::InvalidTenant(_))),
                "{bad:?}"
            );
        }
    }
}
