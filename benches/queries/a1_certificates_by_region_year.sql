-- id: a1_certificates_by_region_year
-- kind: analyst
-- title_en: Counted certificates per region and issue year (a full scan of the certificates)
SELECT region_code, issue_year, COUNT(*) AS certificates
FROM certificates
WHERE NOT duplicate_claim
GROUP BY region_code, issue_year
ORDER BY region_code, issue_year
