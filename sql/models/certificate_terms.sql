-- id: certificate_terms
-- title_zh: 证书有效期间（撤销、到期与复审）
-- title_en: Certificate terms in force (revocation, lapse, renewal)
-- grain: cert_no × term (starts_on), for the certificates that can stop counting: revoked ones, and those of a type with a validity period
-- source: DESIGN §18 (stock counts certificates in force at the year end)
-- description: The one home of "in force" (DESIGN §18). A certificate of a type with a validity period
-- description: (validity_periods: 特种作业操作证 6 years) is in force from its issue date to its anniversary
-- description: (ends_on, the first day it no longer counts; 29 February's anniversary is the last day of February); each
-- description: renewal (renewals, 复审) dated by the as-of date adds a term from renewed_on to the day after valid_until,
-- description: or to renewed_on's anniversary when valid_until is empty. A revocation (revocations) dated by the as-of
-- description: date ends every term on revoked_on (ended_by revoked); a term it ends before it starts never counts.
-- description: Certificates without a row here are in force for good once issued. persons reads this table.
WITH periods AS (
    SELECT cert_type, CAST(validity_years AS INT) AS years
    FROM validity_periods
    WHERE validity_years IS NOT NULL
),
-- Ingestion keeps one revocation per certificate (duplicate_revocation); MIN is a guard, not a rule.
revoked AS (
    SELECT cert_no, MIN(revoked_on) AS revoked_on
    FROM revocations
    WHERE revoked_on <= CAST($as_of AS DATE)
    GROUP BY cert_no
),
ending AS (
    SELECT c.cert_no, c.person_key, c.issue_date, p.years, r.revoked_on
    FROM certificates AS c
    LEFT JOIN periods AS p ON p.cert_type = c.cert_type
    LEFT JOIN revoked AS r ON r.cert_no = c.cert_no
    WHERE (p.years IS NOT NULL OR r.cert_no IS NOT NULL)
      AND c.issue_date <= CAST($as_of AS DATE)
),
terms AS (
    SELECT
        cert_no,
        person_key,
        issue_date,
        revoked_on,
        issue_date AS starts_on,
        CASE
            WHEN years IS NULL THEN CAST(NULL AS DATE)
            WHEN date_part('month', issue_date) = 2 AND date_part('day', issue_date) = 29
                THEN make_date(CAST(date_part('year', issue_date) AS INT) + years, 3, 1) - INTERVAL '1 day'
            ELSE make_date(CAST(date_part('year', issue_date) AS INT) + years,
                           CAST(date_part('month', issue_date) AS INT), CAST(date_part('day', issue_date) AS INT))
        END AS lapses_on
    FROM ending
    UNION ALL
    SELECT
        e.cert_no,
        e.person_key,
        e.issue_date,
        e.revoked_on,
        n.renewed_on AS starts_on,
        CASE
            WHEN n.valid_until IS NOT NULL THEN n.valid_until + INTERVAL '1 day'
            WHEN date_part('month', n.renewed_on) = 2 AND date_part('day', n.renewed_on) = 29
                THEN make_date(CAST(date_part('year', n.renewed_on) AS INT) + e.years, 3, 1) - INTERVAL '1 day'
            ELSE make_date(CAST(date_part('year', n.renewed_on) AS INT) + e.years,
                           CAST(date_part('month', n.renewed_on) AS INT), CAST(date_part('day', n.renewed_on) AS INT))
        END AS lapses_on
    FROM ending AS e
    JOIN renewals AS n ON n.cert_no = e.cert_no
    WHERE e.years IS NOT NULL
      AND n.renewed_on <= CAST($as_of AS DATE)
),
judged AS (
    SELECT
        cert_no,
        person_key,
        issue_date,
        starts_on,
        lapses_on,
        revoked_on,
        revoked_on IS NOT NULL AND (lapses_on IS NULL OR revoked_on < lapses_on) AS revoked_first
    FROM terms
)
SELECT
    cert_no,
    person_key,
    issue_date,
    starts_on,
    CASE WHEN revoked_first THEN greatest(revoked_on, starts_on) ELSE lapses_on END AS ends_on,
    CASE WHEN revoked_first THEN 'revoked' WHEN lapses_on IS NOT NULL THEN 'lapsed' END AS ended_by
FROM judged
