//! Stable reject reason codes: certificates (DESIGN §6) and training records (§16).

use std::fmt;

/// Why an input row was rejected. The order of the variants is the order in which rules are checked: a row with
/// several defects gets the first one. The codes returned by [`RejectReason::code`] are stable identifiers that
/// appear in reject reports, the ledger and tests; never rename them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// An empty id_number, cert_no, cert_type or issue_date.
    MissingField,
    /// ID number of the wrong length or characters, or an impossible birth date.
    IdFormat,
    /// ID number whose check character does not match.
    IdChecksum,
    /// Certificate type not recognised.
    UnknownCertType,
    /// Level unparseable, present on a type without levels, or missing on a type that needs one.
    UnknownLevel,
    /// Occupation code missing on a level-bearing type, or not in the occupation reference.
    UnknownOccupation,
    /// The occupation does not offer that level (l5–l1 only).
    LevelNotOffered,
    /// Issue date that cannot be parsed.
    IssueDateInvalid,
    /// Issue date after the rebuild's as-of date.
    IssueDateFuture,
    /// Holder younger than 16 on the issue date.
    UnderAge,
    /// Row's agency differs from its folder's agency.
    AgencyMismatch,
    /// Agency not in the registry.
    UnknownAgency,
    /// A skill_level certificate (l5–l1) whose number breaks the 22-character rule, or any certificate number
    /// with a control character inside it (see [`crate::normalize_key`]).
    CertNoFormat,
    /// Certificate number's year digits disagree with the issue date.
    CertNoYearMismatch,
    /// Certificate number's level digit disagrees with the level.
    CertNoLevelMismatch,
    /// Certificate number already accepted from another agency slice or earlier in the same file.
    DuplicateCertNo,
}

impl RejectReason {
    /// Every reason, in checking order.
    pub const ALL: [RejectReason; 16] = [
        Self::MissingField,
        Self::IdFormat,
        Self::IdChecksum,
        Self::UnknownCertType,
        Self::UnknownLevel,
        Self::UnknownOccupation,
        Self::LevelNotOffered,
        Self::IssueDateInvalid,
        Self::IssueDateFuture,
        Self::UnderAge,
        Self::AgencyMismatch,
        Self::UnknownAgency,
        Self::CertNoFormat,
        Self::CertNoYearMismatch,
        Self::CertNoLevelMismatch,
        Self::DuplicateCertNo,
    ];

    /// The stable snake_case code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::MissingField => "missing_field",
            Self::IdFormat => "id_format",
            Self::IdChecksum => "id_checksum",
            Self::UnknownCertType => "unknown_cert_type",
            Self::UnknownLevel => "unknown_level",
            Self::UnknownOccupation => "unknown_occupation",
            Self::LevelNotOffered => "level_not_offered",
            Self::IssueDateInvalid => "issue_date_invalid",
            Self::IssueDateFuture => "issue_date_future",
            Self::UnderAge => "under_age",
            Self::AgencyMismatch => "agency_mismatch",
            Self::UnknownAgency => "unknown_agency",
            Self::CertNoFormat => "cert_no_format",
            Self::CertNoYearMismatch => "cert_no_year_mismatch",
            Self::CertNoLevelMismatch => "cert_no_level_mismatch",
            Self::DuplicateCertNo => "duplicate_cert_no",
        }
    }

    /// Parses a stable code back to its reason.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// What is wrong and what to do, in words a clerk at the agency acts on: `zh / en` from
    /// `datasets/reference/reject_reasons.csv` (input `certificates`), the one home of these sentences; the bare code
    /// if the reference lacks it (a test proves it does not).
    pub fn explanation(self) -> &'static str {
        crate::reason_texts::reason_text("certificates", self.code()).map_or(self.code(), |t| t.both.as_str())
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why a training row was rejected (DESIGN §16). As with [`RejectReason`], the variants are in checking order (a row
/// with several defects gets the first) and the codes are stable identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainingRejectReason {
    /// An empty required field (id_number, class_id, training_kind, subsidised, start_date, end_date, hours_total,
    /// hours_practical, result) — or a subsidised or result value that is none of the spellings of §16, which says
    /// no more than an empty cell would (DESIGN gives no reason of its own for it; the detail says which).
    MissingField,
    /// ID number of the wrong length or characters, or an impossible birth date.
    IdFormat,
    /// ID number whose check character does not match.
    IdChecksum,
    /// Training kind not recognised.
    UnknownTrainingKind,
    /// Occupation code not in the occupation reference, or none where the kind needs one.
    UnknownOccupation,
    /// A start or end date that cannot be parsed.
    DateInvalid,
    /// The class ends before it starts.
    EndBeforeStart,
    /// The class ends after the rebuild's as-of date.
    DateFuture,
    /// Trainee younger than 16 on the start date.
    UnderAge,
    /// Row's provider differs from its folder's provider.
    ProviderMismatch,
    /// Provider not in the registry.
    UnknownProvider,
    /// Class hours not whole numbers, total ≤ 0, or practical < 0 or > total.
    HoursInvalid,
    /// The same person again in one class (provider + class_id): the first row counts.
    DuplicateEnrolment,
    /// A voucher number already used by an earlier accepted row.
    VoucherReused,
}

