//! The DSSE envelope (github.com/secure-systems-lab/dsse, protocol v1): the payload
//! signed over its pre-authentication encoding, as sent, with no canonicalisation.
//! It only encodes, signs and checks signatures; what the payload says is
//! [`super::statement`]'s.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::AttestError;
use super::keys::{PublicKey, SigningKey};

/// The payload type of an in-toto statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// Base64 (standard, padded) of the payload bytes.
    pub payload: String,
    pub signatures: Vec<Signature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    #[serde(default)]
    pub keyid: String,
    /// Base64 of the signature bytes.
    pub sig: String,
}

/// PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths
/// as ASCII decimal byte counts.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// The envelope of `payload` signed by `key`, its key id named.
pub fn sign(payload_type: &str, payload: &[u8], key: &SigningKey) -> Result<Envelope, AttestError> {
    let sig = key.sign(&pae(payload_type, payload))?;
    Ok(Envelope {
        payload_type: payload_type.to_owned(),
        payload: STANDARD.encode(payload),
        signatures: vec![Signature {
            keyid: key.public().key_id(),
            sig: STANDARD.encode(sig),
        }],
    })
}

/// Why an envelope did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unverified {
    /// The payload or a signature is not base64.
    Malformed(String),
    /// No signature names the key's id.
    UnknownKey { wanted: String, found: Vec<String> },
    /// The signature naming the key does not verify.
    BadSignature,
}

impl std::fmt::Display for Unverified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unverified::Malformed(why) => write!(f, "malformed envelope: {why}"),
            Unverified::UnknownKey { wanted, found } => write!(
                f,
                "no signature by key {wanted} (the envelope names {})",
                if found.is_empty() {
                    "no key".to_owned()
                } else {
                    found.join(", ")
                }
            ),
            Unverified::BadSignature => write!(
                f,
                "the signature by this key does not verify: the payload or the signature was changed"
            ),
        }
    }
}

impl Envelope {
    /// The payload bytes, when a signature whose key id is `key`'s verifies over
    /// them. Only the payload type and bytes as sent are signed; nothing is
    /// re-encoded before checking.
    pub fn verified_payload(&self, key: &PublicKey) -> Result<Vec<u8>, Unverified> {
        let payload = STANDARD
            .decode(&self.payload)
            .map_err(|e| Unverified::Malformed(format!("the payload is not base64 ({e})")))?;
        let wanted = key.key_id();
        let mine: Vec<&Signature> = self
            .signatures
            .iter()
            .filter(|s| s.keyid == wanted)
            .collect();
        if mine.is_empty() {
            return Err(Unverified::UnknownKey {
                wanted,
                found: self.signatures.iter().map(|s| s.keyid.clone()).collect(),
            });
        }
        let message = pae(&self.payload_type, &payload);
        for signature in mine {
            let sig = STANDARD
                .decode(&signature.sig)
                .map_err(|e| Unverified::Malformed(format!("the signature is not base64 ({e})")))?;
            if key.verify(&message, &sig) {
                return Ok(payload);
            }
        }
        Err(Unverified::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attest::keys::{KeyType, generate};

    #[test]
    fn pae_matches_the_specs_test_vector() {
        // protocol.md: PAE("http://example.com/HelloWorld", "hello world").
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn pae_counts_bytes_not_characters() {
        assert_eq!(pae("t", "é".as_bytes()), b"DSSEv1 1 t 2 \xc3\xa9".to_vec());
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn an_envelope_verifies_with_its_key_only_as_sent() {
        for key_type in [KeyType::Ed25519, KeyType::P256] {
            let pair = generate(key_type).unwrap();
            let key = SigningKey::from_pem(&pair.private_pem, "t").unwrap();
            let envelope = sign(IN_TOTO_PAYLOAD_TYPE, b"{\"a\":1}", &key).unwrap();
            let public = key.public();
            assert_eq!(envelope.verified_payload(&public).unwrap(), b"{\"a\":1}");

            let mut other_type = envelope.clone();
            other_type.payload_type = "application/json".into();
            assert_eq!(
                other_type.verified_payload(&public),
                Err(Unverified::BadSignature)
            );

            let stranger = generate(key_type).unwrap();
            let stranger = SigningKey::from_pem(&stranger.private_pem, "t").unwrap();
            assert!(matches!(
                envelope.verified_payload(&stranger.public()),
                Err(Unverified::UnknownKey { .. })
            ));
        }
    }
}
