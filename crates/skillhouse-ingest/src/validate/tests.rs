use super::*;
use crate::field::FIELD_COUNT;
use crate::reference::Agency;
use proptest::prelude::*;
use skillhouse_model::AgencyType;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

fn id(birth: NaiveDate, seq: u16) -> String {
    IdNumber::from_parts("410102", birth, seq).expect("id").expose().to_string()
}

struct Fixture {
    registry: Registry,
    occupations: Occupations,
    key: PseudonymKey,
}

fn fixture() -> Fixture {
    Fixture {
        registry: Registry::from_agencies([Agency {
            agency_id: "A001".into(),
            name: "测试机构".into(),
            agency_type: AgencyType::Enterprise,
            region_code: "410100".into(),
            registered_on: None,
            deregistered_on: None,
        }]),
        occupations: Occupations::from_entries([
            ("6-31-01-03", Level::L5, Level::L1),
            ("4-10-01-06", Level::L5, Level::L2),
        ]),
        key: PseudonymKey::from_bytes(&[9u8; 32]).expect("key"),
    }
}

fn ctx<'a>(f: &'a Fixture, folder: &'a str) -> RowContext<'a> {
    RowContext {
        folder_agency: folder,
        registry: &f.registry,
        occupations: &f.occupations,
        as_of: d(2025, 6, 30),
        key: &f.key,
    }
}

/// A good skill_level row; tests change one cell at a time.
fn good() -> Vec<(Field, String)> {
    vec![
        (Field::IdNumber, id(d(1990, 3, 15), 101)),
        (Field::Name, "测试甲".into()),
        (Field::CertNo, "Y000141000001243000001".into()),
        (Field::CertType, "职业技能等级证书".into()),
        (Field::OccupationCode, "6-31-01-03".into()),
        (Field::Level, "三级/高级工".into()),
        (Field::IssueDate, "2024-05-10".into()),
        (Field::AgencyId, "A001".into()),
        (Field::Programme, "先进制造业".into()),
    ]
}

fn run(row: &[(Field, String)], folder: &str) -> RowOutcome {
    let f = fixture();
    let mut cells: RowCells<'_> = [None; FIELD_COUNT];
    for (field, value) in row {
        cells[field.index()] = Some(value.as_str());
    }
    validate_row(&cells, &ctx(&f, folder))
}

fn with(changes: &[(Field, &str)]) -> Vec<(Field, String)> {
    let mut row = good();
    for (field, value) in changes {
        row.retain(|(f, _)| f != field);
        row.push((*field, (*value).to_string()));
    }
    row
}

fn reason(outcome: &RowOutcome) -> Option<RejectReason> {
    match outcome {
        RowOutcome::Accepted(_) => None,
        RowOutcome::Rejected(r) => Some(r.reason),
    }
}

#[test]
fn a_good_row_is_accepted_with_derived_columns() {
    let outcome = run(&with(&[(Field::CertNo, "y000141000001243000001")]), "A001");
    let RowOutcome::Accepted(row) = outcome else { panic!("rejected: {outcome:?}") };
    assert_eq!(row.cert_no, "Y000141000001243000001");
    assert_eq!(row.level, Some(Level::L3));
    assert_eq!(row.birth_date, d(1990, 3, 15));
    assert_eq!(row.hukou_region, "410102");
    assert!(row.is_youth, "34 on the issue date");
    assert_eq!(row.programme, Some(Programme::AdvancedManufacturing));
    assert_eq!(row.person_key.len(), 64);
}

