//! Status vocabulary in the reader's language.

use rust_i18n::t;

use crate::domain::status::{CANCELLED, ComponentStatus, Impact, IncidentStatus};
use crate::store::{IncidentRecord, IncidentUpdateRecord};

pub fn component(s: ComponentStatus, lang: &str) -> String {
    t!(format!("component.{}", s.as_str()), locale = lang).to_string()
}

pub fn incident(s: IncidentStatus, lang: &str) -> String {
    t!(format!("incident.{}", s.as_str()), locale = lang).to_string()
}

/// An incident's status as its card shows it: a cancelled maintenance
/// (stored as completed) says "Cancelled".
pub fn incident_of(i: &IncidentRecord, lang: &str) -> String {
    match i.cancelled_at {
        Some(_) if i.status == IncidentStatus::Completed => cancelled(lang),
        _ => incident(i.status, lang),
    }
}

/// One timeline entry's status: the update that cancelled a maintenance
/// says "Cancelled" (it was written at `cancelled_at`).
pub fn update_of(i: &IncidentRecord, u: &IncidentUpdateRecord, lang: &str) -> String {
    if u.status == IncidentStatus::Completed && i.cancelled_at == Some(u.created_at) {
        cancelled(lang)
    } else {
        incident(u.status, lang)
    }
}

fn cancelled(lang: &str) -> String {
    t!(format!("incident.{CANCELLED}"), locale = lang).to_string()
}

pub fn impact(i: Impact, lang: &str) -> String {
    t!(format!("impact.{}", i.as_str()), locale = lang).to_string()
}

/// Statuspage's page-wide description ("All Systems Operational", …).
pub fn indicator(i: Impact, lang: &str) -> String {
    t!(format!("indicator.{}", i.as_str()), locale = lang).to_string()
}
