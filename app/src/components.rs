//! Islands: the only parts of a page that run in the browser. Each one
//! renders usefully on the server first, so pages work without JavaScript.

pub mod copy_button;
// The screens' countdown (its state machine, chrono, the screen data's
// deserialiser) is most of the wasm; the public pages' lean bundle
// (`lean`, built by `cargo xtask site`) leaves it out.
#[cfg(not(feature = "lean"))]
pub mod countdown;
pub mod lang_switch;
pub mod live;
pub mod now_line;
pub mod starts_in;
pub mod zone;

pub use copy_button::CopyButton;
#[cfg(not(feature = "lean"))]
pub use countdown::{Countdown, ScreenLabels};
pub use lang_switch::LangSwitch;
pub use live::LiveRegions;
pub use now_line::NowLine;
pub use starts_in::StartsIn;
pub use zone::{LocalTime, ZoneScope};
