//! Training drops (DESIGN §16) generated end to end and checked against their manifests with the independent
//! §16 checker of `training_landing`, and against the certificate drop they are linked to.

use crate::drops::{assert_same_tree, tree};
use crate::{landing, training_landing};
use chrono::{Datelike, NaiveDate};
use skillhouse_datagen::{Config, Manifest, generate};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One drop with training and defects, generated once for the read-only tests.
struct Fixture {
    landing: PathBuf,
    manifest: Manifest,
    training: training_landing::Outcome,
    certificates: landing::Outcome,
}

fn config() -> Config {
    Config { persons: 3_000, seed: 5, defect_rate: 0.05, training: 1.2, ..Config::default() }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let landing = Path::new(env!("CARGO_TARGET_TMPDIR")).join("datagen-training-fixture");
        let _ = std::fs::remove_dir_all(&landing);
        let manifest = generate(&config(), &landing).expect("generate");
        let training = training_landing::check(&landing, &manifest);
        let certificates = landing::check(&landing, &manifest);
        Fixture { landing, manifest, training, certificates }
    })
}

#[test]
fn training_files_match_the_manifest_row_by_row_with_every_reason() {
    let f = fixture();
    let training = f.manifest.training.as_ref().expect("training");
    for entry in training.files.iter().filter(|e| e.facts.readable) {
        let found = &f.training.files[&entry.path];
        assert_eq!(found.rows, entry.facts.rows, "{}: rows", entry.path);
        assert_eq!(found.accepted, entry.facts.valid_rows, "{}: valid rows", entry.path);
        assert_eq!(found.rejects, entry.facts.defects, "{}: rejects by reason", entry.path);
        assert_eq!(found.classes, entry.classes, "{}: classes", entry.path);
    }
    for reason in training_landing::REASONS {
        assert!(training.totals.defects.get(reason).is_some_and(|n| *n > 0), "no {reason} rows");
    }
    assert_eq!(training.totals.defects.len(), training_landing::REASONS.len(), "no other reason");
    let t = &training.totals;
    assert_eq!(t.rows, training.files.iter().map(|e| e.facts.rows).sum::<u64>());
    assert_eq!(t.rows, t.valid_rows + t.defect_rows);
    assert_eq!(f.training.accepted.len() as u64, t.valid_rows);
    assert_eq!(training.unregistered_providers, vec!["P99999".to_string()]);
    let share = t.defect_rows as f64 / t.rows as f64;
    assert!((0.03..=0.08).contains(&share), "defects near the 5% asked for: {share:.3}");
}

#[test]
fn training_figures_in_the_manifest_are_the_indicators_recomputed_from_the_files() {
    let f = fixture();
    let training = f.manifest.training.as_ref().expect("training");
    let as_of = NaiveDate::parse_from_str(&f.manifest.as_of, "%Y-%m-%d").expect("as_of");
    let figures =
        training_landing::figures(&f.training.accepted, &f.certificates.skill_certificates, 2021..=2025, as_of);
    assert_eq!(figures.years, training.calibration);
    assert_eq!(figures.classes, training.totals.classes);
    assert_eq!(figures.trainees, training.totals.trainees);
    assert_eq!(figures.trainees_with_certificates, training.totals.trainees_with_certificates);
    // The figures are not trivially zero.
    let sum = |g: &dyn Fn(&skillhouse_datagen::TrainingYear) -> u64| training.calibration.iter().map(g).sum::<u64>();
    for (name, value) in [
        ("certified", sum(&|y| y.certification_numerator)),
        ("flagged classes", sum(&|y| y.flagged_classes)),
        ("subsidised in flagged classes", sum(&|y| y.subsidised_in_noncompliant)),
        ("youth league", sum(&|y| y.youth_league_completed)),
        ("apprentices", sum(&|y| y.apprenticeship_persons)),
        ("gold collar", sum(&|y| y.gold_collar_persons)),
        ("vouchers", sum(&|y| y.vouchers_used)),
        ("repeat subsidised", sum(&|y| y.repeat_subsidised_persons)),
        ("oversize", sum(&|y| y.oversize_classes)),
        ("practical short", sum(&|y| y.practical_short_classes)),
        ("unsatisfied", sum(&|y| y.unsatisfied_classes)),
        ("short certificate courses", sum(&|y| y.short_certificate_course_classes)),
    ] {
        assert!(value > 0, "{name}: none in the drop");
    }
    // 持证率 like a real province's, even in a drop this small (≈ 0.57 at province scale).
    let rate = sum(&|y| y.certification_numerator) as f64 / sum(&|y| y.certification_denominator) as f64;
    assert!((0.25..0.75).contains(&rate), "持证率 {rate:.3}");
}

