//! The pin file (`openapi/PIN`): which spec file is vendored, its API version and its sha256.
//!
//! The pin is what makes "the spec changed" an explicit, reviewed event: build.rs refuses to build when
//! the file on disk and the recorded digest disagree, instead of silently generating a different API.

use sha2::{Digest, Sha256};

/// Parsed contents of `openapi/PIN` (`key = value` lines, `#` comments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// File name of the vendored spec, relative to `openapi/`.
    pub file: String,
    /// The Clerk API version the spec describes (`info.version`), sent as `Clerk-API-Version`.
    pub api_version: String,
    /// Lower-case hex sha256 of the spec file's bytes.
    pub sha256: String,
    /// Where the file came from, for humans.
    pub source: String,
}

impl Pin {
    /// Parses the pin file's text.
    pub fn parse(text: &str) -> Result<Pin, String> {
        let get = |key: &str| -> Result<String, String> {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| l.split_once('='))
                .find(|(k, _)| k.trim() == key)
                .map(|(_, v)| v.trim().to_string())
                .ok_or_else(|| format!("openapi/PIN has no `{key} = ...` line"))
        };
        Ok(Pin {
            file: get("file")?,
            api_version: get("api_version")?,
            sha256: get("sha256")?,
            source: get("source")?,
        })
    }

    /// Renders the pin file; `parse(render())` round-trips.
    pub fn render(&self) -> String {
        format!(
            "# The vendored Clerk Backend API spec. build.rs checks the sha256; scripts/update-spec rewrites this file.\n\
             file = {}\napi_version = {}\nsha256 = {}\nsource = {}\n",
            self.file, self.api_version, self.sha256, self.source
        )
    }

    /// Checks that `bytes` are the pinned file, with a message that says how to fix a mismatch.
    pub fn verify(&self, bytes: &[u8]) -> Result<(), String> {
        let actual = sha256_hex(bytes);
        if actual == self.sha256 {
            Ok(())
        } else {
            Err(format!(
                "openapi/{} does not match openapi/PIN: the pin says sha256 {}, the file has {}. \
                 The vendored spec must stay byte-for-byte as published. To move to a new spec use \
                 `scripts/update-spec NEW.yml` (it shows the changes and updates the pin); to undo an \
                 accidental edit run `git checkout openapi/`.",
                self.file, self.sha256, actual
            ))
        }
    }
}

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
