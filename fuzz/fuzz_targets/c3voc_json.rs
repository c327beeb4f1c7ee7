//! The C3VOC importer on JSON input (`POST …/import`, `marquee import`):
//! any bytes give a schedule or a `FormatError`, never a panic; and what
//! it accepts, exported again, imports again to the same schedule.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Only JSON here (the XML target covers the rest): a leading '{'.
    let mut doc = Vec::with_capacity(data.len() + 1);
    doc.push(b'{');
    doc.extend_from_slice(data.strip_prefix(b"{").unwrap_or(data));
    marquee_fuzz::round_trip(&doc, server::c3voc::export_json);
});
