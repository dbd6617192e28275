-- id: programme_flow
-- title_zh: 专项新增取证人员（按人员、年份、专项）
-- title_en: Newly certified persons by year and special programme (flow)
-- grain: person_key × year × programme; sub-programmes 2.1–2.5 also roll up into 2
-- partition_by: year
-- source: DESIGN §8 (programme-level values), §9 (ten special programmes)
-- description: Skill certificates (duplicate claims excluded) tagged with a programme. A certificate tagged 2.x gives
-- description: a row for 2.x and a row for 2, so programme 2 counts each person once across its sub-programmes.
-- description: first_graded_date is the first qualification or skill_level certificate (职业资格证书, 职业技能等级证书) of
-- description: the year in the programme (competition_certified, DESIGN §17).
WITH tagged AS (
    SELECT person_key, issue_year, programme, cert_type, level_rank, issue_date
    FROM certificates
    WHERE NOT duplicate_claim
      AND issue_date <= CAST($as_of AS DATE)
      AND issue_year >= CAST($from_year AS INT)
      AND programme IS NOT NULL
      AND cert_type IN ('qualification', 'skill_level', 'special_operation', 'special_equipment', 'special_competence')
),
rolled AS (
    SELECT person_key, issue_year, programme, cert_type, level_rank, issue_date FROM tagged
    UNION ALL
    SELECT person_key, issue_year, split_part(programme, '.', 1) AS programme, cert_type, level_rank, issue_date
    FROM tagged
    WHERE programme LIKE '%.%'
)
SELECT
    person_key,
    issue_year AS year,
    programme,
    MIN(issue_date) AS first_skill_date,
    MIN(CASE WHEN level_rank >= 3 THEN issue_date END) AS first_high_skill_date,
    MIN(CASE WHEN cert_type IN ('qualification', 'skill_level') THEN issue_date END) AS first_graded_date,
    COUNT(*) AS skill_certificates
FROM rolled
GROUP BY person_key, issue_year, programme
