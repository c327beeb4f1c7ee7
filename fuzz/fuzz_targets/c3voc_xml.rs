//! The C3VOC importer on XML input: any bytes give a schedule or a
//! `FormatError`, never a panic; what it accepts round-trips through the
//! XML export.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut doc = Vec::with_capacity(data.len() + 1);
    doc.push(b'<');
    doc.extend_from_slice(data.strip_prefix(b"<").unwrap_or(data));
    marquee_fuzz::round_trip(&doc, server::c3voc::export_xml);
});
