//! Weight files: safetensors round trip and PyTorch checkpoints (zip and
//! legacy) read without executing them. Fixtures come from
//! `tests/fixtures/make_pth.py`; no GPU is involved.

use shaders::nn::io::pth;
use shaders::nn::io::weights::{is_ignored_key, DType, HostTensor, StateDict, WeightsError, WeightsFormat};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run tests/fixtures/make_pth.py)"))
}

fn expected() -> StateDict {
    StateDict::from_safetensors(&fixture("expected.safetensors")).expect("expected.safetensors")
}

fn load_err(bytes: &[u8]) -> WeightsError {
    match StateDict::load(bytes) {
        Ok(sd) => panic!("expected an error, loaded {} tensors", sd.len()),
        Err(e) => e,
    }
}

/// Compares names, order, shapes and exact values.
fn assert_same(what: &str, got: &StateDict, want: &StateDict) {
    // Legacy InstanceNorm statistics are kept in the dict; networks that do
    // not declare them ignore them.
    let names: Vec<&str> = got.names().filter(|n| !is_ignored_key(n)).collect();
    let want_names: Vec<&str> = want.names().collect();
    assert_eq!(names, want_names, "{what}: names or order differ");
    for ((name, g), (_, w)) in got.iter().filter(|(n, _)| !is_ignored_key(n)).zip(want.iter()) {
        assert_eq!(g.shape, w.shape, "{what}: shape of `{name}`");
        let bad = g.data.iter().zip(&w.data).position(|(a, b)| a.to_bits() != b.to_bits());
        assert!(
            bad.is_none(),
            "{what}: `{name}`[{}] = {} but expected {}",
            bad.unwrap(),
            g.data[bad.unwrap()],
            w.data[bad.unwrap()]
        );
    }
}

#[test]
fn safetensors_round_trip_keeps_order_values_and_metadata() {
    let mut sd = StateDict::new();
    sd.insert("model.1.weight", HostTensor::new(vec![2, 3, 1, 1], vec![1.0, -2.5, 3.25, 0.0, -0.0, 1e-30])).unwrap();
    sd.insert("model.10.conv_block.5.bias", HostTensor::new(vec![2], vec![f32::MIN_POSITIVE, f32::MAX])).unwrap();
    sd.insert("model.1.bias", HostTensor::new(vec![2], vec![0.5, 0.25])).unwrap();
    sd.insert("scalar", HostTensor::new(vec![], vec![7.0])).unwrap();
    sd.insert("empty", HostTensor::new(vec![0, 4], vec![])).unwrap();
    sd.set_metadata("ngf", "64");
    sd.set_metadata("name \"quoted\"", "väl\nue");
    let bytes = sd.to_safetensors();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    assert_eq!(header_len % 8, 0, "header is padded to 8 bytes");
    assert!(std::str::from_utf8(&bytes[8..8 + header_len]).unwrap().contains("__metadata__"));
    assert_eq!(WeightsFormat::detect(&bytes), Some(WeightsFormat::Safetensors));
    let back = StateDict::load(&bytes).unwrap();
    assert_eq!(back, sd);
    assert_eq!(
        back.names().collect::<Vec<_>>(),
        ["model.1.weight", "model.10.conv_block.5.bias", "model.1.bias", "scalar", "empty"]
    );
    assert_eq!(back.metadata().get("ngf").map(String::as_str), Some("64"));
    assert_eq!(back.to_safetensors(), bytes, "writing is deterministic");
}

#[test]
fn state_dict_insert_replace_remove() {
    let mut sd = StateDict::new();
    sd.insert("a", HostTensor::new(vec![1], vec![1.0])).unwrap();
    sd.insert("b", HostTensor::new(vec![1], vec![2.0])).unwrap();
    sd.insert("c", HostTensor::new(vec![1], vec![3.0])).unwrap();
    sd.insert("a", HostTensor::new(vec![2], vec![4.0, 5.0])).unwrap();
    assert_eq!(sd.names().collect::<Vec<_>>(), ["a", "b", "c"]);
    assert_eq!(sd.get("a").unwrap().data, [4.0, 5.0]);
    assert_eq!(sd.remove("b").unwrap().data, [2.0]);
    assert_eq!(sd.get("c").unwrap().data, [3.0]);
    assert!(sd.get("b").is_none());
    let bad = HostTensor { shape: vec![3], data: vec![1.0] };
    let err = sd.insert("model.4.weight", bad).unwrap_err();
    assert!(err.to_string().contains("model.4.weight"), "{err}");
}

