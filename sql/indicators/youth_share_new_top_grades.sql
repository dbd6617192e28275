-- id: youth_share_new_top_grades
-- title_zh: 新评聘特级技师和首席技师中青年人才占比
-- title_en: Youth share of new special-grade and chief technicians
-- unit: share
-- kind: share
-- grain: region_code × year (flow); a person counts in each issuing region once, 410000 counts each person once
-- target: 0.20 (2025 province, programme 6)
-- comparator: >=
-- disclosure: share new_youth_top_grades / new_top_grades
-- headline: 4
-- short_title_zh: 特级/首席技师青年占比
-- short_title_en: Youth share, new top grades
-- source: 003 《2025年度技能河南建设工作方案》（2025年5月2日印发）
-- clause: 二、（一）6
-- description: Among persons who obtained a special_grade (特级技师) or chief (首席技师) certificate issued in the year,
-- description: the share who were youth on the issue date of the earliest such certificate of the year.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
person_year AS (
    SELECT person_key, year, MIN(first_top_grade_date) AS first_date, MIN(birth_date) AS birth_date
    FROM person_flow
    WHERE first_top_grade_date IS NOT NULL
    GROUP BY person_key, year
),
flagged AS (
    SELECT
        person_key,
        year,
        date_part('year', first_date) - date_part('year', birth_date)
            - CASE WHEN date_part('month', first_date) * 100 + date_part('day', first_date)
                        < date_part('month', birth_date) * 100 + date_part('day', birth_date)
                   THEN 1 ELSE 0 END
            BETWEEN CAST($youth_min_age AS BIGINT) AND CAST($youth_max_age AS BIGINT) AS is_youth
    FROM person_year
),
counts AS (
    SELECT f.region_code, f.year,
        SUM(CASE WHEN p.is_youth THEN 1 ELSE 0 END) AS numerator, COUNT(*) AS denominator
    FROM person_flow AS f
    JOIN flagged AS p ON p.person_key = f.person_key AND p.year = f.year
    WHERE f.first_top_grade_date IS NOT NULL
    GROUP BY f.region_code, f.year
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year,
        SUM(CASE WHEN is_youth THEN 1 ELSE 0 END) AS numerator, COUNT(*) AS denominator
    FROM flagged
    GROUP BY year
)
SELECT
    'youth_share_new_top_grades' AS indicator_id,
    a.region_code,
    y.year,
    CAST(NULL AS VARCHAR) AS programme,
    CAST(NULL AS VARCHAR) AS agency_type,
    CAST(c.numerator AS DOUBLE) / CAST(NULLIF(c.denominator, 0) AS DOUBLE) AS value,
    COALESCE(c.numerator, 0) AS numerator,
    COALESCE(c.denominator, 0) AS denominator
FROM areas AS a
CROSS JOIN year_ends AS y
LEFT JOIN counts AS c ON c.region_code = a.region_code AND c.year = y.year
