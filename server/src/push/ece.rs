//! Message encryption for Web Push (RFC 8291) in the `aes128gcm` content
//! coding (RFC 8188), one record, with ring: its P-256 agreement, HKDF and
//! AES-128-GCM. The `web-push` crate's path (the `ece` crate on OpenSSL)
//! spent more CPU than anything else of a 100,000-message burst: OpenSSL
//! checks each subscriber's key with a generic big-number scalar
//! multiplication before the agreement.

use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::agreement::{ECDH_P256, EphemeralPrivateKey, UnparsedPublicKey, agree_ephemeral};
use ring::hkdf::{HKDF_SHA256, KeyType, Prk, Salt};
use ring::rand::{SecureRandom, SystemRandom};

/// The most a message may carry (as the `web-push` crate allows): with its
/// padding, header and tag it stays within the 4,096 bytes every push
/// service accepts.
pub const MAX_PAYLOAD: usize = 3052;

/// The record size announced in the header (one record is sent).
const RECORD_SIZE: u32 = 4096;

/// Plaintext is padded to a multiple of this (with the delimiter), so the
/// length of a message tells little about what it says.
const PAD_BLOCK: usize = 128;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EceError {
    #[error("the subscription's public key is not a P-256 point")]
    BadKey,
    #[error("the subscription's auth secret is not 16 bytes")]
    BadAuth,
    #[error("the message is {0} bytes; at most {MAX_PAYLOAD} can be sent")]
    TooLarge(usize),
    #[error("encryption failed")]
    Crypto,
}

/// Encrypts `payload` for the browser whose subscription holds `ua_public`
/// (the uncompressed P-256 point, `p256dh`) and `auth`: a fresh key pair
/// and salt per message, as RFC 8291 asks. Returns the request body.
pub fn encrypt(ua_public: &[u8], auth: &[u8], payload: &[u8]) -> Result<Vec<u8>, EceError> {
    if payload.len() > MAX_PAYLOAD {
        return Err(EceError::TooLarge(payload.len()));
    }
    if auth.len() != 16 {
        return Err(EceError::BadAuth);
    }
    if ua_public.len() != 65 || ua_public[0] != 0x04 {
        return Err(EceError::BadKey);
    }
    let rng = SystemRandom::new();
    let private = EphemeralPrivateKey::generate(&ECDH_P256, &rng).map_err(|_| EceError::Crypto)?;
    let as_public = private.compute_public_key().map_err(|_| EceError::Crypto)?;
    let mut salt = [0u8; 16];
    rng.fill(&mut salt).map_err(|_| EceError::Crypto)?;
    let peer = UnparsedPublicKey::new(&ECDH_P256, ua_public);
    // ring checks that the peer's point is on the curve.
    let secret = agree_ephemeral(private, &peer, |s| s.to_vec()).map_err(|_| EceError::BadKey)?;
    seal(
        &secret,
        auth,
        &salt,
        ua_public,
        as_public.as_ref(),
        &padded(payload),
    )
}

/// The plaintext record: the payload, the last-record delimiter (2), then
/// zeros up to the next multiple of [`PAD_BLOCK`].
fn padded(payload: &[u8]) -> Vec<u8> {
    let len = (payload.len() + 1).div_ceil(PAD_BLOCK) * PAD_BLOCK;
    let mut record = Vec::with_capacity(len + 16);
    record.extend_from_slice(payload);
    record.push(2);
    record.resize(len, 0);
    record
}