#[test]
fn trainees_are_largely_certificate_persons_with_valid_ids() {
    let f = fixture();
    let training = f.manifest.training.as_ref().expect("training");
    let holders: BTreeSet<&str> = f.certificates.skill_certificates.iter().map(|c| c.0.as_str()).collect();
    let trainees: BTreeSet<&str> = f.training.accepted.iter().map(|r| r.person.as_str()).collect();
    let overlap = trainees.iter().filter(|p| holders.contains(**p)).count();
    let share = overlap as f64 / trainees.len() as f64;
    assert!((0.35..=0.8).contains(&share), "{overlap} of {} trainees hold a certificate", trainees.len());
    assert!(trainees.len() as f64 > 0.3 * holders.len() as f64, "many certificate persons train");
    // A passed trainee's certificates in the class's occupation come mostly during the class or within 180 days
    // of its end, sometimes later, sometimes before it started (a lower level held already, or the odd class taken
    // after the certificate).
    let mut held: BTreeMap<(&str, &str), Vec<NaiveDate>> = BTreeMap::new();
    for (person, occupation, date) in &f.certificates.skill_certificates {
        held.entry((person, occupation)).or_default().push(*date);
    }
    let (mut within, mut later, mut before) = (0, 0, 0);
    for r in f.training.accepted.iter().filter(|r| r.result == "passed") {
        let Some(dates) = r.occupation.as_deref().and_then(|o| held.get(&(r.person.as_str(), o))) else { continue };
        for d in dates {
            if *d < r.start {
                before += 1;
            } else if (*d - r.end).num_days() > 180 {
                later += 1;
            } else {
                within += 1;
            }
        }
    }
    assert!(
        within > 2 * later && within > 2 * before && later > 0 && before > 0,
        "within {within}, later {later}, before {before}"
    );
    // No ID fails its check character but the injected id_checksum rows.
    assert_eq!(f.training.checksum_failures, training.totals.defects["id_checksum"]);
}

#[test]
fn valid_rows_are_classes_that_ended_in_the_files_month() {
    let f = fixture();
    assert!(!f.training.accepted.is_empty());
    for r in &f.training.accepted {
        assert_eq!(format!("{:04}-{:02}", r.end.year(), r.end.month()), r.period, "{}", r.class_id);
        assert!(r.start <= r.end);
    }
    // A class's rows agree on its dates and hours (so that size, hours and end date are the class's).
    let mut classes: BTreeMap<(&str, &str), (NaiveDate, NaiveDate, i64, i64)> = BTreeMap::new();
    for r in &f.training.accepted {
        let facts = (r.start, r.end, r.hours_total, r.hours_practical);
        assert_eq!(*classes.entry((&r.provider, &r.class_id)).or_insert(facts), facts, "{}", r.class_id);
    }
}

