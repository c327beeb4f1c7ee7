//! What pages are made of beyond plain markup. Each part renders usefully
//! on the server first, so pages work without JavaScript. The countdown
//! screens' `Countdown` is the one Leptos island (a state machine that runs
//! for hours); every other page is enhanced by `public/enhance.js`, which
//! finds these components' elements by their data attributes.

pub mod copy_button;
pub mod countdown;
pub mod lang_switch;
pub mod live;
pub mod now_line;
pub mod starts_in;
pub mod zone;

pub use copy_button::CopyButton;
pub use countdown::{Countdown, ScreenLabels};
pub use lang_switch::LangSwitch;
pub use live::LiveRegions;
pub use now_line::NowLine;
pub use starts_in::StartsIn;
pub use zone::{LocalTime, ZoneScope};