#[test]
fn each_reason_from_one_crafted_row() {
    let good_no = "Y000141000001243000001";
    let minor = id(d(2010, 1, 1), 303);
    let mut bad_check = id(d(1990, 3, 15), 101);
    let last = bad_check.pop().unwrap_or('0');
    bad_check.push(if last == '1' { '2' } else { '1' });
    let cases: Vec<(Vec<(Field, String)>, RejectReason)> = vec![
        (with(&[(Field::CertNo, good_no), (Field::IdNumber, " ")]), RejectReason::MissingField),
        (with(&[(Field::CertNo, good_no), (Field::IdNumber, "41010219900315123")]), RejectReason::IdFormat),
        (with(&[(Field::CertNo, good_no), (Field::IdNumber, &bad_check)]), RejectReason::IdChecksum),
        (with(&[(Field::CertNo, good_no), (Field::CertType, "荣誉证书")]), RejectReason::UnknownCertType),
        (with(&[(Field::CertNo, good_no), (Field::Level, "六级")]), RejectReason::UnknownLevel),
        (with(&[(Field::CertNo, good_no), (Field::Level, "")]), RejectReason::UnknownLevel),
        (with(&[(Field::CertNo, "T1"), (Field::CertType, "培训合格证书")]), RejectReason::UnknownLevel),
        (with(&[(Field::CertNo, good_no), (Field::OccupationCode, "9-99-99-99")]), RejectReason::UnknownOccupation),
        (with(&[(Field::CertNo, good_no), (Field::OccupationCode, "")]), RejectReason::UnknownOccupation),
        (
            with(&[
                (Field::CertNo, "Y000141000001241000001"),
                (Field::OccupationCode, "4-10-01-06"),
                (Field::Level, "一级"),
            ]),
            RejectReason::LevelNotOffered,
        ),
        (with(&[(Field::CertNo, good_no), (Field::IssueDate, "2024-02-30")]), RejectReason::IssueDateInvalid),
        (with(&[(Field::CertNo, good_no), (Field::IssueDate, "2025-07-01")]), RejectReason::IssueDateFuture),
        (with(&[(Field::CertNo, good_no), (Field::IdNumber, &minor)]), RejectReason::UnderAge),
        (with(&[(Field::CertNo, good_no), (Field::AgencyId, "A999")]), RejectReason::AgencyMismatch),
        (with(&[(Field::CertNo, "Y123")]), RejectReason::CertNoFormat),
        (with(&[(Field::CertNo, "Y000141000001233000001")]), RejectReason::CertNoYearMismatch),
        (with(&[(Field::CertNo, "Y000141000001244000001")]), RejectReason::CertNoLevelMismatch),
    ];
    for (row, want) in cases {
        assert_eq!(reason(&run(&row, "A001")), Some(want), "{want}");
    }
    assert_eq!(
        reason(&run(&with(&[(Field::CertNo, good_no), (Field::AgencyId, "A404")]), "A404")),
        Some(RejectReason::UnknownAgency)
    );
    assert_eq!(
        reason(&run(&with(&[(Field::CertNo, good_no), (Field::AgencyId, "A999")]), "A404")),
        Some(RejectReason::AgencyMismatch),
        "mismatch is checked before the registry"
    );
}

#[test]
fn the_first_failing_rule_wins() {
    // Wrong checksum and an unknown cert type and a future date: id_checksum comes first.
    let mut bad = id(d(1990, 3, 15), 101);
    bad.replace_range(17..18, if bad.ends_with('1') { "2" } else { "1" });
    let row = with(&[(Field::IdNumber, &bad), (Field::CertType, "?"), (Field::IssueDate, "2099-01-01")]);
    assert_eq!(reason(&run(&row, "A404")), Some(RejectReason::IdChecksum));
}

#[test]
fn appointed_grades_and_other_types_skip_the_number_rule() {
    let chief = with(&[(Field::CertNo, "CHIEF-01"), (Field::Level, "首席技师")]);
    assert_eq!(reason(&run(&chief, "A001")), None);
    let qualification = with(&[(Field::CertNo, "1234567890123456"), (Field::CertType, "职业资格证书")]);
    assert_eq!(reason(&run(&qualification, "A001")), None);
    let training = vec![
        (Field::IdNumber, id(d(1990, 3, 15), 101)),
        (Field::CertNo, "T-1".to_string()),
        (Field::CertType, "training".to_string()),
        (Field::IssueDate, "20240501".to_string()),
    ];
    assert_eq!(reason(&run(&training, "A001")), None);
}

#[test]
fn youth_bounds_are_inclusive() {
    let at = |birth: NaiveDate| {
        let row = with(&[(Field::CertNo, "Y000141000001243000001"), (Field::IdNumber, &id(birth, 101))]);
        match run(&row, "A001") {
            RowOutcome::Accepted(r) => Some(r.is_youth),
            RowOutcome::Rejected(_) => None,
        }
    };
    assert_eq!(at(d(2008, 5, 10)), Some(true), "16 on the issue date");
    assert_eq!(at(d(2008, 5, 11)), None, "15: under_age");
    assert_eq!(at(d(1988, 5, 11)), Some(true), "35");
    assert_eq!(at(d(1988, 5, 10)), Some(false), "36");
}

