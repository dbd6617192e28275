//! The one shape of every reject-reason vocabulary: an enum whose variants are in checking order, each with a stable
//! snake_case code, the list of all of them, the parse back from a code and `Display` as the code.

/// Declares a reject-reason enum from its variants and their codes, in checking order (a row with several defects gets
/// the first): the enum (ordered as listed, serialised as its code), `ALL`, `code()`, `from_code()` and `Display`.
/// Each vocabulary keeps its own `explanation()`, which differs in where its sentences live.
macro_rules! reason_codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident => $code:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$variant_meta])* #[serde(rename = $code)] $variant, )+
        }

        impl $name {
            /// Every reason, in checking order.
            pub const ALL: [$name; [$($code),+].len()] = [$(Self::$variant),+];

            /// The stable snake_case code: it appears in reject reports, the ledger and tests; never rename it.
            pub const fn code(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)+
                }
            }

            /// Parses a stable code back to its reason.
            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|r| r.code() == code)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::{RejectReason, ReportedRejectReason, RevocationRejectReason, TrainingRejectReason};

    /// What every vocabulary promises: codes parse back, are distinct, serialise as themselves, and `ALL` is in
    /// checking order (the enum's order).
    fn check<R>(all: &[R], code: fn(R) -> &'static str, from_code: fn(&str) -> Option<R>)
    where
        R: Copy + Ord + std::fmt::Debug + std::fmt::Display + serde::Serialize,
    {
        let mut seen = std::collections::HashSet::new();
        for &reason in all {
            assert_eq!(from_code(code(reason)), Some(reason));
            assert!(seen.insert(code(reason)), "{reason:?}: code repeated");
            assert_eq!(reason.to_string(), code(reason));
            assert_eq!(serde_json::to_string(&reason).expect("serialises"), format!("\"{}\"", code(reason)));
        }
        assert!(all.windows(2).all(|w| w[0] < w[1]), "ALL must list reasons in checking order");
        assert_eq!(from_code("nonsense"), None);
    }

    #[test]
    fn every_vocabulary_round_trips_in_checking_order() {
        check(&RejectReason::ALL, RejectReason::code, RejectReason::from_code);
        check(&TrainingRejectReason::ALL, TrainingRejectReason::code, TrainingRejectReason::from_code);
        check(&ReportedRejectReason::ALL, ReportedRejectReason::code, ReportedRejectReason::from_code);
        check(&RevocationRejectReason::ALL, RevocationRejectReason::code, RevocationRejectReason::from_code);
    }
}
