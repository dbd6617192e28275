-- id: person_flow
-- title_zh: 新增取证人员（按人员、年份、发证地区）
-- title_en: Newly certified persons by year and issuing region (flow)
-- grain: person_key × year × region_code (the issuing agency's region), skill certificates only
-- partition_by: year
-- source: DESIGN §8 (flow in year Y)
-- description: One row per person, issue year and issuing region for the skill certificates (duplicate claims
-- description: excluded) issued in that year, with the earliest issue date of each qualifying kind: any skill
-- description: certificate, ≥ l3 (high-skilled), l2/l1 (technicians) and special_grade/chief (top grades). A person
-- description: counts once per region in region rows and once in the province (count distinct person_key by year).
SELECT
    person_key,
    issue_year AS year,
    region_code,
    MIN(birth_date) AS birth_date,
    MIN(issue_date) AS first_skill_date,
    MIN(CASE WHEN level_rank >= 3 THEN issue_date END) AS first_high_skill_date,
    MIN(CASE WHEN level_rank IN (4, 5) THEN issue_date END) AS first_technician_date,
    MIN(CASE WHEN level_rank IN (6, 7) THEN issue_date END) AS first_top_grade_date,
    COUNT(*) AS skill_certificates
FROM certificates
WHERE NOT duplicate_claim
  AND issue_date <= CAST($as_of AS DATE)
  AND issue_year >= CAST($from_year AS INT)
  AND cert_type IN ('qualification', 'skill_level', 'special_operation', 'special_equipment', 'special_competence')
GROUP BY person_key, issue_year, region_code
