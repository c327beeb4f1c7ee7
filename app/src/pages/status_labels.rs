//! Status vocabulary in the reader's language.

use rust_i18n::t;

use crate::domain::status::{ComponentStatus, Impact, IncidentStatus};

pub fn component(s: ComponentStatus, lang: &str) -> String {
    t!(format!("component.{}", s.as_str()), locale = lang).to_string()
}

pub fn incident(s: IncidentStatus, lang: &str) -> String {
    t!(format!("incident.{}", s.as_str()), locale = lang).to_string()
}

pub fn impact(i: Impact, lang: &str) -> String {
    t!(format!("impact.{}", i.as_str()), locale = lang).to_string()
}

/// Statuspage's page-wide description ("All Systems Operational", …).
pub fn indicator(i: Impact, lang: &str) -> String {
    t!(format!("indicator.{}", i.as_str()), locale = lang).to_string()
}
