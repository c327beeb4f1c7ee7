//! The push subscription check (`POST /api/v1/push/subscriptions`): the
//! endpoint, p256dh and auth strings, one per line. Never a panic; and an
//! accepted endpoint is https, or plain http to this machine only.
#![no_main]

use app::domain::push::check_subscription;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\n');
    let endpoint = parts.next().unwrap_or("");
    let p256dh = parts.next().unwrap_or("");
    let auth = parts.next().unwrap_or("");
    if check_subscription(endpoint, p256dh, auth).is_ok() {
        assert!(
            endpoint.starts_with("https://") || endpoint.starts_with("http://"),
            "{endpoint:?}"
        );
    }
});
