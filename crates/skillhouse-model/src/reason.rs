//! Stable reject reason codes: certificates (DESIGN §6) and training records (§16).

reason_codes! {
    /// Why an input row was rejected. The order of the variants is the order in which rules are checked: a row with
    /// several defects gets the first one. The codes returned by [`RejectReason::code`] are stable identifiers that
    /// appear in reject reports, the ledger and tests; never rename them.
    pub enum RejectReason {
        /// An empty id_number, cert_no, cert_type or issue_date.
        MissingField => "missing_field",
        /// ID number of the wrong length or characters, or an impossible birth date.
        IdFormat => "id_format",
        /// ID number whose check character does not match.
        IdChecksum => "id_checksum",
        /// Certificate type not recognised.
        UnknownCertType => "unknown_cert_type",
        /// Level unparseable, present on a type without levels, or missing on a type that needs one.
        UnknownLevel => "unknown_level",
        /// Occupation code missing on a level-bearing type, or not in the occupation reference.
        UnknownOccupation => "unknown_occupation",
        /// The occupation does not offer that level (l5–l1 only).
        LevelNotOffered => "level_not_offered",
        /// Issue date that cannot be parsed.
        IssueDateInvalid => "issue_date_invalid",
        /// Issue date after the rebuild's as-of date.
        IssueDateFuture => "issue_date_future",
        /// Holder younger than 16 on the issue date.
        UnderAge => "under_age",
        /// Row's agency differs from its folder's agency.
        AgencyMismatch => "agency_mismatch",
        /// Agency not in the registry.
        UnknownAgency => "unknown_agency",
        /// A skill_level certificate (l5–l1) whose number breaks the 22-character rule, or any certificate number
        /// with a control character inside it (see [`crate::normalize_key`]).
        CertNoFormat => "cert_no_format",
        /// Certificate number's year digits disagree with the issue date.
        CertNoYearMismatch => "cert_no_year_mismatch",
        /// Certificate number's level digit disagrees with the level.
        CertNoLevelMismatch => "cert_no_level_mismatch",
        /// Certificate number already accepted from another agency slice or earlier in the same file.
        DuplicateCertNo => "duplicate_cert_no",
    }
}

impl RejectReason {
    /// What is wrong and what to do, in words a clerk at the agency acts on: `zh / en` from
    /// `datasets/reference/reject_reasons.csv` (input `certificates`), the one home of these sentences; the bare code
    /// if the reference lacks it (a test proves it does not).
    pub fn explanation(self) -> &'static str {
        crate::reason_texts::reason_text("certificates", self.code()).map_or(self.code(), |t| t.both.as_str())
    }
}

reason_codes! {
    /// Why a training row was rejected (DESIGN §16). As with [`RejectReason`], the variants are in checking order (a row
    /// with several defects gets the first) and the codes are stable identifiers.
    pub enum TrainingRejectReason {
        /// An empty required field (id_number, class_id, training_kind, subsidised, start_date, end_date, hours_total,
        /// hours_practical, result) — or a subsidised or result value that is none of the spellings of §16, which says
        /// no more than an empty cell would (DESIGN gives no reason of its own for it; the detail says which).
        MissingField => "missing_field",
        /// ID number of the wrong length or characters, or an impossible birth date.
        IdFormat => "id_format",
        /// ID number whose check character does not match.
        IdChecksum => "id_checksum",
        /// Training kind not recognised.
        UnknownTrainingKind => "unknown_training_kind",
        /// Occupation code not in the occupation reference, or none where the kind needs one.
        UnknownOccupation => "unknown_occupation",
        /// A start or end date that cannot be parsed.
        DateInvalid => "date_invalid",
        /// The class ends before it starts.
        EndBeforeStart => "end_before_start",
        /// The class ends after the rebuild's as-of date.
        DateFuture => "date_future",
        /// Trainee younger than 16 on the start date.
        UnderAge => "under_age",
        /// Row's provider differs from its folder's provider.
        ProviderMismatch => "provider_mismatch",
        /// Provider not in the registry.
        UnknownProvider => "unknown_provider",
        /// Class hours not whole numbers, total ≤ 0, or practical < 0 or > total.
        HoursInvalid => "hours_invalid",
        /// The same person again in one class (provider + class_id): the first row counts.
        DuplicateEnrolment => "duplicate_enrolment",
        /// A voucher number already used by an earlier accepted row.
        VoucherReused => "voucher_reused",
    }
}

impl TrainingRejectReason {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_codes_are_in_design_order() {
        // DESIGN §16's list, verbatim.
        let design = "missing_field id_format id_checksum unknown_training_kind unknown_occupation date_invalid \
                      end_before_start date_future under_age provider_mismatch unknown_provider hours_invalid \
                      duplicate_enrolment voucher_reused";
        let codes: Vec<&str> = TrainingRejectReason::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes, design.split_whitespace().collect::<Vec<_>>());
    }
}
