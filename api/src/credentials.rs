//! Credentials: Argon2id password hashes, TOTP one-time codes (RFC 6238), recovery codes and
//! random tokens. Nothing here is ever logged; secrets are compared in constant time.

use aws_lc_rs::rand::SecureRandom;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Argon2id with the OWASP Password Storage Cheat Sheet's first option: 19 MiB, two passes, one
/// lane (about 25–40 ms a hash on the machine of BENCHMARKS.md).
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
pub const ARGON2_PASSES: u32 = 2;
pub const ARGON2_LANES: u32 = 1;

/// The operating system's random generator failed: no credential can be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the system random number generator failed")]
pub struct NoRandomness;

/// `N` random bytes from the operating system's generator.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], NoRandomness> {
    let mut out = [0u8; N];
    aws_lc_rs::rand::SystemRandom::new().fill(&mut out).map_err(|_| NoRandomness)?;
    Ok(out)
}

/// A random token for a link or a cookie: 256 bits, base64url.
pub fn random_token() -> Result<String, NoRandomness> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// The SHA-256 of a token, as stored (tokens themselves are never stored).
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Constant-time equality of two byte strings.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

fn argon2(pepper: Option<&[u8]>) -> Result<argon2::Argon2<'_>, String> {
    let params = argon2::Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES, None).map_err(|e| e.to_string())?;
    match pepper {
        Some(p) => {
            argon2::Argon2::new_with_secret(p, argon2::Algorithm::Argon2id, argon2::Version::V0x13, params).map_err(|e| e.to_string())
        }
        None => Ok(argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)),
    }
}

/// Hashes a password (Argon2id, a random salt, the pepper if configured): a PHC string.
/// CPU-bound for tens of milliseconds: call it on a blocking thread.
pub fn hash_password(password: &str, pepper: Option<&[u8]>) -> Result<String, String> {
    use argon2::password_hash::PasswordHasher;
    let salt = random_bytes::<16>().map_err(|e| e.to_string())?;
    argon2(pepper)?.hash_password_with_salt(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Whether `password` matches `phc` (with the pepper it was hashed with).
pub fn verify_password(phc: &str, password: &str, pepper: Option<&[u8]>) -> bool {
    use argon2::password_hash::phc::PasswordHash;
    use argon2::password_hash::PasswordVerifier;
    let Ok(hash) = PasswordHash::new(phc) else { return false };
    argon2(pepper).is_ok_and(|a| a.verify_password(password.as_bytes(), &hash).is_ok())
}

/// TOTP per RFC 6238: HMAC-SHA-1, six digits, 30-second steps from the Unix epoch.
pub mod totp {
    use aws_lc_rs::hmac;

    pub const DIGITS: u32 = 6;
    pub const STEP_SECONDS: i64 = 30;
    /// Codes of the step before and after are accepted too (clock drift; typing time).
    pub const WINDOW: i64 = 1;

    /// A new secret: 160 bits, as RFC 4226 recommends.
    pub fn new_secret() -> Result<[u8; 20], super::NoRandomness> {
        super::random_bytes::<20>()
    }

    /// The time step of a Unix time.
    pub fn step_of(unix_seconds: i64) -> i64 {
        unix_seconds.div_euclid(STEP_SECONDS)
    }

    /// The code for `step`.
    pub fn code(secret: &[u8], step: i64) -> u32 {
        let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
        let tag = hmac::sign(&key, &step.to_be_bytes());
        let mac = tag.as_ref();
        // Dynamic truncation (RFC 4226 §5.3).
        let offset = usize::from(mac[mac.len() - 1] & 0x0f);
        let bin = (u32::from(mac[offset] & 0x7f) << 24)
            | (u32::from(mac[offset + 1]) << 16)
            | (u32::from(mac[offset + 2]) << 8)
            | u32::from(mac[offset + 3]);
        bin % 10u32.pow(DIGITS)
    }

    /// The step a six-digit `code` is valid for at `unix_seconds` (within the window), if any,
    /// and only if it is later than `last_step` (a code is never accepted twice).
    pub fn verify(secret: &[u8], code: &str, unix_seconds: i64, last_step: Option<i64>) -> Option<i64> {
        let code = code.trim();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let wanted: u32 = code.parse().ok()?;
        let now = step_of(unix_seconds);
        (now - WINDOW..=now + WINDOW)
            .filter(|s| last_step.is_none_or(|l| *s > l))
            .find(|s| super::same(&code_bytes(secret, *s), &wanted.to_be_bytes()))
    }

    fn code_bytes(secret: &[u8], step: i64) -> [u8; 4] {
        code(secret, step).to_be_bytes()
    }

    /// RFC 4648 base32 without padding, as authenticator apps take secrets.
    pub fn base32(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
        for chunk in bytes.chunks(5) {
            let mut buf = [0u8; 5];
            buf[..chunk.len()].copy_from_slice(chunk);
            let n = buf.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
            let chars = (chunk.len() * 8).div_ceil(5);
            for i in 0..chars {
                let index = usize::try_from((n >> (35 - i * 5)) & 31).unwrap_or(0);
                out.push(char::from(ALPHABET[index]));
            }
        }
        out
    }

    /// The `otpauth://` URI an authenticator app reads (from a QR code or typed in).
    pub fn uri(issuer: &str, account: &str, secret: &[u8]) -> String {
        let enc = |s: &str| {
            s.bytes()
                .map(|b| if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) { char::from(b).to_string() } else { format!("%{b:02X}") })
                .collect::<String>()
        };
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            enc(issuer),
            enc(account),
            base32(secret),
            enc(issuer)
        )
    }
}

