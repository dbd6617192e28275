-- id: monthly_flows
-- title_zh: 月度累计新增（年初至各月末）
-- title_en: Month-to-date cumulative flows of each year, month by month
-- grain: indicator_id × region_code × year × month × programme; months 1–12, in the as-of year to the as-of month
-- source: DESIGN §8 (flow in year Y), §16 (training 人次); issue 28 (序时进度, pace against the calendar)
-- description: For every year of the build and each month, the value each flow indicator would have if the year
-- description: ended at that month's end: the same definitions as the indicator files (new_skilled, new_high_skilled,
-- description: new_technicians, new_top_grade_persons, new_youth_technicians per region and the province;
-- description: programme_new_skilled and programme_new_high_skilled per programme for the province; training_persons,
-- description: subsidised_training and youth_league_training 人次 per region, the province and (the first two) per
-- description: programme), cut at the month's last day. Persons are counted once within the year up to the month: a
-- description: person counts from the month of their first qualifying certificate of the year (in a region row, their
-- description: first in that region), however many follow. In the as-of year the months run to the as-of month, whose
-- description: cut (month_end) is the as-of date, so that month's value is the indicator's value in indicator_values;
-- description: the value at month 12 of an earlier year is that year's value. Rows per programme leave region at the
-- description: province; agency_type is always null (no per-type rows). Reads the certificates and training tables
-- description: directly, so it is recomputed whole at every build.
WITH clock AS (
    SELECT
        CAST($as_of AS DATE) AS as_of_date,
        CAST(date_part('year', CAST($as_of AS DATE)) AS INT) AS as_of_year,
        CAST(date_part('month', CAST($as_of AS DATE)) AS INT) AS as_of_month
),
skill AS (
    -- Skill certificates as in person_flow (DESIGN §8): training certificates make nobody skilled.
    SELECT person_key, issue_year AS year, region_code, issue_date, level_rank, birth_date, programme
    FROM certificates
    WHERE NOT duplicate_claim
      AND issue_date <= CAST($as_of AS DATE)
      AND cert_type IN ('qualification', 'skill_level', 'special_operation', 'special_equipment', 'special_competence')
),
by_region AS (
    SELECT
        person_key, year, region_code,
        MIN(birth_date) AS birth_date,
        MIN(issue_date) AS first_skill_date,
        MIN(CASE WHEN level_rank >= 3 THEN issue_date END) AS first_high_skill_date,
        MIN(CASE WHEN level_rank IN (4, 5) THEN issue_date END) AS first_technician_date,
        MIN(CASE WHEN level_rank IN (6, 7) THEN issue_date END) AS first_top_grade_date
    FROM skill
    GROUP BY person_key, year, region_code
),
by_person AS (
    -- The province counts each person once: from their first qualifying certificate of the year anywhere.
    SELECT
        person_key, year, CAST($province_code AS VARCHAR) AS region_code,
        MIN(birth_date) AS birth_date,
        MIN(first_skill_date) AS first_skill_date,
        MIN(first_high_skill_date) AS first_high_skill_date,
        MIN(first_technician_date) AS first_technician_date,
        MIN(first_top_grade_date) AS first_top_grade_date
    FROM by_region
    GROUP BY person_key, year
),
youth AS (
    -- As new_youth_technicians: youth (周岁 between the bounds) on the earliest l2/l1 certificate of the year.
    SELECT person_key, year
    FROM by_person
    WHERE first_technician_date IS NOT NULL
      AND date_part('year', first_technician_date) - date_part('year', birth_date)
          - CASE WHEN date_part('month', first_technician_date) * 100 + date_part('day', first_technician_date)
                      < date_part('month', birth_date) * 100 + date_part('day', birth_date)
                 THEN 1 ELSE 0 END
          BETWEEN CAST($youth_min_age AS BIGINT) AND CAST($youth_max_age AS BIGINT)
),
in_areas AS (
    SELECT
        a.person_key, a.year, a.region_code,
        CAST(date_part('month', a.first_skill_date) AS INT) AS skill_month,
        CAST(date_part('month', a.first_high_skill_date) AS INT) AS high_skill_month,
        CAST(date_part('month', a.first_technician_date) AS INT) AS technician_month,
        CAST(date_part('month', a.first_top_grade_date) AS INT) AS top_grade_month,
        y.person_key IS NOT NULL AS youth
    FROM (SELECT * FROM by_region UNION ALL SELECT * FROM by_person) AS a
    LEFT JOIN youth AS y ON y.person_key = a.person_key AND y.year = a.year
),
tagged AS (
    SELECT person_key, year, programme, issue_date, level_rank FROM skill WHERE programme IS NOT NULL
    UNION ALL
    -- A certificate tagged 2.x also counts in 2, once per person across the sub-programmes (as programme_flow).
    SELECT person_key, year, split_part(programme, '.', 1) AS programme, issue_date, level_rank
    FROM skill WHERE programme LIKE '%.%'
),
by_programme AS (
    SELECT
        person_key, year, programme,
        CAST(date_part('month', MIN(issue_date)) AS INT) AS skill_month,
        CAST(date_part('month', MIN(CASE WHEN level_rank >= 3 THEN issue_date END)) AS INT) AS high_skill_month
    FROM tagged
    GROUP BY person_key, year, programme
),
completed AS (
    -- Training 人次 as in training_counts and the training indicators: completed rows (passed or failed), in the
    -- year and month their class ended, in the provider's region.
    SELECT end_year AS year, region_code, programme, subsidised, organiser,
        CAST(date_part('month', end_date) AS INT) AS month
    FROM training
    WHERE end_date <= CAST($as_of AS DATE) AND result IN ('passed', 'failed')
),
completed_in_areas AS (
    SELECT year, region_code, subsidised, organiser, month FROM completed
    UNION ALL
    SELECT year, CAST($province_code AS VARCHAR) AS region_code, subsidised, organiser, month FROM completed
),
completed_by_programme AS (
    SELECT year, programme, subsidised, month FROM completed WHERE programme IS NOT NULL
    UNION ALL
    SELECT year, split_part(programme, '.', 1) AS programme, subsidised, month FROM completed WHERE programme LIKE '%.%'
),
-- New persons (or 人次) in each month: the month of their first qualifying certificate (or the class's end).
monthly AS (
    SELECT 'new_skilled' AS indicator_id, region_code, year, CAST(NULL AS VARCHAR) AS programme,
        skill_month AS month, COUNT(*) AS n
    FROM in_areas WHERE skill_month IS NOT NULL GROUP BY region_code, year, skill_month
    UNION ALL
    SELECT 'new_high_skilled', region_code, year, CAST(NULL AS VARCHAR), high_skill_month, COUNT(*)
    FROM in_areas WHERE high_skill_month IS NOT NULL GROUP BY region_code, year, high_skill_month
    UNION ALL
    SELECT 'new_technicians', region_code, year, CAST(NULL AS VARCHAR), technician_month, COUNT(*)
    FROM in_areas WHERE technician_month IS NOT NULL GROUP BY region_code, year, technician_month
    UNION ALL
    SELECT 'new_youth_technicians', region_code, year, CAST(NULL AS VARCHAR), technician_month, COUNT(*)
    FROM in_areas WHERE technician_month IS NOT NULL AND youth GROUP BY region_code, year, technician_month
    UNION ALL
    SELECT 'new_top_grade_persons', region_code, year, CAST(NULL AS VARCHAR), top_grade_month, COUNT(*)
    FROM in_areas WHERE top_grade_month IS NOT NULL GROUP BY region_code, year, top_grade_month
    UNION ALL
    SELECT 'programme_new_skilled', CAST($province_code AS VARCHAR), year, programme, skill_month, COUNT(*)
    FROM by_programme WHERE skill_month IS NOT NULL GROUP BY year, programme, skill_month
    UNION ALL
    SELECT 'programme_new_high_skilled', CAST($province_code AS VARCHAR), year, programme, high_skill_month, COUNT(*)
    FROM by_programme WHERE high_skill_month IS NOT NULL GROUP BY year, programme, high_skill_month
    UNION ALL
    SELECT 'training_persons', region_code, year, CAST(NULL AS VARCHAR), month, COUNT(*)
    FROM completed_in_areas GROUP BY region_code, year, month
    UNION ALL
    SELECT 'subsidised_training', region_code, year, CAST(NULL AS VARCHAR), month, COUNT(*)
    FROM completed_in_areas WHERE subsidised GROUP BY region_code, year, month
    UNION ALL
    SELECT 'youth_league_training', region_code, year, CAST(NULL AS VARCHAR), month, COUNT(*)
    FROM completed_in_areas WHERE organiser = 'youth_league' GROUP BY region_code, year, month
    UNION ALL
    SELECT 'training_persons', CAST($province_code AS VARCHAR), year, programme, month, COUNT(*)
    FROM completed_by_programme GROUP BY year, programme, month
    UNION ALL
    SELECT 'subsidised_training', CAST($province_code AS VARCHAR), year, programme, month, COUNT(*)
    FROM completed_by_programme WHERE subsidised GROUP BY year, programme, month
),
-- The years as year_ends and training_years have them: from the first year with a counted row to the as-of year.
certificate_years AS (
    SELECT CAST(unnest(range(CAST(MIN(issue_year) AS BIGINT), CAST(date_part('year', CAST($as_of AS DATE)) AS BIGINT) + 1)) AS INT)
        AS year
    FROM certificates
    WHERE NOT duplicate_claim AND issue_date <= CAST($as_of AS DATE)
),
training_years AS (
    SELECT CAST(unnest(range(CAST(MIN(end_year) AS BIGINT), CAST(date_part('year', CAST($as_of AS DATE)) AS BIGINT) + 1)) AS INT)
        AS year
    FROM training
    WHERE end_date <= CAST($as_of AS DATE)
),
areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
series AS (
    SELECT i.indicator_id, a.region_code, y.year, CAST(NULL AS VARCHAR) AS programme
    FROM (VALUES ('new_skilled'), ('new_high_skilled'), ('new_technicians'), ('new_youth_technicians'),
                 ('new_top_grade_persons')) AS i(indicator_id)
    CROSS JOIN areas AS a CROSS JOIN certificate_years AS y
    UNION ALL
    SELECT i.indicator_id, CAST($province_code AS VARCHAR), y.year, p.programme
    FROM (VALUES ('programme_new_skilled'), ('programme_new_high_skilled')) AS i(indicator_id)
    CROSS JOIN programmes AS p CROSS JOIN certificate_years AS y
    UNION ALL
    SELECT i.indicator_id, a.region_code, y.year, CAST(NULL AS VARCHAR)
    FROM (VALUES ('training_persons'), ('subsidised_training'), ('youth_league_training')) AS i(indicator_id)
    CROSS JOIN areas AS a CROSS JOIN training_years AS y
    UNION ALL
    SELECT i.indicator_id, CAST($province_code AS VARCHAR), y.year, p.programme
    FROM (VALUES ('training_persons'), ('subsidised_training')) AS i(indicator_id)
    CROSS JOIN programmes AS p CROSS JOIN training_years AS y
),
grid AS (
    SELECT s.indicator_id, s.region_code, s.year, s.programme, m.month,
        CASE
            WHEN s.year = c.as_of_year AND m.month = c.as_of_month THEN c.as_of_date
            -- The month's last day: the first of the next month, less a day.
            ELSE CAST(make_date(CASE WHEN m.month = 12 THEN s.year + 1 ELSE s.year END,
                                CASE WHEN m.month = 12 THEN 1 ELSE m.month + 1 END, 1) - INTERVAL '1 day' AS DATE)
        END AS month_end
    FROM series AS s
    CROSS JOIN (SELECT CAST(unnest(range(1, 13)) AS INT) AS month) AS m
    CROSS JOIN clock AS c
    WHERE s.year < c.as_of_year OR m.month <= c.as_of_month
)
SELECT
    g.indicator_id,
    g.region_code,
    g.year,
    g.month,
    g.month_end,
    g.programme,
    CAST(NULL AS VARCHAR) AS agency_type,
    CAST(SUM(COALESCE(n.n, 0)) OVER (
        PARTITION BY g.indicator_id, g.region_code, g.year, g.programme ORDER BY g.month
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS DOUBLE) AS value
FROM grid AS g
LEFT JOIN monthly AS n
  ON n.indicator_id = g.indicator_id AND n.region_code = g.region_code AND n.year = g.year AND n.month = g.month
 AND (n.programme IS NOT DISTINCT FROM g.programme)
ORDER BY g.indicator_id, g.region_code, g.programme NULLS FIRST, g.year, g.month
