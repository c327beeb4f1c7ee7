//! `cargo xtask site [--release]`: builds what the browser downloads into
//! `target/site` — the islands' wasm and its JS glue (`pkg/marquee.*`), the
//! stylesheet (`pkg/marquee.css`) and the files of `public/` — the same
//! layout `cargo leptos build` makes, from the `[package.metadata.leptos]`
//! settings' values.
//!
//! Why not cargo-leptos itself: it takes ~17 minutes to compile on a 2-core
//! machine and needs a matching wasm-bindgen CLI (~4 more). This task links
//! the `wasm-bindgen-cli-support` library (the CLI's own engine, ~50 small
//! crates) and runs `sass`, `wasm-opt` and `esbuild` from `tools/node_modules`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The name Leptos's `HydrationScripts` loads (`LEPTOS_OUTPUT_NAME`, set for
/// every cargo command in `.cargo/config.toml`).
const OUTPUT_NAME: &str = "marquee";
const WASM_TARGET: &str = "wasm32-unknown-unknown";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("site") => Options::parse(&args[1..]).and_then(|o| build_site(&o)),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo xtask site [--release]\n\
    builds target/site: pkg/marquee.{js,wasm}, pkg/marquee.css and the files of public/\n\
    --release  the wasm-release profile, wasm-opt -Oz, minified JS (public/*.js too) and CSS";

struct Options {
    release: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut release = false;
        for a in args {
            match a.as_str() {
                "--release" => release = true,
                other => return Err(format!("unknown option {other}\n{USAGE}")),
            }
        }
        Ok(Self { release })
    }
}

struct Paths {
    root: PathBuf,
    target: PathBuf,
    site: PathBuf,
    pkg: PathBuf,
    tools_bin: PathBuf,
}

impl Paths {
    fn find() -> Self {
        // xtask/ sits at the top of the workspace.
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask lives inside the workspace")
            .to_path_buf();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .map(|t| if t.is_absolute() { t } else { root.join(t) })
            .unwrap_or_else(|| root.join("target"));
        let site = target.join("site");
        Self {
            pkg: site.join("pkg"),
            tools_bin: root.join("tools/node_modules/.bin"),
            site,
            target,
            root,
        }
    }

    fn tool(&self, name: &str) -> Result<PathBuf, String> {
        let p = self.tools_bin.join(name);
        if p.is_file() {
            Ok(p)
        } else {
            Err(format!(
                "{} is missing: run `scripts/setup.sh` (it installs sass, wasm-opt and esbuild into tools/)",
                p.display()
            ))
        }
    }
}

fn build_site(o: &Options) -> Result<(), String> {
    let paths = Paths::find();
    std::fs::create_dir_all(&paths.pkg).map_err(|e| io_error(&paths.pkg, e))?;
    // The islands (the countdown screens'), as `cargo leptos` builds them.
    let wasm = build_wasm(&paths, o, "hydrate")?;
    bindgen(&paths, &wasm, o, OUTPUT_NAME)?;
    if o.release {
        optimise(&paths, OUTPUT_NAME)?;
    }
    compile_style(&paths, o)?;
    copy_dir(&paths.root.join("public"), &paths.site)?;
    if o.release {
        minify_public_scripts(&paths)?;
    }
    eprintln!("xtask: site built in {}", paths.site.display());
    Ok(())
}

/// The plain scripts of `public/` (`enhance.js` and `push.js` are part of
/// every page's first load; `sw.js` too): minified in the site's copy.
fn minify_public_scripts(paths: &Paths) -> Result<(), String> {
    let public = paths.root.join("public");
    for entry in std::fs::read_dir(&public).map_err(|e| io_error(&public, e))? {
        let name = entry.map_err(|e| io_error(&public, e))?.file_name();
        if name.to_string_lossy().ends_with(".js") {
            minify_js(paths, &paths.site.join(&name), &[])?;
        }
    }
    Ok(())
}

/// esbuild's minifier on `js`, in place.
fn minify_js(paths: &Paths, js: &Path, extra: &[&str]) -> Result<(), String> {
    run(Command::new(paths.tool("esbuild")?)
        .arg(js)
        .arg("--minify")
        .args(extra)
        .arg("--log-level=warning")
        .arg("--allow-overwrite")
        .arg(format!("--outfile={}", js.display())))
}

/// `wasm-opt -Oz` on the wasm and esbuild's minifier on its JS glue.
fn optimise(paths: &Paths, name: &str) -> Result<(), String> {
    let wasm = paths.pkg.join(format!("{name}.wasm"));
    run(Command::new(paths.tool("wasm-opt")?)
        .arg("-Oz")
        .arg("--enable-bulk-memory")
        .arg("--enable-nontrapping-float-to-int")
        .arg(&wasm)
        .arg("-o")
        .arg(&wasm))?;
    minify_js(
        paths,
        &paths.pkg.join(format!("{name}.js")),
        &["--format=esm"],
    )
}

/// The `app` library for wasm with `features` (`hydrate` is what
/// `[package.metadata.leptos]` asks: `lib-features`, `lib-profile-release`).
fn build_wasm(paths: &Paths, o: &Options, features: &str) -> Result<PathBuf, String> {
    let profile = if o.release { "wasm-release" } else { "dev" };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run(Command::new(cargo)
        .current_dir(&paths.root)
        .args(["build", "--package=app", "--lib", "--no-default-features"])
        .arg(format!("--features={features}"))
        .args(["--target", WASM_TARGET])
        .arg(format!("--profile={profile}")))?;
    let dir = if o.release { "wasm-release" } else { "debug" };
    Ok(paths.target.join(WASM_TARGET).join(dir).join("app.wasm"))
}

fn bindgen(paths: &Paths, wasm: &Path, o: &Options, name: &str) -> Result<(), String> {
    let mut b = wasm_bindgen_cli_support::Bindgen::new();
    b.input_path(wasm)
        .out_name(name)
        .web(true)
        .map_err(|e| format!("wasm-bindgen: {e}"))?
        .debug(!o.release)
        .keep_debug(!o.release)
        .generate(&paths.pkg)
        .map_err(|e| format!("wasm-bindgen on {}: {e:#}", wasm.display()))?;
    // Leptos loads `{name}.wasm`, as cargo-leptos names it.
    let from = paths.pkg.join(format!("{name}_bg.wasm"));
    let to = paths.pkg.join(format!("{name}.wasm"));
    std::fs::rename(&from, &to).map_err(|e| io_error(&from, e))
}

fn compile_style(paths: &Paths, o: &Options) -> Result<(), String> {
    let style = if o.release { "compressed" } else { "expanded" };
    run(Command::new(paths.tool("sass")?)
        .arg("--no-source-map")
        .arg(format!("--style={style}"))
        .arg(paths.root.join("style/main.scss"))
        .arg(paths.pkg.join(format!("{OUTPUT_NAME}.css"))))
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| io_error(to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| io_error(from, e))? {
        let entry = entry.map_err(|e| io_error(from, e))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| io_error(&src, e))?;
        }
    }
    Ok(())
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

fn io_error(path: &Path, e: std::io::Error) -> String {
    format!("{}: {e}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn release_is_the_only_option_and_unknown_ones_are_named() {
        assert!(Options::parse(&args(&["--release"])).unwrap().release);
        assert!(!Options::parse(&args(&[])).unwrap().release);
        let err = Options::parse(&args(&["--relase"])).err().unwrap();
        assert!(err.starts_with("unknown option --relase"), "{err}");
    }

    #[test]
    fn the_target_dir_follows_cargo_target_dir() {
        let paths = Paths::find();
        assert!(paths.root.join("xtask/Cargo.toml").is_file());
        assert_eq!(paths.pkg, paths.site.join("pkg"));
        assert!(paths.site.starts_with(&paths.target));
    }
}