#[test]
fn reject_rows_mask_ids_and_drop_names() {
    let raw_id = id(d(1990, 3, 15), 101);
    let mut cells: RowCells<'_> = [None; FIELD_COUNT];
    cells[Field::IdNumber.index()] = Some(raw_id.as_str());
    cells[Field::Name.index()] = Some("测试甲");
    cells[Field::CertNo.index()] = Some(raw_id.as_str());
    let json = masked_row_json(&cells);
    assert!(!json.contains(&raw_id) && !json.contains("测试甲"), "{json}");
    assert!(json.contains(&format!("{}***********{}", &raw_id[..6], &raw_id[17..])), "{json}");
}

#[test]
fn ids_inside_text_are_masked_and_other_text_is_kept() {
    let raw_id = id(d(1990, 3, 15), 101);
    let masked = format!("{}***********{}", &raw_id[..6], &raw_id[17..]);
    assert_eq!(mask_ids_in(&raw_id), masked, "the whole cell");
    assert_eq!(mask_ids_in(&format!(" {raw_id}\u{3000}")), masked, "spaces around it");
    assert_eq!(mask_ids_in(&format!("持证人{raw_id}伪造材料")), format!("持证人{masked}伪造材料"), "inside text");
    let full_width: String =
        raw_id.chars().map(|c| char::from_u32(c as u32 - 0x21 + 0xFF01).expect("full width")).collect();
    assert_eq!(mask_ids_in(&format!("身份证{full_width}")), format!("身份证{masked}"), "full-width digits");
    // Not an ID: a wrong check digit, a longer run of digits, an ordinary reason, a certificate number.
    let mut wrong = raw_id.clone();
    let last = if wrong.ends_with('0') { "1" } else { "0" };
    wrong.replace_range(17.., last);
    for kept in
        [format!("编号{wrong}"), format!("{raw_id}7"), "伪造材料".to_string(), "S000012345678901234".to_string()]
    {
        assert_eq!(mask_ids_in(&kept), kept);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, max_shrink_time: 10_000, ..ProptestConfig::default() })]

    /// Arbitrary text in every field: never panics, always exactly one outcome, details never echo the ID.
    #[test]
    fn any_row_has_exactly_one_outcome(values in proptest::collection::vec(proptest::option::of(".{0,30}"), FIELD_COUNT)) {
        let f = fixture();
        let mut cells: RowCells<'_> = [None; FIELD_COUNT];
        for (cell, value) in cells.iter_mut().zip(&values) {
            *cell = value.as_deref();
        }
        match validate_row(&cells, &ctx(&f, "A001")) {
            RowOutcome::Accepted(row) => prop_assert!(!row.cert_no.is_empty()),
            RowOutcome::Rejected(r) => {
                if let Some(id) = cells[Field::IdNumber.index()] && id.chars().count() >= 10 {
                    prop_assert!(!r.detail.contains(id.trim()) || id.trim().chars().count() < 10);
                }
            }
        }
    }

    /// Plausible rows built from the real spellings: the parser accepts or rejects, never panics.
    #[test]
    fn near_valid_rows_never_panic(
        seq in 0u16..1000,
        year in 1900i32..2030,
        level in prop::sample::select(vec!["五级", "4", "l3", "技师", "一级/高级技师", "特级技师", "首席技师", "x"]),
        kind in prop::sample::select(vec!["职业技能等级证书", "职业资格证书", "培训合格证书", "special_operation", "?"]),
        date in prop::sample::select(vec!["2024-05-01", "2024/5/1", "20240501", "2024年5月1日", "45413", "2024-13-01"]),
        cert in "[YS][0-9]{21}|[A-Z0-9-]{1,25}",
    ) {
        let birth = NaiveDate::from_ymd_opt(year, 6, 1).unwrap_or_else(|| d(1990, 1, 1));
        let row = vec![
            (Field::IdNumber, id(birth, seq)),
            (Field::CertNo, cert),
            (Field::CertType, kind.to_string()),
            (Field::OccupationCode, "6-31-01-03".to_string()),
            (Field::Level, level.to_string()),
            (Field::IssueDate, date.to_string()),
        ];
        let _ = reason(&run(&row, "A001"));
    }
}
