//! The server's VAPID key pair (RFC 8292): made on first use and kept in
//! the database; the private half is never printed, logged or served.
//! Signatures are cached per push-service origin: signing costs about half
//! a millisecond, which would otherwise cap a burst near 2,000 msg/s a core.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use app::error::{AppError, Result};
use app::store::{Store, VapidKeyRecord};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_simple::algorithms::ES256KeyPair;
use web_push::{SubscriptionInfo, VapidSignature, VapidSignatureBuilder};

/// How long a cached signature is reused. Its JWT is valid for 12 h; a
/// fresh one every hour keeps far inside that, whatever the clock skew.
const REUSE_FOR: Duration = Duration::from_secs(3600);

/// Signatures kept at most (see [`Signer::signature`]).
const MAX_CACHED_ORIGINS: usize = 1000;

/// A new key pair: (private, public), both base64url without padding.
pub fn generate() -> Result<(String, String)> {
    let pair = ES256KeyPair::generate();
    let private = URL_SAFE_NO_PAD.encode(pair.to_bytes());
    let public = VapidSignatureBuilder::from_base64_no_sub(&private)
        .map_err(|e| AppError::Internal(format!("new VAPID key unusable: {e}")))?
        .get_public_key();
    Ok((private, URL_SAFE_NO_PAD.encode(public)))
}

/// The current key, made now if there is none yet.
pub async fn ensure_key(store: &Store) -> Result<VapidKeyRecord> {
    if let Some(k) = store.current_vapid_key().await? {
        return Ok(k);
    }
    let (private, public) = generate()?;
    let key = store.add_vapid_key(&private, &public, false).await?;
    tracing::info!(key_id = key.id, public_key = %key.public_key, "made a VAPID key pair");
    Ok(key)
}

/// The current public key, kept in memory so serving it to every page
/// that offers notifications costs no database query; looked up again at
/// most every [`KEY_CACHE_FOR`] (another process may have rotated it), and
/// served stale while the database is away.
#[derive(Default)]
pub struct KeyCache {
    current: std::sync::RwLock<Option<(VapidKeyRecord, Instant)>>,
}

/// How long a cached key is served before it is looked up again.
pub const KEY_CACHE_FOR: Duration = Duration::from_secs(5);

impl KeyCache {
    /// The current key; `refresh` is how to look it up when the cached one
    /// is missing or old.
    pub async fn get(&self, store: &Store) -> Result<VapidKeyRecord> {
        let cached = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some((key, at)) = &cached {
            if at.elapsed() < KEY_CACHE_FOR {
                return Ok(key.clone());
            }
            // One request looks it up; the others meanwhile serve this one.
            let mut slot = self.current.write().unwrap_or_else(|e| e.into_inner());
            match slot.as_mut() {
                Some((_, at)) if at.elapsed() >= KEY_CACHE_FOR => *at = Instant::now(),
                _ => return Ok(key.clone()),
            }
        }
        match ensure_key(store).await {
            Ok(key) => {
                *self.current.write().unwrap_or_else(|e| e.into_inner()) =
                    Some((key.clone(), Instant::now()));
                Ok(key)
            }
            Err(e) => cached.map(|(k, _)| k).ok_or(e),
        }
    }
}

/// Retires the current key and makes a new one.
pub async fn rotate(store: &Store) -> Result<VapidKeyRecord> {
    let (private, public) = generate()?;
    store.add_vapid_key(&private, &public, true).await
}

