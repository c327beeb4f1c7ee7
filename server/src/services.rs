//! What the write paths do, apart from HTTP. The JSON API and the
//! organiser's forms call the same service: parse, let the domain decide
//! and the store persist, then refresh the read model and tell open pages.
//! (`marquee` subcommands share the parsing and the store, not this: they
//! have no read model or open pages to tell.)

pub mod catchup;
pub mod change;
pub mod shift;
pub mod status;
