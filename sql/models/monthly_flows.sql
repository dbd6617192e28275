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
        a.year, a.region_code,
        CAST(date_part('month', a.first_skill_date) AS INT) AS skill_month,
        CAST(date_part('month', a.first_high_skill_date) AS INT) AS high_skill_month,
        CAST(date_part('month', a.first_technician_date) AS INT) AS technician_month,
        CAST(date_part('month', a.first_top_grade_date) AS INT) AS top_grade_month,
        y.person_key IS NOT NULL AS youth
    FROM (SELECT * FROM by_region UNION ALL SELECT * FROM by_person) AS a
    LEFT JOIN youth AS y ON y.person_key = a.person_key AND y.year = a.year
),
-- How many persons of an area and year share the same months: a small table. DataFusion plans every reference to a
-- common table expression anew, so each large one below is read once, and fanned out to its indicators by a cross
-- join with their names (not one UNION ALL branch per indicator, which would aggregate the certificates again for
-- each).
area_months AS (
    SELECT region_code, year, skill_month, high_skill_month, technician_month, top_grade_month, youth, COUNT(*) AS n
    FROM in_areas
    GROUP BY region_code, year, skill_month, high_skill_month, technician_month, top_grade_month, youth
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
programme_months AS (
    SELECT year, programme, skill_month, high_skill_month, COUNT(*) AS n
    FROM by_programme
    GROUP BY year, programme, skill_month, high_skill_month
),
-- Training 人次 as in training_counts and the training indicators: completed rows (passed or failed), in the year
-- and month their class ended, in the provider's region.
training_months AS (
    SELECT year, region_code, programme, subsidised, organiser, month, COUNT(*) AS n
    FROM (
        SELECT end_year AS year, region_code, programme, subsidised, organiser,
            CAST(date_part('month', end_date) AS INT) AS month
        FROM training
        WHERE end_date <= CAST($as_of AS DATE) AND result IN ('passed', 'failed')
    ) AS completed
    GROUP BY year, region_code, programme, subsidised, organiser, month
),
-- New persons (or 人次) in each month: the month of their first qualifying certificate (or the class's end).
fanned AS (
    SELECT i.indicator_id, a.region_code, a.year, CAST(NULL AS VARCHAR) AS programme,
        CASE i.indicator_id
            WHEN 'new_skilled' THEN a.skill_month
            WHEN 'new_high_skilled' THEN a.high_skill_month
            WHEN 'new_top_grade_persons' THEN a.top_grade_month
            ELSE a.technician_month
        END AS month,
        a.n
    FROM area_months AS a
    CROSS JOIN (VALUES ('new_skilled'), ('new_high_skilled'), ('new_technicians'), ('new_youth_technicians'),
                       ('new_top_grade_persons')) AS i(indicator_id)
    WHERE i.indicator_id <> 'new_youth_technicians' OR a.youth
    UNION ALL
    SELECT i.indicator_id, CAST($province_code AS VARCHAR), p.year, p.programme,
        CASE i.indicator_id WHEN 'programme_new_skilled' THEN p.skill_month ELSE p.high_skill_month END,
        p.n
    FROM programme_months AS p
    CROSS JOIN (VALUES ('programme_new_skilled'), ('programme_new_high_skilled')) AS i(indicator_id)
    UNION ALL
    -- Training: per region and the province (all three), per programme and a sub-programme's parent (the first
    -- two) for the province.
    SELECT i.indicator_id,
        CASE i.scope WHEN 'region' THEN t.region_code ELSE CAST($province_code AS VARCHAR) END,
        t.year,
        CASE i.scope
            WHEN 'programme' THEN t.programme
            WHEN 'parent' THEN split_part(t.programme, '.', 1)
        END,
        t.month,
        t.n
    FROM training_months AS t
    CROSS JOIN (VALUES ('training_persons', 'region'), ('training_persons', 'province'),
                       ('training_persons', 'programme'), ('training_persons', 'parent'),
                       ('subsidised_training', 'region'), ('subsidised_training', 'province'),
                       ('subsidised_training', 'programme'), ('subsidised_training', 'parent'),
                       ('youth_league_training', 'region'), ('youth_league_training', 'province'))
        AS i(indicator_id, scope)
    WHERE (i.indicator_id <> 'subsidised_training' OR t.subsidised)
      AND (i.indicator_id <> 'youth_league_training' OR t.organiser = 'youth_league')
      AND (i.scope <> 'programme' OR t.programme IS NOT NULL)
      AND (i.scope <> 'parent' OR t.programme LIKE '%.%')
),
monthly AS (
    SELECT indicator_id, region_code, year, programme, month, SUM(n) AS n
    FROM fanned
    WHERE month IS NOT NULL
    GROUP BY indicator_id, region_code, year, programme, month
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
