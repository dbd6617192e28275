-- id: new_youth_technicians
-- title_zh: 新增青年技师和高级技师
-- title_en: New youth technicians and senior technicians
-- unit: persons
-- kind: flow
-- grain: region_code × year (flow); a person counts in each issuing region once, 410000 counts each person once
-- target: 10,000 (2025 province, programme 6)
-- comparator: >=
-- disclosure: count new_youth_technicians
-- headline: 3
-- short_title_zh: 新增青年技师
-- short_title_en: New youth technicians
-- source: 003 《2025年度技能河南建设工作方案》（2025年5月2日印发）
-- clause: 二、（一）6
-- description: Persons who obtained an l2 (技师) or l1 (高级技师) skill certificate issued in the year and were youth
-- description: (age in whole years between $youth_min_age and $youth_max_age inclusive, default 16–35) on the issue
-- description: date of the earliest such certificate of the year (DESIGN §8); the same person-year youth flag applies
-- description: in every region where they obtained one.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
person_year AS (
    SELECT person_key, year, MIN(first_technician_date) AS first_date, MIN(birth_date) AS birth_date
    FROM person_flow
    WHERE first_technician_date IS NOT NULL
    GROUP BY person_key, year
),
youth AS (
    SELECT person_key, year
    FROM person_year
    -- 周岁: whole years, one less before this year's birthday.
    WHERE date_part('year', first_date) - date_part('year', birth_date)
          - CASE WHEN date_part('month', first_date) * 100 + date_part('day', first_date)
                      < date_part('month', birth_date) * 100 + date_part('day', birth_date)
                 THEN 1 ELSE 0 END
          BETWEEN CAST($youth_min_age AS BIGINT) AND CAST($youth_max_age AS BIGINT)
),
counts AS (
    SELECT f.region_code, f.year, COUNT(*) AS persons
    FROM person_flow AS f
    JOIN youth AS y ON y.person_key = f.person_key AND y.year = f.year
    WHERE f.first_technician_date IS NOT NULL
    GROUP BY f.region_code, f.year
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year, COUNT(*) AS persons
    FROM youth
    GROUP BY year
)
SELECT
    'new_youth_technicians' AS indicator_id,
    a.region_code,
    y.year,
    CAST(NULL AS VARCHAR) AS programme,
    CAST(NULL AS VARCHAR) AS agency_type,
    CAST(COALESCE(c.persons, 0) AS DOUBLE) AS value,
    COALESCE(c.persons, 0) AS numerator,
    CAST(NULL AS BIGINT) AS denominator
FROM areas AS a
CROSS JOIN year_ends AS y
LEFT JOIN counts AS c ON c.region_code = a.region_code AND c.year = y.year