#[test]
fn classes_look_like_real_classes() {
    let f = fixture();
    let rows = &f.training.accepted;
    let mut sizes: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for r in rows {
        *sizes.entry((&r.provider, &r.class_id)).or_default() += 1;
    }
    let oversize = sizes.values().filter(|s| **s > 80).count();
    assert!(oversize > 0 && (oversize as f64) < 0.15 * sizes.len() as f64, "{oversize} of {} oversize", sizes.len());
    let share =
        |f: &dyn Fn(&&training_landing::Accepted) -> bool| rows.iter().filter(f).count() as f64 / rows.len() as f64;
    let subsidised = share(&|r| r.subsidised);
    assert!((0.2..=0.4).contains(&subsidised), "subsidised {subsidised:.3}");
    assert!(rows.iter().any(|r| r.voucher.is_some()), "vouchers");
    assert!(rows.iter().filter(|r| r.voucher.is_some()).all(|r| r.subsidised), "vouchers on subsidised rows");
    assert!(share(&|r| r.voucher.is_some()) < subsidised * 0.6, "vouchers on some subsidised rows only");
    assert!(rows.iter().any(|r| r.youth_league), "共青团 classes");
    let passed = share(&|r| r.result == "passed");
    assert!((0.75..0.97).contains(&passed), "passed {passed:.3}");
    assert!(rows.iter().any(|r| r.result == "failed") && rows.iter().any(|r| r.result == "dropped"));
    let tagged = share(&|r| r.programme.is_some());
    assert!((0.2..0.9).contains(&tagged), "programmes tagged {tagged:.3}");
    let kinds: BTreeSet<&str> = rows.iter().map(|r| r.kind).collect();
    assert_eq!(kinds.len(), 6, "{kinds:?}");
    let with_satisfaction: Vec<f64> = rows.iter().filter_map(|r| r.satisfaction).collect();
    let satisfied = with_satisfaction.iter().filter(|s| **s >= 85.0).count() as f64 / with_satisfaction.len() as f64;
    assert!((0.75..1.0).contains(&satisfied), "satisfaction ≥ 85 on {satisfied:.3}");
    assert!(with_satisfaction.len() < rows.len(), "some rows report no satisfaction");
    assert!(rows.iter().any(|r| r.hours_practical * 10 < r.hours_total * 6), "practical-short classes");
    assert!(rows.iter().any(|r| r.occupation.is_none()), "classes without an occupation");
}

#[test]
fn training_files_come_in_every_format_spelling_and_quirk() {
    let f = fixture();
    let training = f.manifest.training.as_ref().expect("training");
    let readable: Vec<_> = training.files.iter().filter(|e| e.facts.readable).collect();
    for encoding in ["utf-8", "utf-8-bom", "gbk", "binary"] {
        assert!(readable.iter().any(|e| e.facts.encoding == encoding), "{encoding}");
    }
    assert!(readable.iter().any(|e| e.facts.format == "jsonl"));
    assert!(
        readable.iter().any(|e| e.facts.has_title_row)
            && readable.iter().any(|e| e.facts.format == "xlsx" && !e.facts.has_title_row)
    );
    assert!(readable.iter().any(|e| e.facts.has_notes_rows));
    assert!(readable.iter().any(|e| e.facts.data_sheet_index == 1), "an instructions sheet first");
    assert!(readable.iter().any(|e| e.date_style.contains("date_cells")));
    assert!(readable.iter().any(|e| e.date_style == "serial_numbers"));
    assert!(readable.iter().any(|e| e.numbers) && readable.iter().any(|e| !e.numbers));
    for quirk in ["legacy_id", "lower_x", "full_width", "stray_space"] {
        assert!(readable.iter().any(|e| e.quirks.contains_key(quirk)), "{quirk}");
    }
    for (field, spellings) in training_landing::SPELLINGS {
        let seen = f.training.spellings.get(field).map_or(0, BTreeSet::len);
        assert!(seen >= 2.min(spellings.len()), "{field}: spellings seen {seen}");
    }
    let unreadable: Vec<_> = training.files.iter().filter(|e| !e.facts.readable).collect();
    assert_eq!(unreadable.len(), 5);
    for entry in unreadable {
        let bytes = std::fs::read(f.landing.join(&entry.path)).expect("read");
        let opened: Result<calamine::Xlsx<_>, _> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.clone()));
        assert!(opened.is_err(), "{} opens as a workbook", entry.path);
        let header = String::from_utf8(bytes).ok().and_then(|t| t.lines().next().map(str::to_string));
        let known = header.is_some_and(|h| h.split(',').any(|c| c == "身份证号" || c == "班级编号"));
        assert!(!known || entry.facts.format == "xlsx", "{}: a readable CSV header", entry.path);
    }
}

