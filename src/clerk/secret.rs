//! The Clerk secret key as a type that cannot be printed by accident.
//!
//! `Debug` and `Display` never show any part of the key, so a key inside a config, a request extension
//! or an error can be logged with `{:?}` safely. The raw value is reachable only through
//! [`SecretKey::expose`], which the one place that builds the `Authorization` header calls.

use std::fmt;
use std::sync::Arc;

/// A validated Clerk secret key (`sk_test_…` or `sk_live_…`).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(Arc<str>);

/// Why a string is not usable as a Clerk secret key. Messages never contain the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Nothing was given.
    #[error("the Clerk secret key is empty")]
    Empty,
    /// It does not start with `sk_test_` / `sk_live_`.
    #[error(
        "the value given as the Clerk secret key does not look like one: Clerk secret keys start with \
         `sk_test_` or `sk_live_` (copy it from the Clerk Dashboard → Configure → API keys; a publishable key \
         `pk_…` will not work)"
    )]
    WrongShape,
    /// It has characters that cannot be part of a key (spaces, CR/LF, control or non-ASCII characters).
    #[error(
        "the Clerk secret key contains characters a key cannot have (whitespace, line breaks, control or \
         non-ASCII characters); check for a stray newline or quote when it was pasted"
    )]
    BadCharacters,
}

impl SecretKey {
    /// Validates the shape of a key without contacting Clerk.
    pub fn parse(raw: &str) -> Result<SecretKey, KeyError> {
        if raw.is_empty() {
            return Err(KeyError::Empty);
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(KeyError::BadCharacters);
        }
        let rest = raw
            .strip_prefix("sk_test_")
            .or_else(|| raw.strip_prefix("sk_live_"));
        match rest {
            Some(r) if !r.is_empty() => Ok(SecretKey(Arc::from(raw))),
            _ => Err(KeyError::WrongShape),
        }
    }

    /// The raw key, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `test` or `live`: safe to log, and useful to tell instances apart.
    pub fn environment(&self) -> &'static str {
        if self.0.starts_with("sk_live_") {
            "live"
        } else {
            "test"
        }
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({}, redacted)", self.environment())
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[redacted Clerk {} key]", self.environment())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_test_and_live_keys() {
        assert_eq!(
            SecretKey::parse("sk_test_abc123").unwrap().environment(),
            "test"
        );
        assert_eq!(
            SecretKey::parse("sk_live_ABC_9-x").unwrap().environment(),
            "live"
        );
    }

    #[test]
    fn rejects_bad_shapes_without_echoing() {
        for (raw, want) in [
            ("", KeyError::Empty),
            ("pk_test_abc", KeyError::WrongShape),
            ("sk_test_", KeyError::WrongShape),
            ("sk_prod_abc", KeyError::WrongShape),
            ("sk_test_abc\r\nX-Evil: 1", KeyError::BadCharacters),
            ("sk_test_abc def", KeyError::BadCharacters),
            ("sk_test_ключ", KeyError::BadCharacters),
        ] {
            let err = SecretKey::parse(raw).unwrap_err();
            assert_eq!(err, want, "{raw:?}");
            if raw.len() > "sk_test_".len() {
                assert!(
                    !err.to_string().contains(raw),
                    "error echoes the key: {err}"
                );
            }
        }
    }

    #[test]
    fn debug_and_display_redact() {
        let k = SecretKey::parse("sk_test_supersecretvalue").unwrap();
        for s in [format!("{k:?}"), format!("{k}"), format!("{:?}", Some(&k))] {
            assert!(!s.contains("supersecret"), "{s}");
        }
    }
}
