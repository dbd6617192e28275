-- id: a5_person_history
-- kind: analyst
-- title_en: Every certificate of one person (pseudonymous key), oldest first
-- The harness replaces {person_key} with a person of the benchmark drop (chosen when the drop is prepared).
SELECT cert_no, cert_type, level, occupation_code, issue_date, region_code, agency_id
FROM certificates
WHERE person_key = '{person_key}'
ORDER BY issue_date, cert_no
