-- id: a3_persons_by_agency_type_2024
-- kind: analyst
-- title_en: Distinct persons certified in 2024 per agency type (a distinct count over one partition)
SELECT agency_type, COUNT(DISTINCT person_key) AS persons
FROM certificates
WHERE issue_year = 2024 AND NOT duplicate_claim
GROUP BY agency_type
ORDER BY agency_type