/// The key schedule of RFC 8291 §3.3–3.4 and RFC 8188 §2, and the body:
/// header (salt, record size, the server's public key) and one sealed
/// record.
fn seal(
    ecdh_secret: &[u8],
    auth: &[u8],
    salt: &[u8; 16],
    ua_public: &[u8],
    as_public: &[u8],
    record: &[u8],
) -> Result<Vec<u8>, EceError> {
    let crypto = |_| EceError::Crypto;
    // PRK_key = HMAC-SHA-256(auth_secret, ecdh_secret);
    // IKM = HMAC-SHA-256(PRK_key, "WebPush: info" || 0x00 || ua_public || as_public || 0x01)
    let prk_key = Salt::new(HKDF_SHA256, auth).extract(ecdh_secret);
    let mut ikm = [0u8; 32];
    expand(
        &prk_key,
        &[b"WebPush: info\0", ua_public, as_public],
        &mut ikm,
    )?;
    // PRK = HMAC-SHA-256(salt, IKM); CEK and NONCE from it.
    let prk = Salt::new(HKDF_SHA256, salt).extract(&ikm);
    let mut cek = [0u8; 16];
    expand(&prk, &[b"Content-Encoding: aes128gcm\0"], &mut cek)?;
    let mut nonce = [0u8; 12];
    expand(&prk, &[b"Content-Encoding: nonce\0"], &mut nonce)?;

    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &cek).map_err(crypto)?);
    let mut body = Vec::with_capacity(16 + 4 + 1 + as_public.len() + record.len() + 16);
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(as_public.len() as u8);
    body.extend_from_slice(as_public);
    let mut sealed = record.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::empty(),
        &mut sealed,
    )
    .map_err(crypto)?;
    body.extend_from_slice(&sealed);
    Ok(body)
}

/// HKDF-Expand of `info` (its parts concatenated) into `out`.
fn expand(prk: &Prk, info: &[&[u8]], out: &mut [u8]) -> Result<(), EceError> {
    struct Len(usize);
    impl KeyType for Len {
        fn len(&self) -> usize {
            self.0
        }
    }
    prk.expand(info, Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| EceError::Crypto)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn b64(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).unwrap()
    }

    /// RFC 8291 Appendix A: the example's inputs give its body, byte for
    /// byte (its plaintext is not padded: the record is the text and the
    /// delimiter).
    #[test]
    fn the_rfc_8291_example_encrypts_to_its_body() {
        let ua_public = b64(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        );
        let as_public = b64(
            "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8",
        );
        let ecdh_secret = b64("kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs");
        let auth = b64("BTBZMqHH6r4Tts7J_aSIgg");
        let salt: [u8; 16] = b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
        let mut record = b"When I grow up, I want to be a watermelon".to_vec();
        record.push(2);
        let body = seal(&ecdh_secret, &auth, &salt, &ua_public, &as_public, &record).unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
    }

    /// What a browser would do with a message: decrypted by another
    /// implementation (the `ece` crate on OpenSSL), it is the payload.
    #[test]
    fn another_implementation_decrypts_what_is_sent() {
        let (browser, auth) = ece::generate_keypair_and_auth_secret().unwrap();
        let components = browser.raw_components().unwrap();
        for payload in [
            &b""[..],
            b"{\"title\":\"Track 2 moved\"}",
            &[b'x'; MAX_PAYLOAD],
        ] {
            let body = encrypt(components.public_key(), &auth, payload).unwrap();
            assert_eq!(ece::decrypt(&components, &auth, &body).unwrap(), payload);
            // Padded to a multiple of 128 (delimiter included): 86 bytes of
            // header and 16 of tag around it.
            assert_eq!((body.len() - 86 - 16) % PAD_BLOCK, 0, "{}", body.len());
            assert!(body.len() <= 4096);
        }
        // A fresh key pair and salt per message.
        let a = encrypt(components.public_key(), &auth, b"same").unwrap();
        let b = encrypt(components.public_key(), &auth, b"same").unwrap();
        assert_ne!(a[..16], b[..16], "salt");
        assert_ne!(a[21..86], b[21..86], "server key");
    }

    #[test]
    fn bad_keys_and_large_messages_are_refused() {
        let (browser, auth) = ece::generate_keypair_and_auth_secret().unwrap();
        let public = browser.pub_as_raw().unwrap();
        let mut off_curve = public.clone();
        off_curve[64] ^= 1;
        assert_eq!(encrypt(&off_curve, &auth, b"x"), Err(EceError::BadKey));
        assert_eq!(encrypt(&public[..33], &auth, b"x"), Err(EceError::BadKey));
        assert_eq!(encrypt(&public, &auth[..15], b"x"), Err(EceError::BadAuth));
        assert_eq!(
            encrypt(&public, &auth, &[0; MAX_PAYLOAD + 1]),
            Err(EceError::TooLarge(MAX_PAYLOAD + 1))
        );
    }
}
