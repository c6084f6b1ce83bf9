//! Signing keys: making a pair (Ed25519 or ECDSA P-256), reading a PKCS#8 PEM
//! private key from a file or from `GATEKEEPER_SIGNING_KEY`, reading a PEM SPKI
//! public key, the key id (lowercase hex sha256 of the SPKI DER), signing and
//! verifying. It never prints, logs or quotes a private key: errors name the file
//! or the variable, never the contents.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

use super::AttestError;

/// The variable that may hold the signing key's PEM (instead of `--attest-key`).
pub use crate::secrets::SIGNING_KEY_ENV;

/// SPKI DER of an Ed25519 key, before its 32 bytes (RFC 8410).
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
/// SPKI DER of a P-256 key (id-ecPublicKey, prime256v1), before its 65-byte
/// uncompressed point (RFC 5480).
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// The two key types: Ed25519, and ECDSA P-256 with SHA-256 (for cosign users).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Ed25519,
    P256,
}

impl KeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Ed25519 => "ed25519",
            KeyType::P256 => "ecdsa-p256",
        }
    }
}

/// A private key that signs.
pub enum SigningKey {
    Ed25519(Ed25519KeyPair),
    P256(EcdsaKeyPair),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key: its type and public id only.
        write!(
            f,
            "SigningKey({}, {})",
            self.key_type().as_str(),
            self.public().key_id()
        )
    }
}

/// A public key that verifies, as its SPKI DER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub key_type: KeyType,
    spki: Vec<u8>,
}

/// A fresh key pair, as PEM texts: the PKCS#8 private key and the SPKI public key.
pub struct GeneratedPair {
    pub private_pem: String,
    pub public_pem: String,
    pub key_id: String,
}

/// Makes a key pair of `key_type`.
pub fn generate(key_type: KeyType) -> Result<GeneratedPair, AttestError> {
    let rng = SystemRandom::new();
    let pkcs8 = match key_type {
        KeyType::Ed25519 => Ed25519KeyPair::generate_pkcs8(&rng),
        KeyType::P256 => {
            EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
        }
    }
    .map_err(|_| AttestError::Crypto("the system random generator failed making a key".into()))?;
    let key = SigningKey::from_pkcs8(pkcs8.as_ref(), "the generated key")?;
    let public = key.public();
    Ok(GeneratedPair {
        private_pem: pem_encode("PRIVATE KEY", pkcs8.as_ref()),
        public_pem: public.to_pem(),
        key_id: public.key_id(),
    })
}

impl SigningKey {
    /// Reads the PKCS#8 PEM private key in `path`.
    pub fn from_file(path: &Path) -> Result<Self, AttestError> {
        let text = std::fs::read_to_string(path).map_err(|source| AttestError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_pem(&text, &path.display().to_string())
    }

    /// Reads the PEM that `GATEKEEPER_SIGNING_KEY` holds, when it is set and not empty.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Self>, AttestError> {
        match env(SIGNING_KEY_ENV).filter(|v| !v.trim().is_empty()) {
            Some(pem) => Self::from_pem(&pem, SIGNING_KEY_ENV).map(Some),
            None => Ok(None),
        }
    }

    /// A PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`); `origin` names
    /// where it came from, for errors.
    pub fn from_pem(text: &str, origin: &str) -> Result<Self, AttestError> {
        let der = pem_decode(text, "PRIVATE KEY").ok_or_else(|| {
            AttestError::Key(format!(
                "{origin} holds no PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----); make one with `gatekeeper attest keygen`"
            ))
        })?;
        Self::from_pkcs8(&der, origin)
    }

    fn from_pkcs8(der: &[u8], origin: &str) -> Result<Self, AttestError> {
        // Ed25519 PKCS#8 v1 (OpenSSL) and v2 (ring) both; then P-256.
        if let Ok(pair) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            return Ok(SigningKey::Ed25519(pair));
        }
        let rng = SystemRandom::new();
        EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, der, &rng)
            .map(SigningKey::P256)
            .map_err(|_| {
                AttestError::Key(format!(
                    "{origin} is a PKCS#8 key of neither type gatekeeper signs with (ed25519, ecdsa p-256); make one with `gatekeeper attest keygen`"
                ))
            })
    }

    pub fn key_type(&self) -> KeyType {
        match self {
            SigningKey::Ed25519(_) => KeyType::Ed25519,
            SigningKey::P256(_) => KeyType::P256,
        }
    }

    /// Its public half.
    pub fn public(&self) -> PublicKey {
        let (key_type, prefix, point): (KeyType, &[u8], &[u8]) = match self {
            SigningKey::Ed25519(k) => (
                KeyType::Ed25519,
                &ED25519_SPKI_PREFIX,
                k.public_key().as_ref(),
            ),
            SigningKey::P256(k) => (KeyType::P256, &P256_SPKI_PREFIX, k.public_key().as_ref()),
        };
        let mut spki = prefix.to_vec();
        spki.extend_from_slice(point);
        PublicKey { key_type, spki }
    }

    /// Signs `message`: Ed25519's 64 bytes, or an ASN.1 DER ECDSA signature.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, AttestError> {
        match self {
            SigningKey::Ed25519(k) => Ok(k.sign(message).as_ref().to_vec()),
            SigningKey::P256(k) => k
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| AttestError::Crypto("ECDSA signing failed".into())),
        }
    }
}

