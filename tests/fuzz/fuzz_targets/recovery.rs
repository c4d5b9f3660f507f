//! Any bytes as a log segment, a checkpoint and a key file (or a log of
//! whole records, then damaged): recovering the data directory never
//! panics, recovers or names the damage, and `--repair` keeps every record
//! that verifies. The checks are `warroom::storage::probe`'s.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    warroom::storage::probe::check(data);
});
