//! The restricted unpickler and the tensors it rebuilds. The first byte picks
//! the container for the rest: even, a legacy torch.save stream (five pickles
//! and raw storages); odd, the `data.pkl` of a zip checkpoint whose storages
//! are those of tests/fixtures/resnet_zip.pth, so the fuzzer mutates pickles
//! rather than CRCs.
#![no_main]

use std::io::{Cursor, Read, Write};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use shaders::nn::io::weights::StateDict;
use zip::write::SimpleFileOptions;

/// The fixture's records other than `data.pkl`: (name, contents).
fn storages() -> &'static [(String, Vec<u8>)] {
    static RECORDS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        let bytes = include_bytes!("../../fixtures/resnet_zip.pth");
        let mut z = zip::ZipArchive::new(Cursor::new(&bytes[..])).expect("the fixture is a zip");
        let names: Vec<String> = z.file_names().map(str::to_string).collect();
        names
            .into_iter()
            .filter(|n| !n.ends_with("/data.pkl"))
            .map(|n| {
                let mut v = Vec::new();
                z.by_name(&n).unwrap().read_to_end(&mut v).unwrap();
                (n, v)
            })
            .collect()
    })
}

/// A torch.save archive holding `pkl` as `resnet_zip/data.pkl`.
fn archive(pkl: &[u8]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("resnet_zip/data.pkl", stored).unwrap();
    w.write_all(pkl).unwrap();
    for (name, data) in storages() {
        w.start_file(name.as_str(), stored).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        let _ = StateDict::from_pth(rest);
    } else {
        let _ = StateDict::from_pth(&archive(rest));
    }
});
