//! `hoard::fuzzing::wire_head`: the properties are there, shared with tests/fuzz.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hoard::fuzzing::wire_head(data));