#[test]
fn zip_checkpoint_matches_expected() {
    let bytes = fixture("resnet_zip.pth");
    assert_eq!(WeightsFormat::detect(&bytes), Some(WeightsFormat::PthZip));
    let sd = StateDict::load(&bytes).unwrap();
    assert_same("resnet_zip.pth", &sd, &expected());
    assert_eq!(sd.get("model.19.weight").unwrap().shape, [8, 4, 3, 3], "ConvTranspose weight stays [in, out, kh, kw]");
}

#[test]
fn legacy_checkpoint_matches_expected() {
    let bytes = fixture("resnet_legacy.pth");
    assert_eq!(WeightsFormat::detect(&bytes), Some(WeightsFormat::PthLegacy));
    let sd = StateDict::load(&bytes).unwrap();
    assert_same("resnet_legacy.pth", &sd, &expected());
}

#[test]
fn running_stats_are_kept_and_the_batch_counter_dropped() {
    for name in ["resnet_zip.pth", "resnet_legacy.pth"] {
        let raw = pth::read_state_dict(&fixture(name)).unwrap();
        let stats: Vec<&str> = raw.iter().map(|(k, _)| k.as_str()).filter(|k| k.starts_with("model.2.")).collect();
        assert_eq!(stats, ["model.2.running_mean", "model.2.running_var", "model.2.num_batches_tracked"], "{name}");
        let tracked = &raw.iter().find(|(k, _)| k == "model.2.num_batches_tracked").unwrap().1;
        assert_eq!(
            (tracked.dtype, tracked.shape.as_slice(), tracked.data.as_slice()),
            (DType::I64, &[][..], &[7.0][..])
        );
        let sd = StateDict::load(&fixture(name)).unwrap();
        let kept: Vec<&str> = sd.names().filter(|k| k.starts_with("model.2.")).collect();
        assert_eq!(kept, ["model.2.running_mean", "model.2.running_var"], "{name}");
    }
}

#[test]
fn zip_fixture_stores_mixed_dtypes() {
    let raw = pth::read_state_dict(&fixture("resnet_zip.pth")).unwrap();
    let dtype = |k: &str| raw.iter().find(|(n, _)| n == k).unwrap().1.dtype;
    assert_eq!(dtype("model.1.bias"), DType::BF16);
    assert_eq!(dtype("model.4.bias"), DType::F64);
    assert_eq!(dtype("model.19.bias"), DType::F16);
    assert_eq!(dtype("model.1.weight"), DType::F32);
}

#[test]
fn training_checkpoint_yields_its_state_dict() {
    let sd = StateDict::load(&fixture("checkpoint.pth")).unwrap();
    let want = expected();
    assert_eq!(sd.names().collect::<Vec<_>>(), ["model.1.weight", "model.1.bias"]);
    for (name, t) in sd.iter() {
        assert_eq!(t, want.get(name).unwrap(), "{name}");
    }
}

#[test]
fn malicious_pickles_are_rejected_naming_the_global() {
    for (file, global) in [("malicious.pth", "os.system"), ("malicious.pkl", "builtins.eval")] {
        let err = load_err(&fixture(file));
        assert!(matches!(err, WeightsError::ForbiddenGlobal { .. }), "{file}: {err:?}");
        assert!(err.to_string().contains(global), "{file}: {err}");
    }
}

#[test]
fn truncated_files_are_errors() {
    let err = load_err(&fixture("truncated.pth"));
    assert!(err.to_string().contains("ends early"), "{err}");
    // Every prefix of every fixture fails cleanly (or, for a prefix that is itself complete, loads).
    for name in ["resnet_zip.pth", "resnet_legacy.pth", "expected.safetensors", "checkpoint.pth"] {
        let bytes = fixture(name);
        for len in 0..bytes.len() {
            if let Ok(sd) = StateDict::load(&bytes[..len]) {
                panic!("{name} cut to {len} bytes loaded {} tensors", sd.len());
            }
        }
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    // Flip each byte of the small fixtures in turn: every outcome must be a value or an error.
    for name in ["resnet_legacy.pth", "checkpoint.pth", "not_tensor.pth", "expected.safetensors"] {
        let bytes = fixture(name);
        for i in 0..bytes.len() {
            for flip in [0xff, 0x01, 0x80] {
                let mut b = bytes.clone();
                b[i] ^= flip;
                let _ = StateDict::load(&b);
            }
        }
    }
}

#[test]
fn garbage_is_an_unknown_format() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let garbage: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 56) as u8 & 0x7f
        })
        .collect();
    let err = load_err(&garbage);
    assert!(matches!(err, WeightsError::UnknownFormat { .. }), "{err:?}");
    assert!(matches!(load_err(b""), WeightsError::UnknownFormat { .. }));
    // A pickle that is not a checkpoint, and a zip that is not a torch archive.
    assert!(load_err(b"\x80\x02K\x05.").to_string().contains("magic number"));
    let err = load_err(b"PK\x03\x04 not really a zip");
    assert!(err.to_string().contains("end-of-central-directory"), "{err}");
    // A safetensors header that lies about its size.
    let mut st = 1000u64.to_le_bytes().to_vec();
    st.extend_from_slice(b"{}");
    assert!(matches!(load_err(&st), WeightsError::Truncated(_)));
}

