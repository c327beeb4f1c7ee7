//! Where the built assets (`pkg/marquee.js`, `.wasm`, `.css`, `public/`)
//! are, so `marquee serve` works from any directory.

use std::path::{Path, PathBuf};

/// The first of: the configured folder; `site/` next to the binary (an
/// installed layout); `../site` from the binary (cargo's
/// `target/release/marquee` → `target/site`); `target/site` under the
/// current directory.
pub fn find_site_root(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = configured {
        return Some(p.to_path_buf());
    }
    let exe_dir = std::env::current_exe().ok()?.parent()?.to_path_buf();
    [
        exe_dir.join("site"),
        exe_dir.join("../site"),
        PathBuf::from("target/site"),
    ]
    .into_iter()
    .find(|p| p.join("pkg").is_dir())
    .map(|p| p.canonicalize().unwrap_or(p))
}
