//! Certificates over time (DESIGN §18): why a row of the HR office's revocation register
//! (`landing/revocations.csv|.xlsx`) or renewal register (`landing/renewals.csv|.xlsx`, 复审) was rejected.
//!
//! Both registers name certificates already in the warehouse by `cert_no` and date an event (revoked on, renewed
//! on); they share one reason vocabulary because their rules are the same rules applied to a different date column.

reason_codes! {
    /// Why a revocation or renewal row was rejected. As with [`crate::RejectReason`], the variants are in checking
    /// order (a row with several defects gets the first) and the codes are stable identifiers.
    pub enum RevocationRejectReason {
        /// An empty `cert_no` or event date (`revoked_on`, `renewed_on`).
        MissingField => "missing_field",
        /// An event date (or a renewal's `valid_until`) that cannot be parsed.
        DateInvalid => "date_invalid",
        /// A certificate number with a control character in it (see [`crate::normalize_key`]).
        CertNoFormat => "cert_no_format",
        /// No accepted certificate in the warehouse has this number.
        UnknownCertNo => "unknown_cert_no",
        /// The event is dated before the certificate's issue date.
        DateBeforeIssue => "date_before_issue",
        /// The event is dated after the as-of date of the ingest (it has not happened yet).
        DateFuture => "date_future",
        /// A renewal whose `valid_until` is not after its `renewed_on`.
        ValidUntilBeforeRenewal => "valid_until_before_renewal",
        /// The certificate is already revoked earlier in the register: the first row counts.
        DuplicateRevocation => "duplicate_revocation",
        /// The same certificate and renewal date again in the register: the first row counts.
        DuplicateRenewal => "duplicate_renewal",
    }
}

impl RevocationRejectReason {
    /// A sentence a clerk at the HR office can act on (Chinese, then English).
    pub const fn explanation(self) -> &'static str {
        match self {
            Self::MissingField => "证书编号或日期为空 / the certificate number or the date is empty",
            Self::DateInvalid => "日期无法识别 / a date is not recognised",
            Self::CertNoFormat => "证书编号含控制字符 / the certificate number has a control character in it",
            Self::UnknownCertNo => "库中没有该证书编号 / no accepted certificate has this number",
            Self::DateBeforeIssue => "日期早于发证日期 / the date is before the certificate's issue date",
            Self::DateFuture => "日期晚于统计截止日 / the date is after the as-of date",
            Self::ValidUntilBeforeRenewal => "有效期至不晚于复审日期 / valid_until must be after the renewal date",
            Self::DuplicateRevocation => "该证书已在本表中撤销 / this certificate is already revoked above",
            Self::DuplicateRenewal => "该证书同一日期的复审已在本表中 / this renewal is already listed above",
        }
    }
}
