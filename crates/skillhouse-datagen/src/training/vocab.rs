//! The vocabulary of training files (DESIGN §16): training kinds, provider types, results and the row reject
//! reasons, with their codes and the Chinese spellings providers write.
//!
//! Typed here from the design rather than taken from the ingestion or the model crate, on purpose: the generator's
//! files are the contract ingestion is tested against, so the two must not share one reading of it.

/// A training kind (培训类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Employment,
    Upskilling,
    Entrepreneurship,
    Apprenticeship,
    GoldCollar,
    Other,
}

impl Kind {
    /// The code (§16).
    pub(crate) const fn code(self) -> &'static str {
        match self {
            Self::Employment => "employment",
            Self::Upskilling => "upskilling",
            Self::Entrepreneurship => "entrepreneurship",
            Self::Apprenticeship => "apprenticeship",
            Self::GoldCollar => "gold_collar",
            Self::Other => "other",
        }
    }

    /// The Chinese spellings (§16).
    pub(crate) const fn names_zh(self) -> &'static [&'static str] {
        match self {
            Self::Employment => &["就业技能培训"],
            Self::Upskilling => &["岗位技能提升培训"],
            Self::Entrepreneurship => &["创业培训"],
            Self::Apprenticeship => &["企业新型学徒制"],
            Self::GoldCollar => &["金蓝领", "高技能人才“金蓝领”培训"],
            Self::Other => &["其他"],
        }
    }

    /// Whether a row of this kind must name an occupation (all but entrepreneurship and other).
    pub(crate) const fn needs_occupation(self) -> bool {
        !matches!(self, Self::Entrepreneurship | Self::Other)
    }
}

/// What clerks write in the kind column that is no training kind of §16 (`unknown_training_kind`).
pub(crate) const UNKNOWN_KINDS: [&str; 5] = ["学历教育", "安全生产教育", "专题讲座", "职业指导", "continuing"];

/// A training provider's type (培训机构类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProviderType {
    Enterprise,
    College,
    Social,
    Public,
    Online,
}

impl ProviderType {
    /// Every type, in the design's order (the picker's type slots).
    pub(crate) const ALL: [ProviderType; 5] =
        [Self::Enterprise, Self::College, Self::Social, Self::Public, Self::Online];

    /// The code (§16).
    pub(crate) const fn code(self) -> &'static str {
        match self {
            Self::Enterprise => "enterprise",
            Self::College => "college",
            Self::Social => "social",
            Self::Public => "public",
            Self::Online => "online",
        }
    }

    /// The Chinese name (§16).
    pub(crate) const fn name_zh(self) -> &'static str {
        match self {
            Self::Enterprise => "企业",
            Self::College => "院校",
            Self::Social => "社会培训机构",
            Self::Public => "公共实训基地",
            Self::Online => "线上平台",
        }
    }

    /// Position in [`ProviderType::ALL`].
    pub(crate) fn index(self) -> usize {
        Self::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// A trainee's result (培训结果).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Passed,
    Failed,
    /// 未结业: did not complete.
    Dropped,
}

impl Outcome {
    /// Every result.
    pub(crate) const ALL: [Outcome; 3] = [Self::Passed, Self::Failed, Self::Dropped];

    /// The code (§16).
    pub(crate) const fn code(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Dropped => "dropped",
        }
    }

    /// The Chinese spelling (§16).
    pub(crate) const fn name_zh(self) -> &'static str {
        match self {
            Self::Passed => "合格",
            Self::Failed => "不合格",
            Self::Dropped => "未结业",
        }
    }

    /// Completed: passed or failed (a dropped trainee did not complete).
    pub(crate) const fn completed(self) -> bool {
        !matches!(self, Self::Dropped)
    }
}

/// A training row's reject reason (§16), in checking order: a row with several defects gets the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    MissingField,
    IdFormat,
    IdChecksum,
    UnknownTrainingKind,
    UnknownOccupation,
    DateInvalid,
    EndBeforeStart,
    DateFuture,
    UnderAge,
    ProviderMismatch,
    UnknownProvider,
    HoursInvalid,
    DuplicateEnrolment,
    VoucherReused,
}

impl Reason {
    /// Every reason, in checking order.
    pub(crate) const ALL: [Reason; 14] = [
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

    /// The stable code (§16).
    pub(crate) const fn code(self) -> &'static str {
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

    /// Position in [`Reason::ALL`].
    pub(crate) fn index(self) -> usize {
        Self::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_designs_and_unique() {
        let codes: std::collections::BTreeSet<&str> = Reason::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), 14);
        assert_eq!(Reason::ALL[0].code(), "missing_field");
        assert_eq!(Reason::ALL[13].code(), "voucher_reused");
        assert!(Reason::ALL.iter().enumerate().all(|(i, r)| r.index() == i));
        assert!(!Kind::Other.needs_occupation() && Kind::GoldCollar.needs_occupation());
        assert_eq!(ProviderType::Public.name_zh(), "公共实训基地");
        assert!(Outcome::Failed.completed() && !Outcome::Dropped.completed());
    }
}
