use super::*;
use proptest::prelude::*;

#[test]
fn known_vectors_validate() {
    // DESIGN §14 test vectors.
    let a = IdNumber::parse("11010519491231002X").expect("vector 1");
    assert_eq!(a.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).expect("date"));
    assert_eq!(a.gender(), Gender::Female);
    assert_eq!(a.hukou_region(), "110105");
    let b = IdNumber::parse("440524188001010014").expect("vector 2");
    assert_eq!(Some(b.birth_date()), NaiveDate::from_ymd_opt(1880, 1, 1));
    assert_eq!(b.gender(), Gender::Male);
}

#[test]
fn lower_case_x_spaces_and_full_width_normalise() {
    let canonical = IdNumber::parse("11010519491231002X").expect("valid");
    for spelling in ["11010519491231002x", " 11010519491231002X ", "１１０１０５１９４９１２３１００２ｘ"]
    {
        assert_eq!(IdNumber::parse(spelling).as_ref(), Ok(&canonical), "{spelling:?}");
    }
}

#[test]
fn legacy_fifteen_digit_converts() {
    // 110105491231002 is the 15-digit spelling of the first vector.
    let id = IdNumber::parse("110105491231002").expect("legacy");
    assert_eq!(id.expose(), "11010519491231002X");
    assert_eq!(id.legacy15().as_deref(), Some("110105491231002"));
}

#[test]
fn errors_map_to_reason_codes() {
    use crate::RejectReason;
    let cases = [
        ("", RejectReason::IdFormat),
        ("1101051949123100", RejectReason::IdFormat),
        ("11010519491231002Y", RejectReason::IdFormat),
        ("1101051949123A002X", RejectReason::IdFormat),
        ("110105194902300021", RejectReason::IdFormat), // 30 February
        ("110105179912310021", RejectReason::IdFormat), // before 1800
        ("110105194912310021", RejectReason::IdChecksum),
        ("110105490230002", RejectReason::IdFormat),
    ];
    for (raw, reason) in cases {
        assert_eq!(IdNumber::parse(raw).map(|_| ()).map_err(|e| e.reason()), Err(reason), "{raw:?}");
    }
}

#[test]
fn debug_and_display_never_show_the_number() {
    let id = IdNumber::parse("11010519491231002X").expect("valid");
    assert_eq!(id.masked(), "110105***********X");
    assert!(!format!("{id:?} {id}").contains("19491231"));
    assert_eq!(mask_id_text(" 4105 "), "****");
}

fn any_id() -> impl Strategy<Value = IdNumber> {
    (
        prop::sample::select(vec!["410102", "410203", "411302", "110105", "440524", "419001"]),
        0i64..(365 * 100),
        0u16..1000,
    )
        .prop_map(|(region, days, seq)| {
            let birth = NaiveDate::from_ymd_opt(1920, 1, 1).expect("date") + chrono::Days::new(days as u64);
            IdNumber::from_parts(region, birth, seq).expect("parts are valid")
        })
}

proptest! {
    #[test]
    fn every_generated_id_validates(id in any_id()) {
        let parsed = IdNumber::parse(id.expose()).expect("generated IDs validate");
        prop_assert_eq!(&parsed, &id);
        prop_assert_eq!(IdNumber::parse(&id.expose().to_lowercase()).ok(), Some(id.clone()));
        if let Some(legacy) = id.legacy15() {
            prop_assert_eq!(IdNumber::parse(&legacy).ok(), Some(id));
        }
    }

    #[test]
    fn any_single_digit_change_is_caught(id in any_id(), position in 0usize..18, delta in 1u8..10) {
        let mut bytes = id.expose().as_bytes().to_vec();
        let old = bytes[position];
        bytes[position] = if position == 17 {
            // The check position: replace with any other valid check character.
            let options = b"0123456789X";
            let index = options.iter().position(|c| *c == old).expect("check char");
            options[(index + usize::from(delta)) % options.len()]
        } else {
            b'0' + (old - b'0' + delta) % 10
        };
        let changed = String::from_utf8(bytes).expect("ascii");
        // A changed digit either breaks the birth date (id_format) or the checksum (id_checksum): never valid.
        prop_assert!(IdNumber::parse(&changed).is_err(), "{} accepted", changed);
    }
}