#[test]
fn non_finite_values_are_rejected_naming_the_tensor() {
    let err = load_err(&fixture("nonfinite.pth"));
    assert!(matches!(&err, WeightsError::NonFinite { key, index: 1, .. } if key == "model.1.bias"), "{err:?}");
    let mut sd = StateDict::new();
    sd.insert("model.1.weight", HostTensor::new(vec![3], vec![0.0, 1.0, 2.0])).unwrap();
    sd.insert("model.4.weight", HostTensor::new(vec![3], vec![0.0, f32::NAN, 2.0])).unwrap();
    let err = load_err(&sd.to_safetensors());
    assert!(err.to_string().contains("model.4.weight"), "{err}");
    assert!(err.to_string().contains("NaN"), "{err}");
}

#[test]
fn wrongly_typed_entries_are_rejected_naming_the_key() {
    let err = load_err(&fixture("not_tensor.pth"));
    assert!(matches!(&err, WeightsError::NotATensor { key, .. } if key == "model.1.bias"), "{err:?}");
    assert!(err.to_string().contains("an int (3)"), "{err}");
    let err = load_err(&fixture("wrong_dtype.pth"));
    assert!(matches!(&err, WeightsError::DType { key, .. } if key == "model.1.bias"), "{err:?}");
    assert!(err.to_string().contains("I64"), "{err}");
    // The same in safetensors: an I32 tensor, and a header entry without a shape.
    let header = r#"{"model.1.bias":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#;
    let mut st = (header.len() as u64).to_le_bytes().to_vec();
    st.extend_from_slice(header.as_bytes());
    st.extend_from_slice(&[0; 4]);
    let err = load_err(&st);
    assert!(matches!(&err, WeightsError::DType { key, .. } if key == "model.1.bias"), "{err:?}");
    let header = r#"{"model.1.bias":{"dtype":"F32","data_offsets":[0,4]}}"#;
    let mut st = (header.len() as u64).to_le_bytes().to_vec();
    st.extend_from_slice(header.as_bytes());
    st.extend_from_slice(&[0; 4]);
    let err = load_err(&st);
    assert!(err.to_string().contains("model.1.bias") && err.to_string().contains("shape"), "{err}");
}

#[test]
fn safetensors_offsets_are_validated() {
    let mut sd = StateDict::new();
    sd.insert("a", HostTensor::new(vec![2], vec![1.0, 2.0])).unwrap();
    sd.insert("b", HostTensor::new(vec![1], vec![3.0])).unwrap();
    let bytes = sd.to_safetensors();
    // Trailing bytes after the last tensor.
    let mut long = bytes.clone();
    long.extend_from_slice(&[0; 4]);
    assert!(matches!(load_err(&long), WeightsError::Header(_)));
    // Shape that does not fill its offsets, named.
    let needle = b"\"shape\":[2]";
    let at = bytes.windows(needle.len()).position(|w| w == needle).expect("shape of `a` in the header");
    let mut patched = bytes.clone();
    patched[at + needle.len() - 2] = b'3';
    let err = load_err(&patched);
    assert!(err.to_string().contains("`a`"), "{err}");
}

#[test]
fn unet_checkpoint_keeps_batch_norm_statistics() {
    // pix2pix's generator: every BatchNorm's running statistics load as
    // tensors; the int64 batch counters are dropped.
    let bytes = fixture("unet_zip.pth");
    let sd = StateDict::load(&bytes).unwrap();
    let want = StateDict::from_safetensors(&fixture("unet_expected.safetensors")).unwrap();
    assert_eq!(sd, want);
    assert!(sd.names().all(|k| !k.ends_with("num_batches_tracked")));
    assert_eq!(sd.names().filter(|k| k.ends_with(".running_var")).count(), 7);
    let var = sd.get("model.model.1.model.2.running_var").unwrap();
    assert_eq!(var.shape, [4]);
    assert!(var.data.iter().all(|&v| v > 0.0));
    // A cut file fails cleanly wherever it is cut.
    for len in [0, 100, bytes.len() / 2, bytes.len() - 22, bytes.len() - 1] {
        assert!(StateDict::load(&bytes[..len]).is_err(), "unet_zip.pth cut to {len} bytes loaded");
    }
}

