-- id: certificate_counts
-- title_zh: 发证数量汇总
-- title_en: Certificates issued, counted by year, region, agency type, type and level
-- grain: year × region_code × agency_type × cert_type × level_rank × duplicate_claim
-- partition_by: year
-- source: DESIGN §8 (certificate-count indicators: cert_mix_share, certs_by_agency_type, duplicate_claims)
-- description: Every accepted certificate issued on or before the as-of date, duplicate claims included and flagged,
-- description: so the certificate-count indicators read a small cube instead of the certificates.
SELECT
    issue_year AS year,
    region_code,
    agency_type,
    cert_type,
    CAST(level_rank AS INT) AS level_rank,
    duplicate_claim,
    COUNT(*) AS certificates
FROM certificates
WHERE issue_date <= CAST($as_of AS DATE)
  AND issue_year >= CAST($from_year AS INT)
GROUP BY issue_year, region_code, agency_type, cert_type, level_rank, duplicate_claim