impl PublicKey {
    /// Reads the PEM SPKI public key in `path`.
    pub fn from_file(path: &Path) -> Result<Self, AttestError> {
        let text = std::fs::read_to_string(path).map_err(|source| AttestError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_pem(&text).map_err(|why| {
            AttestError::Key(format!(
                "{} {why}; give the .pub file `gatekeeper attest keygen` wrote",
                path.display()
            ))
        })
    }

    /// A PEM SPKI public key (`-----BEGIN PUBLIC KEY-----`) of either type.
    pub fn from_pem(text: &str) -> Result<Self, String> {
        let spki = pem_decode(text, "PUBLIC KEY")
            .ok_or("holds no PEM public key (-----BEGIN PUBLIC KEY-----)")?;
        Self::from_spki(spki)
    }

    fn from_spki(spki: Vec<u8>) -> Result<Self, String> {
        let key_type = if spki.len() == ED25519_SPKI_PREFIX.len() + 32
            && spki.starts_with(&ED25519_SPKI_PREFIX)
        {
            KeyType::Ed25519
        } else if spki.len() == P256_SPKI_PREFIX.len() + 65 && spki.starts_with(&P256_SPKI_PREFIX) {
            KeyType::P256
        } else {
            return Err(
                "is a public key of neither type gatekeeper verifies (ed25519, ecdsa p-256)".into(),
            );
        };
        Ok(Self { key_type, spki })
    }

    /// The key id: lowercase hex sha256 of the SPKI DER.
    pub fn key_id(&self) -> String {
        crate::audit::sha256(&self.spki)
    }

    pub fn to_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.spki)
    }

    /// Whether `sig` is this key's signature over `message`.
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        let (algorithm, prefix): (&dyn signature::VerificationAlgorithm, usize) =
            match self.key_type {
                KeyType::Ed25519 => (&signature::ED25519, ED25519_SPKI_PREFIX.len()),
                KeyType::P256 => (&signature::ECDSA_P256_SHA256_ASN1, P256_SPKI_PREFIX.len()),
            };
        let Some(point) = self.spki.get(prefix..) else {
            return false;
        };
        UnparsedPublicKey::new(algorithm, point)
            .verify(message, sig)
            .is_ok()
    }
}

/// Writes a new key pair: the private key created with mode 0600 (never over an
/// existing file), then the public key (never over an existing file either).
pub fn write_pair(pair: &GeneratedPair, private: &Path, public: &Path) -> Result<(), AttestError> {
    for path in [private, public] {
        if std::fs::symlink_metadata(path).is_ok() {
            return Err(AttestError::Exists(path.to_owned()));
        }
    }
    write_new(private, pair.private_pem.as_bytes(), 0o600)?;
    write_new(public, pair.public_pem.as_bytes(), 0o644)
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), AttestError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let write_error = |source| AttestError::Write {
        path: PathBuf::from(path),
        source,
    };
    let mut file = options.open(path).map_err(|source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            AttestError::Exists(path.to_owned())
        } else {
            write_error(source)
        }
    })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(write_error)
}

/// PEM: the label's armour around base64 in lines of 64.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    let mut rest = body.as_str();
    while !rest.is_empty() {
        let (line, more) = rest.split_at(rest.len().min(64));
        out.push_str(line);
        out.push('\n');
        rest = more;
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The DER inside the first PEM block labelled `label`; `None` when there is none
/// or its body is not base64.
pub fn pem_decode(text: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let rest = text.get(start..)?;
    let stop = rest.find(&end)?;
    let body: String = rest
        .get(..stop)?
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let der = STANDARD.decode(body).ok()?;
    (!der.is_empty()).then_some(der)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_key_types_sign_and_verify_through_their_pem() {
        for key_type in [KeyType::Ed25519, KeyType::P256] {
            let pair = generate(key_type).unwrap();
            let key = SigningKey::from_pem(&pair.private_pem, "test").unwrap();
            let public = PublicKey::from_pem(&pair.public_pem).unwrap();
            assert_eq!(public.key_type, key_type);
            assert_eq!(public.key_id(), pair.key_id);
            assert_eq!(public.key_id().len(), 64);
            let sig = key.sign(b"message").unwrap();
            assert!(public.verify(b"message", &sig));
            assert!(!public.verify(b"messagE", &sig));
        }
    }

    #[test]
    fn a_p256_signature_is_asn1_der() {
        let pair = generate(KeyType::P256).unwrap();
        let key = SigningKey::from_pem(&pair.private_pem, "test").unwrap();
        let sig = key.sign(b"m").unwrap();
        // SEQUENCE of two INTEGERs, its length in the second byte.
        assert_eq!(sig.first(), Some(&0x30));
        assert_eq!(usize::from(sig[1]) + 2, sig.len());
    }

    #[test]
    fn the_key_id_is_the_sha256_of_the_spki_der() {
        let pair = generate(KeyType::Ed25519).unwrap();
        let der = pem_decode(&pair.public_pem, "PUBLIC KEY").unwrap();
        assert_eq!(der.len(), 44);
        assert_eq!(pair.key_id, crate::audit::sha256(&der));
    }

    #[test]
    fn a_public_key_of_another_kind_is_refused() {
        let pem = pem_encode("PUBLIC KEY", &[0x30, 0x03, 0x02, 0x01, 0x00]);
        assert!(PublicKey::from_pem(&pem).is_err());
        assert!(SigningKey::from_pem("not a key", "X").is_err());
    }

    #[test]
    fn keygen_never_overwrites_and_keeps_the_private_key_private() {
        let dir = tempfile::tempdir().unwrap();
        let (private, public) = (dir.path().join("k.pem"), dir.path().join("k.pub"));
        let pair = generate(KeyType::Ed25519).unwrap();
        write_pair(&pair, &private, &public).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&private).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = generate(KeyType::Ed25519).unwrap();
        assert!(matches!(
            write_pair(&again, &private, &public),
            Err(AttestError::Exists(_))
        ));
        assert_eq!(std::fs::read_to_string(&private).unwrap(), pair.private_pem);
    }
}
