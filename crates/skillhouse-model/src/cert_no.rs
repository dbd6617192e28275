//! The 22-character number of 职业技能等级证书 (人社鉴发〔2019〕2号), DESIGN §14.

use crate::level::Level;
use crate::reason::RejectReason;

/// Why a skill-level certificate number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CertNoError {
    /// Does not match `^[YS]\d{4}41\d{6}\d{2}[1-5]\d{6}$`.
    #[error("certificate number does not follow the 22-character rule")]
    Format,
    /// The year digits (positions 14–15) disagree with the issue year.
    #[error("certificate number year {found:02} differs from issue year {expected:02}")]
    YearMismatch {
        /// Last two digits of the issue year.
        expected: u8,
        /// Year digits in the number.
        found: u8,
    },
    /// The level digit (position 16) disagrees with the certificate's level.
    #[error("certificate number level digit {found} differs from level digit {expected}")]
    LevelMismatch {
        /// Digit of the recorded level.
        expected: u8,
        /// Digit in the number.
        found: u8,
    },
}

impl CertNoError {
    /// The reject reason for this error.
    pub const fn reason(self) -> RejectReason {
        match self {
            Self::Format => RejectReason::CertNoFormat,
            Self::YearMismatch { .. } => RejectReason::CertNoYearMismatch,
            Self::LevelMismatch { .. } => RejectReason::CertNoLevelMismatch,
        }
    }
}

/// Checks a skill_level certificate number at l5–l1 against the rule and against its record's issue year and
/// level. `cert_no` must already be folded (see [`crate::fold_cell`]); a lower-case `y`/`s` is accepted.
/// Levels above l1 follow their own numbering and are not checked here (returns `Ok`).
pub fn check_skill_level_cert_no(cert_no: &str, issue_year: i32, level: Level) -> Result<(), CertNoError> {
    let Some(level_digit) = level.digit() else {
        return Ok(());
    };
    let b = cert_no.as_bytes();
    let well_formed = b.len() == 22
        && matches!(b[0].to_ascii_uppercase(), b'Y' | b'S')
        && b[1..].iter().all(u8::is_ascii_digit)
        && &b[5..7] == b"41"
        && (b'1'..=b'5').contains(&b[15]);
    if !well_formed {
        return Err(CertNoError::Format);
    }
    let found_year = (b[13] - b'0') * 10 + (b[14] - b'0');
    let expected_year = issue_year.rem_euclid(100) as u8;
    if found_year != expected_year {
        return Err(CertNoError::YearMismatch { expected: expected_year, found: found_year });
    }
    let found_level = b[15] - b'0';
    if found_level != level_digit {
        return Err(CertNoError::LevelMismatch { expected: level_digit, found: found_level });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Y + agency 0123 + 41 + site 000456 + year 24 + level 3 + serial 000789
    const GOOD: &str = "Y012341000456243000789";

    #[test]
    fn accepts_a_well_formed_number() {
        assert_eq!(GOOD.len(), 22);
        assert_eq!(check_skill_level_cert_no(GOOD, 2024, Level::L3), Ok(()));
        assert_eq!(check_skill_level_cert_no(&GOOD.replacen('Y', "s", 1), 2024, Level::L3), Ok(()));
    }

    #[test]
    fn format_year_and_level_each_caught() {
        let cases = [
            ("Y01234100045624300078", RejectReason::CertNoFormat),  // 21 chars
            ("X012341000456243000789", RejectReason::CertNoFormat), // prefix
            ("Y012342000456243000789", RejectReason::CertNoFormat), // province 42
            ("Y012341000456246000789", RejectReason::CertNoFormat), // level digit 6
            ("Y01234100045624300078A", RejectReason::CertNoFormat),
            ("Y012341000456233000789", RejectReason::CertNoYearMismatch),
            ("Y012341000456242000789", RejectReason::CertNoLevelMismatch),
        ];
        for (no, reason) in cases {
            assert_eq!(
                check_skill_level_cert_no(no, 2024, Level::L3).map_err(CertNoError::reason),
                Err(reason),
                "{no}"
            );
        }
    }

    #[test]
    fn appointed_grades_are_not_checked() {
        assert_eq!(check_skill_level_cert_no("TJ-2024-001", 2024, Level::Chief), Ok(()));
    }
}
