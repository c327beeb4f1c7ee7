//! Request spans without secrets: a speaker link's token is its only
//! credential, so `/s/{token}` never reaches the logs (the default span
//! records the whole URI at DEBUG).

use axum::extract::Request;
use axum::http::Uri;
use tracing::Span;

/// `TraceLayer`'s span for a request, with speaker tokens masked.
pub fn span(req: &Request) -> Span {
    tracing::debug_span!(
        "request",
        method = %req.method(),
        uri = %redacted(req.uri()),
        version = ?req.version(),
    )
}

/// The URI with the token of `/s/{token}…` replaced by `…`.
pub fn redacted(uri: &Uri) -> String {
    let path = uri.path();
    match path.strip_prefix("/s/") {
        Some(rest) => {
            let after = rest.find('/').map_or("", |i| &rest[i..]);
            format!("/s/…{after}")
        }
        None => uri.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speaker_tokens_never_reach_the_log() {
        for (uri, shown) in [
            ("/s/sp_secret", "/s/…"),
            ("/s/sp_secret/answer", "/s/…/answer"),
            ("/s/sp_secret?answered=confirm", "/s/…"),
            ("/e/demo/status?lang=fr", "/e/demo/status?lang=fr"),
        ] {
            let got = redacted(&uri.parse().unwrap());
            assert_eq!(got, shown);
            assert!(!got.contains("sp_secret"));
        }
    }
}
