//! Issue 18 point 6: the plain test suite replays the fuzz targets' committed corpus (`fuzz/corpus/<target>`)
//! through the same functions the fuzzer calls (`sprechstunde::fuzzing`): a crash or a broken rule that a
//! fuzzing run once found, and that was saved to the corpus, fails here on every machine, without a
//! nightly toolchain.
use std::path::Path;

use sprechstunde::fuzzing::TARGETS;

#[test]
fn every_fuzz_target_replays_its_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (name, target) in TARGETS {
        let source = std::fs::read_to_string(root.join("fuzz_targets").join(format!("{name}.rs")))
            .unwrap_or_else(|_| panic!("fuzz/fuzz_targets/{name}.rs"));
        assert!(source.contains(&format!("sprechstunde::fuzzing::{name}(data)")), "{name}.rs calls its function");
        let mut inputs = 0;
        for entry in std::fs::read_dir(root.join("corpus").join(name)).unwrap() {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name}: {} ({:?}) fails", path.display(), String::from_utf8_lossy(&data));
            inputs += 1;
        }
        assert!(inputs >= 4, "{name}: a corpus of {inputs} inputs is too small");
    }
    let listed: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    for entry in std::fs::read_dir(root.join("fuzz_targets")).unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        assert!(listed.contains(&file.trim_end_matches(".rs")), "{file} is not in sprechstunde::fuzzing::TARGETS");
    }
}