#[test]
fn same_seed_gives_the_same_training_and_certificates_do_not_depend_on_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config { persons: 1_200, seed: 8, defect_rate: 0.04, training: 1.2, ..Config::default() };
    let with = generate(&config, &dir.path().join("a")).expect("first");
    let again = generate(&config, &dir.path().join("b")).expect("second");
    assert_eq!(with, again);
    assert_same_tree(&dir.path().join("a"), &dir.path().join("b"));
    let mut without = generate(&Config { training: 0.0, ..config }, &dir.path().join("c")).expect("without");
    assert!(without.training.is_none());
    assert!(!dir.path().join("c/training").exists());
    let (a, c) = (tree(&dir.path().join("a")), tree(&dir.path().join("c")));
    let certificates = |t: &BTreeMap<PathBuf, Vec<u8>>| -> BTreeMap<PathBuf, Vec<u8>> {
        t.iter()
            .filter(|(p, _)| !p.starts_with("training") && *p != Path::new("manifest.json"))
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect()
    };
    assert_eq!(certificates(&a), certificates(&c), "certificate files are the same with and without training");
    assert!(a.keys().any(|p| p.starts_with("training")));
    without.training = with.training.clone();
    without.args.training = with.args.training;
    assert_eq!(without, with, "the manifests differ only in training");
}

#[test]
fn tiny_and_odd_drops_still_match_their_manifests() {
    let as_of = NaiveDate::from_ymd_opt(2025, 3, 15).expect("date");
    let cases = [
        Config { persons: 1, seed: 1, defect_rate: 0.0, ..Config::default() },
        Config { persons: 3, seed: 2, defect_rate: 0.5, first_year: 2024, last_year: 2024, ..Config::default() },
        Config {
            persons: 40,
            seed: 3,
            defect_rate: 0.5,
            training: 5.0,
            first_year: 2025,
            last_year: 2025,
            as_of: Some(as_of),
            ..Config::default()
        },
        Config { persons: 200, seed: 4, defect_rate: 0.02, training: 0.3, ..Config::default() },
    ];
    for (i, config) in cases.into_iter().enumerate() {
        let dir = tempfile::tempdir().expect("tempdir");
        let manifest = generate(&config, dir.path()).expect("generate");
        let training = manifest.training.as_ref().expect("training");
        let outcome = training_landing::check(dir.path(), &manifest);
        for entry in training.files.iter().filter(|e| e.facts.readable) {
            let found = &outcome.files[&entry.path];
            assert_eq!(
                (found.rows, found.accepted),
                (entry.facts.rows, entry.facts.valid_rows),
                "case {i}: {}",
                entry.path
            );
            assert_eq!(found.rejects, entry.facts.defects, "case {i}: {}", entry.path);
        }
        assert_eq!(outcome.accepted.len() as u64, training.totals.valid_rows, "case {i}");
        let last = NaiveDate::parse_from_str(&manifest.as_of, "%Y-%m-%d").expect("as_of");
        assert!(outcome.accepted.iter().all(|r| r.end <= last && r.end.year() >= config.first_year), "case {i}");
        if config.defect_rate == 0.0 {
            assert_eq!(training.totals.defect_rows, 0, "case {i}");
            assert_eq!(training.totals.unreadable_files, 0, "case {i}");
        }
    }
}