impl TrainingRejectReason {
    /// Every reason, in checking order.
    pub const ALL: [TrainingRejectReason; 14] = [
        Self::MissingField,
        Self::IdFormat,
        Self::IdChecksum,
        Self::UnknownTrainingKind,
        Self::UnknownOccupation,
        Self::DateInvalid,
        Self::EndBeforeStart,
        Self::DateFuture,
        Self::UnderAge,
        Self::ProviderMismatch,
        Self::UnknownProvider,
        Self::HoursInvalid,
        Self::DuplicateEnrolment,
        Self::VoucherReused,
    ];

    /// The stable snake_case code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::MissingField => "missing_field",
            Self::IdFormat => "id_format",
            Self::IdChecksum => "id_checksum",
            Self::UnknownTrainingKind => "unknown_training_kind",
            Self::UnknownOccupation => "unknown_occupation",
            Self::DateInvalid => "date_invalid",
            Self::EndBeforeStart => "end_before_start",
            Self::DateFuture => "date_future",
            Self::UnderAge => "under_age",
            Self::ProviderMismatch => "provider_mismatch",
            Self::UnknownProvider => "unknown_provider",
            Self::HoursInvalid => "hours_invalid",
            Self::DuplicateEnrolment => "duplicate_enrolment",
            Self::VoucherReused => "voucher_reused",
        }
    }

    /// Parses a stable code back to its reason.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The reason an ID number error gives.
    pub const fn of_id_error(reason: RejectReason) -> Self {
        match reason {
            RejectReason::IdChecksum => Self::IdChecksum,
            _ => Self::IdFormat,
        }
    }

    /// What is wrong and what to do, in words a clerk at the provider acts on: `zh / en` from
    /// `datasets/reference/reject_reasons.csv` (input `training`).
    pub fn explanation(self) -> &'static str {
        crate::reason_texts::reason_text("training", self.code()).map_or(self.code(), |t| t.both.as_str())
    }
}

impl fmt::Display for TrainingRejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_ordered() {
        for reason in RejectReason::ALL {
            assert_eq!(RejectReason::from_code(reason.code()), Some(reason));
        }
        let mut sorted = RejectReason::ALL;
        sorted.sort();
        assert_eq!(sorted, RejectReason::ALL, "ALL must list reasons in checking order");
        assert_eq!(RejectReason::from_code("nope"), None);
    }

    #[test]
    fn training_codes_round_trip_and_are_in_design_order() {
        for reason in TrainingRejectReason::ALL {
            assert_eq!(TrainingRejectReason::from_code(reason.code()), Some(reason));
        }
        let mut sorted = TrainingRejectReason::ALL;
        sorted.sort();
        assert_eq!(sorted, TrainingRejectReason::ALL, "ALL must list reasons in checking order");
        // DESIGN §16's list, verbatim.
        let design = "missing_field id_format id_checksum unknown_training_kind unknown_occupation date_invalid \
                      end_before_start date_future under_age provider_mismatch unknown_provider hours_invalid \
                      duplicate_enrolment voucher_reused";
        let codes: Vec<&str> = TrainingRejectReason::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes, design.split_whitespace().collect::<Vec<_>>());
    }
}
