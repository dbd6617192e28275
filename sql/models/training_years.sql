-- id: training_years
-- title_zh: 培训统计年度
-- title_en: Years of the training indicators
-- grain: year, from the first end year of the training rows to the as-of year
-- source: DESIGN §16 (a row counts in the year its class ended), §8 (the current year ends on the as-of date)
-- description: The years every training indicator has a row for: from the earliest end year of an accepted training
-- description: row ended on or before the as-of date to the as-of year, as year_ends does for the certificates. A
-- description: table of its own, not year_ends, so that adding training files never adds years (rows) to the
-- description: certificate indicators; without training rows it is empty and the training indicators have no rows.
SELECT CAST(unnest(range(CAST(MIN(end_year) AS BIGINT), CAST(date_part('year', CAST($as_of AS DATE)) AS BIGINT) + 1)) AS INT)
    AS year
FROM training
WHERE end_date <= CAST($as_of AS DATE)
