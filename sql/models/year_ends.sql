-- id: year_ends
-- title_zh: 统计年度
-- title_en: Year ends of the build
-- grain: year, from the first issue year of the counted certificates to the as-of year
-- source: DESIGN §8 (stock at the end of year Y; the current year ends on the as-of date)
-- description: The years every region × year indicator has a row for; the same years as the persons model. A tiny
-- description: table, so indicators do not scan persons to find them.
SELECT CAST(unnest(range(CAST(MIN(issue_year) AS BIGINT), CAST(date_part('year', CAST($as_of AS DATE)) AS BIGINT) + 1)) AS INT)
    AS year
FROM certificates
WHERE NOT duplicate_claim
  AND issue_date <= CAST($as_of AS DATE)
