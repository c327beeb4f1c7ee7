//! The Marquee server: axum router, Leptos integration, write API, exports,
//! login, and the command-line subcommands.

pub mod assets;
pub mod audit;
pub mod c3voc;
pub mod cli;
pub mod client_ip;
pub mod config;
pub mod demo;
pub mod email;
pub mod http_server;
pub mod ics;
pub mod limits;
pub mod monitor;
pub mod notify;
pub mod outbound;
pub mod push;
pub mod render_cache;
pub mod routes;
pub mod services;
pub mod site_urls;
pub mod telemetry;
pub mod webhook;
