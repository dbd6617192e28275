-- id: competition_certified
-- title_zh: 技能竞赛选手取得职业资格证书或职业技能等级证书人数
-- title_en: Competition entrants certified (qualification or skill level certificate, programme 9)
-- unit: persons
-- kind: flow
-- grain: year for 410000 (flow; each person once)
-- target: 10,000 (2022 province)
-- comparator: >=
-- disclosure: count competition_certified
-- source: 001 《2022年高质量推进“人人持证、技能河南”建设工作方案》（豫技领办〔2022〕7号）
-- clause: 二、（一）11
-- description: Persons who obtained a qualification (职业资格证书) or skill_level (职业技能等级证书) certificate tagged
-- description: with programme 9 (职业技能竞赛培训专项) issued in the year, duplicate claims excluded (DESIGN §17). The
-- description: programme tag is how the records say a certificate came from a competition; an untagged certificate
-- description: of a competition entrant is not counted. Province only; the row has no programme (the target has none).
WITH counts AS (
    -- programme_flow has one row per person, year and programme.
    SELECT year, COUNT(*) AS persons
    FROM programme_flow
    WHERE programme = '9' AND first_graded_date IS NOT NULL
    GROUP BY year
)
SELECT
    'competition_certified' AS indicator_id,
    CAST($province_code AS VARCHAR) AS region_code,
    y.year,
    CAST(NULL AS VARCHAR) AS programme,
    CAST(NULL AS VARCHAR) AS agency_type,
    CAST(COALESCE(c.persons, 0) AS DOUBLE) AS value,
    COALESCE(c.persons, 0) AS numerator,
    CAST(NULL AS BIGINT) AS denominator
FROM year_ends AS y
LEFT JOIN counts AS c ON c.year = y.year
