use super::cache::SavedKeys;
use super::*;

#[test]
fn fingerprints_differ_and_repeat() {
    assert_eq!(cert_fingerprint("Y1"), cert_fingerprint("Y1"));
    assert_ne!(cert_fingerprint("Y1"), cert_fingerprint("Y2"));
    assert_eq!(group_fingerprint("p", "o", "l3"), group_fingerprint("p", "o", "l3"));
    assert_ne!(group_fingerprint("p", "o", "l3"), group_fingerprint("p", "o", "l4"));
    // The parts are delimited: moving characters between them changes the group.
    assert_ne!(group_fingerprint("pa", "b", "l3"), group_fingerprint("p", "ab", "l3"));
}

#[test]
fn a_key_row_is_24_bytes_and_keeps_all_128_bits() {
    assert_eq!(std::mem::size_of::<KeyRow>(), 24);
    let print = cert_fingerprint("Y1");
    assert_eq!(KeyRow::new(print, 3).cert(), print);
    assert_eq!(KeyRow::new(u128::MAX - 1, 0).cert(), u128::MAX - 1);
}

#[test]
fn saved_keys_read_back_and_a_damaged_or_foreign_file_is_not_trusted() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::new(dir.path());
    let (mut keys, _) = CertKeys::load(&layout, KeysMemory::default()).expect("an empty warehouse");
    let relative = "issue_year=2024/A__2024-01__0123456789ab.parquet";
    let slice = SliceName::of_path(Path::new(relative)).expect("a slice name");
    let rows = vec![KeyRow::new(7 | (5 << 64), 9), KeyRow::new(8, 0)];
    keys.add_rows(relative.into(), &slice, Some(5), &rows).expect("add");
    keys.save(&layout, Some([3; 32])).expect("save");
    let path = layout.certificate_keys_path();
    let saved = SavedKeys::open(&path).expect("a saved cache reads back");
    assert_eq!(saved.digest, Some([3; 32]));
    assert_eq!((saved.files[relative].size, saved.files[relative].n_rows, saved.n_prints), (Some(5), 2, 2));
    // After saving, the keys read their rows and numbers from the saved file.
    assert_eq!(keys.read_rows(&keys.files[relative]).expect("rows"), rows);
    assert!(keys.contains(7 | (5 << 64)).expect("lookup") && keys.contains(8).expect("lookup"));
    assert!(!keys.contains(9).expect("lookup") && !keys.contains(7).expect("lookup"));
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..bytes.len() - 3]).expect("truncate");
    assert!(SavedKeys::open(&path).is_none(), "a truncated cache");
    std::fs::write(&path, &bytes[..bytes.len() - 24]).expect("truncate");
    assert!(SavedKeys::open(&path).is_none(), "a cache cut by a whole fingerprint and more");
    let mut foreign = bytes.clone();
    foreign[9] ^= 1; // the build check
    std::fs::write(&path, &foreign).expect("write");
    assert!(SavedKeys::open(&path).is_none(), "another build's fingerprints");
    let mut longer = bytes;
    longer.push(0);
    std::fs::write(&path, &longer).expect("write");
    assert!(SavedKeys::open(&path).is_none(), "bytes after the end");
}