/// Recovery codes: ten per enrolment, single use, shown once; stored as SHA-256 hashes.
pub mod recovery {
    /// How many a person gets.
    pub const COUNT: usize = 10;

    /// A new code: 60 random bits in three groups of four base32 characters (`K7QD-9XW2-MRT4`).
    pub fn new_code() -> Result<String, super::NoRandomness> {
        let raw = super::totp::base32(&super::random_bytes::<8>()?);
        Ok(format!("{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..12]))
    }

    /// The form a code is compared in: upper case, without separators or spaces.
    pub fn normalise(code: &str) -> String {
        code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
    }

    /// The stored hash of a code as typed.
    pub fn hash(code: &str) -> Vec<u8> {
        super::token_hash(&normalise(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_matches_the_rfc_6238_vectors() {
        // RFC 6238 appendix B, SHA-1 rows (the eight-digit values, last six digits).
        let secret = b"12345678901234567890";
        for (t, expected) in
            [(59, 287_082), (1_111_111_109, 81_804), (1_111_111_111, 50_471), (1_234_567_890, 5_924), (2_000_000_000, 279_037)]
        {
            assert_eq!(totp::code(secret, totp::step_of(t)), expected, "T = {t}");
        }
        let now = 1_234_567_890;
        let step = totp::step_of(now);
        assert_eq!(totp::verify(secret, "005924", now, None), Some(step));
        assert_eq!(totp::verify(secret, "005924", now + 30, None), Some(step), "a step late is accepted");
        assert_eq!(totp::verify(secret, "005924", now + 90, None), None, "three steps late is not");
        assert_eq!(totp::verify(secret, "005924", now, Some(step)), None, "never twice");
        assert_eq!(totp::verify(secret, "5924", now, None), None);
        assert_eq!(totp::verify(secret, "00592a", now, None), None);
    }

    #[test]
    fn base32_matches_rfc_4648() {
        assert_eq!(totp::base32(b""), "");
        assert_eq!(totp::base32(b"f"), "MY");
        assert_eq!(totp::base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(totp::base32(b"12345678901234567890"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let uri = totp::uri("FourthP", "sam@example.org", b"12345678901234567890");
        assert!(uri.starts_with("otpauth://totp/FourthP:sam@example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=FourthP"), "{uri}");
    }

    #[test]
    fn passwords_hash_and_verify_with_and_without_pepper() {
        let h = hash_password("correct horse battery", None).unwrap_or_default();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password(&h, "correct horse battery", None));
        assert!(!verify_password(&h, "correct horse batterY", None));
        let peppered = hash_password("correct horse battery", Some(b"pepper")).unwrap_or_default();
        assert!(verify_password(&peppered, "correct horse battery", Some(b"pepper")));
        assert!(!verify_password(&peppered, "correct horse battery", None), "the pepper is needed");
        assert!(!verify_password("not a hash", "x", None));
    }

    #[test]
    fn recovery_codes_are_compared_without_case_or_separators() {
        let c = recovery::new_code().unwrap_or_default();
        assert_eq!(c.len(), 14);
        assert_eq!(recovery::hash(&c.to_lowercase().replace('-', " ")), recovery::hash(&c));
        assert_ne!(recovery::new_code(), recovery::new_code());
        assert_eq!(random_token().map(|t| t.len()), Ok(43));
        assert!(same(b"abc", b"abc") && !same(b"abc", b"abd") && !same(b"abc", b"ab"));
    }
}