/// `scheme://host[:port]` of an endpoint: the JWT's `aud` (RFC 8292 §2),
/// port included (the `web-push` crate's default drops it).
pub fn origin(endpoint: &str) -> Option<String> {
    let (scheme, rest) = endpoint.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

/// Signs for the worker, one signature per (key, origin) at a time.
pub struct Signer {
    keys: HashMap<i64, VapidKeyRecord>,
    contact: String,
    cache: Mutex<HashMap<(i64, String), (VapidSignature, Instant)>>,
}

impl Signer {
    pub fn new(keys: HashMap<i64, VapidKeyRecord>, contact: &str) -> Self {
        Self {
            keys,
            contact: contact.to_owned(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Adds keys made since (after `marquee vapid rotate`).
    pub fn knows(&self, key_id: i64) -> bool {
        self.keys.contains_key(&key_id)
    }

    pub fn signature(&self, key_id: i64, sub: &SubscriptionInfo) -> Result<VapidSignature> {
        let aud = origin(&sub.endpoint)
            .ok_or_else(|| AppError::invalid("endpoint", "not an absolute URL"))?;
        let cache_key = (key_id, aud.clone());
        if let Some((sig, at)) = self.cache.lock().expect("signer cache").get(&cache_key)
            && at.elapsed() < REUSE_FOR
        {
            return Ok(sig.clone());
        }
        let key = self
            .keys
            .get(&key_id)
            .ok_or_else(|| AppError::Internal(format!("VAPID key {key_id} is not loaded")))?;
        let mut builder = VapidSignatureBuilder::from_base64(&key.private_key, sub)
            .map_err(|e| AppError::Internal(format!("VAPID key {key_id}: {e}")))?;
        builder.add_claim("aud", aud);
        builder.add_claim("sub", self.contact.clone());
        let sig = builder
            .build()
            .map_err(|e| AppError::Internal(format!("VAPID signing: {e}")))?;
        let mut cache = self.cache.lock().expect("signer cache");
        // One entry per push-service origin: a handful in real use; many
        // means someone subscribed many hosts, and they need not stay.
        if cache.len() >= MAX_CACHED_ORIGINS {
            cache.retain(|_, (_, at)| at.elapsed() < REUSE_FOR);
            if cache.len() >= MAX_CACHED_ORIGINS {
                cache.clear();
            }
        }
        cache.insert(cache_key, (sig.clone(), Instant::now()));
        Ok(sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_keep_their_port() {
        assert_eq!(
            origin("http://127.0.0.1:8080/push/a").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin("https://fcm.googleapis.com/fcm/send/x").as_deref(),
            Some("https://fcm.googleapis.com")
        );
        assert_eq!(origin("nonsense"), None);
    }

    #[test]
    fn keys_are_p256_and_signatures_are_reused_per_origin() {
        let (private, public) = generate().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(&private).unwrap().len(), 32);
        let pub_bytes = URL_SAFE_NO_PAD.decode(&public).unwrap();
        assert_eq!((pub_bytes.len(), pub_bytes[0]), (65, 4));
        let rec = VapidKeyRecord {
            id: 1,
            private_key: private.clone(),
            public_key: public.clone(),
            created_at: chrono::Utc::now(),
        };
        assert!(
            !format!("{rec:?}").contains(&private),
            "Debug must hide the private key"
        );
        let signer = Signer::new([(1, rec)].into(), "mailto:ops@example.org");
        let key = "BLMbF9ffKBiWQLCKvTHb6LO8Nb6dcUh6TItC455vu2kElga6PQvUmaFyCdykxY2nOSSL3yKgfbmFLRTUaGv4yV8";
        let a = SubscriptionInfo::new("http://127.0.0.1:9/push/a", key, "xS03Fi5ErfTNH_l9WHE9Ig");
        let b = SubscriptionInfo::new("http://127.0.0.1:9/push/b", key, "xS03Fi5ErfTNH_l9WHE9Ig");
        let c = SubscriptionInfo::new("http://127.0.0.1:10/push/c", key, "xS03Fi5ErfTNH_l9WHE9Ig");
        let sa = signer.signature(1, &a).unwrap();
        assert_eq!(sa, signer.signature(1, &b).unwrap());
        assert_ne!(sa.auth_t, signer.signature(1, &c).unwrap().auth_t);
        assert_eq!(URL_SAFE_NO_PAD.encode(&sa.auth_k), public);
        // The JWT's claims: aud with the port, our contact.
        let claims = sa.auth_t.split('.').nth(1).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
        assert_eq!(claims["aud"], "http://127.0.0.1:9");
        assert_eq!(claims["sub"], "mailto:ops@example.org");
        assert!(signer.signature(2, &a).is_err());
    }
}