#[test]
fn deflated_archive_loads_like_the_stored_one() {
    // torch.save stores records uncompressed; the same archive re-zipped with
    // deflate (unzip, then zip -r) reads the same.
    let sd = StateDict::load(&fixture("deflated.pth")).unwrap();
    assert_same("deflated.pth", &sd, &expected());
    // A flipped bit inside a record fails its CRC-32.
    let mut bytes = fixture("resnet_zip.pth");
    let first: Vec<u8> =
        expected().get("model.1.weight").unwrap().data[..4].iter().flat_map(|v| v.to_le_bytes()).collect();
    let at = bytes.windows(16).position(|w| w == first).expect("model.1.weight's values in the archive");
    bytes[at + 5] ^= 0x10;
    let err = load_err(&bytes);
    assert!(err.to_string().contains("CRC-32"), "{err}");
}

#[test]
fn bundled_generators_round_trip_byte_for_byte() {
    // The writer lays out what the reader reads: the page's generators, written
    // by an earlier trainer, come back as the same bytes.
    for name in ["G_A.safetensors", "G_B.safetensors"] {
        let path = format!("{}/../web/models/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let sd = StateDict::load(&bytes).unwrap();
        assert_eq!(sd.metadata().get("net_g").map(String::as_str), Some("resnet_6blocks"), "{name}");
        assert!(sd.to_safetensors() == bytes, "{name}: rewritten bytes differ");
    }
}

#[test]
fn deeply_nested_pickles_are_errors_not_stack_overflows() {
    // A pickle nests a tuple per byte (TUPLE1) and a list per two bytes
    // (EMPTY_LIST, then APPEND): a megabyte of either once overflowed the
    // stack while its values were dropped, aborting the process.
    let n = 1_000_000;
    let mut tuples = b"\x80\x02)".to_vec();
    tuples.extend(std::iter::repeat_n(0x85u8, n));
    tuples.push(b'.');
    let mut lists = b"\x80\x02".to_vec();
    lists.extend(std::iter::repeat_n(b']', n));
    lists.extend(std::iter::repeat_n(b'a', n - 1));
    lists.push(b'.');
    let mut dicts = b"\x80\x02".to_vec();
    for _ in 0..n / 4 {
        dicts.extend(b"}K\x01");
    }
    dicts.push(b'}');
    dicts.extend(std::iter::repeat_n(b's', n / 4));
    dicts.push(b'.');
    for (what, bytes) in [("tuples", tuples), ("lists", lists), ("dicts", dicts)] {
        let err = load_err(&bytes);
        assert!(err.to_string().contains("magic number"), "{what}: {err}");
    }
}

#[test]
fn a_storage_named_by_many_keys_cannot_fill_memory() {
    // 64 keys view one 16 KB storage: 1 MB of values from a 21 KB file, more
    // than the four values per file byte a checkpoint may load.
    let err = load_err(&fixture("shared_storage.pth"));
    assert!(matches!(&err, WeightsError::Tensor { .. }) && err.to_string().contains("four per byte"), "{err}");
    // Tied weights (one storage under two names) stay well within it.
    assert!(StateDict::load(&fixture("resnet_zip.pth")).is_ok());
}

#[test]
fn self_referential_pickles_are_errors_and_freed() {
    // Found by the pth_zip fuzz target: EMPTY_LIST, DUP, APPEND makes a list
    // that holds itself, a reference cycle reference counting never frees
    // (LeakSanitizer reported it). The unpickler now empties every list and
    // dict its result does not hold; tests/fuzz/run.sh replays the input
    // under LeakSanitizer in CI.
    let err = load_err(&fixture("fuzz_pickle_cycle_leak.pkl"));
    assert!(matches!(err, WeightsError::Pickle { .. }), "{err:?}");
    // A cycle the result would hold is refused: a list in itself, a dict in itself.
    for pickle in [&b"\x80\x02]q\x00h\x00a."[..], b"\x80\x02}q\x00K\x01h\x00s."] {
        let err = load_err(pickle);
        assert!(err.to_string().contains("contains itself"), "{err}");
    }
}
