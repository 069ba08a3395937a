#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sprechstunde::fuzzing::ws_message(data));
