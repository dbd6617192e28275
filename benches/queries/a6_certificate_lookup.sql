-- id: a6_certificate_lookup
-- kind: analyst
-- title_en: One certificate by its number (a point lookup)
-- The harness replaces {cert_no} with a certificate of the benchmark drop (chosen when the drop is prepared).
SELECT cert_no, person_key, cert_type, level, occupation_code, issue_date, region_code, agency_id, duplicate_claim
FROM certificates
WHERE cert_no = '{cert_no}'
